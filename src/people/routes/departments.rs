//! A practice's departments: adding, renaming, and removing an empty one.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::audit::{self, Action};
use crate::auth::ManagerScope;
use crate::db::Tx;
use crate::people::departments;
use crate::people::domain::DepartmentName;
use crate::people::views::DepartmentsPage;
use crate::shared::AppState;
use crate::web::{AppError, ClientIp, FieldErrors, Path, ValidForm};

pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    DepartmentsPage::show(&state, &scope, String::new(), FieldErrors::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NameForm {
    name: String,
}

/// Records a department change (`detail` says what) in its transaction and commits.
async fn done(
    mut tx: Tx,
    state: &AppState,
    scope: &ManagerScope,
    ip: &str,
    detail: &str,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    audit::record_by(&mut tx, scope, ip, Action::DepartmentChanged, detail, now).await?;
    tx.commit().await?;
    Ok(Redirect::to("/departments").into_response())
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<NameForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    if let Some(name) = errors.take(DepartmentName::parse(&form.name)) {
        let mut tx = state.db.begin().await?;
        if departments::insert(&mut tx, &scope, name.as_str(), state.clock.now()).await? {
            return done(tx, &state, &scope, &ip, &format!("added {name}")).await;
        }
        errors.add(
            "name",
            format!("There is already a department called {name}."),
        );
    }
    Ok(DepartmentsPage::show(&state, &scope, form.name, errors)
        .await?
        .into_response())
}

pub async fn rename(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<NameForm>,
) -> Result<Response, AppError> {
    let old = departments::name_of(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let name = DepartmentName::parse(&form.name).map_err(|e| AppError::BadRequest(e.message))?;
    let mut tx = state.db.begin().await?;
    if !departments::rename(&mut tx, &scope, id, name.as_str()).await? {
        return Err(AppError::BadRequest(format!(
            "There is already a department called {name}. Choose another name."
        )));
    }
    done(tx, &state, &scope, &ip, &format!("renamed {old} to {name}")).await
}

pub async fn delete(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let name = departments::name_of(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let n = departments::staff_count(&mut tx, &scope, id).await?;
    if n > 0 {
        return Err(AppError::BadRequest(format!(
            "{name} still has {n} staff (including anyone who has left, whose history is kept). Move them to another department first."
        )));
    }
    departments::delete(&mut tx, &scope, id).await?;
    done(tx, &state, &scope, &ip, &format!("removed {name}")).await
}
