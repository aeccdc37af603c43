//! The "Training rules" page.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::domain::SettingsForm;
use super::{load, repo};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::ManagerScope;
use crate::shared::AppState;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, ValidForm};

#[derive(Template)]
#[template(path = "training/settings.html")]
struct SettingsPage {
    page: Page,
    form: SettingsForm,
    errors: FieldErrors,
}

fn settings_page(scope: &ManagerScope, form: SettingsForm, errors: FieldErrors) -> SettingsPage {
    SettingsPage {
        page: Page::for_user("Training rules", scope.user()),
        form,
        errors,
    }
}

pub async fn show(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let s = load(&state.db, scope.practice_id()).await?;
    render(settings_page(&scope, s.into(), FieldErrors::default()))
}

/// Saves the rules with their audit entry; a bad value shows the form again
/// with what was typed and what to fix.
pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<SettingsForm>,
) -> Result<Response, AppError> {
    let s = match form.parse() {
        Ok(s) => s,
        Err(errors) => return Ok(render(settings_page(&scope, form, errors))?.into_response()),
    };
    let mut tx = state.db.begin().await?;
    repo::save(&mut tx, scope.practice_id(), &s).await?;
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::TrainingChanged,
        &s.describe(),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/training/manage?saved=settings").into_response())
}
