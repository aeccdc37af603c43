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

/// Queues one system email in a transaction of its own, as a capability does
/// with the change that causes it.
async fn queue(app: &TestApp, to: &str, subject: &str, body: &str) -> i64 {
    let mut tx = app.db.begin().await.unwrap();
    let id = outbox::enqueue(&mut tx, None, "test", to, subject, body, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
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
    let id = queue(&app, "someone@riverside.example", "Hello", "Body").await;
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
    let id = queue(&app, "someone@riverside.example", "Hello", "Body").await;
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
        let id = queue(&app, "a@riverside.example", "Before the restart", "Body").await;
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
            queue(&app, &format!("p{i}@riverside.example"), "Hi", "Body").await;
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
    queue(&app, "a@riverside.example", "Woken", "Body").await;
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

/// A CA and a certificate for 127.0.0.1 signed by it (rustls refuses a CA as the server's own certificate).
fn test_certificates(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    let (ca_path, cert_path, key_path) = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&ca_path, ca.pem()).unwrap();
    std::fs::write(&cert_path, leaf.pem()).unwrap();
    std::fs::write(&key_path, leaf_key.serialize_pem()).unwrap();
    (ca_path, cert_path, key_path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_email_goes_over_starttls_with_a_login() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (ca, cert, key) = test_certificates(app.dir.path());
    let sink = SmtpSink::start_with(
        &app.dir.path().join("tls-mail"),
        &[
            "--starttls-cert",
            cert.to_str().unwrap(),
            "--starttls-key",
            key.to_str().unwrap(),
            "--require-starttls",
            "--auth-user",
            "safetynet",
            "--auth-pass",
            "s3cret-relay",
        ],
    );
    let mut smtp = app.state.settings.smtp.clone();
    smtp.host = "127.0.0.1".into();
    smtp.port = sink.port;
    smtp.security = safetynet::config::SmtpSecurity::Starttls;
    smtp.username = "safetynet".into();
    smtp.password = "s3cret-relay".into();
    smtp.ca_file = Some(ca);
    let mailer = safetynet::mail::smtp::Mailer::from_settings(&smtp, app.dir.path()).unwrap();
    let worker = safetynet::mail::worker::Worker::new(app.state.clone(), mailer);
    queue(&app, "a@riverside.example", "Over TLS", "Body").await;
    assert_eq!(worker.run_once().await.unwrap(), Outcome::Sent);
    assert!(sink.messages()[0].contains("Subject: Over TLS"));

    // A wrong password is a refusal the outbox records, not a crash.
    smtp.password = "wrong".into();
    let worker = safetynet::mail::worker::Worker::new(
        app.state.clone(),
        safetynet::mail::smtp::Mailer::from_settings(&smtp, app.dir.path()).unwrap(),
    );
    let id = queue(&app, "a@riverside.example", "Bad login", "Body").await;
    assert_ne!(worker.run_once().await.unwrap(), Outcome::Sent);
    let (status, _, error) = status_of(&app, id).await;
    assert_ne!(status, "sent");
    assert!(
        error.unwrap().contains("535"),
        "the server's reason is kept"
    );
}
