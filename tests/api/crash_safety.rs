//! What survives `kill -9`: the real `safetynet serve` program runs as a
//! child process on the test's database, is killed without warning in the
//! middle of its work, and is started again.
//!
//! - Sending: every recipient of an exercise gets their email, and a second
//!   copy only where the mail server had accepted it in the instant before
//!   the crash (at most `sender::IN_FLIGHT` people; see `src/simulation/sender.rs`).
//! - Tracking: every open, click or report that was answered is stored.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::helpers::{location, Practice, SmtpSink, TestApp};
use crate::storage_test;
use safetynet::simulation::sending::IN_FLIGHT;
use safetynet::simulation::token::RecipientToken;
use safetynet::with_db;

const BIN: &str = env!("CARGO_BIN_EXE_safetynet");
const BROWSER: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36";

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `safetynet serve` as a child process, with settings from SAFETYNET_* variables.
pub(crate) struct Served {
    child: Child,
    pub base: String,
    pub sim_base: String,
    log: PathBuf,
}

impl Served {
    pub(crate) async fn start(app: &TestApp, name: &str) -> Self {
        Self::start_with(app, name, &[]).await
    }

    /// As [`start`](Self::start), with more SAFETYNET_* settings.
    pub(crate) async fn start_with(app: &TestApp, name: &str, env: &[(&str, &str)]) -> Self {
        let (a, s) = (free_port(), free_port());
        let log = app.dir.path().join(format!("{name}.log"));
        let child = Command::new(BIN)
            .arg("serve")
            .env("SAFETYNET_DATABASE_URL", &app.db_url)
            .env("SAFETYNET_DATA_DIR", app.dir.path())
            .env("SAFETYNET_LISTEN", format!("127.0.0.1:{a}"))
            .env("SAFETYNET_SIM_LISTEN", format!("127.0.0.1:{s}"))
            // Emails claimed by a killed process are sent by the next one after this.
            .env("SAFETYNET_SIMULATION__SEND_LEASE_SECONDS", "3")
            // The tests' mail server is on loopback.
            .env(
                "SAFETYNET_OUTBOUND__ALLOW_NETWORKS",
                r#"["127.0.0.0/8", "::1/128"]"#,
            )
            // The caller's settings last, so they can replace the ones above.
            .envs(env.iter().copied())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start safetynet serve");
        let mut served = Self {
            child,
            base: format!("http://127.0.0.1:{a}"),
            sim_base: format!("http://127.0.0.1:{s}"),
            log,
        };
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = served.child.try_wait() {
                panic!("safetynet serve exited ({status}): {}", served.log_text());
            }
            let up = |base: &str| client.get(format!("{base}/healthz")).send();
            if let (Ok(x), Ok(y)) = (up(&served.base).await, up(&served.sim_base).await) {
                if x.status() == 200 && y.status() == 200 {
                    break;
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "safetynet serve did not answer: {}",
                served.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        served
    }

    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no clean-up, no flushing, no goodbyes.
    pub(crate) fn kill9(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }

    /// A cookie-keeping client signed in as the practice manager.
    pub(crate) async fn sign_in(&self, app: &TestApp, p: &Practice) -> reqwest::Client {
        let client = crate::helpers::new_client();
        let r = client
            .post(format!("{}/sign-in", self.base))
            .form(&[("email", &p.manager_email), ("password", &p.password)])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&r), "/sign-in/mfa");
        let code = safetynet::auth::mfa::code_at(&p.totp, app.clock.now()).unwrap();
        let r = client
            .post(format!("{}/sign-in/mfa", self.base))
            .form(&[("code", &code)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "signed in");
        client
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A practice with a verified domain, `n` staff, one library email and a
/// sending profile for `smtp_port`. Returns the practice and the template and profile ids.
pub(crate) async fn practice_with_staff(
    app: &TestApp,
    n: usize,
    smtp_port: u16,
) -> (Practice, i64, i64) {
    let p = app.practice("Riverside Surgery").await;
    safetynet::simulation::domains::add_alone(&app.db, p.id, &p.domain, Some("test"), 0)
        .await
        .unwrap()
        .unwrap();
    let template_id =
        safetynet::simulation::authoring::adopt_alone(&app.db, p.id, "nhsmail-password-expiry", 0)
            .await
            .unwrap()
            .unwrap();
    let (profile_id,): (i64,) = with_db!(&app.db, pool => sqlx::query_as(
        "INSERT INTO sending_profiles (practice_id, name, host, port, security, username, password, envelope_from, header_name, created_at) \
         VALUES ($1, 'Slow relay', '127.0.0.1', $2, 'none', '', '', 'exercises@riverside.example', 'X-Safety-Net-Simulation', 0) RETURNING id")
        .bind(p.id).bind(i64::from(smtp_port)).fetch_one(pool).await).unwrap();
    let (dept,): (i64,) = with_db!(&app.db, pool => sqlx::query_as("SELECT id FROM departments WHERE practice_id = $1 AND name = 'Clinical'")
        .bind(p.id).fetch_one(pool).await).unwrap();
    with_db!(&app.db, pool => {
        let mut tx = pool.begin().await.unwrap();
        for i in 0..n {
            sqlx::query("INSERT INTO staff (practice_id, department_id, full_name, email, job_role, employment_type, created_at) VALUES ($1, $2, $3, $4, 'Receptionist', 'permanent', 0)")
                .bind(p.id).bind(dept).bind(format!("Person {i:03}")).bind(format!("person{i:03}@{}", p.domain))
                .execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    });
    (p, template_id.get(), profile_id)
}

/// How many messages the sink has stored for each envelope recipient.
pub(crate) fn received_per_recipient(sink: &SmtpSink) -> HashMap<String, usize> {
    let mut per: HashMap<String, usize> = HashMap::new();
    for entry in std::fs::read_dir(&sink.dir).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if let Some(n) = name.strip_suffix(".rcpt") {
            if !n.chars().all(|c| c.is_ascii_digit()) || !sink.dir.join(format!("{n}.eml")).exists()
            {
                continue;
            }
            for rcpt in std::fs::read_to_string(&path).unwrap().lines() {
                *per.entry(rcpt.trim().to_lowercase()).or_default() += 1;
            }
        }
    }
    per
}

pub(crate) fn received(sink: &SmtpSink) -> usize {
    received_per_recipient(sink).values().sum()
}

storage_test!(
    an_exercise_killed_mid_send_reaches_everyone_after_a_restart,
    |app: TestApp| async move {
        // A slow mail server, so the kill lands in the middle of sending.
        let sink = SmtpSink::start_with(&app.dir.path().join("slow-mail"), &["--delay-ms", "150"]);
        let (p, template_id, profile_id) = practice_with_staff(&app, 299, sink.port).await;
        let mut first = Served::start(&app, "first").await;
        let client = first.sign_in(&app, &p).await;
        let r = client
            .post(format!("{}/simulation/campaigns/new", first.base))
            .form(&[
                ("name", "Crash test"),
                ("confirm", "yes"),
                ("template_id", &template_id.to_string()),
                ("profile_id", &profile_id.to_string()),
                ("audience", "everyone"),
                ("spread_hours", "0"),
                ("run_days", "14"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "exercise launched");
        let campaign_id: i64 = location(&r)
            .trim_start_matches("/simulation/campaigns/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let (n,): (i64,) = with_db!(&app.db, pool => sqlx::query_as("SELECT recipients FROM campaigns WHERE id = $1")
            .bind(campaign_id).fetch_one(pool).await).unwrap();
        assert_eq!(n, 300, "299 staff and the manager");
        let n = n as usize;

        // Kill it once about a quarter of the emails have arrived.
        let start = Instant::now();
        while received(&sink) < n / 4 {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "sending never started"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        first.kill9();
        let at_kill = received(&sink);
        let (queued,): (i64,) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 AND send_status = 'queued'")
            .bind(campaign_id).fetch_one(pool).await).unwrap();
        assert!(
            at_kill < n && queued > 0,
            "killed mid-send ({at_kill} of {n} received, {queued} still queued)"
        );

        // Started again, it finishes the job.
        let second = Served::start(&app, "second").await;
        let start = Instant::now();
        loop {
            let (queued,): (i64,) = with_db!(&app.db, pool => sqlx::query_as(
                "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 AND send_status = 'queued'")
                .bind(campaign_id).fetch_one(pool).await).unwrap();
            if queued == 0 {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(180),
                "{queued} emails still queued after the restart"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        drop(second);

        let per = received_per_recipient(&sink);
        let rows: Vec<(String, String, i64)> = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT email, send_status, send_attempts FROM campaign_recipients WHERE campaign_id = $1")
            .bind(campaign_id).fetch_all(pool).await).unwrap();
        assert_eq!(rows.len(), n);
        let mut duplicates = 0;
        for (email, status, attempts) in &rows {
            let got = per.get(&email.to_lowercase()).copied().unwrap_or(0);
            assert_eq!(status, "sent", "{email}");
            assert!(got >= 1, "{email} received nothing");
            assert!(got <= 2, "{email} received {got} copies");
            if got == 2 {
                duplicates += 1;
                assert!(
                    *attempts >= 2,
                    "{email} has a second copy, so it must have been claimed before the crash"
                );
            }
        }
        assert_eq!(
            per.keys()
                .filter(|k| !rows.iter().any(|r| r.0.to_lowercase() == **k))
                .count(),
            0,
            "no email to anyone else"
        );
        assert!(
            duplicates <= IN_FLIGHT,
            "{duplicates} people got a second copy; at most {IN_FLIGHT} may (those being handed to the mail server at the crash)"
        );
        let (sent, errors): (i64, i64) = with_db!(&app.db, pool => sqlx::query_as("SELECT sent, errors FROM campaigns WHERE id = $1")
            .bind(campaign_id).fetch_one(pool).await).unwrap();
        assert_eq!(
            (sent, errors),
            (n as i64, 0),
            "the totals count each person once"
        );
        eprintln!(
            "crash test ({:?}): {at_kill} of {n} delivered at the kill, {duplicates} second copies",
            app.backend
        );
    }
);

storage_test!(
    every_answered_tracking_request_is_stored_across_a_kill,
    |app: TestApp| async move {
        let (p, template_id, profile_id) = practice_with_staff(&app, 49, 1).await;
        let now = app.clock.now();
        // An exercise already sent an hour ago, so clicks count as a person's.
        let (campaign_id,): (i64,) = with_db!(&app.db, pool => sqlx::query_as(
            "INSERT INTO campaigns (practice_id, name, template_id, profile_id, landing, status, launch_at, send_by, ends_at, business_hours, created_by, created_at) \
             VALUES ($1, 'Tracking crash test', $2, $3, 'credentials', 'sending', $4, $4, $5, FALSE, $6, $4) RETURNING id")
            .bind(p.id).bind(template_id).bind(profile_id).bind(now - 3600).bind(now + 86_400).bind(p.manager_user_id)
            .fetch_one(pool).await).unwrap();
        let staff: Vec<(i64, String, String)> = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT id, email, full_name FROM staff WHERE practice_id = $1 ORDER BY id").bind(p.id).fetch_all(pool).await).unwrap();
        let mut tokens = Vec::new();
        for (staff_id, email, name) in &staff {
            let token = RecipientToken::generate().as_str().to_string();
            with_db!(&app.db, pool => sqlx::query(
                "INSERT INTO campaign_recipients (campaign_id, practice_id, staff_id, token, email, full_name, job_role, send_at, send_status, sent_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'Receptionist', $7, 'sent', $7)")
                .bind(campaign_id).bind(p.id).bind(staff_id).bind(&token).bind(email).bind(name).bind(now - 3600)
                .execute(pool).await.map(|_| ())).unwrap();
            tokens.push(token);
        }
        let tokens = Arc::new(tokens);

        let mut served = Served::start(&app, "tracking").await;
        let answered: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let total = Arc::new(AtomicUsize::new(0));
        let killed = Arc::new(AtomicBool::new(false));
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let mut tasks = Vec::new();
        for worker in 0..64usize {
            let (client, tokens, answered, total, killed) = (
                client.clone(),
                tokens.clone(),
                answered.clone(),
                total.clone(),
                killed.clone(),
            );
            let sim = served.sim_base.clone();
            tasks.push(tokio::spawn(async move {
                let mut i = worker;
                while !killed.load(Ordering::Relaxed) {
                    let token = &tokens[i % tokens.len()];
                    let req = match i % 3 {
                        0 => client.get(format!("{sim}/o/{token}")),
                        1 => client.get(format!("{sim}/c/{token}")),
                        _ => client.post(format!("{sim}/r/{token}")),
                    };
                    i += 7;
                    match req.header("user-agent", BROWSER).send().await {
                        Ok(r) if r.status().is_success() || r.status().is_redirection() => {
                            // The answer only goes out once the event is committed.
                            *answered.lock().unwrap().entry(token.clone()).or_default() += 1;
                            total.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => panic!("tracking answered {}", r.status()),
                        Err(_) => {
                            // The server is gone (killed mid-request): not answered.
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                    }
                }
            }));
        }
        let start = Instant::now();
        while total.load(Ordering::Relaxed) < 600 {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "tracking too slow"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Mid-stream: requests are still being sent and answered.
        served.kill9();
        tokio::time::sleep(Duration::from_millis(200)).await;
        killed.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.unwrap();
        }
        let _restarted = Served::start(&app, "tracking-again").await;

        let answered = answered.lock().unwrap().clone();
        let stored: Vec<(String, i64)> = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT r.token, COUNT(e.id) FROM campaign_recipients r LEFT JOIN sim_events e ON e.recipient_id = r.id \
             WHERE r.campaign_id = $1 GROUP BY r.token")
            .bind(campaign_id).fetch_all(pool).await).unwrap();
        let stored: HashMap<String, i64> = stored.into_iter().collect();
        let mut total_answered = 0;
        for (token, n) in &answered {
            total_answered += n;
            let kept = stored.get(token).copied().unwrap_or(0) as usize;
            assert!(kept >= *n, "{n} answered for one recipient, {kept} stored");
        }
        let total_stored: i64 = stored.values().sum();
        assert!(total_answered >= 600);
        eprintln!(
            "tracking crash test ({:?}): {total_answered} answered, {total_stored} stored",
            app.backend
        );
    }
);
