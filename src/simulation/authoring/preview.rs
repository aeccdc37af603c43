//! Looking before choosing: a ready-made email with its red flags listed and
//! highlighted where they are, before "Use this email", and the lesson staff
//! would see after a click, for a ready-made email or the practice's own.

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use super::repo;
use crate::auth::ManagerScope;
use crate::shared::AppState;
use crate::simulation::ids::TemplateId;
use crate::simulation::render::Vars;
use crate::simulation::tracking::teachable::{self, Highlighted};
use crate::simulation::{authoring, library};
use crate::web::{render as page_render, AppError, Page, Path};

#[derive(askama::Template)]
#[template(path = "simulation/lure.html")]
pub struct LurePage {
    pub page: Page,
    pub lure: &'static library::Lure,
    pub email: Highlighted,
}

/// A ready-made email as the practice would send it, red flags first.
pub async fn lure(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(lure_id): Path<String>,
) -> Result<Html<String>, AppError> {
    let lure = library::get(&lure_id).ok_or(AppError::NotFound)?;
    let names = repo::practice_names(&state.db, scope.practice_id()).await?;
    let t = authoring::from_lure(&lure_id, &names).ok_or(AppError::NotFound)?;
    let practice = crate::people::accounts::practice_name(&state.db, scope.practice_id()).await?;
    let email = teachable::highlighted(&t, &Vars::sample(&practice)).ok_or(AppError::NotFound)?;
    page_render(LurePage {
        page: Page::for_user(lure.name.clone(), scope.user()),
        lure,
        email,
    })
}

/// A page of our own HTML shown in a frame, with nothing able to run.
fn sandboxed(html: String) -> Response {
    (
        [
            (header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"),
            (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        ],
        html,
    )
        .into_response()
}

async fn lesson_of(
    state: &AppState,
    scope: &ManagerScope,
    t: &authoring::SimTemplate,
) -> Result<Response, AppError> {
    let practice = crate::people::accounts::practice_name(&state.db, scope.practice_id()).await?;
    let report_link = repo::report_link_on(&state.db, scope.practice_id()).await?;
    let html = teachable::preview(t, &practice, &state.settings.public_url, report_link)
        .ok_or(AppError::NotFound)?;
    Ok(sandboxed(html))
}

/// What staff see after clicking a ready-made email.
pub async fn lure_lesson(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(lure_id): Path<String>,
) -> Result<Response, AppError> {
    let names = repo::practice_names(&state.db, scope.practice_id()).await?;
    let t = authoring::from_lure(&lure_id, &names).ok_or(AppError::NotFound)?;
    lesson_of(&state, &scope, &t).await
}

/// What staff see after clicking one of the practice's own emails.
pub async fn template_lesson(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<TemplateId>,
) -> Result<Response, AppError> {
    let t = repo::find(&state.db, scope.practice_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    lesson_of(&state, &scope, &t).await
}
