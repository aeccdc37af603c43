//! The outbox table: enqueue, claim with a lease, and record the outcome.
//! Only this module writes `outbox`: a capability that sends a system email
//! calls [`enqueue`] inside the transaction of the change that causes it.

use crate::db::{Db, Tx, Wake};
use crate::shared::PracticeId;
use crate::{with_db, with_tx};

/// A claimed message, ready to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub body_text: String,
    pub attempts: i64,
}

/// Queues a plain-text message as part of `tx`; the worker wakes when it commits.
pub async fn enqueue(
    tx: &mut Tx,
    practice_id: Option<PracticeId>,
    kind: &str,
    to: &str,
    subject: &str,
    body_text: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = with_tx!(tx, c => sqlx::query_as(
        "INSERT INTO outbox (practice_id, kind, to_addr, subject, body_text, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6) RETURNING id")
        .bind(practice_id).bind(kind).bind(to).bind(subject).bind(body_text).bind(now)
        .fetch_one(&mut *c).await)?;
    tx.wake_after_commit(Wake::Outbox);
    Ok(id)
}

/// Claims the next due message for `lease_secs`. A worker that dies mid-send
/// loses its lease and another picks the message up again.
pub async fn claim_next(
    db: &Db,
    now: i64,
    lease_secs: i64,
) -> Result<Option<Outgoing>, sqlx::Error> {
    // The outer condition repeats the lease check, so two workers racing for
    // the same row cannot both win (PostgreSQL re-checks it after the row lock).
    const SQL: &str = "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 \
        WHERE id = (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $2 \
                      AND (locked_until IS NULL OR locked_until < $2) ORDER BY next_attempt_at, id LIMIT 1) \
          AND (locked_until IS NULL OR locked_until < $2) \
        RETURNING id, to_addr, subject, body_text, attempts";
    let row: Option<(i64, String, String, String, i64)> = with_db!(db, p => sqlx::query_as(SQL).bind(now + lease_secs).bind(now).fetch_optional(p).await)?;
    Ok(row.map(|(id, to, subject, body_text, attempts)| Outgoing {
        id,
        to,
        subject,
        body_text,
        attempts,
    }))
}

pub async fn mark_sent(db: &Db, id: i64, now: i64) -> Result<(), sqlx::Error> {
    with_db!(db, p => sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $1, locked_until = NULL, last_error = NULL WHERE id = $2")
        .bind(now).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub const MAX_ATTEMPTS: i64 = 8;

/// Waits longer after each failure: 1, 2, 4 … minutes, capped at an hour.
pub fn backoff_secs(attempts: i64) -> i64 {
    (60 * 2i64.pow(attempts.clamp(1, 7) as u32 - 1)).min(3600)
}

/// A temporary failure: try again later, until the attempts run out.
pub async fn retry_later(
    db: &Db,
    msg: &Outgoing,
    error: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    if msg.attempts >= MAX_ATTEMPTS {
        return mark_failed(db, msg.id, error).await;
    }
    with_db!(db, p => sqlx::query("UPDATE outbox SET next_attempt_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3")
        .bind(now + backoff_secs(msg.attempts)).bind(error).bind(msg.id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A permanent failure (the server refused the message): keep it, with the reason.
pub async fn mark_failed(db: &Db, id: i64, error: &str) -> Result<(), sqlx::Error> {
    with_db!(db, p => sqlx::query("UPDATE outbox SET status = 'failed', locked_until = NULL, last_error = $1 WHERE id = $2")
        .bind(error).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Counts by status, for the health of the mail queue.
pub async fn status_counts(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status").fetch_all(p).await)
}
