//! The practice manager's "Email domains" page, and the operator's button
//! that verifies a domain.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::repo::{self, Domain};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, OperatorScope};
use crate::shared::{AppState, PracticeId};
use crate::simulation::ids::DomainId;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};

#[derive(Template)]
#[template(path = "simulation/domains.html")]
struct DomainsPage {
    page: Page,
    domains: Vec<Domain>,
    domain: String,
    errors: FieldErrors,
}

async fn show(
    state: &AppState,
    scope: &ManagerScope,
    domain: String,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    render(DomainsPage {
        page: Page::for_user("Email domains for simulations", scope.user()),
        domains: repo::list_for(&state.db, scope.practice_id()).await?,
        domain,
        errors,
    })
}

pub async fn page(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    show(&state, &scope, String::new(), FieldErrors::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DomainForm {
    domain: String,
}

pub async fn request(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<DomainForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    match super::add(&mut tx, scope.practice_id(), &form.domain, None, now).await? {
        Ok(()) => {
            audit::record(
                &mut tx,
                Some(scope.practice_id()),
                &Actor::user(scope.user(), &ip),
                Action::DomainChanged,
                &format!("asked to verify {}", form.domain.trim()),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(Redirect::to("/simulation/domains").into_response())
        }
        Err(why) => {
            drop(tx);
            let mut errors = FieldErrors::default();
            errors.add("domain", why);
            Ok(show(&state, &scope, form.domain, errors)
                .await?
                .into_response())
        }
    }
}

/// An operator confirms the practice really uses this domain.
pub async fn verify(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    operator: OperatorScope,
    Path((practice_id, domain_id)): Path<(PracticeId, DomainId)>,
) -> Result<Response, AppError> {
    let user = operator.into_user();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !repo::verify(&mut tx, practice_id, domain_id, &user.email, now).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut tx,
        Some(practice_id),
        &Actor::user(&user, &ip),
        Action::DomainChanged,
        &format!("verified domain {domain_id}"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/operator/practices/{practice_id}")).into_response())
}
