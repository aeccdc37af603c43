//! `safetynet bench` figures for training: how fast a lesson page renders, and
//! the compliance view of one practice in a deployment of 1,000 practices and
//! 30,000 staff, and one pass of the training rules over all of them
//! (PostgreSQL when given a server, else SQLite).

use std::time::{Duration, Instant};

use axum::extract::{Query, State};

use crate::auth::scope::bench_scope_as;
use crate::auth::{system_scope_for, ManagerScope, Role};
use crate::config::Settings;
use crate::db::Db;
use crate::shared::{AppState, Clock, PracticeId, StaffId};
use crate::training::compliance::routes as compliance;
use crate::training::content::{catalogue, KnownModule};
use crate::training::my_training::routes as my_training;
use crate::web::Path;
use crate::with_db;

pub(super) const PRACTICES: i64 = 1_000;
pub(super) const STAFF_PER_PRACTICE: i64 = 30;

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1000.0
}

/// A fresh database: a new one on the PostgreSQL server at `admin_url`, or a SQLite file.
pub(super) async fn fresh_db(
    admin_url: Option<&str>,
    dir: &std::path::Path,
) -> anyhow::Result<(Db, Option<(String, String)>)> {
    match admin_url {
        Some(admin_url) => {
            let name = format!("sn_bench_{}", rand::random::<u32>());
            let admin = Db::connect_without_migrating(admin_url).await?;
            with_db!(&admin, p => sqlx::query(&format!("CREATE DATABASE {name}")).execute(p).await.map(|_| ()))?;
            admin.close().await;
            let mut url = url::Url::parse(admin_url)?;
            url.set_path(&format!("/{name}"));
            Ok((
                Db::connect(url.as_str()).await?,
                Some((admin_url.to_string(), name)),
            ))
        }
        None => Ok((
            Db::connect(&format!(
                "sqlite://{}",
                dir.join("training-bench.db").display()
            ))
            .await?,
            None,
        )),
    }
}

/// Bulk rows: practices, departments, staff, last year's completions and some overdue work.
pub(super) async fn seed(db: &Db, now: i64) -> anyhow::Result<()> {
    let practices: Vec<i64> = (1..=PRACTICES).collect();
    for chunk in practices.chunks(500) {
        with_db!(db, p => {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO practices (id, name, ods_code, created_at) ");
            qb.push_values(chunk, |mut b, id| {
                b.push_bind(*id).push_bind(format!("Bench practice {id}")).push_bind(Option::<String>::None).push_bind(now);
            });
            qb.build().execute(p).await.map(|_| ())
        })?;
        with_db!(db, p => {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO departments (id, practice_id, name, created_at) ");
            qb.push_values(chunk.iter().flat_map(|id| (0..3).map(move |d| (*id, d))), |mut b, (id, d)| {
                b.push_bind(id * 10 + d).push_bind(id).push_bind(["Reception", "Clinical", "Management"][d as usize]).push_bind(now);
            });
            qb.build().execute(p).await.map(|_| ())
        })?;
    }
    let roles = [
        "Receptionist",
        "GP partner",
        "Practice nurse",
        "Dispenser",
        "Medical secretary",
        "Practice manager",
    ];
    let staff: Vec<(i64, i64)> = practices
        .iter()
        .flat_map(|p| (0..STAFF_PER_PRACTICE).map(move |s| (*p, *p * 100 + s)))
        .collect();
    for chunk in staff.chunks(1000) {
        with_db!(db, p => {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO staff (id, practice_id, department_id, full_name, email, job_role, employment_type, created_at) ");
            qb.push_values(chunk, |mut b, (practice, id)| {
                b.push_bind(*id).push_bind(*practice).push_bind(practice * 10 + id % 3).push_bind(format!("Person {id}"))
                    .push_bind(format!("p{id}@bench.example")).push_bind(roles[(*id % 6) as usize]).push_bind("permanent").push_bind(now);
            });
            qb.build().execute(p).await.map(|_| ())
        })?;
    }
    // Three completions each for two in three people; an overdue module for every fifth.
    let done: Vec<(i64, i64, &str, i64)> = staff
        .iter()
        .filter(|(_, id)| id % 3 != 0)
        .flat_map(|(p, id)| {
            ["phishing", "passwords", "patient-data"]
                .into_iter()
                .enumerate()
                .map(move |(k, m)| (*p, *id, m, id * 10 + k as i64))
        })
        .collect();
    for chunk in done.chunks(1000) {
        with_db!(db, p => {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO quiz_attempts (id, practice_id, staff_id, module, questions, started_at, submitted_at, answers, score, passed) ");
            qb.push_values(chunk, |mut b, (practice, staff, module, id)| {
                b.push_bind(*id).push_bind(*practice).push_bind(*staff).push_bind(*module).push_bind("").push_bind(now - 90 * 86_400)
                    .push_bind(now - 90 * 86_400).push_bind("").push_bind(6_i64).push_bind(true);
            });
            qb.build().execute(p).await.map(|_| ())
        })?;
        with_db!(db, p => {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO training_completions (practice_id, staff_id, module, completed_at, seconds, score, total, attempt_id) ");
            qb.push_values(chunk, |mut b, (practice, staff, module, id)| {
                b.push_bind(*practice).push_bind(*staff).push_bind(*module).push_bind(now - 90 * 86_400).push_bind(600_i64)
                    .push_bind(6_i64).push_bind(6_i64).push_bind(*id);
            });
            qb.build().execute(p).await.map(|_| ())
        })?;
    }
    let overdue: Vec<(i64, i64)> = staff
        .iter()
        .copied()
        .filter(|(_, id)| id % 5 == 0)
        .collect();
    for chunk in overdue.chunks(1000) {
        with_db!(db, p => {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO training_assignments (practice_id, staff_id, module, reason, kind, assigned_at, due_at) ");
            qb.push_values(chunk, |mut b, (practice, staff)| {
                b.push_bind(*practice).push_bind(*staff).push_bind("phone-scams").push_bind("Assigned by the practice manager")
                    .push_bind("manager").push_bind(now - 40 * 86_400).push_bind(now - 10 * 86_400);
            });
            qb.build().execute(p).await.map(|_| ())
        })?;
    }
    // Keep identity sequences ahead of the ids written above.
    if let crate::db::Pool::Postgres(p) = db.pool() {
        for table in ["practices", "departments", "staff", "quiz_attempts"] {
            sqlx::query(&format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))
                .execute(p)
                .await?;
        }
        sqlx::query("ANALYZE").execute(p).await?;
    }
    Ok(())
}

pub async fn run(postgres_admin_url: Option<&str>) -> anyhow::Result<()> {
    println!();
    println!("Training:");
    let dir = tempfile::tempdir()?;
    let (db, created) = fresh_db(postgres_admin_url, dir.path()).await?;
    let clock = Clock::default();
    let now = clock.now();
    let state = AppState::new(db.clone(), Settings::default(), clock);

    let start = Instant::now();
    seed(&db, now).await?;
    let backend = if created.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "  seeded {PRACTICES} practices, {} staff, {} completions on {backend} in {:.1} s",
        PRACTICES * STAFF_PER_PRACTICE,
        PRACTICES * STAFF_PER_PRACTICE * 2 / 3 * 3,
        start.elapsed().as_secs_f64()
    );

    // A lesson page for a member of staff (content is parsed once, at first use).
    let practice = 500;
    let staff_id = practice * 100 + 1;
    let scope = bench_scope_as(
        PracticeId::new(practice),
        Some(StaffId::new(staff_id)),
        Role::Staff,
    );
    let module = catalogue().module("phishing").expect("module");
    let mut times = Vec::new();
    for i in 0..200 {
        let t = Instant::now();
        let page = my_training::lesson(
            State(state.clone()),
            scope.clone(),
            Path(KnownModule(module)),
            Query(my_training::PageQuery::page(1 + i % module.sections.len())),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::ensure!(page.0.contains(&module.title));
        times.push(t.elapsed());
    }
    println!(
        "  lesson page: median {:.2} ms (200 renders)",
        median(times)
    );

    // The manager's compliance view for one practice among the thousand.
    let manager = ManagerScope::of(system_scope_for(PracticeId::new(practice), "benchmark"))
        .expect("the system acts as the manager");
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let page = compliance::manage(
            State(state.clone()),
            manager.clone(),
            Query(Default::default()),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::ensure!(page.0.contains("of staff trained"));
        times.push(t.elapsed());
    }
    println!(
        "  compliance view, 1 of {PRACTICES} practices ({STAFF_PER_PRACTICE} staff each) on {backend}: median {:.2} ms (20 renders)",
        median(times)
    );

    // The training rules worker over every practice: every tenth person a new
    // starter, so the first pass assigns induction and queues a reminder for
    // each overdue module; the second finds nothing left to do.
    let today = crate::ukclock::local_date(now).to_string();
    with_db!(&db, p => sqlx::query("UPDATE staff SET start_date = $1 WHERE id % 10 = 1")
        .bind(&today).execute(p).await.map(|_| ()))?;
    for pass in ["first", "second"] {
        let t = Instant::now();
        let done = crate::training::assignments::run(&state).await?;
        println!(
            "  rules worker, {pass} pass over {PRACTICES} practices: {:.0} ms ({} induction, {} refreshers, {} reminders)",
            t.elapsed().as_secs_f64() * 1000.0,
            done.induction,
            done.refreshers,
            done.reminders
        );
    }
    db.close().await;
    if let Some((admin_url, name)) = created {
        let admin = Db::connect_without_migrating(&admin_url).await?;
        with_db!(&admin, p => sqlx::query(&format!("DROP DATABASE {name}")).execute(p).await.map(|_| ()))?;
        admin.close().await;
    }
    Ok(())
}
