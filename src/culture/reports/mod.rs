//! "I reported a suspicious email": a member of staff records a report they
//! made anywhere (spamreports@nhs.net, a champion, IT), is thanked at once,
//! and it counts in the practice's reports per month, the figure that
//! matters most. Champions see their department's count (at or above the
//! minimum group size).
//!
//! By job: `domain` (how it was reported, the line about it, months),
//! `repo` (`suspicious_reports`), `routes`, `views`. Other code (the
//! dashboard, DSPT evidence) calls [`per_month`].

pub mod domain;
pub mod repo;
pub mod routes;
pub mod views;

pub use domain::{How, MonthCount};

use time::Date;

use crate::db::Db;
use crate::shared::PracticeId;

/// The practice's self-reported suspicious emails per UK calendar month,
/// from `from`'s month to `to`'s (both included), oldest first; months with
/// none are there with 0.
pub async fn per_month(
    db: &Db,
    practice: PracticeId,
    from: Date,
    to: Date,
) -> Result<Vec<MonthCount>, sqlx::Error> {
    let times = repo::times(db, practice, None, domain::range(from, to)).await?;
    Ok(domain::bucket(from, to, &times))
}

/// [`per_month`] for one department. The caller decides whether the
/// department is big enough to show (the minimum group size).
pub async fn per_month_in_department(
    db: &Db,
    practice: PracticeId,
    department_id: i64,
    from: Date,
    to: Date,
) -> Result<Vec<MonthCount>, sqlx::Error> {
    let times = repo::times(db, practice, Some(department_id), domain::range(from, to)).await?;
    Ok(domain::bucket(from, to, &times))
}
