//! Drills that need no email, run and logged by a champion or the manager
//! from the drill library (`culture::library`, `content/drills/`): a phone
//! call, a text-message card, a USB stick, a walk-round. Each records an
//! outcome with a kind note; "needs more practice" assigns the drill's
//! training module through the usual assignments, in the same transaction.
//! A person sees their own outcomes and debriefs; the practice and each
//! department see figures only at or above the minimum group size.
//!
//! By job: `domain` (checking a result), `repo` (`drill_runs`,
//! `drill_outcomes`), `routes`, `views`. Other code (DSPT evidence, the
//! dashboard) calls [`run_between`].

pub mod domain;
pub mod files;
pub mod plans;
pub mod repo;
pub mod routes;
pub mod views;

pub use repo::RunFact;

use crate::db::Db;
use crate::shared::PracticeId;

/// The drills the practice ran in `[from, to)` (Unix times), oldest first,
/// each with its library id, kind (`phone`, `sms_card`, `usb_drop`,
/// `walk_round`) and outcome (`good-catch`, `partly`, `needs-practice`).
pub async fn run_between(
    db: &Db,
    practice: PracticeId,
    from: i64,
    to: i64,
) -> Result<Vec<RunFact>, sqlx::Error> {
    repo::between(db, practice, (from, to)).await
}
