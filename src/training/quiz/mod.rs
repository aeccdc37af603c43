//! Quizzes: each attempt draws its questions from the module's bank and is
//! scored on the server against the bank, whatever the form sends (`domain`).
//! Passing records a completion (with the time spent, for CPD), closes the
//! person's assignments for that module and clears their place in the lesson,
//! all in one transaction (`routes::submit`).

pub mod domain;
pub mod repo;
pub mod routes;

use crate::db::{Db, Tx};
use crate::shared::{PracticeId, StaffId};
use crate::training::content::{catalogue, Module, Question};
use crate::web::AppError;

/// An attempt as drawn from the bank, and its result once submitted.
pub struct Attempt {
    pub id: i64,
    pub module: &'static Module,
    pub questions: Vec<&'static Question>,
    pub started_at: i64,
    pub submitted: Option<Submitted>,
}

#[derive(Debug, Clone)]
pub struct Submitted {
    /// The choice for each question, in order (None where unreadable).
    pub answers: Vec<Option<usize>>,
    pub score: i64,
    pub passed: bool,
}

/// One of the person's attempts; "not found" for anyone else's.
pub async fn load(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    id: i64,
) -> Result<Attempt, AppError> {
    let row = repo::attempt(db, practice_id, staff_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let m = catalogue().module(&row.module).ok_or(AppError::NotFound)?;
    let submitted = match (row.answers, row.score, row.passed) {
        (Some(a), Some(score), Some(passed)) => Some(Submitted {
            answers: domain::stored_answers(&a),
            score,
            passed,
        }),
        _ => None,
    };
    Ok(Attempt {
        id: row.id,
        module: m,
        questions: domain::drawn(m, &row.questions),
        started_at: row.started_at,
        submitted,
    })
}

/// Records a module as completed at `at`, as if its quiz was passed with
/// every answer right then: for seeding the demo practice (and tests), in
/// the caller's transaction. Returns the completion's id.
pub async fn record_completed(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
    at: i64,
    seconds: i64,
) -> Result<i64, sqlx::Error> {
    let total = catalogue().module(module).map_or(6, |m| m.quiz.draw as i64);
    let attempt =
        repo::insert_passed_attempt(tx, practice_id, staff_id, module, at - 300, at, total).await?;
    repo::insert_completion(
        tx,
        practice_id,
        &repo::NewCompletion {
            staff_id,
            module,
            completed_at: at,
            seconds,
            score: total,
            total,
            attempt_id: attempt,
        },
    )
    .await
}
