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
use crate::training::compliance::{self, pdf_response, practice_name};
use crate::training::settings;
use crate::ukclock;
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
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let (form, updated) = load(&state.db, scope.practice_id())
        .await?
        .unwrap_or_else(|| (TnaForm::starter(), "Not saved yet".into()));
    let s = settings::load(&state.db, scope.practice_id()).await?;
    let now = state.clock.now();
    let c = compliance::summary(&state.db, scope.practice_id(), &s, now).await?;
    let mut doc = crate::pdf::Document::new(
        "Training needs analysis",
        &format!(
            "{practice} · training needs analysis · printed {}",
            ukclock::format(now)
        ),
    );
    doc.title("Training needs analysis");
    doc.paragraph(&format!(
        "{practice}. Data Security and Protection Toolkit evidence item 3.1.1. {updated}."
    ));
    for (heading, text) in [
        ("Staff groups and what each needs", &form.staff_groups),
        ("How training is delivered", &form.delivery),
        ("Gaps identified", &form.gaps),
        ("Actions", &form.actions),
    ] {
        doc.heading(heading);
        if text.trim().is_empty() {
            doc.paragraph("(none recorded)");
        }
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            doc.paragraph(line.trim());
        }
    }
    doc.heading("Where training stands today");
    doc.paragraph(&format!(
        "{} of {} staff ({}%) completed their role's modules in the last {} months. The target is {}%.",
        c.trained, c.staff, c.percent(), s.refresher_months, s.compliance_target
    ));
    for d in &c.departments {
        doc.bullet(&format!(
            "{}: {} of {} trained ({}%)",
            d.name,
            d.trained,
            d.staff,
            d.percent()
        ));
    }
    if !form.review_on.is_empty() {
        doc.paragraph(&format!("Next review: {}", form.review_on));
    }
    Ok(pdf_response(doc.finish(), "training-needs-analysis.pdf"))
}
