//! The storage layer every capability builds on: a transaction commits whole
//! or not at all on both databases, a change's audit entry and queued email
//! go with it, workers and caches hear of it only once it has committed, and
//! `retry_tx!` runs a transaction again when the database asks for that.

use futures_util::FutureExt;
use safetynet::auth::audit::{self, Action, Actor};
use safetynet::db::{self, Change, Heard, Retryable, Wake};
use safetynet::mail::outbox;
use safetynet::shared::CampaignId;
use safetynet::with_db;

use crate::helpers::{Backend, TestApp};
use crate::storage_test;

async fn audit_count(app: &TestApp, detail: &str) -> i64 {
    let (n,): (i64,) =
        with_db!(&app.db, p => sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE detail = $1")
        .bind(detail).fetch_one(p).await)
        .unwrap();
    n
}

async fn outbox_count(app: &TestApp, subject: &str) -> i64 {
    let (n,): (i64,) =
        with_db!(&app.db, p => sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE subject = $1")
        .bind(subject).fetch_one(p).await)
        .unwrap();
    n
}

/// An audit entry and a queued email, as a change would make them.
async fn change(tx: &mut db::Tx, app: &TestApp, what: &str) {
    let now = app.clock.now();
    audit::record(tx, None, &Actor::system(), Action::StaffAdded, what, now)
        .await
        .unwrap();
    outbox::enqueue(tx, None, "test", "someone@test.example", what, "Body", now)
        .await
        .unwrap();
    tx.wake_after_commit(Wake::Sender);
    tx.publish_after_commit(Change::Campaign(CampaignId::new(7)));
}

storage_test!(
    a_transaction_commits_everything_or_nothing_and_signals_only_after_commit,
    |app: TestApp| async move {
        let signals = app.db.signals();
        let mut listener = signals.listen();

        // Dropped without committing: nothing is kept, nobody is woken or told.
        let mut tx = app.db.begin().await.unwrap();
        change(&mut tx, &app, "rolled back").await;
        drop(tx);
        assert_eq!(audit_count(&app, "rolled back").await, 0);
        assert_eq!(outbox_count(&app, "rolled back").await, 0);
        assert!(signals.woken(Wake::Sender).now_or_never().is_none());
        assert!(signals.woken(Wake::Outbox).now_or_never().is_none());
        assert_eq!(listener.poll(signals), Heard::Nothing);

        // Committed: both rows, then the wake-ups and the change.
        let mut tx = app.db.begin().await.unwrap();
        change(&mut tx, &app, "committed").await;
        assert!(
            signals.woken(Wake::Outbox).now_or_never().is_none(),
            "not woken before the commit"
        );
        assert_eq!(listener.poll(signals), Heard::Nothing);
        tx.commit().await.unwrap();
        assert_eq!(audit_count(&app, "committed").await, 1);
        assert_eq!(outbox_count(&app, "committed").await, 1);
        assert!(signals.woken(Wake::Outbox).now_or_never().is_some());
        assert!(signals.woken(Wake::Sender).now_or_never().is_some());
        assert_eq!(
            listener.poll(signals),
            Heard::Changes(vec![Change::Campaign(CampaignId::new(7))])
        );
    }
);

storage_test!(
    retry_runs_the_whole_transaction_again_after_a_conflict,
    |app: TestApp| async move {
        let db = app.db.clone();
        with_db!(&db, p => sqlx::query("INSERT INTO practices (name, created_at) VALUES ('One', 0), ('Two', 0)").execute(p).await.map(|_| ())).unwrap();
        let ids: Vec<(i64,)> = with_db!(&db, p => sqlx::query_as("SELECT id FROM practices ORDER BY id").fetch_all(p).await).unwrap();
        let (a, b) = (ids[0].0, ids[1].0);
        match app.backend {
            Backend::Postgres => {
                // Two writers lock the same two rows in opposite orders, both
                // waiting at a barrier while they hold the first: PostgreSQL
                // ends one with a deadlock error, and retry runs it again.
                let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
                let writer = |first: i64, second: i64, name: &'static str| {
                    let db = db.clone();
                    let barrier = barrier.clone();
                    tokio::spawn(async move {
                        let mut attempts = 0;
                        safetynet::retry_tx!(&db, tx => {
                            attempts += 1;
                            safetynet::with_tx!(tx, c => sqlx::query("UPDATE practices SET name = $1 WHERE id = $2")
                                .bind(name).bind(first).execute(&mut *c).await.map(|_| ()))?;
                            if attempts == 1 {
                                barrier.wait().await;
                            }
                            safetynet::with_tx!(tx, c => sqlx::query("UPDATE practices SET name = $1 WHERE id = $2")
                                .bind(name).bind(second).execute(&mut *c).await.map(|_| ()))?;
                            Ok::<_, sqlx::Error>(())
                        })
                        .map(|()| attempts)
                    })
                };
                let one = writer(a, b, "first");
                let two = writer(b, a, "second");
                let attempts = [one.await.unwrap().unwrap(), two.await.unwrap().unwrap()];
                assert_eq!(
                    attempts.iter().filter(|n| **n > 1).count(),
                    1,
                    "exactly one writer was chosen as the deadlock victim and retried: {attempts:?}"
                );
                let names: Vec<(String,)> = with_db!(&db, p => sqlx::query_as("SELECT name FROM practices ORDER BY id").fetch_all(p).await).unwrap();
                assert_eq!(
                    names[0], names[1],
                    "the retried writer's whole transaction ran last"
                );
            }
            Backend::Sqlite => {
                // SQLite's conflict: a reader that tries to write after another
                // connection committed is refused at once ("database is locked",
                // a stale snapshot). Our transactions take the write lock at
                // BEGIN so they never meet it, but it must count as retryable.
                let db::Pool::Sqlite(pool) = db.pool() else {
                    unreachable!()
                };
                let mut reader = pool.begin().await.unwrap();
                let _: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM practices")
                    .fetch_one(&mut *reader)
                    .await
                    .unwrap();
                sqlx::query("UPDATE practices SET name = 'Changed' WHERE id = $1")
                    .bind(a)
                    .execute(pool)
                    .await
                    .unwrap();
                let stale = sqlx::query("UPDATE practices SET name = 'Stale' WHERE id = $1")
                    .bind(b)
                    .execute(&mut *reader)
                    .await
                    .unwrap_err();
                assert!(stale.is_retryable(), "{stale:?}");
                drop(reader);
                // A body that fails once that way is run again, whole, and commits.
                let mut conflict = Some(stale_error(pool).await);
                let mut attempts = 0;
                let written = safetynet::retry_tx!(&db, tx => {
                    attempts += 1;
                    safetynet::with_tx!(tx, c => sqlx::query("UPDATE practices SET name = 'Retried' WHERE id = $1")
                        .bind(b).execute(&mut *c).await.map(|_| ()))?;
                    match conflict.take() {
                        Some(e) => Err(e),
                        None => Ok(attempts),
                    }
                })
                .unwrap();
                assert_eq!(written, 2);
                let (name,): (String,) = with_db!(&db, p => sqlx::query_as("SELECT name FROM practices WHERE id = $1").bind(b).fetch_one(p).await).unwrap();
                assert_eq!(name, "Retried");
            }
        }
        // An error the database will give again is not retried.
        let mut attempts = 0;
        let dup = safetynet::retry_tx!(&db, tx => {
            attempts += 1;
            safetynet::with_tx!(tx, c => sqlx::query("INSERT INTO practices (id, name, created_at) VALUES ($1, 'Dup', 0)")
                .bind(a).execute(&mut *c).await.map(|_| ()))
        })
        .unwrap_err();
        assert!(db::is_unique_violation(&dup));
        assert_eq!(attempts, 1);
    }
);

/// A real "stale snapshot" error from SQLite, made on a connection of its own.
async fn stale_error(pool: &sqlx::SqlitePool) -> sqlx::Error {
    let mut reader = pool.begin().await.unwrap();
    let _: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM practices")
        .fetch_one(&mut *reader)
        .await
        .unwrap();
    sqlx::query("UPDATE practices SET created_at = created_at + 1")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE practices SET created_at = created_at + 1")
        .execute(&mut *reader)
        .await
        .unwrap_err()
}
