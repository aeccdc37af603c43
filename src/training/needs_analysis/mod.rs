//! The training needs analysis (DSPT evidence item 3.1.1): what each staff
//! group needs and how it is given, written by the practice manager and
//! printed with the current training figures ([`pdf`], served by `routes`
//! and put in the DSPT evidence pack).

pub mod domain;
pub mod repo;
pub mod routes;

use crate::db::Db;
use crate::shared::PracticeId;
use crate::training::compliance::{self, practice_name};
use crate::training::settings;
use crate::ukclock;
use domain::TnaForm;

/// When the analysis was last saved, if ever (the DSPT counts it for 12 months).
pub async fn last_saved(db: &Db, practice_id: PracticeId) -> Result<Option<i64>, sqlx::Error> {
    Ok(repo::load(db, practice_id).await?.map(|t| t.updated_at))
}

/// The analysis as a PDF at `now`, with where training stands then.
pub async fn pdf(db: &Db, practice_id: PracticeId, now: i64) -> Result<Vec<u8>, sqlx::Error> {
    let practice = practice_name(db, practice_id).await?;
    let (form, updated) = load(db, practice_id)
        .await?
        .unwrap_or_else(|| (TnaForm::starter(), "Not saved yet".into()));
    let s = settings::load(db, practice_id).await?;
    let c = compliance::summary(db, practice_id, &s, now).await?;
    let mut doc = crate::pdf::Document::new(
        "Training needs analysis",
        &format!(
            "{practice} · training needs analysis · printed {}",
            ukclock::format(now)
        ),
    );
    doc.title("Training needs analysis");
    doc.paragraph(&format!(
        "{practice}. Data Security and Protection Toolkit evidence (item 3.1.1 in earlier toolkits, part of 3.2.1 in 2025-26). {updated}."
    ));
    for (heading, text) in [
        ("Staff groups and what each needs", &form.staff_groups),
        ("How training is delivered", &form.delivery),
        ("Gaps identified", &form.gaps),
        ("Actions", &form.actions),
    ] {
        doc.heading(heading);
        if text.trim().is_empty() {
            doc.paragraph("(none recorded)");
        }
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            doc.paragraph(line.trim());
        }
    }
    doc.heading("Where training stands today");
    doc.paragraph(&format!(
        "{} of {} staff ({}%) completed their role's modules in the last {} months. The target is {}%.",
        c.trained, c.staff, c.percent(), s.refresher_months, s.compliance_target
    ));
    for d in &c.departments {
        doc.bullet(&format!(
            "{}: {} of {} trained ({}%)",
            d.name,
            d.trained,
            d.staff,
            d.percent()
        ));
    }
    if !form.review_on.is_empty() {
        doc.paragraph(&format!("Next review: {}", form.review_on));
    }
    Ok(doc.finish())
}

/// The saved analysis and a line saying when and by whom, if saved.
pub async fn load(
    db: &Db,
    practice_id: PracticeId,
) -> Result<Option<(TnaForm, String)>, sqlx::Error> {
    Ok(repo::load(db, practice_id).await?.map(|t| {
        (
            TnaForm {
                staff_groups: t.staff_groups,
                delivery: t.delivery,
                gaps: t.gaps,
                actions: t.actions,
                review_on: t.review_on.unwrap_or_default(),
            },
            format!(
                "Last updated {} by {}",
                ukclock::format(t.updated_at),
                t.updated_by
            ),
        )
    }))
}
