//! Several app nodes on one PostgreSQL (issue 15): two real `safetynet
//! serve` processes share the test's database and a real SMTP server, as
//! two nodes behind a load balancer would. PostgreSQL only (many nodes need
//! a database server); skipped with a notice outside CI without one.
//!
//! One run walks through what a federation relies on: an exercise of 2,000
//! sent exactly once across both nodes, one node killed mid-send and its
//! claims finished by the other with nobody missed, tracking load on both
//! nodes with no errors and every answered event stored, a hidden-link hit
//! on one node seen by the other, a profile edited on one node used by the
//! next exercise launched on the other, and a cancel on one node stopping
//! sending and tracking on both.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::crash_safety::{practice_with_staff, received, received_per_recipient, Served};
use crate::helpers::{location, postgres_available, Backend, SmtpSink, TestApp};
use safetynet::simulation::sending::IN_FLIGHT;
use safetynet::with_db;

const BROWSER: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36";

/// Settings both nodes share: clicks count at once (no "too soon" wait), so
/// only a hidden-link hit can make a click a scanner's.
const NODE_ENV: &[(&str, &str)] = &[("SAFETYNET_SIMULATION__TOO_SOON_SECONDS", "0")];

async fn count(app: &TestApp, sql: &str, id: i64) -> i64 {
    app.count(sql, id).await
}

/// Waits (at most `limit`) until `sql` counts `want`; panics with `what` otherwise.
async fn wait_for(app: &TestApp, sql: &str, id: i64, want: i64, limit: u64, what: &str) {
    let start = Instant::now();
    loop {
        let n = count(app, sql, id).await;
        if n == want {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(limit),
            "{what}: {n}, not {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn launch(
    client: &reqwest::Client,
    base: &str,
    name: &str,
    template: i64,
    profile: i64,
) -> i64 {
    let r = client
        .post(format!("{base}/simulation/campaigns/new"))
        .form(&[
            ("name", name),
            ("template_id", &template.to_string()),
            ("profile_id", &profile.to_string()),
            ("audience", "everyone"),
            ("spread_hours", "0"),
            ("run_days", "14"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "exercise launched");
    location(&r)
        .trim_start_matches("/simulation/campaigns/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// A sent recipient's token in an exercise.
async fn tokens(app: &TestApp, campaign: i64) -> Vec<(i64, String)> {
    with_db!(&app.db, pool => sqlx::query_as(
        "SELECT id, token FROM campaign_recipients WHERE campaign_id = $1 AND send_status = 'sent' ORDER BY id")
        .bind(campaign).fetch_all(pool).await).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgres_send_track_and_stop_as_one() {
    if !postgres_available() {
        return;
    }
    let app = TestApp::spawn(Backend::Postgres).await;
    let _alive = app.keep_alive();
    // A mail server slow enough that the kill lands mid-send.
    let sink = SmtpSink::start_with(&app.dir.path().join("mail"), &["--delay-ms", "5"]);
    let (p, template, profile) = practice_with_staff(&app, 1999, sink.port).await;
    let mut a = Served::start_with(&app, "node-a", NODE_ENV).await;
    let b = Served::start_with(&app, "node-b", NODE_ENV).await;
    // Sessions live in the database: signed in on A, the same cookie works on B.
    let manager = a.sign_in(&app, &p).await;

    // ---- 2,000 emails, both nodes sending; A is killed a quarter of the way through.
    let first = launch(&manager, &a.base, "Two nodes", template, profile).await;
    let n = count(
        &app,
        "SELECT recipients FROM campaigns WHERE id = $1",
        first,
    )
    .await;
    assert_eq!(n, 2000, "1,999 staff and the manager");
    let start = Instant::now();
    while received(&sink) < 500 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "sending never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    a.kill9();
    // B takes over A's claims once their lease runs out, and finishes.
    wait_for(
        &app,
        "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 AND send_status = 'queued'",
        first,
        0,
        120,
        "emails still queued after node A was killed",
    )
    .await;
    let per = received_per_recipient(&sink);
    let rows: Vec<(String, String)> = with_db!(&app.db, pool => sqlx::query_as(
        "SELECT email, send_status FROM campaign_recipients WHERE campaign_id = $1")
        .bind(first).fetch_all(pool).await)
    .unwrap();
    let mut duplicates = 0;
    for (email, status) in &rows {
        let got = per.get(&email.to_lowercase()).copied().unwrap_or(0);
        assert_eq!(status, "sent", "{email}");
        assert!((1..=2).contains(&got), "{email} received {got}");
        duplicates += usize::from(got == 2);
    }
    assert!(
        duplicates <= IN_FLIGHT,
        "{duplicates} second copies: only the emails in flight at the kill may get one"
    );
    assert_eq!(
        count(&app, "SELECT sent FROM campaigns WHERE id = $1", first).await,
        2000
    );
    let a = Served::start_with(&app, "node-a-again", NODE_ENV).await;

    // ---- Tracking load on both nodes at once: no errors, every answered event stored.
    let sent = Arc::new(tokens(&app, first).await);
    let answered = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut load = Vec::new();
    for worker in 0..32usize {
        let (client, sent, answered) = (client.clone(), sent.clone(), answered.clone());
        let sim = if worker % 2 == 0 {
            a.sim_base.clone()
        } else {
            b.sim_base.clone()
        };
        load.push(tokio::spawn(async move {
            // Each worker its own recipients: first opens and clicks, the writers' busiest work.
            for (_, token) in sent.iter().skip(worker).step_by(32).take(25) {
                for kind in ["o", "c"] {
                    let r = client
                        .get(format!("{sim}/{kind}/{token}"))
                        .header("user-agent", BROWSER)
                        .send()
                        .await
                        .unwrap();
                    assert!(
                        r.status().is_success() || r.status().is_redirection(),
                        "tracking answered {}",
                        r.status()
                    );
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in load {
        t.await.unwrap();
    }
    let answered = answered.load(Ordering::Relaxed) as i64;
    assert_eq!(answered, 32 * 25 * 2);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM sim_events WHERE campaign_id = $1",
            first
        )
        .await,
        answered,
        "every answered event stored"
    );
    assert_eq!(
        count(&app, "SELECT clicked FROM campaigns WHERE id = $1", first).await,
        32 * 25,
        "each first click counted once"
    );

    // ---- A hidden-link hit on A is known on B: B's following click is a scanner's.
    let (recipient, token) = sent[1500].clone();
    let r = client
        .get(format!("{}/o/{token}", b.sim_base))
        .header("user-agent", BROWSER)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "B has the recipient in its index");
    let r = client
        .get(format!("{}/h/{token}", a.sim_base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    tokio::time::sleep(Duration::from_secs(2)).await;
    client
        .get(format!("{}/c/{token}", b.sim_base))
        .header("user-agent", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sim_events WHERE recipient_id = $1 AND kind = 'click' AND counted", recipient).await,
        0,
        "a click after a hidden-link hit is not counted, whichever node answers it"
    );

    // ---- A profile edited on A is used for the next exercise launched on B.
    let slow = SmtpSink::start_with(&app.dir.path().join("slow-mail"), &["--delay-ms", "40"]);
    let r = manager
        .post(format!("{}/simulation/profiles/{profile}", a.base))
        .form(&[
            ("name", "Slow relay"),
            ("host", "127.0.0.1"),
            ("port", &slow.port.to_string()),
            ("security", "none"),
            ("envelope_from", "exercises@riverside.example"),
            ("header_name", "X-Safety-Net-Simulation"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "profile saved");
    let before = received(&sink);
    let second = launch(&manager, &b.base, "Cancelled", template, profile).await;
    let start = Instant::now();
    while received(&slow) < 40 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the edited profile was not used"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        received(&sink),
        before,
        "nothing through the profile's old server"
    );

    // ---- Cancelled on A: both nodes stop sending within seconds, and stop tracking.
    let (open_recipient, open_token) = tokens(&app, second).await[0].clone();
    client
        .get(format!("{}/o/{open_token}", b.sim_base))
        .header("user-agent", BROWSER)
        .send()
        .await
        .unwrap();
    let page = manager
        .get(format!("{}/simulation/campaigns/{second}", a.base))
        .send()
        .await
        .unwrap();
    assert!(page.status().is_success());
    let r = manager
        .post(format!("{}/simulation/campaigns/{second}/status", a.base))
        .form(&[("action", "cancel"), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "cancelled: {}", a.log_text());
    let at_cancel = received(&slow);
    // Within 5 seconds every node has stopped: only the emails already being
    // handed over (each node's in-flight slots) may still arrive.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = received(&slow);
    assert!(
        after - at_cancel <= 2 * IN_FLIGHT,
        "{} emails went after the cancel; at most those in flight on the two nodes may",
        after - at_cancel
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(received(&slow), after, "nothing more after that");
    assert!(
        count(&app, "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 AND send_status = 'cancelled'", second).await > 0
    );
    client
        .get(format!("{}/c/{open_token}", b.sim_base))
        .header("user-agent", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM sim_events WHERE recipient_id = $1 AND kind = 'click'",
            open_recipient
        )
        .await,
        0,
        "a cancelled exercise's clicks are not stored on the other node either"
    );
    let per_slow: HashMap<String, usize> = received_per_recipient(&slow);
    assert!(per_slow.values().all(|n| *n == 1), "each person once");
    drop((a, b));
}
