//! The support-dates page: the table in use, and a newer one to upload.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::{Html, IntoResponse, Response};

use super::in_use::{check_new, effective, refresh, store, For};
use super::table::MAX_FILE_BYTES;
use crate::auth::audit::Action;
use crate::auth::{ManagerScope, PracticeScope, Role};
use crate::resilience::dates::{long_date, uk_date};
use crate::resilience::scope::{audit, ViewScope};
use crate::shared::AppState;
use crate::web::{render, AppError, ClientIp, Notice, Page};

const NOTICES: &[(&str, &str)] = &[("loaded", "The new support-dates table is in use.")];

pub struct ProductRow {
    pub name: String,
    pub kind: &'static str,
    pub ends: String,
    pub ended: bool,
    pub note: String,
    pub source: String,
}

#[derive(Template)]
#[template(path = "resilience/support_dates.html")]
struct SupportDatesPage {
    page: Page,
    origin: String,
    updated: String,
    products: Vec<ProductRow>,
    manager: bool,
    error: Option<String>,
}

async fn page_for(
    state: &AppState,
    scope: &PracticeScope,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Html<String>, AppError> {
    let table = effective(&state.db, scope).await?;
    let today = uk_date(state.clock.now());
    render(SupportDatesPage {
        page: Page::for_user("Support dates", scope.user()).with_notice(notice),
        origin: table.describe_origin(),
        updated: table.updated_label(),
        products: table
            .products
            .iter()
            .map(|p| ProductRow {
                name: p.name.clone(),
                kind: p.kind.label(),
                ends: long_date(p.ends),
                ended: p.ends < today,
                note: p.note.clone(),
                source: p.source.clone(),
            })
            .collect(),
        manager: scope.role() == Role::Manager,
        error,
    })
}

pub async fn page(
    State(state): State<AppState>,
    scope: ViewScope,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    page_for(&state, &scope, None, notice.say(NOTICES)).await
}

pub async fn upload(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (filename, bytes) = match crate::web::upload::read_upload(
        multipart,
        "file",
        MAX_FILE_BYTES,
        "support-dates.toml",
    )
    .await?
    {
        Ok(f) => f,
        Err(problem) => {
            return Ok(page_for(&state, &scope, Some(problem), None)
                .await?
                .into_response())
        }
    };
    let text = crate::web::import::csv::decode(&bytes);
    let now = state.clock.now();
    let owner = For::Practice(&scope);
    let table = match check_new(&state.db, &owner, &text).await? {
        Ok(t) => t,
        Err(problem) => {
            return Ok(page_for(&state, &scope, Some(problem), None)
                .await?
                .into_response())
        }
    };
    let detail = format!(
        "loaded a support-dates table checked on {} ({} products) from {filename}",
        long_date(table.updated),
        table.products.len()
    );
    let mut tx = state.db.begin().await?;
    store(
        &mut tx,
        &owner,
        &table,
        &filename,
        &text,
        &scope.user().email,
        now,
    )
    .await?;
    audit(
        &mut tx,
        &scope,
        &ip,
        Action::SupportDatesLoaded,
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    refresh(&state.db, &scope).await?;
    Ok(Notice::redirect("/resilience/support-dates", "loaded").into_response())
}
