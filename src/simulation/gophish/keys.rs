//! The "GoPhish API" page, where a practice manager makes and revokes the
//! API's keys and imports GoPhish JSON. (Keys themselves are `auth`'s:
//! `auth::api_keys`.)
//!
//! A key is 160 random bits, shown once when it is made; only its SHA-256
//! hash is stored (a key is not a password a person chose, so a fast hash is
//! enough: guessing one is hopeless). A key acts as the manager who made it,
//! only while that person is still an active manager of the practice.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::import;
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::Db;
use crate::shared::AppState;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};

pub use crate::auth::api_keys::{authenticate, create_key};

pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub hint: String,
    pub owner: String,
    pub created: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "simulation/api.html")]
struct ApiPage {
    page: Page,
    base_url: String,
    keys: Vec<KeyRow>,
    new_key: Option<String>,
    key_name: String,
    json: String,
    errors: FieldErrors,
}

async fn keys(db: &Db, scope: &PracticeScope) -> Result<Vec<KeyRow>, sqlx::Error> {
    Ok(crate::auth::api_keys::live_keys(db, scope)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            id: k.id,
            name: k.name,
            hint: k.key_hint,
            owner: k.made_by,
            created: crate::ukclock::format(k.created_at),
            last_used: k
                .last_used_at
                .map(crate::ukclock::format)
                .unwrap_or_else(|| "Never".into()),
        })
        .collect())
}

async fn show(
    state: &AppState,
    scope: &ManagerScope,
    new_key: Option<String>,
    key_name: String,
    json: String,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<Html<String>, AppError> {
    render(ApiPage {
        page: Page::for_user("GoPhish-compatible API", scope.user()).with_notice(notice),
        base_url: format!("{}/", state.public_url()),
        keys: keys(&state.db, scope).await?,
        new_key,
        key_name,
        json,
        errors,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Notice {
    imported: Option<String>,
    revoked: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    scope: ManagerScope,
    Query(q): Query<Notice>,
) -> Result<Html<String>, AppError> {
    let notice = match (q.imported, q.revoked) {
        (Some(what), _) => Some(format!("Imported from GoPhish: {what}.")),
        (_, Some(_)) => {
            Some("The key was revoked: scripts using it are refused from now on.".into())
        }
        _ => None,
    };
    show(
        &state,
        &scope,
        None,
        String::new(),
        String::new(),
        FieldErrors::default(),
        notice,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct KeyForm {
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<KeyForm>,
) -> Result<Response, AppError> {
    let name = form.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 80 {
        let mut errors = FieldErrors::default();
        errors.add(
            "name",
            "Give the key a name that says what uses it, like \"Quarterly report script\"",
        );
        return Ok(
            show(&state, &scope, None, form.name, String::new(), errors, None)
                .await?
                .into_response(),
        );
    }
    let now = state.clock.now();
    let key = create_key(
        &state.db,
        scope.practice_id(),
        scope.user().user_id,
        &name,
        now,
    )
    .await?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::ApiKeyChanged,
        &format!("created API key \"{name}\""),
        now,
    )
    .await?;
    Ok(show(
        &state,
        &scope,
        Some(key),
        String::new(),
        String::new(),
        FieldErrors::default(),
        None,
    )
    .await?
    .into_response())
}

pub async fn revoke(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(key_id): Path<i64>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let name = crate::auth::api_keys::revoke(&mut tx, &scope, key_id, now)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::ApiKeyChanged,
        &format!("revoked API key \"{name}\""),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/simulation/api?revoked=1").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ImportForm {
    json: String,
}

/// GoPhish JSON, as its API or an export gives it: a template, page or group,
/// or a list of them. Everything is checked first; nothing is saved unless all of it can be.
pub async fn import(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<ImportForm>,
) -> Result<Response, AppError> {
    match import::import_json(&state, &scope, &ip, &form.json).await {
        Ok(summary) => Ok(Redirect::to(&format!(
            "/simulation/api?imported={}",
            url::form_urlencoded::byte_serialize(summary.as_bytes()).collect::<String>()
        ))
        .into_response()),
        Err(message) => {
            let mut errors = FieldErrors::default();
            errors.add("json", message);
            Ok(
                show(&state, &scope, None, String::new(), form.json, errors, None)
                    .await?
                    .into_response(),
            )
        }
    }
}
