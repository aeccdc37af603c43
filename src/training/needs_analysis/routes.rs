//! The training needs analysis page, its save, and its PDF for the DSPT
//! evidence folder.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::domain::TnaForm;
use super::{load, repo};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::ManagerScope;
use crate::shared::AppState;
use crate::training::compliance::pdf_response;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, ValidForm};

#[derive(Template)]
#[template(path = "training/tna.html")]
struct TnaPage {
    page: Page,
    form: TnaForm,
    updated: String,
    errors: FieldErrors,
}

fn tna_page(scope: &ManagerScope, form: TnaForm, updated: String, errors: FieldErrors) -> TnaPage {
    TnaPage {
        page: Page::for_user("Training needs analysis", scope.user()),
        form,
        updated,
        errors,
    }
}

pub async fn show(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let (form, updated) = load(&state.db, scope.practice_id())
        .await?
        .unwrap_or_else(|| {
            (
                TnaForm::starter(),
                "Not saved yet: the text below is a starting point to edit.".into(),
            )
        });
    render(tna_page(&scope, form, updated, FieldErrors::default()))
}

pub async fn save(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<TnaForm>,
) -> Result<Response, AppError> {
    let errors = form.check();
    if !errors.is_empty() {
        return Ok(render(tna_page(&scope, form, String::new(), errors))?.into_response());
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    repo::save(
        &mut tx,
        scope.practice_id(),
        &form,
        now,
        &scope.user().full_name,
    )
    .await?;
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::TrainingChanged,
        "training needs analysis updated",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/training/manage?saved=tna").into_response())
}

/// The analysis as a PDF, with where training stands today.
pub async fn pdf(State(state): State<AppState>, scope: ManagerScope) -> Result<Response, AppError> {
    let bytes = super::pdf(&state.db, scope.practice_id(), state.clock.now()).await?;
    Ok(pdf_response(bytes, "training-needs-analysis.pdf"))
}
