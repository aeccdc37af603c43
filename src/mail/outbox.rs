//! The outbox: enqueue in the change's transaction, claim with a lease, and
//! record the outcome. Only `mail` writes `outbox` (its statements are in
//! `mail::repo`): a capability that sends a system email calls [`enqueue`]
//! inside the transaction of the change that causes it. The worker's steps
//! ([`claim_next`], [`mark_sent`], [`retry_later`], [`mark_failed`]) are
//! whole changes, each committed on its own.

use super::repo::{self, NewMessage};
use crate::db::{Db, Tx, Wake};
use crate::shared::PracticeId;

pub use repo::{Status, StatusCount};

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
    let message = NewMessage {
        practice_id,
        kind,
        to,
        subject,
        body_text,
    };
    let id = repo::insert(tx, &message, now).await?;
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
    let mut tx = db.begin().await?;
    let claimed = repo::claim_next(&mut tx, now, now + lease_secs).await?;
    tx.commit().await?;
    Ok(claimed.map(|c| Outgoing {
        id: c.id,
        to: c.to_addr,
        subject: c.subject,
        body_text: c.body_text,
        attempts: c.attempts,
    }))
}

pub async fn mark_sent(db: &Db, id: i64, now: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    repo::mark_sent(&mut tx, id, now).await?;
    tx.commit().await
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
    let mut tx = db.begin().await?;
    repo::retry_at(&mut tx, msg.id, now + backoff_secs(msg.attempts), error).await?;
    tx.commit().await
}

/// A permanent failure (the server refused the message): keep it, with the reason.
pub async fn mark_failed(db: &Db, id: i64, error: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    repo::mark_failed(&mut tx, id, error).await?;
    tx.commit().await
}

/// Counts by status, for the health of the mail queue.
pub async fn status_counts(db: &Db) -> Result<Vec<StatusCount>, sqlx::Error> {
    repo::status_counts(db).await
}
