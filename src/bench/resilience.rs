//! `safetynet bench --only resilience`: device check-ins accepted per second
//! on SQLite (over HTTP, through the real endpoint), and the asset register's
//! pages for a 1,000-practice PostgreSQL deployment with 50,000 devices.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use tokio_util::sync::CancellationToken;

use super::{fresh_state, BenchArgs};
use crate::app::Application;
use crate::auth::system_scope_for;
use crate::db::Db;
use crate::resilience::assets::{self, ListQuery};
use crate::resilience::ViewScope;
use crate::shared::{AppState, Clock, PracticeId};
use crate::web::Notice;
use crate::with_db;

const DEVICES_PER_PRACTICE: usize = 50;

/// `practices` practices with 50 devices each; returns (practice id, token) pairs.
async fn seed(db: &Db, practices: usize, now: i64) -> anyhow::Result<Vec<(PracticeId, String)>> {
    let mut out = Vec::with_capacity(practices);
    let oses = [
        "Windows 11 Pro 24H2",
        "Windows 11 Pro 23H2",
        "Windows 10 Pro 22H2",
        "Windows Server 2012 R2 Standard",
        "macOS 15.1",
    ];
    for i in 0..practices {
        let pid =
            crate::people::practices::create_practice(db, &format!("Bench Surgery {i}"), None, now)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        let scope = system_scope_for(pid, "benchmark");
        let mut tx = db.begin().await?;
        let token = crate::resilience::checkin::set_token(&mut tx, &scope, "bench", now).await?;
        tx.commit().await?;
        let devices: Vec<usize> = (0..DEVICES_PER_PRACTICE).collect();
        with_db!(db, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO assets (practice_id, kind, name, hostname, serial, make_model, os, owner, location, encryption, managed_by, \
                                     last_updated_at, added_by, eol_stale, created_at, updated_at) ");
            qb.push_values(&devices, |mut b, d| {
                b.push_bind(pid).push_bind(if *d % 5 == 0 { "laptop" } else { "desktop" }).push_bind(format!("PC-{i:04}-{d:02}"))
                    .push_bind(format!("pc-{i:04}-{d:02}")).push_bind(format!("SN{i:04}{d:02}")).push_bind("Dell OptiPlex 7090")
                    .push_bind(oses[*d % oses.len()]).push_bind("Reception").push_bind("Front desk")
                    .push_bind(if *d % 7 == 0 { "no" } else { "yes" }).push_bind("icb")
                    .push_bind(now - (*d as i64 % 60) * 86_400).push_bind("import").push_bind(true).push_bind(now).push_bind(now);
            });
            qb.build().execute(p).await?;
        });
        out.push((pid, token));
    }
    Ok(out)
}

fn pct(sorted: &[Duration], q: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0
}

pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    println!("Resilience:");
    checkins(args).await?;
    register_pages(args).await
}

/// Check-ins over HTTP from `args.connections` clients for `args.seconds`.
async fn checkins(args: &BenchArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (settings, db) = fresh_state(dir.path()).await?;
    let clock = Clock::default();
    let practices = 200;
    let tokens = Arc::new(seed(&db, practices, clock.now()).await?);
    let app = Application::build(settings, db.clone(), clock).await?;
    let base = format!(
        "http://{}{}",
        app.app_addr(),
        crate::resilience::checkin::API_PATH
    );
    let stop = CancellationToken::new();
    let server = tokio::spawn(app.run_until_stopped(stop.clone(), false));
    let connections = args.connections.min(64);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .no_proxy()
        .build()?;
    let ok = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (client, tokens, base, ok, refused) = (
            client.clone(),
            tokens.clone(),
            base.clone(),
            ok.clone(),
            refused.clone(),
        );
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let (body, token) = {
                    let mut rng = rand::thread_rng();
                    let p = rng.gen_range(0..tokens.len());
                    let d = rng.gen_range(0..DEVICES_PER_PRACTICE + 5);
                    let body = serde_json::json!({
                        "hostname": format!("pc-{p:04}-{d:02}"), "serial": format!("SN{p:04}{d:02}"),
                        "make": "Dell Inc.", "model": "OptiPlex 7090", "os": "Windows 11 Pro", "os_version": "24H2",
                        "build": format!("26100.{}", rng.gen_range(1000..3000)), "kind": "desktop", "encryption": "yes",
                        "last_update": "2026-11-12T10:04:00Z",
                    })
                    .to_string();
                    (body, tokens[p].1.clone())
                };
                let start = Instant::now();
                match client
                    .post(&base)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        ok.fetch_add(1, Ordering::Relaxed);
                        latencies.push(start.elapsed());
                    }
                    _ => {
                        refused.fetch_add(1, Ordering::Relaxed);
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
    let accepted = ok.load(Ordering::Relaxed);
    let (devices,): (i64,) =
        with_db!(&db, p => sqlx::query_as("SELECT COUNT(*) FROM assets").fetch_one(p).await)?;
    println!(
        "  device check-ins, SQLite, {connections} connections, {practices} practices: {:>6.0} accepted/s  p50 {:.1} ms  p99 {:.1} ms  ({accepted} accepted, {} refused, {devices} devices in the register)",
        accepted as f64 / args.seconds as f64,
        pct(&all, 0.50),
        pct(&all, 0.99),
        refused.load(Ordering::Relaxed),
    );
    stop.cancel();
    let _ = server.await;
    db.close().await;
    Ok(())
}

/// The register of random practices in a 1,000-practice, 50,000-device PostgreSQL database.
async fn register_pages(args: &BenchArgs) -> anyhow::Result<()> {
    let Some(admin_url) = args.postgres_url.clone().filter(|u| !u.is_empty()) else {
        println!("  asset register on PostgreSQL: SKIPPED (give --postgres-url, or run under `bash .ci/run`)");
        return Ok(());
    };
    let name = format!("sn_bench_{}", rand::thread_rng().gen::<u32>());
    let admin = Db::connect_without_migrating(&admin_url).await?;
    with_db!(&admin, p => sqlx::query(&format!("CREATE DATABASE {name}")).execute(p).await.map(|_| ()))?;
    let mut url = url::Url::parse(&admin_url)?;
    url.set_path(&format!("/{name}"));
    let result = async {
        let db = Db::connect(url.as_str()).await?;
        let clock = Clock::default();
        let start = Instant::now();
        let practices = seed(&db, 1000, clock.now()).await?;
        with_db!(&db, p => sqlx::query("ANALYZE").execute(p).await.map(|_| ()))?;
        let seeded = start.elapsed();
        let settings = crate::config::Settings {
            database_url: url.to_string(),
            ..Default::default()
        };
        let state = AppState::new(db.clone(), settings, clock);
        let mut rng = rand::thread_rng();
        let mut cold = Vec::new();
        let mut first = Vec::new();
        let mut next = Vec::new();
        let mut attention = Vec::new();
        let page = |pid: PracticeId, show: &'static str, after: String| {
            let state = state.clone();
            async move {
                let scope = ViewScope::of(system_scope_for(pid, "benchmark")).expect("the system may view");
                let t = Instant::now();
                let page = assets::routes::list(
                    axum::extract::State(state),
                    scope,
                    axum::extract::Query(ListQuery {
                        show: show.into(),
                        after,
                    }),
                    Notice::default(),
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
                let took = t.elapsed();
                anyhow::ensure!(page.0.contains("PC-"), "the page lists devices");
                anyhow::Ok(took)
            }
        };
        for _ in 0..100 {
            let (pid, _) = practices[rng.gen_range(0..practices.len())];
            // The first visit after a table change works out every end-of-life date once.
            cold.push(page(pid, "", String::new()).await?);
            first.push(page(pid, "", String::new()).await?);
            let scope = system_scope_for(pid, "benchmark");
            let (_, n) = assets::repo::page(&state.db, &scope, assets::domain::Show::InUse, None, state.clock.now()).await?;
            next.push(page(pid, "", n.map(|n| n.to_string()).unwrap_or_default()).await?);
            attention.push(page(pid, "attention", String::new()).await?);
        }
        cold.sort();
        for b in [&mut first, &mut next, &mut attention] {
            b.sort();
        }
        let (total,): (i64,) = with_db!(&db, p => sqlx::query_as("SELECT COUNT(*) FROM assets").fetch_one(p).await)?;
        let plan: Vec<(String,)> = with_db!(&db, p => sqlx::query_as(
            "EXPLAIN SELECT id FROM assets WHERE practice_id = $1 AND active = $2 AND (name, id) > ($3, $4) ORDER BY name, id LIMIT 51")
            .bind(practices[0].0).bind(true).bind("PC-0000-10").bind(0i64).fetch_all(p).await)?;
        let uses_index = plan.iter().any(|l| l.0.contains("assets_page"));
        println!(
            "  asset register, PostgreSQL, {} practices, {total} devices (seeded in {:.1} s), whole page handler incl. counts and rendering:",
            practices.len(),
            seeded.as_secs_f64()
        );
        for (label, b) in [
            ("first visit (dates worked out)", &cold),
            ("first page", &first),
            ("next page (keyset)", &next),
            ("needs attention", &attention),
        ] {
            println!(
                "    {label:<31} median {:>5.1} ms  p99 {:>5.1} ms  max {:>5.1} ms",
                pct(b, 0.5),
                pct(b, 0.99),
                pct(b, 1.0)
            );
        }
        println!(
            "    the keyset query {} the assets_page index",
            if uses_index { "uses" } else { "does NOT use" }
        );
        db.close().await;
        anyhow::Ok(())
    }
    .await;
    with_db!(&admin, p => sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(p).await.map(|_| ()))?;
    admin.close().await;
    result
}
