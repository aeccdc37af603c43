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
//! sending and tracking on both. Two more: the training rules and a burst of
//! sign-in guesses on two nodes, and one node started again after a crash
//! carrying on within 10 seconds.

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
            ("confirm", "yes"),
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

/// How many of these recipients' emails are not sent yet.
async fn unsent(app: &TestApp, ids: &[i64]) -> i64 {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let sql = format!(
        "SELECT COUNT(*) FROM campaign_recipients WHERE id IN ({}) AND send_status <> 'sent'",
        list.join(",")
    );
    with_db!(&app.db, pool => sqlx::query_scalar(&sql).fetch_one(pool).await).unwrap()
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
    let killed = Instant::now();
    // The emails claimed at that moment (A's, and B's own): all sent within
    // 30 seconds, A's once their lease runs out.
    let claimed: Vec<(i64,)> = with_db!(&app.db, pool => sqlx::query_as(
        "SELECT id FROM campaign_recipients WHERE campaign_id = $1 AND send_status = 'queued' AND locked_until IS NOT NULL")
        .bind(first).fetch_all(pool).await)
    .unwrap();
    assert!(!claimed.is_empty(), "the kill landed mid-send");
    let ids: Vec<i64> = claimed.into_iter().map(|r| r.0).collect();
    loop {
        let left = unsent(&app, &ids).await;
        if left == 0 {
            break;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(30),
            "{left} of the emails claimed when node A died were not sent within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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

/// The training rules on two nodes that each look for work every second, and
/// a burst of sign-in guesses spread over both: the rules add each new
/// starter's modules once (one node holds their lease; a unique index backs
/// it), and the account's limit of 10 failed guesses holds across the nodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_apply_the_training_rules_once_and_share_the_sign_in_limit() {
    if !postgres_available() {
        return;
    }
    let app = TestApp::spawn(Backend::Postgres).await;
    let _alive = app.keep_alive();
    let sink = SmtpSink::start_with(&app.dir.path().join("mail"), &[]);
    let (p, _template, _profile) = practice_with_staff(&app, 0, sink.port).await;
    let env = &[
        ("SAFETYNET_JOBS__TRAINING_RULES_SECONDS", "1"),
        // Every guess waits for its turn to be checked rather than being turned away as busy.
        ("SAFETYNET_SIGN_IN__HASH_QUEUE_SECONDS", "120"),
    ];
    let a = Served::start_with(&app, "node-a", env).await;
    let b = Served::start_with(&app, "node-b", env).await;

    // Thirty new starters arrive (as an import would add them).
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let today = safetynet::ukclock::local_date(now);
    let dept: i64 = with_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT id FROM departments WHERE practice_id = $1 AND name = 'Reception & care navigation'")
        .bind(p.id).fetch_one(pool).await)
    .unwrap();
    with_db!(&app.db, pool => {
        let mut tx = pool.begin().await.unwrap();
        for i in 0..30 {
            sqlx::query("INSERT INTO staff (practice_id, department_id, full_name, email, job_role, employment_type, start_date, created_at) \
                         VALUES ($1, $2, $3, $4, 'Receptionist', 'permanent', $5, $6)")
                .bind(p.id).bind(dept).bind(format!("New Starter {i:02}")).bind(format!("starter{i:02}@{}", p.domain))
                .bind(today.to_string()).bind(now).execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    });
    let modules = safetynet::training::content::catalogue()
        .role("reception")
        .unwrap()
        .modules
        .len() as i64;
    let assigned =
        "SELECT COUNT(*) FROM training_assignments WHERE practice_id = $1 AND kind = 'induction'";
    wait_for(
        &app,
        assigned,
        p.id.get(),
        30 * modules,
        30,
        "induction for every new starter",
    )
    .await;
    // Several more passes on both nodes change nothing.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(count(&app, assigned, p.id.get()).await, 30 * modules);
    let most: i64 = with_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM training_assignments \
         WHERE practice_id = $1 GROUP BY staff_id, module) t")
        .bind(p.id).fetch_one(pool).await)
    .unwrap();
    assert_eq!(most, 1, "each module once per person");

    // 39 wrong passwords and the right one at once, half through each node.
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..40 {
        let base = if i % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        let email = p.manager_email.clone();
        let password = if i == 23 {
            p.password.clone()
        } else {
            format!("wrong guess {i}")
        };
        burst.spawn(async move {
            crate::helpers::new_client()
                .post(format!("{base}/sign-in"))
                .form(&[("email", email.as_str()), ("password", password.as_str())])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let mut statuses = Vec::new();
    while let Some(r) = burst.join_next().await {
        statuses.push(r.unwrap());
    }
    // 200: the password was checked and was wrong; 303: signed in; 429: not checked.
    // The limit counts failed guesses: a guess holds a place from the moment it is
    // reserved until it is found right, so the right one frees its place.
    let wrong = statuses.iter().filter(|s| **s == 200).count();
    let signed_in = statuses.iter().filter(|s| **s == 303).count();
    assert!(
        wrong <= 10,
        "at most the limit's 10 wrong passwords checked across both nodes: {statuses:?}"
    );
    assert!(signed_in <= 1, "{statuses:?}");
    assert!(
        wrong + signed_in >= 10,
        "the limit is not stricter than it says: {statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        40 - wrong - signed_in,
        "every other guess is turned away unchecked: {statuses:?}"
    );
    drop((a, b));
}

/// A single node killed mid-send and started again carries on by itself
/// within 10 seconds (with the default lease), and nobody is missed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_started_again_after_a_crash_carries_on_within_ten_seconds() {
    if !postgres_available() {
        return;
    }
    let app = TestApp::spawn(Backend::Postgres).await;
    let _alive = app.keep_alive();
    let sink = SmtpSink::start_with(&app.dir.path().join("mail"), &["--delay-ms", "5"]);
    let (p, template, profile) = practice_with_staff(&app, 799, sink.port).await;
    // The shipped lease, not the short one the other crash tests use.
    let lease = safetynet::config::Settings::default()
        .simulation
        .send_lease_seconds
        .to_string();
    let env = &[("SAFETYNET_SIMULATION__SEND_LEASE_SECONDS", lease.as_str())];
    let mut a = Served::start_with(&app, "alone", env).await;
    let manager = a.sign_in(&app, &p).await;
    let campaign = launch(&manager, &a.base, "Restart", template, profile).await;
    let start = Instant::now();
    while received(&sink) < 150 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "sending never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    a.kill9();
    let claimed: Vec<(i64,)> = with_db!(&app.db, pool => sqlx::query_as(
        "SELECT id FROM campaign_recipients WHERE campaign_id = $1 AND send_status = 'queued' AND locked_until IS NOT NULL")
        .bind(campaign).fetch_all(pool).await)
    .unwrap();
    assert!(!claimed.is_empty(), "the kill landed mid-send");
    let ids: Vec<i64> = claimed.into_iter().map(|r| r.0).collect();
    let _again = Served::start_with(&app, "alone-again", env).await;
    let restarted = Instant::now();
    loop {
        let left = unsent(&app, &ids).await;
        if left == 0 {
            break;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(10),
            "{left} of the emails claimed before the crash not sent within 10 s of the restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for(
        &app,
        "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 AND send_status = 'sent'",
        campaign,
        800,
        120,
        "everyone sent after the restart",
    )
    .await;
    let per = received_per_recipient(&sink);
    assert_eq!(per.len(), 800, "nobody missed");
    assert!(
        per.values().filter(|n| **n > 1).count() <= IN_FLIGHT,
        "second copies only for the emails in flight at the kill"
    );
}
