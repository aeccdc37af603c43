//! The CPD log: completed modules (`training_completions`) as certificates
//! and summaries read them. Read only; a passed quiz writes them.

use crate::db::row::named_row;
use crate::db::Db;
use crate::shared::{PracticeId, StaffId};
use crate::with_db;

/// One completed module.
pub struct Completion {
    pub id: i64,
    pub module: String,
    pub completed_at: i64,
    /// Reading and quiz time.
    pub seconds: i64,
    pub score: i64,
    pub total: i64,
}

named_row!(Completion {
    id,
    module,
    completed_at,
    seconds,
    score,
    total
});

/// A person's completions in `[from, to)`, oldest first.
pub async fn log(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    from: i64,
    to: i64,
) -> Result<Vec<Completion>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, module, completed_at, seconds, score, total FROM training_completions \
         WHERE practice_id = $1 AND staff_id = $2 AND completed_at >= $3 AND completed_at < $4 ORDER BY completed_at")
        .bind(practice_id).bind(staff_id).bind(from).bind(to).fetch_all(p).await)
}

/// A completion with whose it is, for its certificate.
pub struct CertificateRow {
    pub staff_id: StaffId,
    pub full_name: String,
    pub module: String,
    pub completed_at: i64,
    pub seconds: i64,
    pub score: i64,
    pub total: i64,
}

named_row!(CertificateRow {
    staff_id,
    full_name,
    module,
    completed_at,
    seconds,
    score,
    total
});

pub async fn certificate(
    db: &Db,
    practice_id: PracticeId,
    completion_id: i64,
) -> Result<Option<CertificateRow>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT c.staff_id, s.full_name, c.module, c.completed_at, c.seconds, c.score, c.total FROM training_completions c \
         JOIN staff s ON s.id = c.staff_id WHERE c.id = $1 AND c.practice_id = $2")
        .bind(completion_id).bind(practice_id).fetch_optional(p).await)
}

/// The person's name, if they are on this practice's staff list (`people` owns it).
pub async fn staff_name(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
) -> Result<Option<String>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT full_name FROM staff WHERE id = $1 AND practice_id = $2")
        .bind(staff_id).bind(practice_id).fetch_optional(p).await)
}
