//! Where quiz attempts (`quiz_attempts`) and the completions a pass records
//! (`training_completions`, one per passed attempt) are stored.

use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{PracticeId, StaffId};
use crate::{with_db, with_tx};

/// Starts an attempt with the questions drawn; returns its id.
pub async fn insert_attempt(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
    questions: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO quiz_attempts (practice_id, staff_id, module, questions, started_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(practice_id).bind(staff_id).bind(module).bind(questions).bind(now)
        .fetch_one(&mut *c).await)
}

pub struct AttemptRow {
    pub id: i64,
    pub module: String,
    /// Question ids as drawn, `q1,q7,…`.
    pub questions: String,
    pub started_at: i64,
    /// Set together once submitted.
    pub answers: Option<String>,
    pub score: Option<i64>,
    pub passed: Option<bool>,
}

named_row!(AttemptRow {
    id,
    module,
    questions,
    started_at,
    answers,
    score,
    passed
});

/// One of this person's attempts at this practice.
pub async fn attempt(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    id: i64,
) -> Result<Option<AttemptRow>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, module, questions, started_at, answers, score, passed FROM quiz_attempts WHERE id = $1 AND practice_id = $2 AND staff_id = $3")
        .bind(id).bind(practice_id).bind(staff_id).fetch_optional(p).await)
}

/// Records the answers of an attempt not yet submitted; false if it was
/// submitted already (sent twice), when the first answers stand.
pub async fn submit(
    tx: &mut Tx,
    practice_id: PracticeId,
    id: i64,
    answers: &str,
    score: i64,
    passed: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let updated = with_tx!(tx, c => sqlx::query(
        "UPDATE quiz_attempts SET submitted_at = $1, answers = $2, score = $3, passed = $4 WHERE id = $5 AND practice_id = $6 AND submitted_at IS NULL")
        .bind(now).bind(answers).bind(score).bind(passed).bind(id).bind(practice_id)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(updated == 1)
}

/// A module completed: the CPD record a passed attempt leaves.
pub struct NewCompletion<'a> {
    pub staff_id: StaffId,
    pub module: &'a str,
    pub completed_at: i64,
    /// Reading and quiz time, for CPD.
    pub seconds: i64,
    pub score: i64,
    pub total: i64,
    pub attempt_id: i64,
}

/// Returns the completion's id.
pub async fn insert_completion(
    tx: &mut Tx,
    practice_id: PracticeId,
    c: &NewCompletion<'_>,
) -> Result<i64, sqlx::Error> {
    with_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO training_completions (practice_id, staff_id, module, completed_at, seconds, score, total, attempt_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(practice_id).bind(c.staff_id).bind(c.module).bind(c.completed_at).bind(c.seconds)
        .bind(c.score).bind(c.total).bind(c.attempt_id)
        .fetch_one(&mut *conn).await)
}

/// A passed attempt recorded whole, for [`super::record_completed`].
pub async fn insert_passed_attempt(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
    started_at: i64,
    submitted_at: i64,
    score: i64,
) -> Result<i64, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO quiz_attempts (practice_id, staff_id, module, questions, started_at, submitted_at, answers, score, passed) \
         VALUES ($1, $2, $3, '', $4, $5, '', $6, TRUE) RETURNING id")
        .bind(practice_id).bind(staff_id).bind(module).bind(started_at).bind(submitted_at).bind(score)
        .fetch_one(&mut *c).await)
}

/// The completion a passed attempt recorded, if any.
pub async fn completion_of(
    db: &Db,
    practice_id: PracticeId,
    attempt_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT id FROM training_completions WHERE attempt_id = $1 AND practice_id = $2")
        .bind(attempt_id).bind(practice_id).fetch_optional(p).await)
}
