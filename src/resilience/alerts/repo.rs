//! Where cyber alerts are stored: the `cyber_alerts` table.

use super::domain::{Alert, AlertInput, Applicability, Counts};
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::resilience::ids::AlertId;
use crate::resilience::rules;
use crate::{with_db, with_tx};

const COLUMNS: &str = "id, reference, title, severity, received_at, acknowledged_at, acknowledged_by, applicability, assessment, actions, action_owner, completed_on";

pub async fn find(
    db: &Db,
    scope: &PracticeScope,
    id: AlertId,
) -> Result<Option<Alert>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM cyber_alerts WHERE id = $1 AND practice_id = $2");
    with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)
}

/// The newest 500 alerts, newest first.
pub async fn recent(db: &Db, scope: &PracticeScope) -> Result<Vec<Alert>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM cyber_alerts WHERE practice_id = $1 ORDER BY received_at DESC, id DESC LIMIT 500"
    );
    with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)
}

pub async fn counts(db: &Db, scope: &PracticeScope, now: i64) -> Result<Counts, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN acknowledged_at IS NULL THEN 1 ELSE 0 END), 0) AS waiting, \
                COALESCE(SUM(CASE WHEN acknowledged_at IS NULL AND received_at < $2 THEN 1 ELSE 0 END), 0) AS overdue, \
                COALESCE(SUM(CASE WHEN applicability = $3 AND completed_on IS NULL THEN 1 ELSE 0 END), 0) AS actions_open \
         FROM cyber_alerts WHERE practice_id = $1")
        .bind(scope.practice_id()).bind(now - rules::ACK_HOURS * 3600).bind(Applicability::Applies)
        .fetch_one(p).await)
}

pub async fn insert(
    tx: &mut Tx,
    scope: &PracticeScope,
    a: &AlertInput,
    now: i64,
) -> Result<AlertId, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO cyber_alerts (practice_id, reference, title, severity, received_at, applicability, assessment, actions, action_owner, completed_on, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id")
        .bind(scope.practice_id()).bind(&a.reference).bind(&a.title).bind(a.severity).bind(a.received_at)
        .bind(a.applicability).bind(&a.assessment).bind(&a.actions).bind(a.action_owner).bind(&a.completed_on).bind(now)
        .fetch_one(&mut *c).await)
}

pub async fn update(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: AlertId,
    a: &AlertInput,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE cyber_alerts SET reference = $1, title = $2, severity = $3, received_at = $4, applicability = $5, assessment = $6, \
                actions = $7, action_owner = $8, completed_on = $9, updated_at = $10 WHERE id = $11 AND practice_id = $12")
        .bind(&a.reference).bind(&a.title).bind(a.severity).bind(a.received_at).bind(a.applicability)
        .bind(&a.assessment).bind(&a.actions).bind(a.action_owner).bind(&a.completed_on).bind(now)
        .bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Acknowledges the alert for the scope's user at `now`; false if it was
/// already acknowledged (by someone else a moment ago, say).
pub async fn acknowledge(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: AlertId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, c => sqlx::query(
        "UPDATE cyber_alerts SET acknowledged_at = $1, acknowledged_by = $2, updated_at = $1 \
         WHERE id = $3 AND practice_id = $4 AND acknowledged_at IS NULL")
        .bind(now).bind(&scope.user().full_name).bind(id).bind(scope.practice_id())
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
