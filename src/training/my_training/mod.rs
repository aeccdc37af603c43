//! A member of staff's own training (not to be confused with
//! `patient_lessons`, the public pages for patients): their training page,
//! each module's overview, the lesson a page at a time with their place and
//! reading time saved for CPD, and password practice (`routes`). Their
//! [`record`] is also what the manager sees on their training record page.

pub mod domain;
pub mod repo;
pub mod routes;

use domain::ModuleStatus;

use crate::auth::PracticeScope;
use crate::db::Db;
use crate::shared::{PracticeId, StaffId};
use crate::training::assignments::{self, Open};
use crate::training::content::{catalogue, module_title};
use crate::training::cpd::{self, Period};
use crate::ukclock;
use crate::web::AppError;

/// One completed module, as the record lists it.
pub struct Completion {
    pub id: i64,
    pub title: String,
    /// The UK date it was completed.
    pub date: String,
    pub minutes: i64,
    pub score: String,
}

/// A module in the catalogue and how far this person is with it.
pub struct ModuleLine {
    pub slug: &'static str,
    pub title: String,
    pub minutes: u32,
    pub summary: String,
    pub status: ModuleStatus,
}

/// A person's training: what is open, what is done, every module's status,
/// and the periods their CPD evidence covers.
#[derive(Default)]
pub struct Record {
    /// Trained by the one definition (`training::is_up_to_date`).
    pub up_to_date: bool,
    /// Titles of the modules their role needs that are not done this year
    /// and not already in `open`.
    pub missing: Vec<String>,
    pub open: Vec<Open>,
    /// Newest first.
    pub completions: Vec<Completion>,
    pub modules: Vec<ModuleLine>,
    /// Calendar years with completions, newest first.
    pub years: Vec<i32>,
    /// NHS appraisal years (April to March) with completions, newest first.
    pub appraisal_years: Vec<Period>,
}

pub async fn record(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    now: i64,
) -> Result<Record, sqlx::Error> {
    let open = assignments::open_for(db, practice_id, staff_id, now).await?;
    let mut done = cpd::repo::log(db, practice_id, staff_id, 0, i64::MAX).await?;
    done.reverse();
    let started = repo::started(db, practice_id, staff_id).await?;
    let standing = crate::training::standing(db, practice_id, staff_id, now).await?;
    let missing = standing
        .missing
        .into_iter()
        .filter(|t| !open.iter().any(|o| &o.title == t))
        .collect();
    let mut years: Vec<i32> = done
        .iter()
        .map(|c| ukclock::local_date(c.completed_at).year())
        .collect();
    years.dedup();
    let mut appraisal_years: Vec<Period> = done
        .iter()
        .map(|c| Period::appraisal_year_of(ukclock::local_date(c.completed_at)))
        .map(Period::Appraisal)
        .collect();
    appraisal_years.dedup();
    let modules = catalogue()
        .modules
        .iter()
        .map(|m| ModuleLine {
            slug: m.slug,
            title: m.title.clone(),
            minutes: m.minutes,
            summary: m.summary.clone(),
            status: ModuleStatus::of(
                open.iter().any(|o| o.module == m.slug),
                done.iter().any(|c| c.module == m.slug),
                started.iter().any(|s| s == m.slug),
            ),
        })
        .collect();
    Ok(Record {
        up_to_date: standing.up_to_date,
        missing,
        open,
        completions: done
            .into_iter()
            .map(|c| Completion {
                id: c.id,
                title: module_title(&c.module).to_string(),
                date: ukclock::format_date(c.completed_at),
                minutes: (c.seconds + 59) / 60,
                score: format!("{} of {}", c.score, c.total),
            })
            .collect(),
        modules,
        years,
        appraisal_years,
    })
}

/// The signed-in person's staff record, which training needs.
pub fn require_staff(scope: &PracticeScope) -> Result<StaffId, AppError> {
    scope.user().staff_id.ok_or(AppError::Forbidden(
        "training is for people on the practice's staff list; ask your practice manager to link your account to your staff record",
    ))
}
