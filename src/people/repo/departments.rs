//! The `departments` table: a practice's teams, each with its head-count
//! and cyber-security champions.

use crate::auth::PracticeScope;
use crate::db::row::named_row;
use crate::db::{is_unique_violation, Db, Tx};
use crate::shared::PracticeId;
use crate::{with_db, with_tx};

/// The departments a new practice starts with.
pub const DEFAULTS: [&str; 5] = [
    "Reception & care navigation",
    "Clinical",
    "Administration & secretaries",
    "Dispensary",
    "Management",
];

pub struct Department {
    pub id: i64,
    pub name: String,
    pub active_staff: i64,
    pub champions: Vec<String>,
}

struct CountedRow {
    id: i64,
    name: String,
    active_staff: i64,
}
named_row!(CountedRow {
    id,
    name,
    active_staff
});

struct ChampionRow {
    department_id: i64,
    full_name: String,
}
named_row!(ChampionRow {
    department_id,
    full_name
});

/// The practice's departments with head-counts and champion names.
pub async fn all(db: &Db, scope: &PracticeScope) -> Result<Vec<Department>, sqlx::Error> {
    let rows: Vec<CountedRow> = with_db!(db, p => sqlx::query_as(
        "SELECT d.id, d.name, (SELECT COUNT(*) FROM staff s WHERE s.department_id = d.id AND s.active) AS active_staff \
         FROM departments d WHERE d.practice_id = $1 ORDER BY d.name")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    let champions: Vec<ChampionRow> = with_db!(db, p => sqlx::query_as(
        "SELECT department_id, full_name FROM staff WHERE practice_id = $1 AND is_champion AND active AND department_id IS NOT NULL ORDER BY full_name")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| Department {
            id: r.id,
            champions: champions
                .iter()
                .filter(|c| c.department_id == r.id)
                .map(|c| c.full_name.clone())
                .collect(),
            name: r.name,
            active_staff: r.active_staff,
        })
        .collect())
}

/// A department's id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub id: i64,
    pub name: String,
}
named_row!(Known { id, name });

/// The practice's departments by name, for matching a spreadsheet's.
pub async fn known(db: &Db, scope: &PracticeScope) -> Result<Vec<Known>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as("SELECT id, name FROM departments WHERE practice_id = $1 ORDER BY name")
        .bind(scope.practice_id()).fetch_all(p).await)
}

/// The department's name, if it belongs to the practice in scope.
pub async fn name_of(
    db: &Db,
    scope: &PracticeScope,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar("SELECT name FROM departments WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_optional(p).await)
}

/// Adds the default departments to a new practice.
pub async fn insert_defaults(
    tx: &mut Tx,
    practice_id: PracticeId,
    now: i64,
) -> Result<(), sqlx::Error> {
    for name in DEFAULTS {
        with_tx!(tx, c => sqlx::query(
            "INSERT INTO departments (practice_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(practice_id).bind(name).bind(now).execute(&mut *c).await.map(|_| ()))?;
    }
    Ok(())
}

/// Adds a department; false if the practice already has one by that name.
pub async fn insert(
    tx: &mut Tx,
    scope: &PracticeScope,
    name: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let id: Option<i64> = with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO departments (practice_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING id")
        .bind(scope.practice_id()).bind(name).bind(now).fetch_optional(&mut *c).await)?;
    Ok(id.is_some())
}

/// Renames a department; false if another has that name, after which the
/// transaction can only be rolled back (PostgreSQL ends it at the clash).
pub async fn rename(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: i64,
    name: &str,
) -> Result<bool, sqlx::Error> {
    let r = with_tx!(tx, c => sqlx::query("UPDATE departments SET name = $1 WHERE id = $2 AND practice_id = $3")
        .bind(name).bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|r| r.rows_affected()));
    match r {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// How many staff (leavers too, whose history is kept) are in a department.
pub async fn staff_count(tx: &mut Tx, scope: &PracticeScope, id: i64) -> Result<i64, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM staff WHERE department_id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_one(&mut *c).await)
}

pub async fn delete(tx: &mut Tx, scope: &PracticeScope, id: i64) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("DELETE FROM departments WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))
}

/// Where a new practice manager goes: Management if the practice has it,
/// else its first department.
pub async fn for_managers(
    tx: &mut Tx,
    practice_id: PracticeId,
) -> Result<Option<i64>, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "SELECT id FROM departments WHERE practice_id = $1 ORDER BY (name = 'Management') DESC, id LIMIT 1")
        .bind(practice_id).fetch_optional(&mut *c).await)
}
