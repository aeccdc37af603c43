//! GoPhish landing pages: each chooses one of our landing kinds. Its HTML is
//! kept only to be shown back and is never served, so nothing typed on a
//! page is ever stored.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::json::{body, commit_audited, date, ok, ApiResult, Resource, Saving};
use super::repo::{self, NewPage, Page};
use super::{ApiError, ApiPath as Path, ApiScope};
use crate::auth::audit::Action;
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::shared::AppState;
use crate::simulation::ids::PageId;
use crate::simulation::library::Landing;
use crate::web::ClientIp;

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct PageIn {
    pub name: String,
    html: String,
    capture_credentials: bool,
    redirect_url: String,
}

/// A page that asks for details is our fake sign-in page (whose form keeps
/// only that it was sent); any other goes straight to the lesson.
fn landing_for(p: &PageIn) -> Landing {
    let lower = p.html.to_ascii_lowercase();
    if p.capture_credentials || lower.contains("<form") || lower.contains("type=\"password\"") {
        Landing::Credentials
    } else {
        Landing::Teachable
    }
}

/// Our landing kind as GoPhish shows a page it never made.
pub fn landing_name(l: Landing) -> &'static str {
    match l {
        Landing::Credentials => "Sign-in page (nothing typed is kept)",
        Landing::Document => "Shared document page",
        Landing::Teachable => "Straight to the lesson",
    }
}

pub fn page_json(p: &Page) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "html": p.html,
        "capture_credentials": p.landing == Landing::Credentials,
        "capture_passwords": false,
        "redirect_url": p.redirect_url,
        "modified_date": date(p.modified_at),
    })
}

/// The page a campaign started with our own landing kind shows as.
pub fn landing_json(landing: Landing, created_at: i64) -> Value {
    json!({"id": 0, "name": landing_name(landing), "html": "", "capture_credentials": landing == Landing::Credentials, "capture_passwords": false, "redirect_url": "", "modified_date": date(created_at)})
}

pub async fn find(db: &Db, scope: &PracticeScope, id: PageId) -> ApiResult<Page> {
    repo::page(db, scope, id)
        .await?
        .ok_or(ApiError::NotFound("Page not found"))
}

pub async fn pages(State(state): State<AppState>, scope: ApiScope) -> ApiResult {
    let pages = repo::pages(&state.db, &scope).await?;
    Ok(Json(pages.iter().map(page_json).collect::<Vec<_>>()).into_response())
}

pub async fn page(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<PageId>,
) -> ApiResult {
    Ok(Json(page_json(&find(&state.db, &scope, id).await?)).into_response())
}

/// Checks a page and stores it in the caller's transaction; returns its id.
pub async fn write(
    tx: &mut Tx,
    db: &Db,
    scope: &PracticeScope,
    saving: Saving<PageId>,
    pg: &PageIn,
    now: i64,
) -> ApiResult<PageId> {
    let name = pg.name.trim();
    if name.is_empty() {
        return Err(ApiError::Bad("Page name not specified".into()));
    }
    if repo::page_name_taken(db, scope, name, saving.id()).await? {
        return Err(ApiError::Conflict("Page name already in use".into()));
    }
    let page = NewPage {
        name,
        landing: landing_for(pg),
        html: &pg.html,
        redirect_url: &pg.redirect_url,
    };
    Ok(repo::save_page(tx, scope, saving.id(), &page, now).await?)
}

/// POST /api/pages and PUT /api/pages/{id}.
async fn save(
    state: &AppState,
    scope: &ApiScope,
    ip: &str,
    saving: Saving<PageId>,
    bytes: &Bytes,
) -> ApiResult {
    if let Some(id) = saving.id() {
        find(&state.db, scope, id).await?;
    }
    let pg: PageIn = body(bytes)?;
    let mut tx = state.db.begin().await?;
    let id = write(&mut tx, &state.db, scope, saving, &pg, state.clock.now()).await?;
    let detail = format!("{} landing page {}", saving.verb(), pg.name.trim());
    commit_audited(tx, state, scope, ip, Action::TemplateChanged, &detail).await?;
    Ok(saving.answer(page_json(&find(&state.db, scope, id).await?)))
}

/// POST and PUT (see `json::Resource`).
pub struct Pages;

impl Resource for Pages {
    type Id = PageId;

    fn save<'a>(
        state: &'a AppState,
        scope: &'a ApiScope,
        ip: &'a str,
        saving: Saving<PageId>,
        bytes: &'a Bytes,
    ) -> impl std::future::Future<Output = ApiResult> + Send + 'a {
        save(state, scope, ip, saving, bytes)
    }
}

pub async fn delete_page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    Path(id): Path<PageId>,
) -> ApiResult {
    let pg = find(&state.db, &scope, id).await?;
    let mut tx = state.db.begin().await?;
    repo::delete_page(&mut tx, &scope, id).await?;
    let detail = format!("deleted landing page {}", pg.name);
    commit_audited(tx, &state, &scope, &ip, Action::TemplateChanged, &detail).await?;
    Ok(ok("Page Deleted Successfully"))
}
