//! Storage for `champion_log` and the champion columns of `staff`. The only
//! place their SQL lives.

use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{PracticeId, StaffId, UserId};
use crate::{with_db, with_tx};

/// A champion's start date (YYYY-MM-DD) and responsibilities, one a line.
pub struct Appointment {
    pub champion_since: Option<String>,
    pub champion_duties: String,
}
named_row!(Appointment {
    champion_since,
    champion_duties
});

pub async fn appointment(
    db: &Db,
    practice: PracticeId,
    staff: StaffId,
) -> Result<Option<Appointment>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT champion_since, champion_duties FROM staff WHERE id = $1 AND practice_id = $2 AND is_champion")
        .bind(staff).bind(practice).fetch_optional(p).await)
}

/// A current champion as the manager sees them: who, where, since when, and
/// what they agreed to.
pub struct Champion {
    pub full_name: String,
    pub department: Option<String>,
    pub champion_since: Option<String>,
    pub champion_duties: String,
}
named_row!(Champion {
    full_name,
    department,
    champion_since,
    champion_duties
});

pub async fn champions(db: &Db, practice: PracticeId) -> Result<Vec<Champion>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT s.full_name, d.name AS department, s.champion_since, s.champion_duties \
         FROM staff s LEFT JOIN departments d ON d.id = s.department_id \
         WHERE s.practice_id = $1 AND s.is_champion AND s.active ORDER BY d.name, s.full_name")
        .bind(practice).fetch_all(p).await)
}

pub async fn save_duties(
    tx: &mut Tx,
    practice: PracticeId,
    staff: StaffId,
    duties: &str,
) -> Result<bool, sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE staff SET champion_duties = $1 WHERE id = $2 AND practice_id = $3 AND is_champion")
        .bind(duties).bind(staff).bind(practice).execute(&mut *c).await.map(|r| r.rows_affected() == 1))
}

pub struct NewEntry<'a> {
    pub department_id: Option<i64>,
    pub staff_id: Option<i64>,
    pub kind: &'a str,
    pub what: &'a str,
    pub advice: &'a str,
    pub happened_on: &'a str,
    pub logged_by: UserId,
    pub at: i64,
}

pub async fn insert(
    tx: &mut Tx,
    practice: PracticeId,
    e: &NewEntry<'_>,
) -> Result<i64, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO champion_log (practice_id, department_id, staff_id, kind, what, advice, happened_on, logged_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(practice).bind(e.department_id).bind(e.staff_id).bind(e.kind).bind(e.what).bind(e.advice)
        .bind(e.happened_on).bind(e.logged_by).bind(e.at).fetch_one(&mut *c).await)
}

/// An entry with the colleague's and department's names.
pub struct Entry {
    pub id: i64,
    pub department_id: Option<i64>,
    pub department: Option<String>,
    pub staff_id: Option<StaffId>,
    pub colleague: Option<String>,
    pub kind: String,
    pub what: String,
    pub advice: String,
    pub happened_on: String,
    pub report_id: Option<i64>,
    pub module: Option<String>,
}
named_row!(Entry {
    id,
    department_id,
    department,
    staff_id,
    colleague,
    kind,
    what,
    advice,
    happened_on,
    report_id,
    module
});

const SELECT: &str = "SELECT l.id, l.department_id, d.name AS department, l.staff_id, s.full_name AS colleague, \
    l.kind, l.what, l.advice, l.happened_on, l.report_id, l.module \
    FROM champion_log l LEFT JOIN departments d ON d.id = l.department_id LEFT JOIN staff s ON s.id = l.staff_id";

/// The newest entries: one department's, or (None) the whole practice's.
pub async fn recent(
    db: &Db,
    practice: PracticeId,
    department: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE l.practice_id = $1 AND ($2 = 0 OR l.department_id = $2) ORDER BY l.happened_on DESC, l.id DESC LIMIT $3"
    );
    with_db!(db, p => sqlx::query_as(&sql).bind(practice).bind(department.unwrap_or(0)).bind(limit).fetch_all(p).await)
}

pub async fn find(db: &Db, practice: PracticeId, id: i64) -> Result<Option<Entry>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE l.practice_id = $1 AND l.id = $2");
    with_db!(db, p => sqlx::query_as(&sql).bind(practice).bind(id).fetch_optional(p).await)
}

/// Records the incident report an entry became; false if it already became one.
pub async fn became_report(
    tx: &mut Tx,
    practice: PracticeId,
    id: i64,
    report: i64,
) -> Result<bool, sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE champion_log SET report_id = $1 WHERE id = $2 AND practice_id = $3 AND report_id IS NULL")
        .bind(report).bind(id).bind(practice).execute(&mut *c).await.map(|r| r.rows_affected() == 1))
}

/// Records the training module an entry led to; false if it already led to one.
pub async fn became_training(
    tx: &mut Tx,
    practice: PracticeId,
    id: i64,
    module: &str,
) -> Result<bool, sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE champion_log SET module = $1 WHERE id = $2 AND practice_id = $3 AND module IS NULL")
        .bind(module).bind(id).bind(practice).execute(&mut *c).await.map(|r| r.rows_affected() == 1))
}
