//! GoPhish's JSON conventions, shared by every resource: dates as RFC 3339,
//! request bodies, the `{"message", "success", "data"}` answers, 201 for a
//! new item, and the audit entry every change made by a script ends with.

use std::future::Future;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

use super::{ApiError, ApiPath, ApiScope};
use crate::auth::audit::Action;
use crate::db::Tx;
use crate::shared::AppState;
use crate::web::ClientIp;

pub type ApiResult<T = Response> = Result<T, ApiError>;

/// A time as GoPhish gives one.
pub fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// A date as GoPhish clients send it: RFC 3339, or without a zone (taken as UTC).
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.unix_timestamp());
    }
    let naive = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    time::PrimitiveDateTime::parse(s, naive)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

pub fn body<T: DeserializeOwned>(bytes: &Bytes) -> ApiResult<T> {
    let bad =
        |e: serde_json::Error| ApiError::Bad(format!("The request is not the JSON expected: {e}"));
    let v: Value = serde_json::from_slice(bytes).map_err(bad)?;
    // JSON allows "\u0000" in text; no name, address or page ever holds it,
    // and PostgreSQL cannot store it: refuse it here, saying so.
    if holds_nul(&v) {
        return Err(ApiError::Bad(
            "The request's text holds a NUL character (\\u0000); remove it and send it again."
                .into(),
        ));
    }
    serde_json::from_value(v).map_err(bad)
}

fn holds_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

pub fn ok(message: &str) -> Response {
    Json(json!({"message": message, "success": true, "data": null})).into_response()
}

pub fn created(v: Value) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

/// "Tom Bennett" → ("Tom", "Bennett").
pub fn split_name(full: &str) -> (String, String) {
    match full.trim().rsplit_once(' ') {
        Some((f, l)) => (f.to_string(), l.to_string()),
        None => (full.trim().to_string(), String::new()),
    }
}

/// Ends every audit entry for a change made by a script.
pub const VIA_API: &str = " (through the API)";

/// Whether a save makes a new item (POST) or replaces one (PUT): the create
/// and update handlers of each resource share one save, told which by this.
#[derive(Debug, Clone, Copy)]
pub enum Saving<Id> {
    New,
    Existing(Id),
}

impl<Id: Copy> Saving<Id> {
    pub fn id(self) -> Option<Id> {
        match self {
            Saving::New => None,
            Saving::Existing(id) => Some(id),
        }
    }

    /// "created" or "changed", for the audit entry.
    pub fn verb(self) -> &'static str {
        match self {
            Saving::New => "created",
            Saving::Existing(_) => "changed",
        }
    }

    /// 201 with the new item, or 200 with the changed one.
    pub fn answer(self, v: Value) -> Response {
        match self {
            Saving::New => created(v),
            Saving::Existing(_) => Json(v).into_response(),
        }
    }
}

/// A GoPhish resource (group, template, landing page, sending profile)
/// whose create (POST) and update (PUT) are one save: [`create`] and
/// [`update`] are the handlers for every resource.
pub trait Resource {
    type Id: DeserializeOwned + Copy + Send + Sync + 'static;

    /// Checks the JSON body and stores it with its audit entry; answers with
    /// the saved item (see [`Saving::answer`]).
    fn save<'a>(
        state: &'a AppState,
        scope: &'a ApiScope,
        ip: &'a str,
        saving: Saving<Self::Id>,
        bytes: &'a Bytes,
    ) -> impl Future<Output = ApiResult> + Send + 'a;
}

/// POST /api/{resource}: a new item.
pub async fn create<R: Resource>(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    bytes: Bytes,
) -> ApiResult {
    R::save(&state, &scope, &ip, Saving::New, &bytes).await
}

/// PUT /api/{resource}/{id}: replaces the item.
pub async fn update<R: Resource>(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    ApiPath(id): ApiPath<R::Id>,
    bytes: Bytes,
) -> ApiResult {
    R::save(&state, &scope, &ip, Saving::Existing(id), &bytes).await
}

/// Records the change's audit entry (as the key's owner, through the API)
/// in its transaction, then commits both.
pub async fn commit_audited(
    tx: Tx,
    state: &AppState,
    scope: &ApiScope,
    ip: &str,
    action: Action,
    detail: &str,
) -> ApiResult<()> {
    let detail = format!("{detail}{VIA_API}");
    crate::simulation::commit_audited(tx, state, scope, ip, action, &detail).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_with_a_nul_character_is_refused_with_the_reason() {
        let bytes = Bytes::from_static(br#"{"name": "a\u0000b", "html": "<p>x</p>"}"#);
        let Err(ApiError::Bad(why)) = body::<Value>(&bytes) else {
            panic!("refused")
        };
        assert!(why.contains("NUL"), "{why}");
        let nested = Bytes::from_static(br#"{"targets": [{"email": "x\u0000@y"}]}"#);
        assert!(body::<Value>(&nested).is_err());
        assert!(body::<Value>(&Bytes::from_static(br#"{"name": "fine"}"#)).is_ok());
    }

    #[test]
    fn dates_go_both_ways_and_a_missing_zone_is_utc() {
        assert_eq!(date(1_795_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(parse_date("2026-11-18T11:06:40Z"), Some(1_795_000_000));
        assert_eq!(parse_date("2026-11-18T11:06:40"), Some(1_795_000_000));
        assert_eq!(parse_date("18/11/2026"), None);
    }
}
