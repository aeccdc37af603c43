//! The practice manager's view of training: who is trained against the DSPT
//! target, who is overdue, by department (`routes`), and one person's
//! record. [`is_up_to_date`] answers for one person by the same definition
//! (`domain`) the view counts with.

pub mod domain;
pub mod repo;
pub mod routes;

use std::collections::HashSet;

use axum::http::header;
use axum::response::{IntoResponse, Response};

pub use domain::{DepartmentLine, Overdue, PersonLine, Summary};

use crate::db::Db;
use crate::shared::{PracticeId, StaffId};
use crate::training::curricula;
use crate::training::settings::{self, TrainingSettings};
use crate::ukclock;
use domain::{counts_from, outstanding, summarise, Person};

/// Where a practice's training stands at `now`. Four indexed queries whatever
/// the practice's size.
pub async fn summary(
    db: &Db,
    practice_id: PracticeId,
    s: &TrainingSettings,
    now: i64,
) -> Result<Summary, sqlx::Error> {
    let staff = repo::current_staff(db, practice_id).await?;
    let done: HashSet<(StaffId, String)> =
        repo::completed_after(db, practice_id, counts_from(now, s))
            .await?
            .into_iter()
            .map(|d| (d.staff_id, d.module))
            .collect();
    let overdue = repo::overdue(db, practice_id, now).await?;
    let curricula = curricula::load(db, practice_id).await?;
    let people = staff
        .into_iter()
        .map(|r| Person {
            staff_id: r.id,
            curriculum: curricula.for_staff(&r.job_role, &r.employment_type),
            name: r.full_name,
            department: r.department,
        })
        .collect();
    let overdue = overdue
        .into_iter()
        .map(|o| Overdue {
            staff_id: o.staff_id,
            name: o.full_name,
            module_title: crate::training::content::module_title(&o.module).to_string(),
            due: ukclock::local_date(o.due_at).to_string(),
        })
        .collect();
    Ok(summarise(people, &done, overdue))
}

/// Whether this person's training is up to date at `now`: every module their
/// role's curriculum at this practice names, completed within the practice's
/// refresher interval (12 months unless changed). This is the definition the
/// compliance view counts as "trained" and the DSPT asks about; use it
/// wherever a page says whether someone is up to date. Open or overdue
/// assignments do not change the answer; only completions do. False for
/// someone not on this practice's staff list.
pub async fn is_up_to_date(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let Some(person) = repo::staff_member(db, practice_id, staff_id).await? else {
        return Ok(false);
    };
    let s = settings::load(db, practice_id).await?;
    let curricula = curricula::load(db, practice_id).await?;
    let done =
        repo::modules_completed_after(db, practice_id, staff_id, counts_from(now, &s)).await?;
    let curriculum = curricula.for_staff(&person.job_role, &person.employment_type);
    Ok(outstanding(curriculum, |m| done.iter().any(|d| d == m)).is_empty())
}

/// The compliance view as a PDF at `now`, for the DSPT evidence pack: the
/// share trained against the target, by department, what is overdue and who
/// still has modules to finish.
pub async fn pdf(db: &Db, practice_id: PracticeId, now: i64) -> Result<Vec<u8>, sqlx::Error> {
    let practice = practice_name(db, practice_id).await?;
    let s = settings::load(db, practice_id).await?;
    let c = summary(db, practice_id, &s, now).await?;
    let mut doc = crate::pdf::Document::new(
        "Training and compliance",
        &format!(
            "{practice} · training and compliance · printed {}",
            ukclock::format(now)
        ),
    );
    doc.title("Training and compliance");
    doc.paragraph(&format!(
        "{practice}. {} of {} staff ({}%) have completed every module their role needs in the last {} months. The Data Security and Protection Toolkit target is {}%: {}.",
        c.trained,
        c.staff,
        c.percent(),
        s.refresher_months,
        s.compliance_target,
        if c.meets(&s) { "met" } else { "not met yet" }
    ));
    doc.heading("By department");
    for d in &c.departments {
        doc.bullet(&format!(
            "{}: {} of {} trained ({}%)",
            d.name,
            d.trained,
            d.staff,
            d.percent()
        ));
    }
    doc.heading("Overdue");
    if c.overdue.is_empty() {
        doc.paragraph("Nothing is overdue.");
    }
    for o in &c.overdue {
        doc.bullet(&format!(
            "{}: {}, was due {}",
            o.name, o.module_title, o.due
        ));
    }
    doc.heading("Still to finish their role's modules");
    if c.not_trained.is_empty() {
        doc.paragraph("Everyone is up to date.");
    }
    for p in &c.not_trained {
        doc.bullet(&format!(
            "{} ({}): {}",
            p.name,
            p.department,
            p.missing.join(", ")
        ));
    }
    Ok(doc.finish())
}

/// A PDF shown in the browser, saved under `filename`.
pub fn pdf_response(bytes: Vec<u8>, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The practice's name, for printed pages.
pub async fn practice_name(db: &Db, practice_id: PracticeId) -> Result<String, sqlx::Error> {
    repo::practice_name(db, practice_id).await
}
