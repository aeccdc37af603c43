//! Storage for `drill_plans`. The only place its SQL lives.

use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{PracticeId, UserId};
use crate::{with_db, with_tx};

pub struct NewPlan<'a> {
    pub drill_id: &'a str,
    pub department_id: Option<i64>,
    /// YYYY-MM-DD.
    pub planned_on: &'a str,
    pub planned_by: UserId,
    pub at: i64,
}

pub async fn insert(
    tx: &mut Tx,
    practice: PracticeId,
    p: &NewPlan<'_>,
) -> Result<i64, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO drill_plans (practice_id, drill_id, department_id, planned_on, planned_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(practice).bind(p.drill_id).bind(p.department_id).bind(p.planned_on).bind(p.planned_by).bind(p.at)
        .fetch_one(&mut *c).await)
}

/// A drill planned and not yet run or cancelled.
pub struct PlanRow {
    pub id: i64,
    pub drill_id: String,
    pub department_id: Option<i64>,
    pub department: Option<String>,
    pub planned_on: String,
}
named_row!(PlanRow {
    id,
    drill_id,
    department_id,
    department,
    planned_on
});

/// Open plans up to `until` (YYYY-MM-DD; "9999-12-31" for all), soonest
/// first; with `department`, only that department's and the practice-wide ones.
pub async fn open(
    db: &Db,
    practice: PracticeId,
    department: Option<i64>,
    until: &str,
) -> Result<Vec<PlanRow>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT pl.id, pl.drill_id, pl.department_id, d.name AS department, pl.planned_on \
         FROM drill_plans pl LEFT JOIN departments d ON d.id = pl.department_id \
         WHERE pl.practice_id = $1 AND pl.run_id IS NULL AND pl.cancelled_at IS NULL AND pl.planned_on <= $3 \
           AND ($2 = 0 OR pl.department_id = $2 OR pl.department_id IS NULL) \
         ORDER BY pl.planned_on, pl.id")
        .bind(practice).bind(department.unwrap_or(0)).bind(until).fetch_all(p).await)
}

/// Cancels an open plan; false if there is none by that id (for this department).
pub async fn cancel(
    tx: &mut Tx,
    practice: PracticeId,
    id: i64,
    department: Option<i64>,
    at: i64,
) -> Result<bool, sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE drill_plans SET cancelled_at = $4 WHERE id = $1 AND practice_id = $2 \
         AND run_id IS NULL AND cancelled_at IS NULL AND ($3 = 0 OR department_id = $3)")
        .bind(id).bind(practice).bind(department.unwrap_or(0)).bind(at)
        .execute(&mut *c).await.map(|r| r.rows_affected() == 1))
}

/// Marks the soonest open plan of this drill (for this department, or for
/// the whole practice) planned on or before `up_to` as carried out by `run_id`.
pub async fn carried_out(
    tx: &mut Tx,
    practice: PracticeId,
    drill_id: &str,
    department: Option<i64>,
    up_to: &str,
    run_id: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE drill_plans SET run_id = $5 WHERE id = ( \
           SELECT id FROM drill_plans WHERE practice_id = $1 AND drill_id = $2 \
             AND run_id IS NULL AND cancelled_at IS NULL AND planned_on <= $4 \
             AND (department_id IS NULL OR department_id = $3) \
           ORDER BY planned_on, id LIMIT 1)")
        .bind(practice).bind(drill_id).bind(department.unwrap_or(0)).bind(up_to).bind(run_id)
        .execute(&mut *c).await.map(|_| ()))
}
