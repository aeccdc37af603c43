//! Writing the exercise: the practice's email templates (from the built-in
//! lure library, from scratch or from a pasted real email), each with its
//! red flags explained and an optional harmless attachment.
//!
//! - `templates`: the template as the rest of the simulation sees it, and the form's checks;
//! - `attachments`: what file may be attached and why others are refused;
//! - `email_import`: a pasted raw email turned into a template form;
//! - `repo`: `sim_templates`, `sim_template_attachments` and the practice's lure names;
//! - `routes` and `views`: the manager's pages.

pub mod attachments;
pub mod email_import;
pub mod preview;
pub mod repo;
pub mod routes;
pub mod templates;
mod views;

pub use templates::{module_title, SimTemplate, MODULES};

use crate::db::{Db, Tx};
use crate::shared::PracticeId;
use crate::simulation::ids::TemplateId;
use crate::simulation::library::{self, PracticeNames};
use crate::simulation::render::Content;
use crate::web::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    use Access::PracticeManager;
    r.get("/simulation/templates", PracticeManager, routes::list)
        .get(
            "/simulation/templates/new",
            PracticeManager,
            routes::new_page,
        )
        .post_upload(
            "/simulation/templates/new",
            PracticeManager,
            routes::FORM_LIMIT,
            routes::create,
        )
        .get(
            "/simulation/templates/{template_id}",
            PracticeManager,
            routes::edit_page,
        )
        .post_upload(
            "/simulation/templates/{template_id}",
            PracticeManager,
            routes::FORM_LIMIT,
            routes::update,
        )
        .post_upload(
            "/simulation/templates/{template_id}/attachment",
            PracticeManager,
            attachments::MAX_BYTES + 64 * 1024,
            routes::upload_attachment,
        )
        .post(
            "/simulation/templates/{template_id}/attachment/remove",
            PracticeManager,
            routes::remove_attachment,
        )
        .get(
            "/simulation/templates/{template_id}/attachment",
            PracticeManager,
            routes::download_attachment,
        )
        .get(
            "/simulation/templates/{template_id}/preview",
            PracticeManager,
            routes::preview,
        )
        .get(
            "/simulation/library/{lure_id}",
            PracticeManager,
            preview::lure,
        )
        .get(
            "/simulation/library/{lure_id}/lesson",
            PracticeManager,
            preview::lure_lesson,
        )
        .get(
            "/simulation/templates/{template_id}/lesson",
            PracticeManager,
            preview::template_lesson,
        )
        .post(
            "/simulation/library/{lure_id}/use",
            PracticeManager,
            routes::use_lure,
        )
        .post(
            "/simulation/library/names",
            PracticeManager,
            routes::save_names,
        )
        .post(
            "/simulation/library/report-link",
            PracticeManager,
            routes::save_report_link,
        )
        .get(
            "/simulation/templates/import",
            PracticeManager,
            routes::import_page,
        )
        .post_upload(
            "/simulation/templates/import",
            PracticeManager,
            routes::FORM_LIMIT,
            routes::import,
        )
}

/// A built-in lure as the practice's template, with the practice's own
/// partner and PCN names (or neutral phrases) filled in; None for an
/// unknown lure.
pub fn from_lure(lure_id: &str, names: &PracticeNames) -> Option<SimTemplate> {
    let l = library::get(lure_id)?.for_practice(names);
    Some(SimTemplate {
        id: TemplateId::new(0),
        name: l.name,
        library_id: Some(l.id),
        content: Content {
            from_name: l.from_name,
            from_address: l.from_address,
            subject: l.subject,
            html: l.html,
            text: l.text,
        },
        landing: l.landing,
        training_module: l.training_module,
        cues: l.cues,
        premise: l.premise_alignment,
        red_flags: l.red_flags,
        attachment: None,
    })
}

/// Copies a built-in lure into the practice's templates, in the caller's
/// transaction; None for an unknown lure.
pub async fn adopt(
    tx: &mut Tx,
    practice_id: PracticeId,
    lure_id: &str,
    names: &PracticeNames,
    now: i64,
) -> Result<Option<TemplateId>, sqlx::Error> {
    match from_lure(lure_id, names) {
        Some(t) => Ok(Some(repo::insert(tx, practice_id, &t, now).await?)),
        None => Ok(None),
    }
}

/// [`adopt`] with the practice's saved names, in a transaction of its own,
/// for seeding (the demo practice, the benchmark, tests).
pub async fn adopt_alone(
    db: &Db,
    practice_id: PracticeId,
    lure_id: &str,
    now: i64,
) -> Result<Option<TemplateId>, sqlx::Error> {
    let names = repo::practice_names(db, practice_id).await?;
    let mut tx = db.begin().await?;
    let id = adopt(&mut tx, practice_id, lure_id, &names, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Adds [`attachments::example`] to a practice in a transaction of its own
/// (the demo practice has it).
pub async fn add_example(
    db: &Db,
    practice_id: PracticeId,
    now: i64,
) -> Result<TemplateId, sqlx::Error> {
    let (t, a) = attachments::example();
    let mut tx = db.begin().await?;
    let id = repo::insert(&mut tx, practice_id, &t, now).await?;
    repo::store_attachment(&mut tx, practice_id, id, &a, now).await?;
    tx.commit().await?;
    Ok(id)
}
