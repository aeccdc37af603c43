//! Tracking with two app nodes on one PostgreSQL (`--only nodes`): the same
//! flat-out load (wrk) first against one node, then split across two nodes
//! at once, each with its own pool, event writer and token index, hearing
//! each other through LISTEN/NOTIFY. It reports events a second for both,
//! and checks that nothing failed and every answered event was stored.
//! On a 2-core machine two nodes cannot be faster than one; they must not
//! collapse (within 20% of one node).

use std::process::Command;

use rand::Rng;
use tokio_util::sync::CancellationToken;

use super::{fresh_state, setup, BenchArgs, Sink};
use crate::app::Application;
use crate::db::Db;
use crate::shared::{CampaignId, Clock};
use crate::with_db;

/// One wrk run's totals: requests answered, non-2xx/3xx answers and socket errors.
struct Load {
    per_second: f64,
    requests: u64,
    bad: u64,
}

pub async fn run(args: &BenchArgs, sink: &Sink) -> anyhow::Result<()> {
    println!();
    println!("Tracking with two app nodes on one PostgreSQL (10,000 recipients, flat out):");
    let Some(admin_url) = args.postgres_url.clone().filter(|u| !u.is_empty()) else {
        println!("  SKIPPED (give --postgres-url, or run under `bash .ci/run`)");
        return Ok(());
    };
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("  SKIPPED (wrk is not installed)");
        return Ok(());
    }
    let name = format!("sn_bench_{}", rand::thread_rng().gen::<u32>());
    let admin = Db::connect_without_migrating(&admin_url).await?;
    with_db!(&admin, p => sqlx::query(&format!("CREATE DATABASE {name}")).execute(p).await.map(|_| ()))?;
    let mut url = url::Url::parse(&admin_url)?;
    url.set_path(&format!("/{name}"));
    let result = measure(args, sink, url.as_str()).await;
    with_db!(&admin, p => sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(p).await.map(|_| ()))?;
    admin.close().await;
    result
}

async fn measure(args: &BenchArgs, sink: &Sink, url: &str) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (mut settings, _) = fresh_state(dir.path()).await?;
    settings.database_url = url.to_string();
    // All the load comes from this one address: no per-address connection cap.
    settings.limits.sim_max_connections_per_address = usize::MAX;
    let db = Db::connect(url).await?;
    let clock = Clock::default();
    let now = clock.now();
    let (_, id) = setup(&db, 10_000, sink, now).await?;
    with_db!(&db, p => sqlx::query("UPDATE campaign_recipients SET send_status = 'sent', sent_at = $1 WHERE campaign_id = $2")
        .bind(now - 3600).bind(id).execute(p).await.map(|_| ()))?;
    with_db!(&db, p => sqlx::query("UPDATE campaigns SET status = 'sending', sent = recipients WHERE id = $1").bind(id).execute(p).await.map(|_| ()))?;
    let tokens: Vec<(String,)> = with_db!(&db, p => sqlx::query_as("SELECT token FROM campaign_recipients WHERE campaign_id = $1").bind(id).fetch_all(p).await)?;
    let tokens: Vec<String> = tokens.into_iter().map(|t| t.0).collect();
    let stop = CancellationToken::new();
    let mut bases = Vec::new();
    let mut servers = Vec::new();
    for _ in 0..2 {
        // Each node its own pool (and so its own name among the nodes).
        let node_db = Db::connect(url).await?;
        let app = Application::build(settings.clone(), node_db, clock.clone()).await?;
        bases.push(format!("http://{}", app.sim_addr()));
        servers.push(tokio::spawn(app.run_until_stopped(stop.clone(), false)));
    }
    let script = super::wrk_script(&tokens)?;
    let stored = |db: Db, id: CampaignId| async move {
        let (n,): (i64,) = with_db!(&db, p => sqlx::query_as("SELECT COUNT(*) FROM sim_events WHERE campaign_id = $1").bind(id).fetch_one(p).await)?;
        anyhow::Ok(n)
    };
    let before = stored(db.clone(), id).await?;
    let one = wrk(args, &script.1, &bases[0], args.connections).await?;
    let after_one = stored(db.clone(), id).await?;
    let (x, y) = tokio::join!(
        wrk(args, &script.1, &bases[0], args.connections / 2),
        wrk(args, &script.1, &bases[1], args.connections / 2)
    );
    let (x, y) = (x?, y?);
    let after_two = stored(db.clone(), id).await?;
    stop.cancel();
    for s in servers {
        let _ = s.await;
    }
    let two = x.per_second + y.per_second;
    let line = |label: &str, l: f64, requests: u64, bad: u64, kept: i64| {
        println!(
            "  {label}: {l:>7.0} events/s  ({requests} answered, {bad} errors, {kept} stored)"
        );
    };
    line(
        "one node ",
        one.per_second,
        one.requests,
        one.bad,
        after_one - before,
    );
    line(
        "two nodes",
        two,
        x.requests + y.requests,
        x.bad + y.bad,
        after_two - after_one,
    );
    let answered_ok = |l: &Load| l.requests - l.bad;
    let every_stored = after_two - after_one >= (answered_ok(&x) + answered_ok(&y)) as i64
        && after_one - before >= answered_ok(&one) as i64;
    println!(
        "  two nodes at {:.0}% of one; errors: {}; every answered event stored: {}",
        two / one.per_second.max(1.0) * 100.0,
        one.bad + x.bad + y.bad,
        if every_stored { "yes" } else { "NO" }
    );
    db.close().await;
    drop(script.0);
    Ok(())
}

async fn wrk(
    args: &BenchArgs,
    script: &std::path::Path,
    base: &str,
    connections: usize,
) -> anyhow::Result<Load> {
    let (script, base, seconds) = (script.to_path_buf(), base.to_string(), args.seconds);
    // Run beside the other node's load, so off the async threads.
    let out = tokio::task::spawn_blocking(move || {
        Command::new("wrk")
            .args([
                "-t1",
                &format!("-c{}", connections.max(1)),
                &format!("-d{seconds}s"),
                "-s",
            ])
            .arg(&script)
            .arg(&base)
            .output()
    })
    .await??;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let number_after = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_string()))
            .and_then(|v| v.split_whitespace().next().map(str::to_string))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let requests = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    let socket_errors: u64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Socket errors:"))
        .map(|rest| {
            rest.split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Ok(Load {
        per_second: number_after("Requests/sec:"),
        requests,
        bad: number_after("Non-2xx or 3xx responses:") as u64 + socket_errors,
    })
}
