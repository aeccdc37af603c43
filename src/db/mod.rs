//! Storage: one SQL text for SQLite and PostgreSQL, transactions on both, and
//! the signals a commit sends.
//!
//! Queries use `$1…$N` placeholders, which sqlx's SQLite driver binds by
//! position just like PostgreSQL. The rare dialect differences live here.
//!
//! The convention (ARCHITECTURE.md says more): a function that only reads
//! takes `&Db` and runs each statement with [`with_db!`]; a function that
//! writes takes `&mut Tx` and runs its statements with [`with_tx!`]; the
//! caller begins the transaction ([`Db::begin`]), calls every write the
//! change needs (the audit entry and queued emails included) and commits.

pub mod leases;
pub mod migrate;
pub mod row;
pub mod signals;
#[doc(hidden)]
pub mod tx;

pub use signals::{Change, Heard, Listener, Signals, Wake};
pub use tx::{Retryable, Tx, TxConn};

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};

/// The database: a pool on whichever backend the URL named, and the signals
/// this process's commits send (see [`signals`]). Cloning shares both.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    signals: Arc<Signals>,
    /// Who this process is among the app nodes (random per start), for job leases.
    node: Arc<str>,
}

/// A pool on one backend.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs one body against whichever backend is live, outside any transaction
/// (each statement commits by itself). `$p` is `&SqlitePool` or `&PgPool`.
/// The body is written once and compiled for each backend, so shared SQL
/// stays shared. For a change that must commit as a whole, use [`with_tx!`].
#[macro_export]
macro_rules! with_db {
    ($db:expr, $p:ident => $body:expr) => {
        match $db.pool() {
            $crate::db::Pool::Sqlite($p) => $body,
            $crate::db::Pool::Postgres($p) => $body,
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            other => anyhow::bail!(
                "the database URL must start with sqlite:// or postgres:// (it starts with {other:?})"
            ),
        }
    }
}

impl Db {
    fn new(pool: Pool) -> Self {
        let node: String = {
            let bytes: [u8; 8] = rand::random();
            hex::encode(bytes)
        };
        Self {
            pool,
            signals: Arc::default(),
            node: node.into(),
        }
    }

    /// The pool, for [`with_db!`] and the few places that need one backend.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Wakes workers and tells caches about changes (after a commit).
    /// This process's name among the app nodes (see [`leases`]).
    pub fn node(&self) -> &str {
        &self.node
    }

    pub fn signals(&self) -> &Signals {
        &self.signals
    }

    /// Copies the SQLite write-ahead log back into the database file every ten
    /// seconds until `stop`, on a thread and connection of its own, rather than
    /// inside a writer's commit, where SQLite's automatic checkpoint (switched
    /// off in `connect`) would put it: every 4 MB, about once a second under a
    /// burst of tracking. A checkpoint flushes the log to disk, which can hold
    /// up writers for tens of milliseconds on this machine; every ten seconds
    /// that touches well under 1% of requests. The last connection to close
    /// checkpoints what is left. Nothing to do for PostgreSQL.
    pub fn start_checkpoints(&self, stop: tokio_util::sync::CancellationToken) {
        let Some(path) = self.sqlite_file() else {
            return;
        };
        let run = move || {
            let Ok(c) = rusqlite::Connection::open(&path) else {
                return;
            };
            let _ = c.busy_timeout(Duration::from_secs(10));
            let mut waited = Duration::ZERO;
            while !stop.is_cancelled() {
                std::thread::sleep(Duration::from_millis(250));
                waited += Duration::from_millis(250);
                if waited < Duration::from_secs(10) {
                    continue;
                }
                waited = Duration::ZERO;
                if let Err(e) = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::debug!(error = ?e, "checkpoint skipped");
                }
            }
        };
        if let Err(e) = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(run)
        {
            tracing::warn!(error = ?e, "no checkpoint thread: SQLite's write-ahead log grows until restart");
        }
    }

    /// The SQLite database's file; None for PostgreSQL or an in-memory database.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        let Pool::Sqlite(pool) = &self.pool else {
            return None;
        };
        let path = pool.connect_options().get_filename().to_path_buf();
        (!path.as_os_str().is_empty() && path.as_os_str() != ":memory:").then_some(path)
    }

    /// Connects and applies any migrations that have not run yet.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let db = Self::connect_without_migrating(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    pub async fn connect_without_migrating(url: &str) -> anyhow::Result<Self> {
        match Backend::from_url(url)? {
            Backend::Sqlite => {
                let opts = SqliteConnectOptions::from_str(url)
                    .with_context(|| format!("reading the SQLite URL {url}"))?
                    .create_if_missing(true)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    // Sorting and statement journals stay in memory rather than in temporary files.
                    .pragma("temp_store", "memory")
                    // Copying the write-ahead log back into the database happens in
                    // `start_checkpoints`, not in whichever request's commit crosses the limit.
                    .pragma("wal_autocheckpoint", "0");
                // WAL belongs to the file, so it is switched on once here rather than by every
                // pooled connection, where it races with writers already at work.
                let first = opts
                    .clone()
                    .journal_mode(SqliteJournalMode::Wal)
                    .connect()
                    .await
                    .with_context(|| format!("opening the SQLite database {url}"))?;
                first.close().await?;
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    // A ping is a hand-over to the connection's thread, and a file cannot drop.
                    .test_before_acquire(false)
                    .connect_with(opts)
                    .await
                    .with_context(|| format!("opening the SQLite database {url}"))?;
                Ok(Self::new(Pool::Sqlite(pool)))
            }
            Backend::Postgres => {
                let opts = PgConnectOptions::from_str(url).context("reading the PostgreSQL URL")?;
                let pool = PgPoolOptions::new()
                    .max_connections(10)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await
                    .context("connecting to PostgreSQL")?;
                Ok(Self::new(Pool::Postgres(pool)))
            }
        }
    }

    /// Tells every node (this one at once) that `c` changed, outside any
    /// transaction: for a change stored by a writer that is not a [`Tx`].
    pub async fn announce(&self, c: Change) -> Result<(), sqlx::Error> {
        if let Pool::Postgres(p) = &self.pool {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(signals::CHANNEL)
                .bind(signals::payload(&self.node, &[], &[c]))
                .execute(p)
                .await?;
        }
        self.signals.publish(c);
        Ok(())
    }

    /// On PostgreSQL, hears the wake-ups and changes other app nodes commit
    /// (see [`signals`]) until `stop`. Whenever it was not listening (at
    /// start, after a lost connection) it tells caches to forget everything.
    pub fn listen_to_other_nodes(&self, stop: tokio_util::sync::CancellationToken) {
        let Pool::Postgres(pool) = &self.pool else {
            return;
        };
        let (pool, signals, node) = (pool.clone(), self.signals.clone(), self.node.clone());
        tokio::spawn(async move {
            // Nothing is cached before the first start; after a lost link, anything may have changed.
            let mut first = true;
            loop {
                let listening = async {
                    let mut l = sqlx::postgres::PgListener::connect_with(&pool).await?;
                    l.listen(signals::CHANNEL).await?;
                    Ok::<_, sqlx::Error>(l)
                };
                let mut l = match listening.await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = ?e, "listening for other nodes' changes failed; trying again");
                        tokio::select! {
                            _ = stop.cancelled() => return,
                            _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        }
                    }
                };
                if !first {
                    signals.publish(Change::Everything);
                    signals.wake(Wake::Sender);
                }
                first = false;
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        heard = l.try_recv() => match heard {
                            Ok(Some(n)) => signals.hear(&node, n.payload()),
                            // Reconnected: anything sent meanwhile was missed.
                            Ok(None) => signals.publish(Change::Everything),
                            Err(e) => {
                                tracing::warn!(error = ?e, "lost the link to other nodes' changes");
                                signals.publish(Change::Everything);
                                break;
                            }
                        }
                    }
                }
            }
        });
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        migrate::run(self).await
    }

    pub async fn close(&self) {
        with_db!(self, p => p.close().await)
    }
}

/// Maps a unique-constraint violation to a caller-chosen error; both drivers
/// report it, though SQLite does not name the constraint.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
