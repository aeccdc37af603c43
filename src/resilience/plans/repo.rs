//! Where plans are stored: `plans` (the current version of each, one per
//! template), `plan_versions` (each approved version as it was approved)
//! and `plan_notes` (changes to make, from incident reviews).

use super::domain::{Plan, PlanBody, PlanNote, PlanStatus};
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::resilience::ids::{IncidentId, PlanId};
use crate::{with_db, with_tx};

const COLUMNS: &str = "id, template, body, version, status, approved_version, approved_by, approved_at, review_on, last_printed_at, last_printed_by, updated_at";

fn json(body: &PlanBody) -> Result<String, sqlx::Error> {
    serde_json::to_string(body).map_err(|e| sqlx::Error::Encode(e.into()))
}

pub async fn all(db: &Db, scope: &PracticeScope) -> Result<Vec<Plan>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM plans WHERE practice_id = $1 ORDER BY id");
    with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)
}

pub async fn find(db: &Db, scope: &PracticeScope, id: PlanId) -> Result<Option<Plan>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM plans WHERE id = $1 AND practice_id = $2");
    with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)
}

/// Starts a plan from a template as a draft, version 1. A second plan from
/// the same template is refused by the database (a unique violation).
pub async fn insert(
    tx: &mut Tx,
    scope: &PracticeScope,
    template: &str,
    body: &PlanBody,
    now: i64,
) -> Result<PlanId, sqlx::Error> {
    let body = json(body)?;
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO plans (practice_id, template, body, version, status, created_at, updated_at) VALUES ($1, $2, $3, 1, $4, $5, $5) RETURNING id")
        .bind(scope.practice_id()).bind(template).bind(&body).bind(PlanStatus::Draft).bind(now)
        .fetch_one(&mut *c).await)
}

/// Saves an edited body as a draft of `version`.
pub async fn save_body(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: PlanId,
    body: &PlanBody,
    version: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    let body = json(body)?;
    with_tx!(tx, c => sqlx::query(
        "UPDATE plans SET body = $1, version = $2, status = $3, updated_at = $4 WHERE id = $5 AND practice_id = $6")
        .bind(&body).bind(version).bind(PlanStatus::Draft).bind(now).bind(id).bind(scope.practice_id())
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Approves the plan's current version for the scope's user: keeps it in
/// `plan_versions` and sets the review date (an ISO date).
pub async fn approve(
    tx: &mut Tx,
    scope: &PracticeScope,
    plan: &Plan,
    review_on: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let body = json(&plan.body)?;
    let by = &scope.user().full_name;
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO plan_versions (plan_id, practice_id, version, body, approved_by, approved_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
        .bind(plan.id).bind(scope.practice_id()).bind(plan.version).bind(&body).bind(by).bind(now)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    with_tx!(tx, c => sqlx::query(
        "UPDATE plans SET status = $1, approved_version = version, approved_by = $2, approved_at = $3, review_on = $4 WHERE id = $5 AND practice_id = $6")
        .bind(PlanStatus::Approved).bind(by).bind(now).bind(review_on).bind(plan.id).bind(scope.practice_id())
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The plan was printed (or its PDF made) by the scope's user at `now`.
pub async fn mark_printed(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: PlanId,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE plans SET last_printed_at = $1, last_printed_by = $2 WHERE id = $3 AND practice_id = $4")
        .bind(now).bind(&scope.user().full_name).bind(id).bind(scope.practice_id())
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The changes to make to a plan, oldest first.
pub async fn notes(
    db: &Db,
    scope: &PracticeScope,
    id: PlanId,
) -> Result<Vec<PlanNote>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT created_at, text FROM plan_notes WHERE practice_id = $1 AND plan_id = $2 ORDER BY id")
        .bind(scope.practice_id()).bind(id).fetch_all(p).await)
}

/// Notes a change to make to the plan, from an incident's review.
pub async fn add_note(
    tx: &mut Tx,
    scope: &PracticeScope,
    plan_id: PlanId,
    incident_id: IncidentId,
    text: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO plan_notes (plan_id, practice_id, text, incident_id, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(plan_id).bind(scope.practice_id()).bind(text).bind(incident_id).bind(now)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
