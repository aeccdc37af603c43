//! The evidence packs' pages: the list, one pack's progress and downloads,
//! its progress as JSON for the page's script, and the files.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use super::repo::{self, File, Pack, PackStatus};
use crate::auth::audit::Actor;
use crate::auth::ManagerScope;
use crate::dspt::ids::PackId;
use crate::shared::AppState;
use crate::ukclock;
use crate::web::{render, AppError, ClientIp, Page, Path};

impl Pack {
    pub fn requested(&self) -> String {
        ukclock::format(self.requested_at)
    }
    pub fn is_ready(&self) -> bool {
        self.status == PackStatus::Ready
    }
    pub fn is_building(&self) -> bool {
        self.status == PackStatus::Building
    }
    /// "Step 3 of 21: Adding backups and restore tests".
    pub fn progress_line(&self) -> String {
        format!("Step {} of {}: {}", self.step, self.steps, self.doing)
    }
    pub fn size(&self) -> String {
        format!("{} KB", (self.pdf_bytes + self.zip_bytes + 1023) / 1024)
    }
    /// The date in the files' names: "2026-12-04".
    pub fn day(&self) -> String {
        crate::resilience::dates::iso(ukclock::local_date(self.requested_at))
    }
}

#[derive(Template)]
#[template(path = "dspt/packs.html")]
struct ListPage {
    page: Page,
    packs: Vec<Pack>,
}

/// `/dspt/packs`: every pack with its date.
pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    render(ListPage {
        page: Page::for_user("Evidence packs", scope.user()),
        packs: repo::all(&state.db, &scope).await?,
    })
}

/// Builds a pack and goes to its page.
pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
) -> Result<Response, AppError> {
    let id = super::start(&state, &scope, &Actor::user(scope.user(), &ip)).await?;
    Ok(axum::response::Redirect::to(&format!("/dspt/packs/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "dspt/pack.html")]
struct ShowPage {
    page: Page,
    p: Pack,
}

async fn find(state: &AppState, scope: &ManagerScope, id: PackId) -> Result<Pack, AppError> {
    repo::find(&state.db, scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// `/dspt/packs/{pack_id}`: progress while it builds, then the downloads.
pub async fn show(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<PackId>,
) -> Result<Html<String>, AppError> {
    let p = find(&state, &scope, id).await?;
    let mut page = Page::for_user(format!("Evidence pack of {}", p.requested()), scope.user());
    if p.is_building() {
        page.scripts.push("/static/js/pack-progress.js");
    }
    render(ShowPage { page, p })
}

/// The build's progress, for the page's script.
pub async fn progress(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<PackId>,
) -> Result<Json<serde_json::Value>, AppError> {
    let p = find(&state, &scope, id).await?;
    Ok(Json(serde_json::json!({
        "status": p.status.as_str(),
        "step": p.step,
        "steps": p.steps,
        "line": p.progress_line(),
    })))
}

async fn file(
    state: &AppState,
    scope: &ManagerScope,
    id: PackId,
    which: File,
) -> Result<Response, AppError> {
    let p = find(state, scope, id).await?;
    let bytes = repo::file(&state.db, scope, id, which)
        .await?
        .ok_or(AppError::NotFound)?;
    let (kind, name) = match which {
        File::Pdf => (
            "application/pdf",
            format!("dspt-evidence-summary-{}.pdf", p.day()),
        ),
        File::Zip => (
            "application/zip",
            format!("dspt-evidence-pack-{}.zip", p.day()),
        ),
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub async fn summary_pdf(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<PackId>,
) -> Result<Response, AppError> {
    file(&state, &scope, id, File::Pdf).await
}

pub async fn zip(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<PackId>,
) -> Result<Response, AppError> {
    file(&state, &scope, id, File::Zip).await
}
