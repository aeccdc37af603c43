//! The alert log's handlers: list, record, show, update and acknowledge.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use super::domain::{Alert, AlertForm};
use super::repo;
use super::views::{FormPage, ListPage, Listed, ALERT_NOTICES, LIST_NOTICES};
use crate::auth::audit::Action;
use crate::auth::{ManagerScope, PracticeScope};
use crate::resilience::ids::AlertId;
use crate::resilience::rules;
use crate::resilience::scope::{audit, ViewScope};
use crate::shared::AppState;
use crate::web::{render, AppError, ClientIp, FieldErrors, Notice, Page, Path, ValidForm};

pub async fn list(
    State(state): State<AppState>,
    scope: ViewScope,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    let now = state.clock.now();
    let alerts = repo::recent(&state.db, &scope).await?;
    render(ListPage {
        page: Page::for_user("NHS cyber alerts", scope.user())
            .with_notice(notice.say(LIST_NOTICES)),
        manager: scope.is_manager(),
        alerts: alerts.into_iter().map(|a| Listed::new(a, now)).collect(),
    })
}

/// The practice's alert, or "Page not found".
async fn find(state: &AppState, scope: &PracticeScope, id: AlertId) -> Result<Alert, AppError> {
    repo::find(&state.db, scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn new_page(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let form = AlertForm::new_alert(state.clock.now());
    render(FormPage::new(
        &scope,
        None,
        form,
        FieldErrors::default(),
        None,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<AlertForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let a = match form.parse(now) {
        Ok(a) => a,
        Err(errors) => {
            return Ok(render(FormPage::new(&scope, None, form, errors, None))?.into_response())
        }
    };
    let detail = format!("recorded cyber alert {} ({})", a.reference, a.title);
    let mut tx = state.db.begin().await?;
    repo::insert(&mut tx, &scope, &a, now).await?;
    audit(
        &mut tx,
        &scope,
        &ip,
        Action::CyberAlertChanged,
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::redirect("/resilience/alerts", "added").into_response())
}

pub async fn show(
    State(state): State<AppState>,
    scope: ViewScope,
    Path(id): Path<AlertId>,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    let a = find(&state, &scope, id).await?;
    let form = AlertForm::from_alert(&a);
    render(FormPage::new(
        &scope,
        Some(Listed::new(a, state.clock.now())),
        form,
        FieldErrors::default(),
        notice.say(ALERT_NOTICES),
    ))
}

pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<AlertId>,
    ValidForm(form): ValidForm<AlertForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let existing = find(&state, &scope, id).await?;
    let a = match form.parse(now) {
        Ok(a) => a,
        Err(errors) => {
            let existing = Some(Listed::new(existing, now));
            return Ok(render(FormPage::new(&scope, existing, form, errors, None))?.into_response());
        }
    };
    let detail = format!(
        "updated cyber alert {}: {}{}",
        a.reference,
        a.applicability.label().to_lowercase(),
        if a.completed_on.is_some() {
            ", actions done"
        } else {
            ""
        }
    );
    let mut tx = state.db.begin().await?;
    repo::update(&mut tx, &scope, id, &a, now).await?;
    audit(
        &mut tx,
        &scope,
        &ip,
        Action::CyberAlertChanged,
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::redirect(&format!("/resilience/alerts/{id}"), "saved").into_response())
}

pub async fn acknowledge(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<AlertId>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let a = find(&state, &scope, id).await?;
    let mut tx = state.db.begin().await?;
    // Only the first acknowledgement counts, and only it is audited.
    if repo::acknowledge(&mut tx, &scope, id, now).await? {
        let status = rules::ack_status(a.received_at, Some(now), now);
        let detail = format!(
            "acknowledged cyber alert {}: {}",
            a.reference,
            status.explain()
        );
        audit(
            &mut tx,
            &scope,
            &ip,
            Action::CyberAlertChanged,
            &detail,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Notice::redirect(&format!("/resilience/alerts/{id}"), "acknowledged").into_response())
}
