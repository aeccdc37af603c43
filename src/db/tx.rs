//! A write transaction on either backend ([`Tx`]), the [`with_tx!`] macro that
//! runs one body on it, and [`retry_tx!`], which runs a whole transaction
//! again when the database asks for that (a deadlock or serialization
//! failure on PostgreSQL, a busy database on SQLite).
//!
//! ```text
//! let mut tx = state.db.begin().await?;
//! let id = campaigns::insert(&mut tx, &scope, &spec, &mut targets, now).await?;
//! audit::record_alone(&mut tx, Some(scope.practice_id()), &actor, Action::CampaignChanged, &detail, now).await?;
//! tx.wake_after_commit(Wake::Sender);
//! tx.commit().await?; // both rows or neither; then the sender wakes
//! ```
//!
//! Dropping a `Tx` without committing rolls it back. While one is open, do
//! not write through `&Db`: on SQLite that second writer waits for this one,
//! which is waiting for it (the busy timeout ends it, with an error).

use std::sync::Arc;
use std::time::Duration;

use sqlx::{Postgres, Sqlite, Transaction};

use super::signals::{Change, Signals, Wake};
use super::{Backend, Db, Pool};

/// The open transaction on one backend; [`with_tx!`] matches on it.
pub enum TxConn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// A write transaction, begun by [`Db::begin`]. Wake-ups and changes asked
/// for while it is open are sent when it commits, and dropped if it does not.
pub struct Tx {
    conn: TxConn,
    signals: Arc<Signals>,
    /// The node the NOTIFY names, so this node does not hear its own signals twice.
    node: Arc<str>,
    wakes: Vec<Wake>,
    changes: Vec<Change>,
}

/// Runs one body inside a [`Tx`]. `$c` is `&mut SqliteConnection` or
/// `&mut PgConnection`; give queries `&mut *$c` so it can be used again.
/// The body is compiled once per backend, as with [`with_db!`].
///
/// ```text
/// with_tx!(tx, c => sqlx::query("UPDATE campaigns SET status = $1 WHERE id = $2")
///     .bind(status).bind(id).execute(&mut *c).await)?;
/// ```
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx.conn() {
            $crate::db::TxConn::Sqlite(open) => {
                let $c = &mut **open;
                $body
            }
            $crate::db::TxConn::Postgres(open) => {
                let $c = &mut **open;
                $body
            }
        }
    };
}

impl Db {
    /// Begins a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a transaction that reads first and writes later
    /// would otherwise fail with "database is locked" if another writer
    /// committed in between, rather than wait its turn.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let conn = match self.pool() {
            Pool::Sqlite(p) => TxConn::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p) => TxConn::Postgres(p.begin().await?),
        };
        Ok(Tx {
            conn,
            signals: self.signals.clone(),
            node: self.node.clone(),
            wakes: Vec::new(),
            changes: Vec::new(),
        })
    }
}

impl Tx {
    /// For [`with_tx!`].
    pub fn conn(&mut self) -> &mut TxConn {
        &mut self.conn
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            TxConn::Sqlite(_) => Backend::Sqlite,
            TxConn::Postgres(_) => Backend::Postgres,
        }
    }

    /// Wakes a worker once this commits (woken earlier, it would find nothing).
    pub fn wake_after_commit(&mut self, w: Wake) {
        if !self.wakes.contains(&w) {
            self.wakes.push(w);
        }
    }

    /// Tells caches once this commits (told earlier, one could reload the old state).
    pub fn publish_after_commit(&mut self, c: Change) {
        if !self.changes.contains(&c) {
            self.changes.push(c);
        }
    }

    /// Makes every change permanent, then sends the wake-ups and changes.
    /// On PostgreSQL the other nodes hear them too: the NOTIFY is part of
    /// the transaction, delivered when (and only if) it commits.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.conn {
            TxConn::Sqlite(t) => t.commit().await?,
            TxConn::Postgres(mut t) => {
                if !self.wakes.is_empty() || !self.changes.is_empty() {
                    sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(super::signals::CHANNEL)
                        .bind(super::signals::payload(
                            &self.node,
                            &self.wakes,
                            &self.changes,
                        ))
                        .execute(&mut *t)
                        .await?;
                }
                t.commit().await?
            }
        }
        for w in self.wakes {
            self.signals.wake(w);
        }
        for c in self.changes {
            self.signals.publish(c);
        }
        Ok(())
    }

    /// Undoes every change. Dropping the `Tx` does the same, without waiting.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self.conn {
            TxConn::Sqlite(t) => t.rollback().await,
            TxConn::Postgres(t) => t.rollback().await,
        }
    }
}

/// An error that says whether running the whole transaction again could succeed.
pub trait Retryable {
    fn is_retryable(&self) -> bool;
}

impl Retryable for sqlx::Error {
    /// PostgreSQL: deadlock detected (40P01) or could not serialize (40001).
    /// SQLite: the database is busy or locked (primary codes 5 and 6, which
    /// include the "snapshot is stale" case), after the busy timeout.
    fn is_retryable(&self) -> bool {
        let sqlx::Error::Database(d) = self else {
            return false;
        };
        let Some(code) = d.code() else {
            return false;
        };
        match code.as_ref() {
            "40P01" | "40001" => true,
            other => other
                .parse::<i32>()
                .is_ok_and(|c| matches!(c & 0xff, 5 | 6)),
        }
    }
}

impl Retryable for anyhow::Error {
    fn is_retryable(&self) -> bool {
        self.downcast_ref::<sqlx::Error>()
            .is_some_and(Retryable::is_retryable)
    }
}

/// Attempts in all: enough to ride out a deadlock between a few writers.
const ATTEMPTS: u32 = 5;

/// For [`retry_tx!`]: whether attempt number `attempt` (from 1), which failed
/// with `e`, should be followed by another.
#[doc(hidden)]
pub fn try_again<E: Retryable>(e: &E, attempt: u32) -> bool {
    attempt < ATTEMPTS && e.is_retryable()
}

/// For [`retry_tx!`]: 10, 20, 40, 80 ms after attempts 1 to 4, plus up to
/// 10 ms at random so two rivals part.
#[doc(hidden)]
pub async fn back_off(attempt: u32) {
    let jitter = rand::random::<u64>() % 10;
    tokio::time::sleep(Duration::from_millis(
        (10 << attempt.saturating_sub(1).min(6)) + jitter,
    ))
    .await;
}

/// Runs a body in a fresh transaction and commits it; if the database
/// refuses either with an error that [`Retryable`] says may pass (a deadlock
/// or serialization failure on PostgreSQL, a busy database on SQLite), rolls
/// back, waits a little and runs the whole body again, up to 5 attempts. Any
/// other error, or the last attempt's, is the result.
///
/// The body is an expression giving `Result<T, E>` (`E: From<sqlx::Error> +
/// Retryable`, as `AppError`, `anyhow::Error` and `sqlx::Error` are); `?`
/// inside it ends that attempt. It may run more than once, so it must not
/// do anything outside the transaction that cannot be repeated (send an
/// email: queue it in the outbox instead, which is inside). Annotate the
/// error type if the compiler cannot tell it (`Ok::<_, AppError>(id)`).
///
/// ```text
/// let id = retry_tx!(&state.db, tx => {
///     let id = repo::insert(&mut tx, &scope, &new).await?;
///     audit::record(&mut tx, …).await?;
///     Ok::<_, AppError>(id)
/// })?;
/// ```
///
/// A macro rather than a function taking a closure: a closure that borrows
/// its surroundings and returns a future cannot yet be proved `Send` for
/// every lifetime, which axum handlers and spawned tasks need.
#[macro_export]
macro_rules! retry_tx {
    ($db:expr, $tx:ident => $body:expr) => {{
        let db: &$crate::db::Db = $db;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let outcome = match db.begin().await {
                Ok(mut $tx) => match async { $body }.await {
                    Ok(value) => $tx
                        .commit()
                        .await
                        .map(|()| value)
                        .map_err(::core::convert::Into::into),
                    Err(e) => Err(e),
                },
                Err(e) => Err(::core::convert::Into::into(e)),
            };
            match outcome {
                Err(e) if $crate::db::tx::try_again(&e, attempt) => {
                    $crate::db::tx::back_off(attempt).await;
                }
                other => break other,
            }
        }
    }};
}
