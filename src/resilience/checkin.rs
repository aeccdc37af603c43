//! Device check-in: small scripts shipped with Safety Net (PowerShell for
//! Windows, a shell script for macOS and Linux) report each computer's
//! operating system, build and last update time, so the register keeps
//! itself current.
//!
//! ```text
//! POST /api/checkin
//! Authorization: Bearer <the practice's enrolment token>
//! Content-Type: application/json
//!
//! {"hostname":"RECEPTION-PC1","serial":"5CG1234XYZ","make":"HP","model":"EliteDesk 800 G6",
//!  "os":"Windows 11 Pro","os_version":"23H2","build":"22631.4460","kind":"desktop",
//!  "encryption":"yes","last_update":"2026-11-12T10:04:00Z"}
//! ```
//!
//! Only `hostname` is required; `last_update` is an RFC 3339 time or Unix
//! seconds. The device is matched by serial number, then by computer name;
//! an unknown device is added to the register. Answers are JSON with a
//! `message` (and `error` when refused): 200 updated, 201 added, 400 the body
//! is wrong, 401 no or wrong token, 413 too large, 429 too many check-ins for
//! this token (see `Retry-After`).
//!
//! The endpoint takes no cookies, so the CSRF layer lets it through (see
//! `app.rs`); the token alone decides.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::assets::{normal_hostname, normal_serial};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::ManagerScope;
use crate::db::Db;
use crate::shared::limiter::Rule;
use crate::shared::{AppState, PracticeId};
use crate::web::{render, AppError, ClientIp, Page};
use crate::with_db;

pub const API_PATH: &str = "/api/checkin";
const SHELL: &str = include_str!("scripts/safetynet-checkin.sh");
const POWERSHELL: &str = include_str!("scripts/safetynet-checkin.ps1");
/// Check-ins one token may make at once, and how many per minute after that.
pub const BURST: f64 = 300.0;
pub const PER_MINUTE: f64 = 300.0;

// ---------- tokens ----------

pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("snci_{}", hex::encode(bytes))
}

pub async fn token_for(
    db: &Db,
    practice_id: PracticeId,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as("SELECT token, created_at FROM checkin_tokens WHERE practice_id = $1")
        .bind(practice_id).fetch_optional(p).await)
}

/// Makes (or replaces) the practice's token; the old one stops working at once.
pub async fn set_token(
    db: &Db,
    practice_id: PracticeId,
    by: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    let token = random_token();
    with_db!(db, p => sqlx::query(
        "INSERT INTO checkin_tokens (practice_id, token, token_hash, created_at, created_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (practice_id) DO UPDATE SET token = excluded.token, token_hash = excluded.token_hash, \
         created_at = excluded.created_at, created_by = excluded.created_by")
        .bind(practice_id).bind(&token).bind(hash(&token)).bind(now).bind(by)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(token)
}

// ---------- rate limit ----------

/// Check-ins per presented token (by its hash): `BURST` at once, then
/// `PER_MINUTE`; each app node counts on its own (see `shared::limiter`).
pub const LIMIT: Rule = Rule {
    name: "checkin",
    burst: BURST,
    per_minute: PER_MINUTE,
};

// ---------- the API ----------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Report {
    pub hostname: Option<String>,
    pub serial: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub os: Option<String>,
    pub os_version: Option<String>,
    pub build: Option<String>,
    pub kind: Option<String>,
    pub encryption: Option<String>,
    pub last_update: Option<serde_json::Value>,
    pub script: Option<String>,
}

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

/// Text from the device: control characters dropped, spaces joined, cut short.
fn text(v: &Option<String>, max: usize) -> String {
    let s: String = v
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control() || *c == ' ')
        .collect();
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(max)
        .collect()
}

/// RFC 3339 text or Unix seconds.
fn moment(v: &Option<serde_json::Value>) -> Result<Option<i64>, String> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| "last_update must be whole seconds since 1970".to_string()),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => {
            time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
                .map(|t| Some(t.unix_timestamp()))
                .map_err(|_| {
                    format!(
                        "last_update must be a time like 2026-11-12T10:04:00Z (it was {:?})",
                        s.chars().take(40).collect::<String>()
                    )
                })
        }
        Some(_) => Err("last_update must be a time like 2026-11-12T10:04:00Z".into()),
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() && token.len() <= 200)
        .then(|| token.trim().to_string())
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
    if let Err(wait) = state.limits.check(LIMIT, &token_hash, now) {
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
    let practice: Option<(PracticeId,)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT practice_id FROM checkin_tokens WHERE token_hash = $1")
        .bind(&token_hash).fetch_optional(p).await)?;
    let Some((practice_id,)) = practice else {
        return Ok(refuse(
            StatusCode::UNAUTHORIZED,
            "Safety Net does not recognise this enrolment token: it may have been replaced with a new one. Download the check-in script again from Safety Net (Resilience, Device check-in).",
        ));
    };
    let report: Report = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => {
            return Ok(refuse(
                StatusCode::BAD_REQUEST,
                &format!("The check-in could not be read as JSON (line {}, column {}). Use the script downloaded from Safety Net.", e.line(), e.column()),
            ))
        }
    };
    let Some(hostname) = normal_hostname(&text(&report.hostname, 255)) else {
        return Ok(refuse(
            StatusCode::BAD_REQUEST,
            "The check-in has no computer name (hostname), so Safety Net cannot tell which device it is.",
        ));
    };
    let last_update = match moment(&report.last_update) {
        Ok(t) => t.filter(|t| *t <= now + 86_400),
        Err(msg) => return Ok(refuse(StatusCode::BAD_REQUEST, &msg)),
    };
    let serial = normal_serial(&text(&report.serial, 100));
    let mut os = text(&report.os, 150);
    let version = text(&report.os_version, 40);
    if !version.is_empty() && !os.to_lowercase().contains(&version.to_lowercase()) {
        os = format!("{os} {version}").trim().to_string();
    }
    let build = text(&report.build, 60);
    let make = text(&report.make, 80);
    let model = text(&report.model, 100);
    let make_model = match (make.is_empty(), model.is_empty()) {
        (false, false) if model.to_lowercase().starts_with(&make.to_lowercase()) => model,
        (false, false) => format!("{make} {model}"),
        (false, true) => make,
        (true, _) => model,
    };
    let encryption = match text(&report.encryption, 20).to_lowercase().as_str() {
        "yes" | "on" | "true" => Some("yes"),
        "no" | "off" | "false" => Some("no"),
        _ => None,
    };
    let kind = match text(&report.kind, 20).to_lowercase().as_str() {
        "laptop" => "laptop",
        "server" => "server",
        _ if os.to_lowercase().contains("server") => "server",
        _ => "desktop",
    };

    let found: Option<(i64, String)> = match &serial {
        Some(s) => with_db!(&state.db, p => sqlx::query_as(
            "SELECT id, name FROM assets WHERE practice_id = $1 AND serial = $2 AND active ORDER BY id LIMIT 1")
            .bind(practice_id).bind(s).fetch_optional(p).await)?,
        None => None,
    };
    let found = match found {
        Some(f) => Some(f),
        None => with_db!(&state.db, p => sqlx::query_as(
            "SELECT id, name FROM assets WHERE practice_id = $1 AND hostname = $2 AND active ORDER BY id LIMIT 1")
            .bind(practice_id).bind(&hostname).fetch_optional(p).await)?,
    };
    if let Some((id, name)) = found {
        with_db!(&state.db, p => sqlx::query(
            "UPDATE assets SET \
                eol_stale = (eol_stale OR os <> $1), os = $1, os_build = $2, \
                make_model = CASE WHEN $3 = '' THEN make_model ELSE $3 END, \
                encryption = COALESCE($4, encryption), \
                hostname = COALESCE(hostname, $5), serial = COALESCE(serial, $6), \
                last_updated_at = CASE WHEN last_updated_at IS NULL OR last_updated_at < $7 THEN $7 ELSE last_updated_at END, \
                last_checkin_at = $8, updated_at = $8 \
             WHERE id = $9 AND practice_id = $10")
            .bind(&os).bind(&build).bind(&make_model).bind(encryption).bind(&hostname).bind(&serial)
            .bind(last_update).bind(now).bind(id).bind(practice_id)
            .execute(p).await.map(|r| r.rows_affected()))?;
        return Ok(json(
            StatusCode::OK,
            &format!("Checked in: {name} is up to date in the practice's asset register."),
            serde_json::json!({ "result": "updated", "asset_id": id }),
        ));
    }
    let name = text(&report.hostname, 100)
        .trim_end_matches('.')
        .to_string();
    let (id,): (i64,) = with_db!(&state.db, p => sqlx::query_as(
        "INSERT INTO assets (practice_id, kind, name, hostname, serial, make_model, os, os_build, encryption, managed_by, \
                             last_updated_at, last_checkin_at, added_by, eol_stale, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'unknown', $10, $11, 'checkin', TRUE, $11, $11) RETURNING id")
        .bind(practice_id).bind(kind).bind(&name).bind(&hostname).bind(&serial).bind(&make_model)
        .bind(&os).bind(&build).bind(encryption.unwrap_or("unknown")).bind(last_update).bind(now)
        .fetch_one(p).await)?;
    audit::record_alone(
        &state.db,
        Some(practice_id),
        &Actor::system(),
        Action::AssetChanged,
        &format!("device \"{name}\" ({os}) added by its first check-in"),
        now,
    )
    .await?;
    Ok(json(
        StatusCode::CREATED,
        &format!("Checked in: {name} has been added to the practice's asset register."),
        serde_json::json!({ "result": "created", "asset_id": id }),
    ))
}

// ---------- the page and the downloads ----------

#[derive(Template)]
#[template(path = "resilience/checkin.html")]
struct CheckinPage {
    page: Page,
    token: Option<String>,
    made: String,
    url: String,
    api_path: &'static str,
    recent: Vec<(String, String, String)>,
    manager: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

pub async fn page(
    State(state): State<AppState>,
    scope: ManagerScope,
    Query(q): Query<Done>,
) -> Result<Html<String>, AppError> {
    let token = token_for(&state.db, scope.practice_id()).await?;
    let recent: Vec<(String, String, i64)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT name, os, last_checkin_at FROM assets WHERE practice_id = $1 AND last_checkin_at IS NOT NULL \
         ORDER BY last_checkin_at DESC LIMIT 10")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    let notice = (q.done == "token").then(|| {
        "A new enrolment token has been made. Scripts downloaded before now no longer work: download them again.".to_string()
    });
    render(CheckinPage {
        page: Page::for_user("Device check-in", scope.user()).with_notice(notice),
        made: token
            .as_ref()
            .map(|t| crate::ukclock::format(t.1))
            .unwrap_or_default(),
        token: token.map(|t| t.0),
        url: state.public_url().to_string(),
        api_path: API_PATH,
        recent: recent
            .into_iter()
            .map(|(n, os, at)| (n, os, crate::ukclock::format(at)))
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
    let had = token_for(&state.db, scope.practice_id()).await?.is_some();
    set_token(&state.db, scope.practice_id(), &scope.user().email, now).await?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::CheckinTokenChanged,
        if had {
            "made a new device check-in token (the old one no longer works)"
        } else {
            "made the device check-in token"
        },
        now,
    )
    .await?;
    Ok(Redirect::to("/resilience/checkin?done=token").into_response())
}

/// The script with this practice's address and token filled in.
async fn script(
    state: &AppState,
    scope: &ManagerScope,
    template: &str,
    filename: &str,
    content_type: &'static str,
) -> Result<Response, AppError> {
    let Some((token, _)) = token_for(&state.db, scope.practice_id()).await? else {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_a_burst_then_five_a_second() {
        let l = crate::shared::limiter::Limits::default();
        for _ in 0..BURST as usize {
            assert!(l.check(LIMIT, "a", 1000).is_ok());
        }
        assert_eq!(l.check(LIMIT, "a", 1000), Err(1));
        // Another token is not affected.
        assert!(l.check(LIMIT, "b", 1000).is_ok());
        // Five a second come back.
        for _ in 0..5 {
            assert!(l.check(LIMIT, "a", 1001).is_ok());
        }
        assert!(l.check(LIMIT, "a", 1001).is_err());
    }

    #[test]
    fn times_from_scripts() {
        assert_eq!(
            moment(&Some(serde_json::json!(1_700_000_000))),
            Ok(Some(1_700_000_000))
        );
        assert_eq!(
            moment(&Some(serde_json::json!("2026-11-12T10:04:00Z"))),
            Ok(Some(
                time::macros::datetime!(2026-11-12 10:04 UTC).unix_timestamp()
            ))
        );
        assert_eq!(moment(&Some(serde_json::Value::Null)), Ok(None));
        assert!(moment(&Some(serde_json::json!("yesterday"))).is_err());
    }

    #[test]
    fn bearer_tokens() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer  snci_abc "),
        );
        assert_eq!(bearer(&h).as_deref(), Some("snci_abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
    }
}
