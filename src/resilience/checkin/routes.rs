//! Device check-in's handlers: the API the scripts call (its token alone
//! decides the practice; no cookies, so the CSRF layer lets it through, see
//! `app.rs`), the manager's page with the token and recent check-ins, a new
//! token, and the two scripts to download.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::domain::{bearer, hash, Report};
use super::{repo, API_PATH, LIMIT};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{system_scope_for, ManagerScope};
use crate::resilience::assets::repo as assets;
use crate::resilience::scope::audit;
use crate::shared::{limiter, AppState};
use crate::web::{render, AppError, ClientIp, Notice, Page};

const SHELL: &str = include_str!("scripts/safetynet-checkin.sh");
const POWERSHELL: &str = include_str!("scripts/safetynet-checkin.ps1");

// ---------- the API ----------

/// The API's answer: JSON with a `message` (and `error` when refused).
fn json(status: StatusCode, message: &str, extra: serde_json::Value) -> Response {
    let mut body = serde_json::json!({ "message": message });
    if let (Some(map), serde_json::Value::Object(more)) = (body.as_object_mut(), extra) {
        map.extend(more);
    }
    if !status.is_success() {
        body["error"] = serde_json::Value::String(message.to_string());
    }
    (status, axum::Json(body)).into_response()
}

fn refuse(status: StatusCode, message: &str) -> Response {
    json(status, message, serde_json::json!({}))
}

pub async fn api(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match handle(&state, &headers, &body).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = ?e, "check-in failed");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Safety Net could not record the check-in just now. It will be tried again at the next check-in.",
            )
        }
    }
}

async fn handle(state: &AppState, headers: &HeaderMap, body: &[u8]) -> anyhow::Result<Response> {
    let Some(token) = bearer(headers) else {
        return Ok(refuse(
            StatusCode::UNAUTHORIZED,
            "No enrolment token was sent. Download the check-in script again from Safety Net (Resilience, Device check-in): it contains the token.",
        ));
    };
    let token_hash = hash(&token);
    let now = state.clock.now();
    let Some(practice_id) = repo::practice_for(&state.db, &token_hash).await? else {
        return Ok(refuse(
            StatusCode::UNAUTHORIZED,
            "Safety Net does not recognise this enrolment token: it may have been replaced with a new one. Download the check-in script again from Safety Net (Resilience, Device check-in).",
        ));
    };
    // Checked after the token is known, so made-up tokens never get a bucket.
    if let Err(wait) = limiter::check(&state.db, LIMIT, &token_hash, now).await? {
        let mut r = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "Too many check-ins with this token just now. Wait {wait} seconds and try again."
            ),
        );
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(r);
    }
    let report: Report = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => {
            return Ok(refuse(
                StatusCode::BAD_REQUEST,
                &format!("The check-in could not be read as JSON (line {}, column {}). Use the script downloaded from Safety Net.", e.line(), e.column()),
            ))
        }
    };
    let device = match report.device(now) {
        Ok(d) => d,
        Err(msg) => return Ok(refuse(StatusCode::BAD_REQUEST, &msg)),
    };
    // The token stands for the practice, as an API key does.
    let scope = system_scope_for(practice_id, "device check-in");
    let device = device.as_checkin();
    let updated = |found: assets::Matched| {
        json(
            StatusCode::OK,
            &format!(
                "Checked in: {} is up to date in the practice's asset register.",
                found.name
            ),
            serde_json::json!({ "result": "updated", "asset_id": found.id }),
        )
    };
    if let Some(found) = assets::record_checkin(&state.db, &scope, &device, now).await? {
        return Ok(updated(found));
    }
    // A device the register does not have: added with its audit entry, once
    // however many of its first check-ins arrive together on any node.
    let mut tx = state.db.begin().await?;
    assets::lock_new_device(&mut tx, &scope, device.hostname).await?;
    if let Some(found) = assets::record_checkin_in(&mut tx, &scope, &device, now).await? {
        tx.commit().await?;
        return Ok(updated(found));
    }
    let id = assets::insert_checked_in(&mut tx, &scope, &device, now).await?;
    audit::record(
        &mut tx,
        Some(practice_id),
        &Actor::system(),
        Action::AssetChanged,
        &format!(
            "device \"{}\" ({}) added by its first check-in",
            device.name, device.os
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(json(
        StatusCode::CREATED,
        &format!(
            "Checked in: {} has been added to the practice's asset register.",
            device.name
        ),
        serde_json::json!({ "result": "created", "asset_id": id }),
    ))
}

// ---------- the page and the downloads ----------

/// What the page says after a new token is made.
const NOTICES: &[(&str, &str)] = &[(
    "token",
    "A new enrolment token has been made. Scripts downloaded before now no longer work: download them again.",
)];

/// A device's latest check-in, as the page shows it.
pub struct Recent {
    pub name: String,
    pub os: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "resilience/checkin.html")]
struct CheckinPage {
    page: Page,
    token: Option<String>,
    made: String,
    url: String,
    api_path: &'static str,
    recent: Vec<Recent>,
    manager: bool,
}

pub async fn page(
    State(state): State<AppState>,
    scope: ManagerScope,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    let token = repo::token_for(&state.db, &scope).await?;
    let recent = assets::recent_checkins(&state.db, &scope).await?;
    render(CheckinPage {
        page: Page::for_user("Device check-in", scope.user()).with_notice(notice.say(NOTICES)),
        made: token
            .as_ref()
            .map(|t| crate::ukclock::format(t.created_at))
            .unwrap_or_default(),
        token: token.map(|t| t.token),
        url: state.public_url().to_string(),
        api_path: API_PATH,
        recent: recent
            .into_iter()
            .map(|r| Recent {
                name: r.name,
                os: r.os,
                at: crate::ukclock::format(r.at),
            })
            .collect(),
        manager: true,
    })
}

pub async fn new_token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let had = repo::token_for(&state.db, &scope).await?.is_some();
    let detail = if had {
        "made a new device check-in token (the old one no longer works)"
    } else {
        "made the device check-in token"
    };
    let mut tx = state.db.begin().await?;
    repo::set_token(&mut tx, &scope, &scope.user().email, now).await?;
    audit(
        &mut tx,
        &scope,
        &ip,
        Action::CheckinTokenChanged,
        detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::redirect("/resilience/checkin", "token").into_response())
}

/// The script with this practice's address and token filled in.
async fn script(
    state: &AppState,
    scope: &ManagerScope,
    template: &str,
    filename: &str,
    content_type: &'static str,
) -> Result<Response, AppError> {
    let Some(repo::Token { token, .. }) = repo::token_for(&state.db, scope).await? else {
        return Err(AppError::BadRequest(
            "Make an enrolment token first (Resilience, Device check-in), then download the script.".into(),
        ));
    };
    let practice = crate::people::accounts::practice_name(&state.db, scope.practice_id()).await?;
    // Quotes and line breaks could end the string they are put in.
    let safe = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_control() && !matches!(c, '\'' | '"' | '`' | '$' | '\\'))
            .collect()
    };
    let body = template
        .replace("__URL__", &safe(state.public_url().trim_end_matches('/')))
        .replace("__TOKEN__", &safe(&token))
        .replace("__PRACTICE__", &safe(&practice));
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
                    .map_err(anyhow::Error::from)?,
            ),
        ],
        body,
    )
        .into_response())
}

pub async fn shell(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Response, AppError> {
    script(
        &state,
        &scope,
        SHELL,
        "safetynet-checkin.sh",
        "text/x-shellscript; charset=utf-8",
    )
    .await
}

pub async fn powershell(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Response, AppError> {
    // Windows PowerShell 5.1 reads a file without a byte-order mark as the
    // local code page: the mark keeps any non-English practice name intact.
    let with_bom = format!("\u{feff}{}", POWERSHELL.replace('\n', "\r\n"));
    script(
        &state,
        &scope,
        &with_bom,
        "safetynet-checkin.ps1",
        "text/plain; charset=utf-8",
    )
    .await
}
