//! Storage for `drill_runs` and `drill_outcomes`. The only place their SQL lives.

use super::domain::Checked;
use crate::culture::library::OutcomeKey;
use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{PracticeId, StaffId, UserId};
use crate::{with_db, with_tx};

pub struct NewRun<'a> {
    pub drill_id: &'a str,
    pub kind: &'a str,
    pub department_id: Option<i64>,
    pub run_at: i64,
    pub run_by: UserId,
}

pub async fn insert_run(
    tx: &mut Tx,
    practice: PracticeId,
    r: &NewRun<'_>,
) -> Result<i64, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO drill_runs (practice_id, drill_id, kind, department_id, run_at, run_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $5) RETURNING id")
        .bind(practice).bind(r.drill_id).bind(r.kind).bind(r.department_id).bind(r.run_at).bind(r.run_by)
        .fetch_one(&mut *c).await)
}

pub async fn insert_outcome(
    tx: &mut Tx,
    practice: PracticeId,
    run_id: i64,
    o: &Checked,
    at: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO drill_outcomes (run_id, practice_id, staff_id, outcome, checks, note, praise_by_name, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(run_id).bind(practice).bind(o.staff_id).bind(o.outcome.as_str()).bind(&o.checks).bind(&o.note).bind(o.praise_by_name).bind(at)
        .execute(&mut *c).await.map(|_| ()))
}

/// A run with its outcome, as the run's page and lists show it.
pub struct RunRow {
    pub id: i64,
    pub drill_id: String,
    pub kind: String,
    pub department_id: Option<i64>,
    pub department: Option<String>,
    pub run_at: i64,
    pub staff_id: Option<StaffId>,
    pub full_name: Option<String>,
    pub outcome: String,
    pub checks: String,
    pub note: String,
    pub praise_by_name: bool,
}
named_row!(RunRow {
    id,
    drill_id,
    kind,
    department_id,
    department,
    run_at,
    staff_id,
    full_name,
    outcome,
    checks,
    note,
    praise_by_name
});

const RUN_SELECT: &str =
    "SELECT r.id, r.drill_id, r.kind, r.department_id, d.name AS department, r.run_at, \
    o.staff_id, s.full_name, o.outcome, o.checks, o.note, o.praise_by_name \
    FROM drill_runs r JOIN drill_outcomes o ON o.run_id = r.id \
    LEFT JOIN departments d ON d.id = r.department_id LEFT JOIN staff s ON s.id = o.staff_id";

pub async fn find(db: &Db, practice: PracticeId, id: i64) -> Result<Option<RunRow>, sqlx::Error> {
    let sql = format!("{RUN_SELECT} WHERE r.id = $1 AND r.practice_id = $2");
    with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(practice).fetch_optional(p).await)
}

/// The latest runs, optionally of one department.
pub async fn recent(
    db: &Db,
    practice: PracticeId,
    department: Option<i64>,
    limit: i64,
) -> Result<Vec<RunRow>, sqlx::Error> {
    let sql = format!(
        "{RUN_SELECT} WHERE r.practice_id = $1 AND ($2 = 0 OR r.department_id = $2) ORDER BY r.run_at DESC, r.id DESC LIMIT $3"
    );
    with_db!(db, p => sqlx::query_as(&sql).bind(practice).bind(department.unwrap_or(0)).bind(limit).fetch_all(p).await)
}

/// One person's outcomes, newest first.
pub async fn for_person(
    db: &Db,
    practice: PracticeId,
    staff: StaffId,
) -> Result<Vec<RunRow>, sqlx::Error> {
    let sql = format!("{RUN_SELECT} WHERE r.practice_id = $1 AND o.staff_id = $2 ORDER BY r.run_at DESC, r.id DESC");
    with_db!(db, p => sqlx::query_as(&sql).bind(practice).bind(staff).fetch_all(p).await)
}

/// A run, for the DSPT and the dashboard.
pub struct RunFact {
    pub drill_id: String,
    pub kind: String,
    pub run_at: i64,
    pub outcome: String,
}
named_row!(RunFact {
    drill_id,
    kind,
    run_at,
    outcome
});

pub async fn between(
    db: &Db,
    practice: PracticeId,
    (from, to): (i64, i64),
) -> Result<Vec<RunFact>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT r.drill_id, r.kind, r.run_at, o.outcome FROM drill_runs r JOIN drill_outcomes o ON o.run_id = r.id \
         WHERE r.practice_id = $1 AND r.run_at >= $2 AND r.run_at < $3 ORDER BY r.run_at")
        .bind(practice).bind(from).bind(to).fetch_all(p).await)
}

/// How many outcomes of each kind, optionally in one department, in `[from, to)`.
pub async fn outcome_counts(
    db: &Db,
    practice: PracticeId,
    department: Option<i64>,
    (from, to): (i64, i64),
) -> Result<[i64; 3], sqlx::Error> {
    let rows: Vec<(String, i64)> = with_db!(db, p => sqlx::query_as(
        "SELECT o.outcome, COUNT(*) FROM drill_runs r JOIN drill_outcomes o ON o.run_id = r.id \
         WHERE r.practice_id = $1 AND ($2 = 0 OR r.department_id = $2) AND r.run_at >= $3 AND r.run_at < $4 GROUP BY o.outcome")
        .bind(practice).bind(department.unwrap_or(0)).bind(from).bind(to).fetch_all(p).await)?;
    let mut out = [0; 3];
    for (k, n) in rows {
        if let Some(i) = OutcomeKey::ALL.iter().position(|o| o.as_str() == k) {
            out[i] = n;
        }
    }
    Ok(out)
}

/// The people with a good catch in `[from, to)` who agreed to be thanked by
/// name (once each), and how many other people had one: someone who agreed
/// once is named, not counted again among the others.
pub async fn praise_between(
    db: &Db,
    practice: PracticeId,
    (from, to): (i64, i64),
) -> Result<(Vec<String>, i64), sqlx::Error> {
    let rows: Vec<(Option<String>, bool)> = with_db!(db, p => sqlx::query_as(
        "SELECT s.full_name, o.praise_by_name FROM drill_runs r JOIN drill_outcomes o ON o.run_id = r.id \
         LEFT JOIN staff s ON s.id = o.staff_id \
         WHERE r.practice_id = $1 AND r.run_at >= $2 AND r.run_at < $3 AND o.outcome = 'good-catch' AND o.staff_id IS NOT NULL")
        .bind(practice).bind(from).bind(to).fetch_all(p).await)?;
    let mut named: Vec<String> = rows
        .iter()
        .filter(|(_, agreed)| *agreed)
        .filter_map(|(n, _)| n.clone())
        .collect();
    named.sort();
    named.dedup();
    let mut others: Vec<&String> = rows
        .iter()
        .filter_map(|(n, _)| n.as_ref())
        .filter(|n| !named.contains(n))
        .collect();
    others.sort();
    others.dedup();
    Ok((named, others.len() as i64))
}
