//! Departments of a practice, each with its cyber-security champions.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::domain::DepartmentName;
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::{is_unique_violation, Db};
use crate::shared::{AppState, PracticeId};
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};
use crate::with_db;

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

/// The practice's departments with head-counts and champion names.
pub async fn all(db: &Db, scope: &PracticeScope) -> Result<Vec<Department>, sqlx::Error> {
    let rows: Vec<(i64, String, i64)> = with_db!(db, p => sqlx::query_as(
        "SELECT d.id, d.name, (SELECT COUNT(*) FROM staff s WHERE s.department_id = d.id AND s.active) \
         FROM departments d WHERE d.practice_id = $1 ORDER BY d.name")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    let champs: Vec<(i64, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT department_id, full_name FROM staff WHERE practice_id = $1 AND is_champion AND active AND department_id IS NOT NULL ORDER BY full_name")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, active_staff)| Department {
            id,
            name,
            active_staff,
            champions: champs
                .iter()
                .filter(|(d, _)| *d == id)
                .map(|(_, n)| n.clone())
                .collect(),
        })
        .collect())
}

/// Adds the default departments to a new practice.
pub async fn create_defaults(
    db: &Db,
    practice_id: PracticeId,
    now: i64,
) -> Result<(), sqlx::Error> {
    for name in DEFAULTS {
        with_db!(db, p => sqlx::query("INSERT INTO departments (practice_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(practice_id).bind(name).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "people/departments.html")]
struct DepartmentsPage {
    page: Page,
    departments: Vec<Department>,
    new_name: String,
    errors: FieldErrors,
}

pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    render(DepartmentsPage {
        page: Page::for_user("Departments", scope.user()),
        departments: all(&state.db, &scope).await?,
        new_name: String::new(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NameForm {
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<NameForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    if let Some(name) = errors.take(DepartmentName::parse(&form.name)) {
        let r = with_db!(&state.db, p => sqlx::query("INSERT INTO departments (practice_id, name, created_at) VALUES ($1, $2, $3)")
            .bind(scope.practice_id()).bind(name.as_str()).bind(state.clock.now()).execute(p).await.map(|r| r.rows_affected()));
        match r {
            Ok(_) => {
                audit::record_alone(
                    &state.db,
                    Some(scope.practice_id()),
                    &Actor::user(scope.user(), &ip),
                    Action::DepartmentChanged,
                    &format!("added {name}"),
                    state.clock.now(),
                )
                .await?;
                return Ok(Redirect::to("/departments").into_response());
            }
            Err(e) if is_unique_violation(&e) => errors.add(
                "name",
                format!("There is already a department called {name}."),
            ),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(render(DepartmentsPage {
        page: Page::for_user("Departments", scope.user()),
        departments: all(&state.db, &scope).await?,
        new_name: form.name,
        errors,
    })?
    .into_response())
}

/// The department's name, if it belongs to the practice in scope.
pub async fn name_of(
    db: &Db,
    scope: &PracticeScope,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = with_db!(db, p => sqlx::query_as("SELECT name FROM departments WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    Ok(row.map(|r| r.0))
}

pub async fn rename(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<NameForm>,
) -> Result<Response, AppError> {
    let old = name_of(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let name = DepartmentName::parse(&form.name).map_err(|e| AppError::BadRequest(e.message))?;
    let r = with_db!(&state.db, p => sqlx::query("UPDATE departments SET name = $1 WHERE id = $2 AND practice_id = $3")
        .bind(name.as_str()).bind(id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()));
    match r {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::BadRequest(format!(
                "There is already a department called {name}. Choose another name."
            )))
        }
        Err(e) => return Err(e.into()),
    }
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::DepartmentChanged,
        &format!("renamed {old} to {name}"),
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/departments").into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let name = name_of(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (n,): (i64,) = with_db!(&state.db, p => sqlx::query_as("SELECT COUNT(*) FROM staff WHERE department_id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_one(p).await)?;
    if n > 0 {
        return Err(AppError::BadRequest(format!(
            "{name} still has {n} staff (including anyone who has left, whose history is kept). Move them to another department first."
        )));
    }
    with_db!(&state.db, p => sqlx::query("DELETE FROM departments WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::DepartmentChanged,
        &format!("removed {name}"),
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/departments").into_response())
}
