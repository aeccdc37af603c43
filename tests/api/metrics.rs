//! `/metrics` as an ICB's Prometheus reads it: behind its token on the app's
//! listener or on a listener of its own, parsed by the Prometheus Python
//! client's own parser, with figures that move when requests are answered,
//! exercise emails sent and tracking events written, and queue depths that
//! match the database. Counters are per process and the tests share one, so
//! they are compared before and after.

use std::collections::HashMap;
use std::process::{Command, Stdio};

use crate::helpers::{python, Backend, TestApp};
use crate::simulation::{launch, links, ready};
use crate::storage_test;
use safetynet::with_db;

const TOKEN: &str = "scrape-secret-for-the-test";

/// Each sample as `name{label="value",…}` (labels sorted) → value, read by
/// `prometheus_client.parser`, which refuses anything not in the format.
fn parse(text: &str) -> HashMap<String, f64> {
    let py = python();
    let has = Command::new(py)
        .args(["-c", "import prometheus_client"])
        .status()
        .is_ok_and(|s| s.success());
    if !has {
        // Outside `.ci/run`: install the pinned parser into the test venv once.
        let ok = Command::new(py)
            .args(["-m", "pip", "install", "-q", "prometheus_client==0.26.0"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "the metrics test needs prometheus_client: run `bash .ci/run`"
        );
    }
    let script = r#"
import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
        out[f"{s.name}{{{labels}}}"] = s.value
print(json.dumps(out))
"#;
    let mut child = Command::new(py)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the Prometheus parser refused the text: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn scrape(app: &TestApp) -> (String, HashMap<String, f64>) {
    let r = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    let samples = parse(&text);
    (text, samples)
}

fn value(samples: &HashMap<String, f64>, key: &str) -> f64 {
    samples.get(key).copied().unwrap_or(0.0)
}

storage_test!(
    metrics_count_requests_emails_and_events_and_read_the_queues,
    configured: |s| s.metrics.token = TOKEN.into(),
    |app: TestApp| async move {
        let mut app = app;
        let sink = crate::helpers::SmtpSink::start(&app.dir.path().join("sim-mail"), None);
        app = app.restart_with_smtp(sink).await;
        let (p, template_id, profile_id) = ready(&mut app).await;
        app.staff(&p, "Tom Bennett", "Reception & care navigation", None)
            .await;

        // Without the token, or with another, nothing but 401.
        let web = crate::helpers::new_client();
        let r = web.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let r = web
            .get(app.url("/metrics"))
            .bearer_auth("guess")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert!(!r.text().await.unwrap().contains("safetynet_"));

        let (_, before) = scrape(&app).await;
        for _ in 0..2 {
            assert_eq!(web.get(app.url("/healthz")).send().await.unwrap().status(), 200);
        }
        for _ in 0..3 {
            let r = web
                .get(format!("{}/c/aaaaaaaaaaaaaaaaaaaaaa", app.sim_base))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 404);
        }
        launch(&app, template_id, profile_id, &[]).await;
        let (_, launched) = scrape(&app).await;
        assert_eq!(
            value(&launched, r#"safetynet_queue_depth{queue="exercise_emails"}"#),
            2.0,
            "Tom's and the manager's emails are due"
        );
        let sender = safetynet::simulation::sending::Sender::new(app.state.clone());
        assert_eq!(sender.run_once().await.unwrap(), 2, "Tom and the manager");
        let msg = app.smtp.as_ref().unwrap().messages().pop().unwrap();
        let (_, open, _, _) = links(&msg, &app.sim_base);
        assert_eq!(web.get(&open).send().await.unwrap().status(), 200);

        let (text, after) = scrape(&app).await;
        let grew = |key: &str| value(&after, key) - value(&before, key);
        assert!(
            grew(r#"safetynet_http_requests_total{listener="app",route="/healthz",status="200"}"#) >= 2.0,
            "{text}"
        );
        assert!(
            grew(r#"safetynet_http_requests_total{listener="sim",route="/c/{token}",status="404"}"#) >= 3.0,
            "{text}"
        );
        assert!(
            grew(r#"safetynet_http_request_duration_seconds_count{listener="sim"}"#) >= 4.0,
            "{text}"
        );
        assert!(
            grew(r#"safetynet_emails_total{kind="exercise",outcome="sent"}"#) >= 2.0,
            "{text}"
        );
        assert!(grew("safetynet_tracking_events_written_total{}") >= 1.0, "{text}");
        assert!(grew("safetynet_tracking_group_commit_size_count{}") >= 1.0, "{text}");
        // Routes are patterns: no token from a tracked link reaches the figures.
        let token = open.rsplit('/').next().unwrap();
        assert!(!text.contains(token) && !text.contains("aaaaaaaaaaaaaaaaaaaaaa"));

        // The queues are read from this database when scraped.
        let mut tx = app.db.begin().await.unwrap();
        for i in 0..2 {
            safetynet::mail::outbox::enqueue(
                &mut tx,
                Some(p.id),
                "test",
                &format!("queued{i}@{}", p.domain),
                "Waiting",
                "A system email waiting for the worker.",
                app.clock.now(),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let (_, after) = scrape(&app).await;
        let pending: i64 = with_db!(&app.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetch_one(p).await)
        .unwrap();
        assert!(pending >= 2, "no worker runs here");
        assert_eq!(
            value(&after, r#"safetynet_queue_depth{queue="system_emails"}"#),
            pending as f64
        );
        assert_eq!(value(&after, r#"safetynet_queue_depth{queue="exercise_emails"}"#), 0.0);
        assert!(after.contains_key(r#"safetynet_db_pool_connections{state="idle"}"#));
        app.deliver_outbox().await;
        let (_, later) = scrape(&app).await;
        assert_eq!(value(&later, r#"safetynet_queue_depth{queue="system_emails"}"#), 0.0);
    }
);

/// On a listener of its own `/metrics` needs no token, and the app's
/// listener does not serve it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_have_a_listener_of_their_own() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestApp::spawn_configured(Backend::Sqlite, false, move |s| {
        s.metrics.listen = Some(format!("127.0.0.1:{port}").parse().unwrap());
    })
    .await;
    let _alive = app.keep_alive();
    let web = crate::helpers::new_client();
    let mut text = String::new();
    // The listener is bound as the app starts serving.
    for _ in 0..50 {
        if let Ok(r) = web
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await
        {
            assert_eq!(r.status(), 200);
            text = r.text().await.unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let samples = parse(&text);
    assert!(
        samples.contains_key(r#"safetynet_queue_depth{queue="system_emails"}"#),
        "{text}"
    );
    assert_eq!(
        web.get(app.url("/metrics")).send().await.unwrap().status(),
        404
    );
}
