//! Who has to do which module by when. Four things assign training: the rules
//! worker (`worker`: induction for new starters, refreshers a set time after
//! completion, reminders and the manager's weekly round-up), a first click in
//! a phishing exercise (`assign_follow_up`, called by the simulation), the
//! practice manager (`routes`: the "assign training" page), and lessons from
//! incidents (resilience calls [`assign`]).
//!
//! These functions are the one way into `training_assignments` for other
//! capabilities; each writes in the caller's transaction, so the assignment
//! commits or rolls back with the change that caused it. (The simulation's
//! group event writer inserts follow-ups many rows at a time on its hot path,
//! with [`FOLLOW_UP_SECS`] and [`follow_up_reason`] from here.)

pub mod domain;
pub mod repo;
pub mod routes;
pub mod worker;

pub use domain::{follow_up_reason, parse_date, Kind, FOLLOW_UP_SECS};
pub use repo::NewAssignment;
pub use worker::{run, run_until_stopped, Pass};

use crate::db::{Db, Tx};
use crate::shared::{CampaignId, PracticeId, StaffId};
use crate::training::content::module_title;
use crate::ukclock;

/// New starters' induction training given since a moment, for the DSPT's
/// item on induction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inductions {
    /// Current staff given induction training since then.
    pub starters: i64,
    /// …who have completed all of it.
    pub completed: i64,
    /// …who have not, and are past its due date.
    pub overdue: i64,
    /// When the last of them finished.
    pub last_completed_at: Option<i64>,
}

/// The inductions given to current staff since `since`, as they stand at `now`.
pub async fn inductions(
    db: &Db,
    practice_id: PracticeId,
    since: i64,
    now: i64,
) -> Result<Inductions, sqlx::Error> {
    let rows = repo::inductions_since(db, practice_id, since).await?;
    let mut out = Inductions {
        starters: rows.len() as i64,
        ..Inductions::default()
    };
    for r in rows {
        if r.done >= r.modules {
            out.completed += 1;
            out.last_completed_at = out.last_completed_at.max(r.last_done);
        } else if r.first_due.is_some_and(|due| due < now) {
            out.overdue += 1;
        }
    }
    Ok(out)
}

/// Adds an assignment unless the person already has that module to do.
/// Returns whether one was added.
pub async fn assign(
    tx: &mut Tx,
    practice_id: PracticeId,
    a: &NewAssignment<'_>,
) -> Result<bool, sqlx::Error> {
    if repo::has_open(tx, practice_id, a.staff_id, a.module).await? {
        return Ok(false);
    }
    repo::insert(tx, practice_id, a).await
}

/// Assigns the short refresher that follows a first counted click in a
/// phishing exercise, due two weeks after the click.
pub async fn assign_follow_up(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
    campaign_id: CampaignId,
    campaign_name: &str,
    clicked_at: i64,
) -> Result<(), sqlx::Error> {
    let reason = follow_up_reason(campaign_name);
    repo::insert(
        tx,
        practice_id,
        &NewAssignment {
            staff_id,
            module,
            kind: Kind::Simulation,
            reason: &reason,
            campaign_id: Some(campaign_id),
            assigned_at: clicked_at,
            due_at: Some(clicked_at + FOLLOW_UP_SECS),
        },
    )
    .await
    .map(|_| ())
}

/// Withdraws an exercise's follow-up, if not yet done: the click that
/// assigned it was a scanner's after all.
pub async fn withdraw_follow_up(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    campaign_id: CampaignId,
) -> Result<(), sqlx::Error> {
    repo::delete_open_follow_up(tx, practice_id, staff_id, campaign_id).await
}

/// One person's open assignment, as their training page and the manager's show it.
pub struct Open {
    pub module: String,
    pub title: String,
    pub reason: String,
    /// The UK date it is due.
    pub due: Option<String>,
    pub overdue: bool,
}

/// A person's assignments still to do, soonest due first.
pub async fn open_for(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    now: i64,
) -> Result<Vec<Open>, sqlx::Error> {
    Ok(repo::open_for(db, practice_id, staff_id)
        .await?
        .into_iter()
        .map(|a| Open {
            title: module_title(&a.module).to_string(),
            due: a.due_at.map(ukclock::format_date),
            overdue: a.due_at.is_some_and(|d| d < now),
            reason: if a.lure_subject.is_some() || a.lure_sent_at.is_some() {
                domain::follow_up_shown(a.lure_subject.as_deref(), a.lure_sent_at)
            } else {
                a.reason
            },
            module: a.module,
        })
        .collect())
}
