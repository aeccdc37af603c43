//! Every SQL statement on `outbox`, the one table `mail` owns. Writes take
//! the caller's `&mut Tx`; rows come back as named structs.

use crate::db::row::{named_row, text_state};
use crate::db::Tx;
use crate::shared::PracticeId;
use crate::with_tx;

/// Where a message is: waiting (perhaps for a retry), sent, or given up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Sent,
    Failed,
}

impl Status {
    /// As stored in `outbox.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    pub fn from_sql(s: &str) -> Option<Self> {
        [Self::Pending, Self::Sent, Self::Failed]
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

text_state!(Status);

/// A message to queue.
pub struct NewMessage<'a> {
    pub practice_id: Option<PracticeId>,
    pub kind: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
}

pub async fn insert(tx: &mut Tx, m: &NewMessage<'_>, now: i64) -> Result<i64, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO outbox (practice_id, kind, to_addr, subject, body_text, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7) RETURNING id")
        .bind(m.practice_id).bind(m.kind).bind(m.to).bind(m.subject).bind(m.body_text).bind(Status::Pending).bind(now)
        .fetch_one(&mut *c).await)
}

/// A claimed message, as the worker sends it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub attempts: i64,
}
named_row!(Claimed {
    id,
    to_addr,
    subject,
    body_text,
    attempts
});

/// Leases the next due message until `locked_until`, counting the attempt.
pub async fn claim_next(
    tx: &mut Tx,
    now: i64,
    locked_until: i64,
) -> Result<Option<Claimed>, sqlx::Error> {
    // The outer condition repeats the lease check, so two workers racing for
    // the same row cannot both win (PostgreSQL re-checks it after the row lock).
    const SQL: &str = "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 \
        WHERE id = (SELECT id FROM outbox WHERE status = $3 AND next_attempt_at <= $2 \
                      AND (locked_until IS NULL OR locked_until < $2) ORDER BY next_attempt_at, id LIMIT 1) \
          AND (locked_until IS NULL OR locked_until < $2) \
        RETURNING id, to_addr, subject, body_text, attempts";
    with_tx!(tx, c => sqlx::query_as(SQL).bind(locked_until).bind(now).bind(Status::Pending)
        .fetch_optional(&mut *c).await)
}

pub async fn mark_sent(tx: &mut Tx, id: i64, now: i64) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE outbox SET status = $1, sent_at = $2, locked_until = NULL, last_error = NULL WHERE id = $3")
        .bind(Status::Sent).bind(now).bind(id).execute(&mut *c).await.map(|_| ()))
}

/// Lets the message go again at `next_attempt_at`, keeping the reason.
pub async fn retry_at(
    tx: &mut Tx,
    id: i64,
    next_attempt_at: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3")
        .bind(next_attempt_at).bind(error).bind(id).execute(&mut *c).await.map(|_| ()))
}

pub async fn mark_failed(tx: &mut Tx, id: i64, error: &str) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE outbox SET status = $1, locked_until = NULL, last_error = $2 WHERE id = $3")
        .bind(Status::Failed).bind(error).bind(id).execute(&mut *c).await.map(|_| ()))
}

/// How many messages are in one state.
#[derive(Debug, Clone)]
pub struct StatusCount {
    pub status: Status,
    pub count: i64,
}
named_row!(StatusCount { status, count });

pub async fn status_counts(db: &crate::db::Db) -> Result<Vec<StatusCount>, sqlx::Error> {
    crate::with_db!(db, p => sqlx::query_as(
        "SELECT status, COUNT(*) AS count FROM outbox GROUP BY status ORDER BY status").fetch_all(p).await)
}

#[cfg(test)]
mod tests {
    use super::Status;

    #[test]
    fn statuses_read_back_what_they_store() {
        for s in [Status::Pending, Status::Sent, Status::Failed] {
            assert_eq!(Status::from_sql(s.as_str()), Some(s));
        }
        assert_eq!(Status::from_sql("queued"), None);
    }
}
