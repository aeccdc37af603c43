//! `safetynet bench`: the performance figures we promise, measured on this
//! machine against a real SMTP server on loopback (the Python aiosmtpd sink
//! from tests/support, or any server given with --smtp).

mod culture;
mod dspt;
mod nodes;
mod resilience;
mod sign_in;
mod training;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::Rng;
use tokio_util::sync::CancellationToken;

use crate::app::Application;
use crate::auth::{system_scope_for, ManagerScope, PracticeScope, Role};
use crate::config::{Settings, SmtpSecurity};
use crate::db::Db;
use crate::shared::{AppState, CampaignId, Clock};
use crate::simulation::ids::{ProfileId, TemplateId};
use crate::simulation::library::Landing;
use crate::simulation::sending::{self, Launch, Target};
use crate::with_db;

#[derive(clap::Args, Clone)]
pub struct BenchArgs {
    /// Campaign sizes for the sending benchmark.
    #[arg(long, value_delimiter = ',', default_value = "1000,2000,5000,10000")]
    pub sizes: Vec<usize>,
    /// Use this SMTP server (host:port, no TLS) instead of starting the aiosmtpd sink.
    #[arg(long)]
    pub smtp: Option<String>,
    /// How long each tracking load runs.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Concurrent connections for the tracking load.
    #[arg(long, default_value_t = 256)]
    pub connections: usize,
    /// Events a second for the paced tracking load (latency at a steady load).
    #[arg(long, default_value_t = 10_000.0)]
    pub rate: f64,
    /// Which benchmarks to run: sending, tracking, nodes (two app nodes on PostgreSQL),
    /// resilience, training, sign-in, dspt, culture.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "sending,tracking,nodes,resilience,training,sign-in,dspt,culture"
    )]
    pub only: Vec<String>,
    /// Sign-ins sent at once for the sign-in memory benchmark.
    #[arg(long, default_value_t = 200)]
    pub sign_ins: usize,
    /// PostgreSQL server for the asset-register and training-compliance benchmarks (a fresh
    /// database is made and dropped there). Default: SAFETYNET_TEST_POSTGRES_URL, as
    /// `bash .ci/run` sets it; without one the training figures use SQLite.
    #[arg(long, env = "SAFETYNET_TEST_POSTGRES_URL")]
    pub postgres_url: Option<String>,
}

struct Sink {
    child: Option<Child>,
    host: String,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn start_sink(args: &BenchArgs) -> anyhow::Result<Sink> {
    let dir = tempfile::tempdir()?;
    if let Some(addr) = &args.smtp {
        let (host, port) = addr.rsplit_once(':').context("--smtp takes host:port")?;
        return Ok(Sink {
            child: None,
            host: host.into(),
            port: port.parse()?,
            _dir: dir,
        });
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/support/smtp_sink.py");
    let python = std::env::var("SAFETYNET_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target/test-tools/venv/bin/python"));
    anyhow::ensure!(
        script.exists() && python.exists(),
        "run from a checkout after `bash .ci/run` (which installs aiosmtpd), or give --smtp host:port"
    );
    let mut child = Command::new(python)
        .arg(script)
        .arg("--dir")
        .arg(dir.path())
        .args(["--port", "0", "--exit-on-stdin-eof", "--discard"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().context("sink stdout")?),
        &mut line,
    )?;
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .context("the sink did not print its port")?
        .parse()?;
    Ok(Sink {
        child: Some(child),
        host: "127.0.0.1".into(),
        port,
        _dir: dir,
    })
}

/// A practice with `n` staff, a verified domain, a template and a profile for the sink; returns a launched campaign.
async fn setup(
    db: &Db,
    n: usize,
    sink: &Sink,
    now: i64,
) -> anyhow::Result<(PracticeScope, CampaignId)> {
    let practice_id = crate::people::practices::create_practice(db, "Bench Surgery", None, now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::simulation::domains::add_alone(db, practice_id, "bench.example", Some("bench"), now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .map_err(|e| anyhow::anyhow!(e))?;
    let manager = crate::people::accounts::create_user(
        db,
        "manager@bench.example",
        "Bench Manager",
        Role::Manager,
        Some(practice_id),
        None,
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?
    .map_err(|e| anyhow::anyhow!(e))?;
    let template_id =
        crate::simulation::authoring::adopt_alone(db, practice_id, "nhsmail-password-expiry", now)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .context("library lure")?;
    let (profile_id,): (ProfileId,) = with_db!(db, p => sqlx::query_as(
        "INSERT INTO sending_profiles (practice_id, name, host, port, security, username, password, envelope_from, header_name, created_at) \
         VALUES ($1, 'Sink', $2, $3, 'none', '', '', 'bench@bench.example', 'X-Safety-Net-Simulation', $4) RETURNING id")
        .bind(practice_id).bind(&sink.host).bind(i64::from(sink.port)).bind(now).fetch_one(p).await)?;
    let (dept,): (i64,) = with_db!(db, p => sqlx::query_as("SELECT id FROM departments WHERE practice_id = $1 ORDER BY id LIMIT 1")
        .bind(practice_id).fetch_one(p).await)?;
    let ids: Vec<usize> = (0..n).collect();
    for chunk in ids.chunks(500) {
        with_db!(db, p => {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO staff (practice_id, department_id, full_name, email, job_role, employment_type, created_at) ");
            qb.push_values(chunk, |mut b, i| {
                b.push_bind(practice_id).push_bind(dept).push_bind(format!("Person {i}")).push_bind(format!("person{i}@bench.example"))
                    .push_bind("Receptionist").push_bind("permanent").push_bind(now);
            });
            qb.build().execute(p).await?;
        });
    }
    let rows: Vec<(crate::shared::StaffId, String, String)> = with_db!(db, p => sqlx::query_as("SELECT id, email, full_name FROM staff WHERE practice_id = $1")
        .bind(practice_id).fetch_all(p).await)?;
    let mut targets: Vec<Target> = rows
        .into_iter()
        .map(|(staff_id, email, full_name)| Target {
            staff_id,
            department_id: Some(dept),
            email,
            full_name,
            job_role: "Receptionist".into(),
        })
        .collect();
    let scope = system_scope_for(practice_id, "benchmark");
    let spec = Launch {
        name: format!("Bench {n}"),
        template_id,
        profile_id,
        landing: Landing::Credentials,
        launch_at: now,
        send_by: now,
        ends_at: now + 14 * 86_400,
        business_hours: false,
        created_by: manager,
    };
    let mut tx = db.begin().await?;
    let id = sending::repo::insert(&mut tx, &scope, &spec, &mut targets, now).await?;
    tx.commit().await?;
    Ok((scope, id))
}

pub async fn fresh_state(dir: &std::path::Path) -> anyhow::Result<(Settings, Db)> {
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let db = Db::connect(&url).await?;
    let mut settings = Settings {
        database_url: url,
        data_dir: dir.to_path_buf(),
        ..Settings::default()
    };
    settings.listen = "127.0.0.1:0".parse()?;
    settings.sim_listen = "127.0.0.1:0".parse()?;
    settings.smtp.security = SmtpSecurity::None;
    // Every connection of the tracking load comes from 127.0.0.1: the cap on
    // one address's connections (a guard against one client's slow
    // connections) would turn most of them away, which is not what is measured.
    settings.limits.sim_max_connections_per_address = settings.limits.max_connections;
    // The benchmark's mail server runs on this computer.
    settings.outbound.allow_networks = vec!["127.0.0.0/8".into(), "::1/128".into()];
    Ok((settings, db))
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let wants = |name: &str| args.only.iter().any(|o| o == name);
    if wants("sending") || wants("tracking") {
        sending_and_tracking(&args, &wants).await?;
    }
    if wants("nodes") {
        let sink = start_sink(&args)?;
        nodes::run(&args, &sink).await?;
    }
    if wants("resilience") {
        println!();
        resilience::run(&args).await?;
    }
    if wants("training") {
        training::run(args.postgres_url.as_deref()).await?;
    }
    if wants("sign-in") {
        sign_in::run(args.sign_ins).await?;
    }
    if wants("dspt") {
        dspt::run(args.postgres_url.as_deref()).await?;
    }
    if wants("culture") {
        culture::run(args.postgres_url.as_deref()).await?;
    }
    Ok(())
}

async fn sending_and_tracking(
    args: &BenchArgs,
    wants: &dyn Fn(&str) -> bool,
) -> anyhow::Result<()> {
    let sink = start_sink(args)?;
    println!(
        "Safety Net benchmarks ({} cores, SQLite, SMTP server {}:{})",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        sink.host,
        sink.port
    );
    if wants("sending") {
        println!();
        println!("Sending (campaign launched now, sender draining the queue):");
        plain_client(&sink, 5_000).await?;
    }
    for &n in args.sizes.iter().filter(|_| wants("sending")) {
        let dir = tempfile::tempdir()?;
        let (mut settings, db) = fresh_state(dir.path()).await?;
        settings.sim_public_url = "http://127.0.0.1:9".into();
        let clock = Clock::default();
        let (_, id) = setup(&db, n, &sink, clock.now()).await?;
        let (secs, sent, errors) = drain(&db, settings, clock, id).await?;
        println!(
            "  {n:>6} recipients: {secs:>6.2} s  {:>7.0} emails/s  ({sent} sent, {errors} errors)",
            sent as f64 / secs
        );
        db.close().await;
    }
    if wants("sending") {
        with_attachment(&sink, 2_000).await?;
    }
    if wants("tracking") {
        println!();
        println!(
            "Tracking ({} connections, {} s each, mixed opens 50% / clicks 30% / reports 20%):",
            args.connections, args.seconds
        );
    }
    for n in [10usize, 10_000].into_iter().filter(|_| wants("tracking")) {
        tracking(args, &sink, n).await?;
    }
    Ok(())
}

/// The most the SMTP server takes: one prebuilt message sent over and over,
/// as many at a time as the sender sends, with no database or rendering.
async fn plain_client(sink: &Sink, n: usize) -> anyhow::Result<()> {
    use lettre::AsyncTransport as _;
    let transport = crate::mail::smtp::transport(&crate::config::SmtpSettings {
        host: sink.host.clone(),
        port: sink.port,
        security: SmtpSecurity::None,
        username: String::new(),
        password: String::new(),
        from: "bench@bench.example".into(),
        ca_file: None,
    })?;
    let message = lettre::Message::builder()
        .from("IT Service Desk <it@nhs-mail.example>".parse()?)
        .to("person@bench.example".parse()?)
        .subject("Your NHSmail password expires today")
        .body(
            "Your password expires today. Keep it: http://127.0.0.1:9/c/abcdefghijklmnopqrstuv\n"
                .repeat(40),
        )?;
    let slots = Arc::new(tokio::sync::Semaphore::new(
        crate::simulation::sending::IN_FLIGHT,
    ));
    let mut sends = tokio::task::JoinSet::new();
    let start = Instant::now();
    for _ in 0..n {
        let permit = slots.clone().acquire_owned().await?;
        let (t, m) = (transport.clone(), message.clone());
        sends.spawn(async move {
            let _permit = permit;
            t.send(m).await.map(|_| ())
        });
    }
    while let Some(sent) = sends.join_next().await {
        sent??;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "  the SMTP server's ceiling: a plain client sends {n} prebuilt emails at {:.0} emails/s",
        n as f64 / secs
    );
    Ok(())
}

/// Runs the sender until the exercise's queue is empty: seconds taken, emails sent, errors.
async fn drain(
    db: &Db,
    settings: Settings,
    clock: Clock,
    id: CampaignId,
) -> anyhow::Result<(f64, i64, i64)> {
    let sender =
        crate::simulation::sending::Sender::new(AppState::new(db.clone(), settings, clock));
    let start = Instant::now();
    while sender.run_once().await? > 0 {}
    let secs = start.elapsed().as_secs_f64();
    let (sent, errors): (i64, i64) = with_db!(db, p => sqlx::query_as("SELECT sent, errors FROM campaigns WHERE id = $1").bind(id).fetch_one(p).await)?;
    Ok((secs, sent, errors))
}

/// Sending when every email carries a 40 KB web page letter filled in for its
/// recipient: the attachment is rendered and encoded once per email.
async fn with_attachment(sink: &Sink, n: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (mut settings, db) = fresh_state(dir.path()).await?;
    settings.sim_public_url = "http://127.0.0.1:9".into();
    let clock = Clock::default();
    let (scope, id) = setup(&db, n, sink, clock.now()).await?;
    let (template_id,): (TemplateId,) = with_db!(&db, p => sqlx::query_as("SELECT template_id FROM campaigns WHERE id = $1").bind(id).fetch_one(p).await)?;
    let paragraph = "<p>I am writing about the way my mother was treated when she phoned the surgery last Tuesday morning, and I expect a reply.</p>\n";
    let letter = format!(
        "<html><body><p>Dear {{{{ first_name }}}},</p>\n{}<p><a href=\"{{{{ link }}}}\">Sign in to read the rest</a></p>{{{{ tracker }}}}</body></html>",
        paragraph.repeat(40 * 1024 / paragraph.len())
    );
    let a = crate::simulation::authoring::attachments::Attachment::check(
        "Complaint letter.html",
        letter.into_bytes(),
        "Bench Surgery",
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    let mut tx = db.begin().await?;
    crate::simulation::authoring::repo::store_attachment(
        &mut tx,
        scope.practice_id(),
        template_id,
        &a,
        clock.now(),
    )
    .await?;
    tx.commit().await?;
    let (secs, sent, errors) = drain(&db, settings, clock, id).await?;
    println!(
        "  {n:>6} recipients, each with a {} KB web page attachment: {secs:>6.2} s  {:>7.0} emails/s  ({sent} sent, {errors} errors)",
        a.meta.size / 1024,
        sent as f64 / secs
    );
    db.close().await;
    Ok(())
}

async fn tracking(args: &BenchArgs, sink: &Sink, n: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (settings, db) = fresh_state(dir.path()).await?;
    let clock = Clock::default();
    let now = clock.now();
    let (scope, id) = setup(&db, n, sink, now).await?;
    with_db!(&db, p => sqlx::query("UPDATE campaign_recipients SET send_status = 'sent', sent_at = $1 WHERE campaign_id = $2")
        .bind(now - 3600).bind(id).execute(p).await.map(|_| ()))?;
    with_db!(&db, p => sqlx::query("UPDATE campaigns SET status = 'sending', sent = recipients WHERE id = $1").bind(id).execute(p).await.map(|_| ()))?;
    let tokens: Vec<(String,)> = with_db!(&db, p => sqlx::query_as("SELECT token FROM campaign_recipients WHERE campaign_id = $1").bind(id).fetch_all(p).await)?;
    let tokens: Arc<Vec<String>> = Arc::new(tokens.into_iter().map(|t| t.0).collect());
    let app = Application::build(settings, db.clone(), clock).await?;
    let base = format!("http://{}", app.sim_addr());
    let state = app.state().clone();
    let stop = CancellationToken::new();
    let server = tokio::spawn(app.run_until_stopped(stop.clone(), false));
    // At a steady rate first, on the fresh exercise: the latency a person's mail client sees.
    if let Some(line) = paced(args, &base, &tokens)? {
        println!("  {n:>6} recipients, paced: {line}");
    }
    if let Some((line, _)) = with_wrk(args, &base, &tokens, None)? {
        let (stored,): (i64,) = with_db!(&db, p => sqlx::query_as("SELECT COUNT(*) FROM sim_events WHERE campaign_id = $1").bind(id).fetch_one(p).await)?;
        println!("  {n:>6} recipients: {line}  ({stored} events stored)");
        if n >= 10_000 {
            results_page(&state, scope, id).await?;
        }
        stop.cancel();
        let _ = server.await;
        return Ok(());
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()?;
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.connections {
        let (client, tokens, base, ok, failed) = (
            client.clone(),
            tokens.clone(),
            base.clone(),
            ok.clone(),
            failed.clone(),
        );
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let (t, kind) = {
                    let mut rng = rand::thread_rng();
                    let t = tokens[rng.gen_range(0..tokens.len())].clone();
                    let k = match rng.gen_range(0..10) {
                        0..=4 => "o",
                        5..=7 => "c",
                        _ => "r",
                    };
                    (t, k)
                };
                let start = Instant::now();
                let r = client
                    .get(format!("{base}/{kind}/{t}"))
                    .header("user-agent", "Mozilla/5.0 (Windows NT 10.0) bench")
                    .send()
                    .await;
                match r {
                    Ok(resp) if resp.status().is_success() => {
                        let _ = resp.bytes().await;
                        ok.fetch_add(1, Ordering::Relaxed);
                        latencies.push(start.elapsed());
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        });
    }
    let mut all = Vec::new();
    while let Some(l) = tasks.join_next().await {
        all.extend(l?);
    }
    all.sort();
    let answered = ok.load(Ordering::Relaxed);
    let pct = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let (stored,): (i64,) = with_db!(&db, p => sqlx::query_as("SELECT COUNT(*) FROM sim_events WHERE campaign_id = $1").bind(id).fetch_one(p).await)?;
    println!(
        "  {n:>6} recipients: {:>7.0} events/s  p50 {:>5.1} ms  p99 {:>5.1} ms  ({answered} answered, {} failed, {stored} stored)",
        answered as f64 / args.seconds as f64,
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
        failed.load(Ordering::Relaxed),
    );
    if n >= 10_000 {
        results_page(&state, scope, id).await?;
    }
    stop.cancel();
    let _ = server.await;
    Ok(())
}

/// wrk at about `--rate` requests a second. wrk's timers add a few
/// milliseconds to each connection's wait, so the wait starts 4 ms short of
/// the cycle the rate needs and, if the rate falls more than 5% short, is
/// shortened by what the run showed and tried again (at most three runs).
fn paced(args: &BenchArgs, base: &str, tokens: &[String]) -> anyhow::Result<Option<String>> {
    let cycle_ms = args.connections as f64 * 1000.0 / args.rate;
    let mut wait = (cycle_ms - 4.0).max(1.0);
    let mut last = None;
    for _ in 0..3 {
        let Some((line, achieved)) = with_wrk(args, base, tokens, Some(wait))? else {
            return Ok(None);
        };
        last = Some(line);
        if achieved >= args.rate * 0.95 {
            break;
        }
        let overhead = args.connections as f64 * 1000.0 / achieved.max(1.0) - wait;
        wait = (cycle_ms - overhead).max(1.0);
    }
    Ok(last)
}

/// Drives the load with wrk (a separate, efficient load generator) when it is
/// installed; returns its figures in one line and the requests a second.
/// With a wait, each connection pauses about that many milliseconds between
/// requests (wrk measures each request from when it is sent).
fn with_wrk(
    args: &BenchArgs,
    base: &str,
    tokens: &[String],
    wait_ms: Option<f64>,
) -> anyhow::Result<Option<(String, f64)>> {
    if Command::new("wrk").arg("--version").output().is_err() {
        return Ok(None);
    }
    let pace = wait_ms.map_or(String::new(), |wait| {
        format!(
            "delay = function()\n  return math.random({}, {})\nend\n",
            (wait - 1.0).floor().max(0.0),
            (wait + 1.0).ceil()
        )
    });
    let (_dir, script) = wrk_script_with(tokens, &pace)?;
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{}", args.connections),
            &format!("-d{}s", args.seconds),
            "--latency",
            "-s",
        ])
        .arg(&script)
        .arg(base)
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let grab = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_string()))
            .unwrap_or_default()
    };
    let total = text
        .lines()
        .find(|l| l.contains("requests in"))
        .map(|l| l.trim().to_string())
        .unwrap_or_default();
    let errors = grab("Non-2xx or 3xx responses:");
    let per_second = grab("Requests/sec:");
    let line = format!(
        "{per_second} events/s  p50 {}  p99 {}  [wrk: {total}{}]",
        grab("50%"),
        grab("99%"),
        if errors.is_empty() {
            String::new()
        } else {
            format!(", {errors} non-2xx")
        }
    );
    Ok(Some((line, per_second.parse().unwrap_or(0.0))))
}

/// wrk's script for the tracking mix (opens 50%, clicks 30%, reports 20%)
/// over these tokens, in a folder kept while the returned handle lives.
fn wrk_script(tokens: &[String]) -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    wrk_script_with(tokens, "")
}

fn wrk_script_with(tokens: &[String], pace: &str) -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::tempdir()?;
    let script = dir.path().join("mix.lua");
    let list = tokens
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(",");
    std::fs::write(
        &script,
        format!(
            "local tokens = {{{list}}}\nlocal kinds = {{\"o\",\"o\",\"o\",\"o\",\"o\",\"c\",\"c\",\"c\",\"r\",\"r\"}}\n\
             request = function()\n  local t = tokens[math.random(#tokens)]\n  local k = kinds[math.random(#kinds)]\n  \
             return wrk.format(\"GET\", \"/\" .. k .. \"/\" .. t, {{[\"User-Agent\"] = \"Mozilla/5.0 (Windows NT 10.0) bench\"}})\nend\n{pace}"
        ),
    )?;
    Ok((dir, script))
}

/// Tops the campaign up to 100,000 events and times its results page.
async fn results_page(
    state: &AppState,
    scope: PracticeScope,
    id: CampaignId,
) -> anyhow::Result<()> {
    let (have,): (i64,) = with_db!(&state.db, p => sqlx::query_as("SELECT COUNT(*) FROM sim_events WHERE campaign_id = $1").bind(id).fetch_one(p).await)?;
    let recipients: Vec<(i64,)> = with_db!(&state.db, p => sqlx::query_as("SELECT id FROM campaign_recipients WHERE campaign_id = $1").bind(id).fetch_all(p).await)?;
    let missing = (100_000 - have).max(0) as usize;
    let now = state.clock.now();
    let rows: Vec<usize> = (0..missing).collect();
    for chunk in rows.chunks(2000) {
        with_db!(&state.db, p => {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO sim_events (campaign_id, recipient_id, practice_id, kind, counted, reasons, at, ip, user_agent) ");
            qb.push_values(chunk, |mut b, i| {
                b.push_bind(id).push_bind(recipients[i % recipients.len()].0).push_bind(scope.practice_id()).push_bind("open").push_bind(true)
                    .push_bind("bench").push_bind(now).push_bind("127.0.0.1").push_bind("bench");
            });
            qb.build().execute(p).await?;
        });
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let page = crate::simulation::reporting::routes::show(
            axum::extract::State(state.clone()),
            ManagerScope::of(scope.clone()).context("the system acts as the manager")?,
            crate::web::Path(id),
            axum::extract::Query(Default::default()),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::ensure!(page.0.contains("Reporting comes first"));
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "  results page, 10,000 recipients and 100,000 events: median {:.1} ms",
        times[2].as_secs_f64() * 1000.0
    );
    Ok(())
}
