//! Handlers: record a report (any member of the practice), the thank-you,
//! and the reports-per-month page (manager: the practice; champion: their
//! department, at or above the minimum group size).

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::domain::{self, How};
use super::repo::{self, NewReport};
use super::views::{FormPage, ReportsPage, ThanksPage};
use crate::auth::PracticeScope;
use crate::culture::scope::CultureScope;
use crate::shared::AppState;
use crate::web::{render, AppError, FieldErrors, Page, ValidForm};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportForm {
    how: String,
    note: String,
}

fn form_page(
    scope: &PracticeScope,
    form: ReportForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    render(FormPage {
        page: Page::for_user("Tell us you reported something", scope.user()),
        how: form.how,
        note: form.note,
        errors,
        choices: How::ALL,
    })
}

pub async fn new_page(scope: PracticeScope) -> Result<Html<String>, AppError> {
    form_page(&scope, ReportForm::default(), FieldErrors::default())
}

pub async fn record(
    State(state): State<AppState>,
    scope: PracticeScope,
    ValidForm(form): ValidForm<ReportForm>,
) -> Result<Response, AppError> {
    let (how, note) = match domain::parse(&form.how, &form.note) {
        Ok(ok) => ok,
        Err((field, why)) => {
            let mut errors = FieldErrors::default();
            errors.add(field, why);
            return Ok(form_page(&scope, form, errors)?.into_response());
        }
    };
    let staff_id = scope.user().staff_id;
    let department_id = match staff_id {
        Some(id) => crate::people::staff::find(&state.db, &scope, id)
            .await?
            .and_then(|s| s.department_id),
        None => None,
    };
    let report = NewReport {
        staff_id,
        department_id,
        how,
        note: &note,
        at: state.clock.now(),
    };
    let mut tx = state.db.begin().await?;
    repo::insert(&mut tx, scope.practice_id(), &report).await?;
    tx.commit().await?;
    Ok(Redirect::to("/culture/reports/thanks").into_response())
}

pub async fn thanks(
    State(state): State<AppState>,
    scope: PracticeScope,
) -> Result<Html<String>, AppError> {
    let since = state.clock.now() - 365 * 86_400;
    let this_year = match scope.user().staff_id {
        Some(id) => repo::count_by(&state.db, scope.practice_id(), id, since).await?,
        None => 0,
    };
    render(ThanksPage {
        page: Page::for_user("Thank you for reporting it", scope.user()),
        this_year,
    })
}

pub async fn page(
    State(state): State<AppState>,
    scope: CultureScope,
) -> Result<Html<String>, AppError> {
    let today = crate::ukclock::local_date(state.clock.now());
    let from = crate::ukclock::add_months(domain::month_start(today), -11);
    let min_group = state.settings.simulation.min_group_size;
    let practice = scope.practice_id();
    let (whose, months) = if scope.is_manager() {
        let m = super::per_month(&state.db, practice, from, today).await?;
        ("the practice".to_string(), Some(m))
    } else {
        let Some(dept) = scope.department(&state.db).await? else {
            return Err(AppError::Forbidden(
                "You are not in a department yet, so there is no department to show. Ask your practice manager.",
            ));
        };
        let d = crate::people::departments::all(&state.db, &scope)
            .await?
            .into_iter()
            .find(|d| d.id == dept)
            .ok_or(AppError::NotFound)?;
        let m = if d.active_staff >= min_group {
            Some(super::per_month_in_department(&state.db, practice, dept, from, today).await?)
        } else {
            None
        };
        (d.name, m)
    };
    let chart = months
        .as_ref()
        .map(|m| {
            let bars: Vec<(String, i64)> = m.iter().map(|c| (c.label(), c.count)).collect();
            crate::culture::chart::bars(&format!("Reports per month, {whose}"), &bars)
        })
        .unwrap_or_default();
    let recent = if scope.is_manager() {
        repo::recent(&state.db, practice, 20).await?
    } else {
        Vec::new()
    };
    render(ReportsPage {
        page: Page::for_user("Suspicious emails reported", scope.user()),
        whose,
        months,
        chart,
        min_group,
        recent,
        is_manager: scope.is_manager(),
    })
}
