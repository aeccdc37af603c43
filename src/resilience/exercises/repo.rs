//! Where tabletop exercises are stored: `exercises` (with the notes as
//! JSON), who came (`exercise_attendees`) and the actions agreed
//! (`exercise_actions`). The names in the report come from people's
//! `staff`, read here.

use super::domain::{ActionRow, ExerciseStatus, Stored, StoredAction, Summary};
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::resilience::ids::ExerciseId;
use crate::resilience::plan_content::Scenario;
use crate::resilience::sql::from_row;
use crate::shared::StaffId;
use crate::{with_db, with_tx};

/// Every exercise, the latest date first.
pub async fn all(db: &Db, scope: &PracticeScope) -> Result<Vec<Summary>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, title, run_on, status FROM exercises WHERE practice_id = $1 ORDER BY run_on DESC, id DESC")
        .bind(scope.practice_id()).fetch_all(p).await)
}

pub async fn find(
    db: &Db,
    scope: &PracticeScope,
    id: ExerciseId,
) -> Result<Option<Stored>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, scenario, run_on, facilitator, status, started_at, notes FROM exercises WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_optional(p).await)
}

/// Plans an exercise of the scenario on `run_on` (an ISO date).
pub async fn insert(
    tx: &mut Tx,
    scope: &PracticeScope,
    scenario: &Scenario,
    run_on: &str,
    facilitator: &str,
    now: i64,
) -> Result<ExerciseId, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO exercises (practice_id, scenario, title, run_on, facilitator, status, notes, created_at) VALUES ($1, $2, $3, $4, $5, $6, '[]', $7) RETURNING id")
        .bind(scope.practice_id()).bind(&scenario.slug).bind(&scenario.title).bind(run_on).bind(facilitator)
        .bind(ExerciseStatus::Planned).bind(now).fetch_one(&mut *c).await)
}

/// Who came.
pub async fn attendees(
    db: &Db,
    scope: &PracticeScope,
    id: ExerciseId,
) -> Result<Vec<StaffId>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT staff_id FROM exercise_attendees WHERE exercise_id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_all(p).await)
}

/// The actions agreed, in the order they were written.
pub async fn actions(
    db: &Db,
    scope: &PracticeScope,
    id: ExerciseId,
) -> Result<Vec<ActionRow>, sqlx::Error> {
    let rows: Vec<StoredAction> = with_db!(db, p => sqlx::query_as(
        "SELECT text, staff_id, due_on FROM exercise_actions WHERE exercise_id = $1 AND practice_id = $2 ORDER BY id")
        .bind(id).bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, a)| a.row(i))
        .collect())
}

/// What saving the run form stores.
pub struct Saved<'a> {
    /// JSON: one note per inject, then the debrief's.
    pub notes: &'a str,
    pub status: ExerciseStatus,
    pub started_at: Option<i64>,
    pub attending: &'a [StaffId],
    pub actions: &'a [ActionRow],
}

/// Saves the notes and state, and replaces who came and the actions. The
/// first save that finishes the exercise sets when it finished.
pub async fn save(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: ExerciseId,
    s: &Saved<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let pid = scope.practice_id();
    with_tx!(tx, c => sqlx::query(
        "UPDATE exercises SET notes = $1, status = $2, started_at = $3, \
                finished_at = CASE WHEN $2 = $4 THEN COALESCE(finished_at, $5) ELSE finished_at END \
         WHERE id = $6 AND practice_id = $7")
        .bind(s.notes).bind(s.status).bind(s.started_at).bind(ExerciseStatus::Done).bind(now).bind(id).bind(pid)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    with_tx!(tx, c => sqlx::query("DELETE FROM exercise_attendees WHERE exercise_id = $1 AND practice_id = $2")
        .bind(id).bind(pid).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    for staff_id in s.attending {
        with_tx!(tx, c => sqlx::query(
            "INSERT INTO exercise_attendees (exercise_id, practice_id, staff_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(id).bind(pid).bind(staff_id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    }
    with_tx!(tx, c => sqlx::query("DELETE FROM exercise_actions WHERE exercise_id = $1 AND practice_id = $2")
        .bind(id).bind(pid).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    for a in s.actions {
        let due = (!a.due_on.is_empty()).then_some(a.due_on.as_str());
        with_tx!(tx, c => sqlx::query(
            "INSERT INTO exercise_actions (exercise_id, practice_id, text, staff_id, due_on) VALUES ($1, $2, $3, $4, $5)")
            .bind(id).bind(pid).bind(&a.text).bind(a.owner).bind(due).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Someone who came, for the report.
pub struct Attendee {
    pub full_name: String,
    pub job_role: String,
}

from_row!(Attendee, r => Ok(Attendee {
    full_name: r.try_get("full_name")?,
    job_role: r.try_get("job_role")?,
}));

/// Who came, by name, for the report.
pub async fn attendee_names(
    db: &Db,
    scope: &PracticeScope,
    id: ExerciseId,
) -> Result<Vec<Attendee>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT s.full_name, s.job_role FROM exercise_attendees a JOIN staff s ON s.id = a.staff_id \
         WHERE a.exercise_id = $1 AND a.practice_id = $2 ORDER BY s.full_name")
        .bind(id).bind(scope.practice_id()).fetch_all(p).await)
}

/// An action for the report, with its owner's name.
pub struct ReportAction {
    pub text: String,
    pub owner: Option<String>,
    pub due_on: Option<String>,
}

from_row!(ReportAction, r => Ok(ReportAction {
    text: r.try_get("text")?,
    owner: r.try_get("full_name")?,
    due_on: r.try_get("due_on")?,
}));

pub async fn report_actions(
    db: &Db,
    scope: &PracticeScope,
    id: ExerciseId,
) -> Result<Vec<ReportAction>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT a.text, s.full_name, a.due_on FROM exercise_actions a LEFT JOIN staff s ON s.id = a.staff_id \
         WHERE a.exercise_id = $1 AND a.practice_id = $2 ORDER BY a.id")
        .bind(id).bind(scope.practice_id()).fetch_all(p).await)
}
