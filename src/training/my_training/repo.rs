//! Where a person's place in each lesson and its reading time are kept
//! (`training_progress`, one row per person and module until they pass).

use super::domain::Progress;
use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{PracticeId, StaffId};
use crate::{with_db, with_tx};

named_row!(Progress { section, last_seen });

/// The furthest page read, for the module's overview.
pub async fn section(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
) -> Result<Option<i64>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT section FROM training_progress WHERE practice_id = $1 AND staff_id = $2 AND module = $3")
        .bind(practice_id).bind(staff_id).bind(module).fetch_optional(p).await)
}

/// The modules the person has begun and not yet passed.
pub async fn started(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
) -> Result<Vec<String>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT module FROM training_progress WHERE practice_id = $1 AND staff_id = $2")
        .bind(practice_id).bind(staff_id).fetch_all(p).await)
}

pub async fn progress(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
) -> Result<Option<Progress>, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_as(
        "SELECT section, last_seen FROM training_progress WHERE practice_id = $1 AND staff_id = $2 AND module = $3")
        .bind(practice_id).bind(staff_id).bind(module).fetch_optional(&mut *c).await)
}

/// Starts the record of a lesson at `section`, with no reading time yet.
pub async fn start(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
    section: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO training_progress (practice_id, staff_id, module, section, seconds, started_at, last_seen) VALUES ($1, $2, $3, $4, 0, $5, $5) \
         ON CONFLICT DO NOTHING")
        .bind(practice_id).bind(staff_id).bind(module).bind(section).bind(now).execute(&mut *c).await.map(|_| ()))
}

/// Moves the furthest page read to `section` and adds `seconds` of reading.
pub async fn turn(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
    section: i64,
    seconds: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE training_progress SET section = $1, seconds = seconds + $2, last_seen = $3 \
         WHERE practice_id = $4 AND staff_id = $5 AND module = $6")
        .bind(section).bind(seconds).bind(now).bind(practice_id).bind(staff_id).bind(module)
        .execute(&mut *c).await.map(|_| ()))
}

/// Reading time recorded for a module so far, in seconds.
pub async fn reading_seconds(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
) -> Result<i64, sqlx::Error> {
    let seconds: Option<i64> = with_tx!(tx, c => sqlx::query_scalar(
        "SELECT seconds FROM training_progress WHERE practice_id = $1 AND staff_id = $2 AND module = $3")
        .bind(practice_id).bind(staff_id).bind(module).fetch_optional(&mut *c).await)?;
    Ok(seconds.unwrap_or(0))
}

/// Forgets the lesson's place and reading time: starting again after a
/// completion counts afresh.
pub async fn reset(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "DELETE FROM training_progress WHERE practice_id = $1 AND staff_id = $2 AND module = $3")
        .bind(practice_id).bind(staff_id).bind(module).execute(&mut *c).await.map(|_| ()))
}
