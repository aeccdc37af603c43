//! GoPhish compatibility: a subset of GoPhish's REST API (campaigns, groups,
//! templates, landing pages, sending profiles, campaign summaries and
//! results) at `/api/…`, so existing GoPhish scripts and the `gophish` Python
//! client work against Safety Net unchanged, and an import of GoPhish JSON.
//!
//! Differences that protect staff, whatever a script asks for:
//! - a group's targets must be staff of the practice with an address in a
//!   verified domain; anyone else is refused with a JSON error;
//! - a landing page chooses one of our landing kinds; its HTML is kept only to
//!   be shown back and is never served, so nothing typed is ever stored;
//! - every call is scoped to the practice of the key's owner: another
//!   practice's ids are "not found".
//!
//! One file per GoPhish resource (`campaigns`, `groups`, `templates`,
//! `pages`, `profiles`), each with one save shared by its create and update
//! (`json::Saving`); `json` holds GoPhish's conventions, `convert` its
//! template language, `import` the JSON import, `repo` the storage only the
//! API has.
//!
//! Keys are a practice manager's, made and revoked on the "GoPhish API" page
//! (`keys.rs`), stored as SHA-256 hashes, given as `Authorization: Bearer
//! <key>` or `?api_key=<key>`. The API takes no cookies, so the CSRF layer's
//! checks (which pass requests without `Origin`/`Sec-Fetch-Site`, as scripts
//! send them) are neither needed nor weakened for it.

pub mod campaigns;
pub mod convert;
pub mod groups;
pub mod import;
pub mod json;
pub mod keys;
pub mod pages;
pub mod profiles;
mod repo;
pub mod templates;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::auth::PracticeScope;
use crate::shared::AppState;
use crate::web::routes::{Access, Routes};

/// The largest group body the API takes: the staff import's 4 MB (about
/// 10,000 people as GoPhish clients write them).
pub const GROUP_BODY: usize = 4 * 1024 * 1024;

pub fn routes(r: Routes) -> Routes {
    use Access::*;
    let r = r
        .get("/simulation/api", PracticeManager, keys::page)
        .post("/simulation/api/keys", PracticeManager, keys::create)
        .post(
            "/simulation/api/keys/{key_id}/revoke",
            PracticeManager,
            keys::revoke,
        )
        // A practice's whole GoPhish export can be larger than an ordinary form.
        .post_upload(
            "/simulation/api/import",
            PracticeManager,
            4 * 1024 * 1024,
            keys::import,
        );
    // GoPhish clients ask for lists with a trailing slash and single objects without.
    let r = r
        .get("/api/campaigns/", ApiKey, campaigns::campaigns)
        .get("/api/campaigns", ApiKey, campaigns::campaigns)
        .post("/api/campaigns/", ApiKey, campaigns::create_campaign)
        .post("/api/campaigns", ApiKey, campaigns::create_campaign)
        .get(
            "/api/campaigns/summary",
            ApiKey,
            campaigns::campaign_summaries,
        )
        .get("/api/campaigns/{campaign_id}", ApiKey, campaigns::campaign)
        .get(
            "/api/campaigns/{campaign_id}/summary",
            ApiKey,
            campaigns::campaign_summary,
        )
        .get(
            "/api/campaigns/{campaign_id}/results",
            ApiKey,
            campaigns::campaign_results,
        )
        .get(
            "/api/campaigns/{campaign_id}/complete",
            ApiKey,
            campaigns::complete_campaign,
        );
    let r = r
        .get("/api/groups/", ApiKey, groups::groups)
        .get("/api/groups", ApiKey, groups::groups)
        // A group of thousands of people is a large body, as GoPhish accepts.
        .post_upload(
            "/api/groups/",
            ApiKey,
            GROUP_BODY,
            json::create::<groups::Groups>,
        )
        .post_upload(
            "/api/groups",
            ApiKey,
            GROUP_BODY,
            json::create::<groups::Groups>,
        )
        .get("/api/groups/summary", ApiKey, groups::group_summaries)
        .get("/api/groups/{group_id}", ApiKey, groups::group)
        .put_upload(
            "/api/groups/{group_id}",
            ApiKey,
            GROUP_BODY,
            json::update::<groups::Groups>,
        )
        .delete("/api/groups/{group_id}", ApiKey, groups::delete_group)
        .get(
            "/api/groups/{group_id}/summary",
            ApiKey,
            groups::group_summary,
        );
    let r = r
        .get("/api/templates/", ApiKey, templates::templates)
        .get("/api/templates", ApiKey, templates::templates)
        .post(
            "/api/templates/",
            ApiKey,
            json::create::<templates::Templates>,
        )
        .post(
            "/api/templates",
            ApiKey,
            json::create::<templates::Templates>,
        )
        .get("/api/templates/{template_id}", ApiKey, templates::template)
        .put(
            "/api/templates/{template_id}",
            ApiKey,
            json::update::<templates::Templates>,
        )
        .delete(
            "/api/templates/{template_id}",
            ApiKey,
            templates::delete_template,
        );
    let r = r
        .get("/api/pages/", ApiKey, pages::pages)
        .get("/api/pages", ApiKey, pages::pages)
        .post("/api/pages/", ApiKey, json::create::<pages::Pages>)
        .post("/api/pages", ApiKey, json::create::<pages::Pages>)
        .get("/api/pages/{page_id}", ApiKey, pages::page)
        .put("/api/pages/{page_id}", ApiKey, json::update::<pages::Pages>)
        .delete("/api/pages/{page_id}", ApiKey, pages::delete_page);
    r.get("/api/smtp/", ApiKey, profiles::profiles)
        .get("/api/smtp", ApiKey, profiles::profiles)
        .post("/api/smtp/", ApiKey, json::create::<profiles::Profiles>)
        .post("/api/smtp", ApiKey, json::create::<profiles::Profiles>)
        .get("/api/smtp/{profile_id}", ApiKey, profiles::profile)
        .put(
            "/api/smtp/{profile_id}",
            ApiKey,
            json::update::<profiles::Profiles>,
        )
        .delete("/api/smtp/{profile_id}", ApiKey, profiles::delete_profile)
}

/// An API error as GoPhish words it: `{"message", "success": false, "data": null}`.
#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    NotFound(&'static str),
    Bad(String),
    Conflict(String),
    Unexpected(anyhow::Error),
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(e.into())
    }
}

impl From<crate::web::AppError> for ApiError {
    fn from(e: crate::web::AppError) -> Self {
        match e {
            crate::web::AppError::NotFound => Self::NotFound("Not found"),
            crate::web::AppError::BadRequest(m) => Self::Bad(m),
            other => Self::Unexpected(anyhow::anyhow!("{other}")),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "Invalid API Key".to_string()),
            Self::NotFound(what) => (StatusCode::NOT_FOUND, what.to_string()),
            Self::Bad(m) => (StatusCode::BAD_REQUEST, m),
            Self::Conflict(m) => (StatusCode::CONFLICT, m),
            Self::Unexpected(e) => {
                tracing::error!(error = ?e, "API request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong in Safety Net; try again".to_string(),
                )
            }
        };
        (
            status,
            Json(serde_json::json!({"message": message, "success": false, "data": null})),
        )
            .into_response()
    }
}

/// The API's path extractor: a malformed id (`/api/groups/abc`) answers
/// GoPhish's JSON "not found", as an id of another practice does, rather than
/// axum's plain-text 400.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match crate::web::Path::<T>::from_request_parts(parts, state).await {
            Ok(crate::web::Path(t)) => Ok(Self(t)),
            Err(_) => Err(ApiError::NotFound("Not found")),
        }
    }
}

/// The practice of the API key's owner, a practice manager. The practice
/// cannot be chosen by the request: it comes from the key.
pub struct ApiScope {
    pub scope: PracticeScope,
    pub key_id: i64,
}

impl std::ops::Deref for ApiScope {
    type Target = PracticeScope;
    fn deref(&self) -> &PracticeScope {
        &self.scope
    }
}

fn key_from(parts: &Parts) -> Option<String> {
    if let Some(v) = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, key) = v.trim().split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| key.trim().to_string());
    }
    url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "api_key")
        .map(|(_, v)| v.into_owned())
}

impl<S> FromRequestParts<S> for ApiScope
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        let key = key_from(parts).ok_or(ApiError::Unauthorized)?;
        let (key_id, scope) = keys::authenticate(&state.db, &key, state.clock.now())
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(Self { scope, key_id })
    }
}
