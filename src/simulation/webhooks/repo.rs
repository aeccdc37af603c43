//! Storage for `webhooks`: the receivers, each with its cursor (the last
//! event its receiver accepted), its backoff and its lease; and reading the
//! practice's events after a cursor.

use crate::auth::PracticeScope;
use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{CampaignId, PracticeId};
use crate::simulation::ids::{EventId, WebhookId};
use crate::simulation::states::Kind;
use crate::{with_db, with_tx};

#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: WebhookId,
    pub name: String,
    pub url: String,
    pub secret: String,
    pub active: bool,
    pub cursor_event_id: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub last_success_at: Option<i64>,
}
named_row!(Webhook {
    id,
    name,
    url,
    secret,
    active,
    cursor_event_id,
    attempts,
    next_attempt_at,
    last_error,
    last_success_at
});

const WEBHOOK: &str = "SELECT id, name, url, secret, active, cursor_event_id, attempts, next_attempt_at, last_error, last_success_at FROM webhooks";

/// The practice's newest event: where a new (or caught-up) webhook starts.
const LATEST_EVENT: &str = "(SELECT COALESCE(MAX(id), 0) FROM sim_events WHERE practice_id = $1)";

pub async fn all(db: &Db, scope: &PracticeScope) -> Result<Vec<Webhook>, sqlx::Error> {
    let sql = format!("{WEBHOOK} WHERE practice_id = $1 ORDER BY name, id");
    with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)
}

pub async fn find(
    db: &Db,
    scope: &PracticeScope,
    id: WebhookId,
) -> Result<Option<Webhook>, sqlx::Error> {
    let sql = format!("{WEBHOOK} WHERE id = $1 AND practice_id = $2");
    with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)
}

/// How many of the practice's events a webhook has still to send.
pub async fn waiting(db: &Db, practice_id: PracticeId, cursor: i64) -> Result<i64, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM sim_events WHERE practice_id = $1 AND id > $2")
        .bind(practice_id).bind(cursor).fetch_one(p).await)
}

/// Adds a webhook, switched on, starting after the practice's latest event.
pub async fn insert(
    tx: &mut Tx,
    scope: &PracticeScope,
    name: &str,
    url: &str,
    secret: &str,
    now: i64,
) -> Result<WebhookId, sqlx::Error> {
    let sql = format!(
        "INSERT INTO webhooks (practice_id, name, url, secret, active, cursor_event_id, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, TRUE, {LATEST_EVENT}, 0, 0, $5) RETURNING id"
    );
    with_tx!(tx, c => sqlx::query_scalar(&sql)
        .bind(scope.practice_id()).bind(name).bind(url).bind(secret).bind(now)
        .fetch_one(&mut *c).await)
}

/// What the webhook form changes. A saved change is tried at once rather
/// than after the backoff; `skip_waiting` moves the cursor to the latest
/// event, giving up on those waiting.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: WebhookId,
    name: &str,
    url: &str,
    secret: &str,
    active: bool,
    skip_waiting: bool,
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "UPDATE webhooks SET name = $2, url = $3, secret = $4, active = $5, attempts = 0, next_attempt_at = 0{} \
         WHERE id = $6 AND practice_id = $1",
        if skip_waiting {
            format!(", cursor_event_id = {LATEST_EVENT}, last_error = NULL")
        } else {
            String::new()
        }
    );
    with_tx!(tx, c => sqlx::query(&sql)
        .bind(scope.practice_id()).bind(name).bind(url).bind(secret).bind(active).bind(id)
        .execute(&mut *c).await.map(|_| ()))
}

/// The newest event id of any practice (None: no events yet).
pub async fn newest_event(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar("SELECT MAX(id) FROM sim_events").fetch_one(p).await)
}

/// A webhook leased for one delivery step.
pub struct Claimed {
    pub id: WebhookId,
    pub practice_id: PracticeId,
    pub url: String,
    pub secret: String,
    pub cursor_event_id: i64,
    pub attempts: i64,
}
named_row!(Claimed {
    id,
    practice_id,
    url,
    secret,
    cursor_event_id,
    attempts
});

/// Leases the next due webhook that has events up to `horizon` to send,
/// until `until`, like the outbox claim.
pub async fn claim_next(
    tx: &mut Tx,
    now: i64,
    until: i64,
    horizon: i64,
) -> Result<Option<Claimed>, sqlx::Error> {
    // The outer condition repeats the lease check, so two deliverers racing for
    // the same webhook cannot both win (PostgreSQL re-checks it after the row lock).
    const SQL: &str = "UPDATE webhooks SET locked_until = $1 \
        WHERE id = (SELECT w.id FROM webhooks w WHERE w.active AND w.next_attempt_at <= $2 \
                      AND (w.locked_until IS NULL OR w.locked_until < $2) \
                      AND EXISTS (SELECT 1 FROM sim_events e WHERE e.practice_id = w.practice_id \
                                    AND e.id > w.cursor_event_id AND e.id <= $3) \
                      ORDER BY w.next_attempt_at, w.id LIMIT 1) \
          AND (locked_until IS NULL OR locked_until < $2) \
        RETURNING id, practice_id, url, secret, cursor_event_id, attempts";
    with_tx!(tx, c => sqlx::query_as(SQL).bind(until).bind(now).bind(horizon).fetch_optional(&mut *c).await)
}

/// One event to send, with its exercise's name and its recipient.
pub struct Event {
    pub id: EventId,
    pub kind: Kind,
    pub counted: bool,
    pub reasons: String,
    pub at: i64,
    pub campaign_id: CampaignId,
    pub campaign_name: Option<String>,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub ip: String,
    pub user_agent: String,
}
named_row!(Event {
    id,
    kind,
    counted,
    reasons,
    at,
    campaign_id,
    campaign_name,
    email,
    full_name,
    ip,
    user_agent
});

/// The practice's next events after the cursor, up to `horizon`, oldest first.
pub async fn events_after(
    db: &Db,
    practice_id: PracticeId,
    cursor: i64,
    horizon: i64,
    limit: i64,
) -> Result<Vec<Event>, sqlx::Error> {
    const SQL: &str = "SELECT e.id, e.kind, e.counted, e.reasons, e.at, e.campaign_id, cp.name AS campaign_name, r.email, r.full_name, e.ip, e.user_agent \
        FROM sim_events e \
        LEFT JOIN campaigns cp ON cp.id = e.campaign_id AND cp.practice_id = e.practice_id \
        LEFT JOIN campaign_recipients r ON r.id = e.recipient_id AND r.practice_id = e.practice_id \
        WHERE e.practice_id = $1 AND e.id > $2 AND e.id <= $3 ORDER BY e.id LIMIT $4";
    with_db!(db, p => sqlx::query_as(SQL)
        .bind(practice_id).bind(cursor).bind(horizon).bind(limit).fetch_all(p).await)
}

/// The receiver accepted `event_id`: the cursor moves past it (only
/// forward, whatever a manager did meanwhile) and the lease is renewed.
pub async fn delivered(
    tx: &mut Tx,
    id: WebhookId,
    event_id: EventId,
    now: i64,
    until: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE webhooks SET cursor_event_id = $1, attempts = 0, last_success_at = $2, locked_until = $3 \
         WHERE id = $4 AND cursor_event_id < $1")
        .bind(event_id).bind(now).bind(until).bind(id).execute(&mut *c).await.map(|_| ()))
}

/// The receiver did not take the next event: wait until `retry_at`, and
/// keep the problem for the manager to see.
pub async fn failed(
    tx: &mut Tx,
    id: WebhookId,
    attempts: i64,
    retry_at: i64,
    problem: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE webhooks SET attempts = $1, next_attempt_at = $2, last_error = $3, locked_until = NULL WHERE id = $4")
        .bind(attempts).bind(retry_at).bind(problem).bind(id).execute(&mut *c).await.map(|_| ()))
}

/// Ends the lease; a step that delivered something clears the last problem.
pub async fn release(tx: &mut Tx, id: WebhookId, delivered_some: bool) -> Result<(), sqlx::Error> {
    let sql = if delivered_some {
        "UPDATE webhooks SET locked_until = NULL, last_error = NULL WHERE id = $1"
    } else {
        "UPDATE webhooks SET locked_until = NULL WHERE id = $1"
    };
    with_tx!(tx, c => sqlx::query(sql).bind(id).execute(&mut *c).await.map(|_| ()))
}
