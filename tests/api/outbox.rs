//! System email goes through the outbox to a real SMTP server; a slow or
//! failing server never loses a message.

use crate::helpers::{Backend, Options, SmtpSink, TestApp};
use crate::storage_test;
use safetynet::mail::outbox;
use safetynet::mail::worker::Outcome;
use safetynet::with_db;

async fn status_of(app: &TestApp, id: i64) -> (String, i64, Option<String>) {
    with_db!(&app.db, p => sqlx::query_as("SELECT status, attempts, last_error FROM outbox WHERE id = $1").bind(id).fetch_one(p).await)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_smtp_failure_is_retried_later_and_then_delivered() {
    let mut app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            smtp: true,
            smtp_reply_code: Some(451),
        },
    )
    .await;
    let id = outbox::enqueue(
        &app.state,
        None,
        "test",
        "someone@riverside.example",
        "Hello",
        "Body",
    )
    .await
    .unwrap();
    assert_eq!(app.worker.run_once().await.unwrap(), Outcome::Retrying);
    let (status, attempts, error) = status_of(&app, id).await;
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert!(error.unwrap().contains("451"));
    assert_eq!(
        app.worker.run_once().await.unwrap(),
        Outcome::Idle,
        "not retried straight away"
    );
    // The mail server recovers; a minute later the message goes.
    let dir = app.dir.path().join("mail-ok");
    let ok = SmtpSink::start(&dir, None);
    app = app.restart_with_smtp(ok).await;
    app.clock.advance(61);
    assert_eq!(app.worker.run_once().await.unwrap(), Outcome::Sent);
    let msgs = app.smtp.as_ref().unwrap().messages();
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0].contains("Subject: Hello") && msgs[0].contains("Auto-Submitted: auto-generated")
    );
    assert_eq!(status_of(&app, id).await.0, "sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_refusal_is_recorded_not_retried() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            smtp: true,
            smtp_reply_code: Some(550),
        },
    )
    .await;
    let id = outbox::enqueue(
        &app.state,
        None,
        "test",
        "someone@riverside.example",
        "Hello",
        "Body",
    )
    .await
    .unwrap();
    assert_eq!(app.worker.run_once().await.unwrap(), Outcome::Failed);
    let (status, _, error) = status_of(&app, id).await;
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains("550"));
}

storage_test!(
    queued_mail_survives_a_restart_and_is_sent_once,
    |app: TestApp| async move {
        let mut app = app;
        let dir = app.dir.path().join("mail");
        let sink = SmtpSink::start(&dir, None);
        app = app.restart_with_smtp(sink).await;
        let id = outbox::enqueue(
            &app.state,
            None,
            "test",
            "a@riverside.example",
            "Before the restart",
            "Body",
        )
        .await
        .unwrap();
        // A worker claims it and dies before sending: the lease runs out and it is sent after the restart.
        assert!(outbox::claim_next(&app.db, app.clock.now(), 120)
            .await
            .unwrap()
            .is_some());
        let sink = app.smtp.take().unwrap();
        let app = app.restart_with_smtp(sink).await;
        assert_eq!(
            app.worker.run_once().await.unwrap(),
            Outcome::Idle,
            "still leased to the dead worker"
        );
        app.clock.advance(121);
        assert_eq!(app.worker.run_once().await.unwrap(), Outcome::Sent);
        assert_eq!(app.worker.run_once().await.unwrap(), Outcome::Idle);
        assert_eq!(
            app.smtp.as_ref().unwrap().messages().len(),
            1,
            "sent exactly once"
        );
        assert_eq!(status_of(&app, id).await.0, "sent");
    }
);

storage_test!(
    two_workers_never_claim_the_same_message,
    |app: TestApp| async move {
        for i in 0..20 {
            outbox::enqueue(
                &app.state,
                None,
                "test",
                &format!("p{i}@riverside.example"),
                "Hi",
                "Body",
            )
            .await
            .unwrap();
        }
        let now = app.clock.now();
        let (a, b) = tokio::join!(
            async {
                let mut v = vec![];
                while let Some(m) = outbox::claim_next(&app.db, now, 60).await.unwrap() {
                    v.push(m.id)
                }
                v
            },
            async {
                let mut v = vec![];
                while let Some(m) = outbox::claim_next(&app.db, now, 60).await.unwrap() {
                    v.push(m.id)
                }
                v
            },
        );
        let mut all: Vec<i64> = a.iter().chain(b.iter()).copied().collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 20);
        assert_eq!(a.len() + b.len(), 20, "no message claimed twice");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_worker_sends_without_being_asked() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            smtp: true,
            smtp_reply_code: None,
        },
    )
    .await;
    let stop = tokio_util::sync::CancellationToken::new();
    let worker = safetynet::mail::worker::Worker::new(
        app.state.clone(),
        safetynet::mail::smtp::Mailer::from_settings(&app.state.settings.smtp, app.dir.path())
            .unwrap(),
    );
    let task = tokio::spawn(worker.run_until_stopped(stop.clone()));
    outbox::enqueue(
        &app.state,
        None,
        "test",
        "a@riverside.example",
        "Woken",
        "Body",
    )
    .await
    .unwrap();
    let smtp = app.smtp.as_ref().unwrap();
    for _ in 0..100 {
        if !smtp.messages().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(smtp.messages().len(), 1, "the enqueue woke the worker");
    stop.cancel();
    task.await.unwrap();
}
