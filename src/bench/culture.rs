//! `safetynet bench --only culture`: the manager's dashboard and a meeting
//! briefing for one practice with five years of phishing exercises, drills,
//! meetings and 20,000 reports, among 1,000 practices — on SQLite, and on
//! PostgreSQL when given a server (as the other benches are).

use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::State;

use crate::web::path::Path;

use super::training::{fresh_db, seed as seed_training, PRACTICES, STAFF_PER_PRACTICE};
use crate::auth::{system_scope_for, ManagerScope, Role};
use crate::config::Settings;
use crate::db::Db;
use crate::shared::{AppState, Clock, PracticeId, StaffId};
use crate::simulation::ids::ProfileId;
use crate::simulation::library::Landing;
use crate::simulation::sending::{self, Launch, Target};
use crate::with_db;

const DAY: i64 = 86_400;
/// The practice whose dashboard is measured.
const PRACTICE: i64 = 500;
const REPORTS: i64 = 20_000;
const MONTHS: i64 = 60;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// Five years for the measured practice: an exercise a month to everyone
/// (a fifth click, a third report), two drills and a meeting with an action
/// a month, and 20,000 reports spread over the five years.
async fn seed_five_years(db: &Db, now: i64) -> anyhow::Result<()> {
    let practice_id = PracticeId::new(PRACTICE);
    let manager = crate::people::accounts::create_user(
        db,
        "manager@culture-bench.example",
        "Bench Manager",
        Role::Manager,
        Some(practice_id),
        None,
        now,
    )
    .await
    .map_err(err)?
    .map_err(err)?;
    let template_id =
        crate::simulation::authoring::adopt_alone(db, practice_id, "nhsmail-password-expiry", now)
            .await
            .map_err(err)?
            .context("library lure")?;
    let (profile_id,): (ProfileId,) = with_db!(db, p => sqlx::query_as(
        "INSERT INTO sending_profiles (practice_id, name, host, port, security, username, password, envelope_from, header_name, created_at) \
         VALUES ($1, 'Sink', '127.0.0.1', 2525, 'none', '', '', 'bench@bench.example', 'X-Safety-Net-Simulation', $2) RETURNING id")
        .bind(practice_id).bind(now).fetch_one(p).await)?;
    let staff: Vec<(StaffId, Option<i64>, String, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT id, department_id, email, full_name FROM staff WHERE practice_id = $1 ORDER BY id")
        .bind(practice_id).fetch_all(p).await)?;
    let scope = system_scope_for(practice_id, "benchmark");

    // An exercise a month, through the sending storage, then its results.
    for m in 0..MONTHS {
        let launch_at = now - (MONTHS - m) * 30 * DAY;
        let mut targets: Vec<Target> = staff
            .iter()
            .map(|(staff_id, department_id, email, full_name)| Target {
                staff_id: *staff_id,
                department_id: *department_id,
                email: email.clone(),
                full_name: full_name.clone(),
                job_role: "Receptionist".into(),
            })
            .collect();
        let spec = Launch {
            name: format!("Exercise {m}"),
            template_id,
            profile_id,
            landing: Landing::Credentials,
            launch_at,
            send_by: launch_at,
            ends_at: launch_at + 14 * DAY,
            business_hours: false,
            created_by: manager,
        };
        let mut tx = db.begin().await?;
        let id = sending::repo::insert(&mut tx, &scope, &spec, &mut targets, launch_at).await?;
        tx.commit().await?;
        with_db!(db, p => {
            sqlx::query(
                "UPDATE campaign_recipients SET send_status = 'sent', sent_at = send_at, \
                 clicked_at = CASE WHEN id % 5 = 0 THEN send_at + 600 END, \
                 reported_at = CASE WHEN id % 3 = 0 THEN send_at + 300 + (id % 7) * 240 END WHERE campaign_id = $1")
                .bind(id).execute(p).await?;
            sqlx::query(
                "UPDATE campaigns SET status = 'completed', \
                 sent = (SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1), \
                 clicked = (SELECT COUNT(clicked_at) FROM campaign_recipients WHERE campaign_id = $1), \
                 reported = (SELECT COUNT(reported_at) FROM campaign_recipients WHERE campaign_id = $1) WHERE id = $1")
                .bind(id).execute(p).await.map(|_| ())
        })?;
    }

    // 20,000 reports over five years.
    let reports: Vec<i64> = (0..REPORTS).collect();
    let span = MONTHS * 30 * DAY;
    for chunk in reports.chunks(500) {
        with_db!(db, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO suspicious_reports (practice_id, staff_id, department_id, how, note, reported_at) ");
            qb.push_values(chunk, |mut b, k| {
                let (s, d, _, _) = &staff[*k as usize % staff.len()];
                b.push_bind(practice_id).push_bind(*s).push_bind(*d).push_bind("spamreports").push_bind("")
                    .push_bind(now - span + k * span / REPORTS);
            });
            qb.build().execute(p).await.map(|_| ())
        })?;
    }

    // Two drills and a meeting a month, through the culture storage.
    let lib = crate::culture::library::library();
    let drill = &lib.drills[0];
    let today = crate::ukclock::local_date(now);
    let mut tx = db.begin().await?;
    for m in 0..MONTHS {
        for d in 0..2 {
            let run_at = now - (MONTHS - m) * 30 * DAY + d * 10 * DAY;
            let (s, dept, _, _) = &staff[(m * 2 + d) as usize % staff.len()];
            let run = crate::culture::drills::repo::NewRun {
                drill_id: &drill.id,
                kind: drill.kind.as_str(),
                department_id: *dept,
                run_at,
                run_by: manager,
            };
            let run_id =
                crate::culture::drills::repo::insert_run(&mut tx, practice_id, &run).await?;
            let outcome = crate::culture::drills::domain::Checked {
                staff_id: Some(s.get()),
                department_id: *dept,
                outcome: crate::culture::library::OutcomeKey::ALL[(m + d) as usize % 3],
                checks: String::new(),
                note: String::new(),
                praise_by_name: false,
            };
            crate::culture::drills::repo::insert_outcome(
                &mut tx,
                practice_id,
                run_id,
                &outcome,
                run_at,
            )
            .await?;
        }
        let held_on = today - time::Duration::days((MONTHS - m) * 30);
        let record = crate::culture::meetings::domain::Checked {
            held_on,
            kind: crate::culture::meetings::domain::MeetingKind::Practice,
            attendees: 20,
            notes: "Cyber minute".into(),
            threat_id: lib.threats[0].id.clone(),
            threat_own: String::new(),
            action: Some(crate::culture::meetings::domain::NewAction {
                what: format!("Action {m}"),
                owner: "Practice manager".into(),
                due_on: held_on + time::Duration::days(28),
            }),
        };
        let tip = lib.tip_for(m as u64);
        crate::culture::meetings::repo::insert(
            &mut tx,
            practice_id,
            &record,
            &tip.id,
            manager,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    if let crate::db::Pool::Postgres(p) = db.pool() {
        sqlx::query("ANALYZE").execute(p).await?;
    }
    Ok(())
}

/// Median and max of 30 timed runs after a first (warming) one.
fn summary(mut times: Vec<Duration>) -> (f64, f64, f64) {
    let first = times.remove(0);
    times.sort();
    (
        ms(first),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
    )
}

async fn measure(admin_url: Option<&str>) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (db, created) = fresh_db(admin_url, dir.path()).await?;
    let backend = if created.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let clock = Clock::default();
    let now = clock.now();
    let state = AppState::new(db.clone(), Settings::default(), clock);
    let start = Instant::now();
    seed_training(&db, now).await.context("staff")?;
    super::dspt::seed_everyday(&db, now)
        .await
        .context("devices, backups, plans")?;
    seed_five_years(&db, now).await.context("five years")?;
    println!(
        "  seeded {PRACTICES} practices ({STAFF_PER_PRACTICE} staff each) on {backend}, and five years for one ({MONTHS} exercises, {} drills, {MONTHS} meetings, {REPORTS} reports) in {:.1} s",
        MONTHS * 2,
        start.elapsed().as_secs_f64()
    );

    let practice_id = PracticeId::new(PRACTICE);
    let mut times = Vec::new();
    for _ in 0..31 {
        let scope = system_scope_for(practice_id, "benchmark");
        let t = Instant::now();
        let page = crate::home::page(State(state.clone()), Some(scope))
            .await
            .map_err(err)?;
        let body = axum::body::to_bytes(page.into_body(), usize::MAX).await?;
        times.push(t.elapsed());
        anyhow::ensure!(String::from_utf8_lossy(&body).contains("reports in the last 12 months"));
    }
    let (first, median, max) = summary(times);
    println!(
        "  manager's home with the dashboard, 1 of {PRACTICES} practices on {backend}: first {first:.1} ms, then median {median:.1} ms, max {max:.1} ms (30 renders; target under 100 ms)"
    );

    let (meeting_id,): (i64,) = with_db!(&db, p => sqlx::query_as(
        "SELECT id FROM meetings WHERE practice_id = $1 ORDER BY held_on DESC LIMIT 1")
        .bind(practice_id).fetch_one(p).await)?;
    let mut times = Vec::new();
    for _ in 0..31 {
        let manager = ManagerScope::of(system_scope_for(practice_id, "benchmark"))
            .expect("the system acts as the manager");
        let t = Instant::now();
        let page = crate::culture::meetings::routes::briefing(
            State(state.clone()),
            manager,
            Path(meeting_id),
        )
        .await
        .map_err(err)?;
        times.push(t.elapsed());
        anyhow::ensure!(page.0.contains("Cyber minute briefing"));
    }
    let (first, median, max) = summary(times);
    println!(
        "  meeting briefing page on {backend}: first {first:.1} ms, then median {median:.1} ms, max {max:.1} ms (30 renders; target under 300 ms)"
    );

    // The briefing as a PDF, as the manager downloads it to print.
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..31 {
        let manager = ManagerScope::of(system_scope_for(practice_id, "benchmark"))
            .expect("the system acts as the manager");
        let t = Instant::now();
        let pdf = crate::culture::meetings::routes::briefing_pdf(
            State(state.clone()),
            manager,
            Path(meeting_id),
        )
        .await
        .map_err(err)?;
        let body = axum::body::to_bytes(pdf.into_body(), usize::MAX).await?;
        times.push(t.elapsed());
        anyhow::ensure!(body.starts_with(b"%PDF-"));
        size = body.len();
    }
    let (first, median, max) = summary(times);
    println!(
        "  meeting briefing PDF on {backend}: first {first:.1} ms, then median {median:.1} ms, max {max:.1} ms ({} KB; 30 renders; target under 300 ms)",
        size / 1024
    );
    db.close().await;
    if let Some((admin_url, name)) = created {
        let admin = Db::connect_without_migrating(&admin_url).await?;
        with_db!(&admin, p => sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(p).await.map(|_| ()))?;
        admin.close().await;
    }
    Ok(())
}

pub async fn run(postgres_admin_url: Option<&str>) -> anyhow::Result<()> {
    println!();
    println!("Culture dashboard:");
    measure(None).await?;
    if let Some(url) = postgres_admin_url {
        measure(Some(url)).await?;
    }
    Ok(())
}
