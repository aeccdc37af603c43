//! `safetynet bench --only sign-in`: memory under a burst of sign-ins.
//!
//! Every password check takes argon2's 19 MiB for a moment. Before the
//! password gate, 200 sign-ins at once for made-up accounts took the server
//! from 434 MB to 5.75 GB. This starts Safety Net in this process, sends 200
//! at once from one address (its limit raised so every one is checked or
//! turned away by the gate, not by the rate limit), and prints the peak
//! resident memory of the whole process during the burst and what it holds
//! a few seconds later. The figure must stay under 300 MB.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::app::Application;
use crate::shared::Clock;

/// A line of /proc/self/status in kilobytes (`VmRSS`, `VmHWM`); Linux only.
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn mb(kb: Option<u64>) -> String {
    kb.map_or("unknown".into(), |k| format!("{:.0} MB", k as f64 / 1024.0))
}

pub async fn run(concurrency: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (mut settings, db) = crate::bench::fresh_state(dir.path()).await?;
    settings.sign_in.max_failures_per_ip = 1_000_000;
    let app = Application::build(settings, db, Clock::default()).await?;
    let base = format!("http://{}", app.app_addr());
    let gate = app.state().hashing.clone();
    let stop = CancellationToken::new();
    let server = tokio::spawn(app.run_until_stopped(stop.clone(), false));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .no_proxy()
        .build()?;
    // Warm up (the first hash builds the dummy hash used for unknown accounts).
    client
        .post(format!("{base}/sign-in"))
        .form(&[("email", "warm@nowhere.example"), ("password", "x")])
        .send()
        .await?;
    let before = status_kb("VmRSS");
    // Peak memory from here on (Linux: writing 5 to clear_refs resets VmHWM).
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let start = Instant::now();
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..concurrency {
        let (client, base) = (client.clone(), base.clone());
        burst.spawn(async move {
            client
                .post(format!("{base}/sign-in"))
                .form(&[
                    ("email", format!("made-up-{i}@nowhere.example")),
                    ("password", format!("guess number {i}")),
                ])
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        });
    }
    let (mut checked, mut busy, mut other) = (0, 0, 0);
    while let Some(done) = burst.join_next().await {
        match done? {
            200 => checked += 1,
            503 => busy += 1,
            _ => other += 1,
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let peak = status_kb("VmHWM");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = status_kb("VmRSS");
    println!();
    println!("Sign-in under a burst ({concurrency} at once for made-up accounts, one address):");
    println!(
        "  {checked} checked, {busy} asked to try again in a moment (503), {other} other, in {secs:.1} s; at most {} hashes ran at once",
        gate.peak()
    );
    println!(
        "  resident memory: {} before, peak {} during the burst{}, {} three seconds after (limit: 300 MB)",
        mb(before),
        mb(peak),
        if reset { "" } else { " (peak since start)" },
        mb(after)
    );
    stop.cancel();
    let _ = server.await;
    Ok(())
}
