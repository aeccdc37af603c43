//! The cyber minute at every practice meeting: a meeting record (date,
//! kind, attendance, notes, actions with owner and due date that carry
//! forward until done) and a one-page briefing from the practice's own data
//! since the last meeting, praise first, with one rotating tip and the
//! threat the manager picked. The list of meetings is the evidence that
//! security is a standing agenda item.
//!
//! By job: `domain` (checking a record), `repo` (`meetings`,
//! `meeting_actions`), `routes`, `views`. Other code (DSPT evidence) calls
//! [`held_between`].

pub mod briefing;
pub mod calendar;
pub mod domain;
pub mod repo;
pub mod routes;
pub mod views;

pub use domain::MeetingKind;
pub use repo::Meeting;

use time::Date;

use crate::db::Db;
use crate::shared::PracticeId;

/// The meetings held from `from` to `to` (both included), newest first.
/// Every meeting recorded in Safety Net had security as a standing item
/// (its cyber minute), so each one is evidence of that.
pub async fn held_between(
    db: &Db,
    practice: PracticeId,
    from: Date,
    to: Date,
) -> Result<Vec<Meeting>, sqlx::Error> {
    repo::between(db, practice, &from.to_string(), &to.to_string()).await
}
