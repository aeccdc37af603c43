//! Storage for `external_exercises`, `external_results` and
//! `external_result_imports`: the only place their SQL lives. Every
//! statement is scoped by practice.

use std::collections::{HashMap, HashSet};

use super::domain::{Counts, NewExercise};
use super::import::PersonResult;
use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{PracticeId, StaffId, UserId};
use crate::simulation::reporting::repo::DepartmentFigures;
use crate::{with_db, with_tx};

/// An exercise as its pages show it.
pub struct ExerciseRow {
    pub id: i64,
    pub name: String,
    pub run_by: String,
    pub starts_on: String,
    pub ends_on: String,
    pub subject: String,
    pub red_flags: String,
    pub source: String,
    pub sent: i64,
    pub opened: i64,
    pub clicked: i64,
    pub submitted: i64,
    pub reported: i64,
}
named_row!(ExerciseRow {
    id,
    name,
    run_by,
    starts_on,
    ends_on,
    subject,
    red_flags,
    source,
    sent,
    opened,
    clicked,
    submitted,
    reported
});

const SELECT: &str = "SELECT id, name, run_by, starts_on, ends_on, subject, red_flags, source, \
    sent, opened, clicked, submitted, reported FROM external_exercises";

pub async fn insert(
    tx: &mut Tx,
    practice: PracticeId,
    e: &NewExercise,
    starts_at: i64,
    by: UserId,
    now: i64,
) -> Result<i64, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO external_exercises (practice_id, name, run_by, starts_on, ends_on, starts_at, subject, red_flags, source, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'none', $9, $10) RETURNING id")
        .bind(practice).bind(&e.name).bind(e.run_by.as_str()).bind(e.starts_on.to_string()).bind(e.ends_on.to_string())
        .bind(starts_at).bind(&e.subject).bind(&e.red_flags).bind(by).bind(now)
        .fetch_one(&mut *c).await)
}

pub async fn find(
    db: &Db,
    practice: PracticeId,
    id: i64,
) -> Result<Option<ExerciseRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE id = $1 AND practice_id = $2");
    with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(practice).fetch_optional(p).await)
}

/// The practice's exercises run elsewhere, newest first.
pub async fn list(db: &Db, practice: PracticeId) -> Result<Vec<ExerciseRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE practice_id = $1 ORDER BY starts_at DESC, id DESC");
    with_db!(db, p => sqlx::query_as(&sql).bind(practice).fetch_all(p).await)
}

/// Removes an exercise with its results and stored files; false if it is not the practice's.
pub async fn delete(tx: &mut Tx, practice: PracticeId, id: i64) -> Result<bool, sqlx::Error> {
    for sql in [
        "DELETE FROM external_results WHERE exercise_id = $1 AND practice_id = $2",
        "DELETE FROM external_result_imports WHERE exercise_id = $1 AND practice_id = $2",
    ] {
        with_tx!(tx, c => sqlx::query(sql).bind(id).bind(practice).execute(&mut *c).await.map(|_| ()))?;
    }
    let n = with_tx!(tx, c => sqlx::query("DELETE FROM external_exercises WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(practice).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Everyone on the practice's staff list (current or not: an exercise may
/// predate a leaver), by lower-cased address, with their department.
pub async fn staff_by_email(
    db: &Db,
    practice: PracticeId,
) -> Result<HashMap<String, (StaffId, Option<i64>)>, sqlx::Error> {
    let rows: Vec<(String, StaffId, Option<i64>)> = with_db!(db, p => sqlx::query_as(
        "SELECT email, id, department_id FROM staff WHERE practice_id = $1")
        .bind(practice).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(email, id, dept)| (email.to_lowercase(), (id, dept)))
        .collect())
}

// ---------- stored files between preview and choice ----------

pub async fn insert_import(
    tx: &mut Tx,
    practice: PracticeId,
    exercise_id: i64,
    by: UserId,
    filename: &str,
    rows_json: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO external_result_imports (practice_id, exercise_id, created_by, created_at, filename, rows_json, status) \
         VALUES ($1, $2, $3, $4, $5, $6, 'preview') RETURNING id")
        .bind(practice).bind(exercise_id).bind(by).bind(now).bind(filename).bind(rows_json)
        .fetch_one(&mut *c).await)
}

/// A stored file: its name, rows and status.
pub async fn find_import(
    db: &Db,
    practice: PracticeId,
    exercise_id: i64,
    id: i64,
) -> Result<Option<(String, String, String)>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT filename, rows_json, status FROM external_result_imports WHERE id = $1 AND exercise_id = $2 AND practice_id = $3")
        .bind(id).bind(exercise_id).bind(practice).fetch_optional(p).await)
}

/// Ends a waiting import; false if it was already finished (imported at most once).
pub async fn finish_import(
    tx: &mut Tx,
    practice: PracticeId,
    id: i64,
    to: &str,
) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, c => sqlx::query(
        "UPDATE external_result_imports SET status = $1 WHERE id = $2 AND practice_id = $3 AND status = 'preview'")
        .bind(to).bind(id).bind(practice).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

// ---------- results ----------

/// Who had already clicked or entered details in this exercise, so an
/// import again gives no second follow-up.
pub async fn clickers(tx: &mut Tx, exercise_id: i64) -> Result<HashSet<StaffId>, sqlx::Error> {
    let ids: Vec<StaffId> = with_tx!(tx, c => sqlx::query_scalar(
        "SELECT staff_id FROM external_results WHERE exercise_id = $1 AND (clicked OR submitted)")
        .bind(exercise_id).fetch_all(&mut *c).await)?;
    Ok(ids.into_iter().collect())
}

/// One person's result, replacing what an earlier import said.
pub async fn upsert(
    tx: &mut Tx,
    practice: PracticeId,
    exercise_id: i64,
    r: &PersonResult,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO external_results (exercise_id, practice_id, staff_id, department_id, delivered, opened, clicked, submitted, reported, \
         opened_at, clicked_at, submitted_at, reported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (exercise_id, staff_id) DO UPDATE SET department_id = excluded.department_id, delivered = excluded.delivered, \
         opened = excluded.opened, clicked = excluded.clicked, submitted = excluded.submitted, reported = excluded.reported, \
         opened_at = excluded.opened_at, clicked_at = excluded.clicked_at, submitted_at = excluded.submitted_at, reported_at = excluded.reported_at")
        .bind(exercise_id).bind(practice).bind(r.staff_id).bind(r.department_id)
        .bind(r.delivered.yes).bind(r.opened.yes).bind(r.clicked.yes).bind(r.submitted.yes).bind(r.reported.yes)
        .bind(r.opened.at).bind(r.clicked.at).bind(r.submitted.at).bind(r.reported.at)
        .execute(&mut *c).await.map(|_| ()))
}

/// Recounts the exercise from its per-person results (kept on the row, as
/// campaigns keep theirs, so figures never scan results).
pub async fn recount(tx: &mut Tx, practice: PracticeId, id: i64) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE external_exercises SET source = 'people', \
         sent = (SELECT COUNT(*) FROM external_results r WHERE r.exercise_id = $1 AND r.delivered), \
         opened = (SELECT COUNT(*) FROM external_results r WHERE r.exercise_id = $1 AND r.opened), \
         clicked = (SELECT COUNT(*) FROM external_results r WHERE r.exercise_id = $1 AND r.clicked), \
         submitted = (SELECT COUNT(*) FROM external_results r WHERE r.exercise_id = $1 AND r.submitted), \
         reported = (SELECT COUNT(*) FROM external_results r WHERE r.exercise_id = $1 AND r.reported) \
         WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(practice).execute(&mut *c).await.map(|_| ()))
}

/// Records the counts given as a summary (no people).
pub async fn set_summary(
    tx: &mut Tx,
    practice: PracticeId,
    id: i64,
    n: &Counts,
) -> Result<bool, sqlx::Error> {
    let done = with_tx!(tx, c => sqlx::query(
        "UPDATE external_exercises SET source = 'summary', sent = $1, opened = $2, clicked = $3, submitted = $4, reported = $5 \
         WHERE id = $6 AND practice_id = $7 AND source <> 'people'")
        .bind(n.sent).bind(n.opened).bind(n.clicked).bind(n.submitted).bind(n.reported).bind(id).bind(practice)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Each department's figures for one exercise (people, reported, clicked).
pub async fn by_department(
    db: &Db,
    practice: PracticeId,
    id: i64,
) -> Result<Vec<DepartmentFigures>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT d.name, COUNT(*) AS people, \
         CAST(COALESCE(SUM(CASE WHEN r.reported THEN 1 ELSE 0 END), 0) AS BIGINT) AS reported, \
         CAST(COALESCE(SUM(CASE WHEN r.clicked THEN 1 ELSE 0 END), 0) AS BIGINT) AS clicked \
         FROM external_results r LEFT JOIN departments d ON d.id = r.department_id \
         WHERE r.exercise_id = $1 AND r.practice_id = $2 AND r.delivered GROUP BY d.name ORDER BY d.name")
        .bind(id).bind(practice).fetch_all(p).await)
}

/// One exercise run elsewhere that a person received.
pub struct Received {
    pub name: String,
    pub starts_on: String,
    pub reported: bool,
    pub reported_at: Option<i64>,
    pub clicked: bool,
    pub submitted: bool,
}
named_row!(Received {
    name,
    starts_on,
    reported,
    reported_at,
    clicked,
    submitted
});

/// The exercises run elsewhere this person received, newest first.
pub async fn received(
    db: &Db,
    practice: PracticeId,
    staff_id: StaffId,
) -> Result<Vec<Received>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT e.name, e.starts_on, r.reported, r.reported_at, r.clicked, r.submitted FROM external_results r \
         JOIN external_exercises e ON e.id = r.exercise_id AND e.practice_id = r.practice_id \
         WHERE r.practice_id = $1 AND r.staff_id = $2 AND r.delivered ORDER BY e.starts_at DESC LIMIT 100")
        .bind(practice).bind(staff_id).fetch_all(p).await)
}
