//! Storage for `suspicious_reports`: the reports staff say they made. The
//! only place their SQL lives.

use super::domain::How;
use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{PracticeId, StaffId};
use crate::{with_db, with_tx};

pub struct NewReport<'a> {
    pub staff_id: Option<StaffId>,
    pub department_id: Option<i64>,
    pub how: How,
    pub note: &'a str,
    pub at: i64,
}

pub async fn insert(
    tx: &mut Tx,
    practice_id: PracticeId,
    r: &NewReport<'_>,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO suspicious_reports (practice_id, staff_id, department_id, how, note, reported_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(practice_id).bind(r.staff_id).bind(r.department_id).bind(r.how).bind(r.note).bind(r.at)
        .execute(&mut *c).await.map(|_| ()))
}

/// The times of the practice's reports in `[from, to)`, optionally one department's.
pub async fn times(
    db: &Db,
    practice_id: PracticeId,
    department_id: Option<i64>,
    (from, to): (i64, i64),
) -> Result<Vec<i64>, sqlx::Error> {
    match department_id {
        None => with_db!(db, p => sqlx::query_scalar(
            "SELECT reported_at FROM suspicious_reports WHERE practice_id = $1 AND reported_at >= $2 AND reported_at < $3")
            .bind(practice_id).bind(from).bind(to).fetch_all(p).await),
        Some(d) => with_db!(db, p => sqlx::query_scalar(
            "SELECT reported_at FROM suspicious_reports WHERE practice_id = $1 AND department_id = $2 AND reported_at >= $3 AND reported_at < $4")
            .bind(practice_id).bind(d).bind(from).bind(to).fetch_all(p).await),
    }
}

/// How many reports one person has made since `since`.
pub async fn count_by(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    since: i64,
) -> Result<i64, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM suspicious_reports WHERE practice_id = $1 AND staff_id = $2 AND reported_at >= $3")
        .bind(practice_id).bind(staff_id).bind(since).fetch_one(p).await)
}

/// A recent report, for the practice manager.
pub struct Recent {
    pub full_name: Option<String>,
    pub how: How,
    pub note: String,
    pub reported_at: i64,
}
named_row!(Recent {
    full_name,
    how,
    note,
    reported_at
});

pub async fn recent(
    db: &Db,
    practice_id: PracticeId,
    limit: i64,
) -> Result<Vec<Recent>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT s.full_name, r.how, r.note, r.reported_at FROM suspicious_reports r LEFT JOIN staff s ON s.id = r.staff_id \
         WHERE r.practice_id = $1 ORDER BY r.reported_at DESC, r.id DESC LIMIT $2")
        .bind(practice_id).bind(limit).fetch_all(p).await)
}
