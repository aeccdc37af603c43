//! The email domains a practice may send simulations to. A practice manager
//! asks for a domain; an operator (who knows which domains the practice
//! really uses) verifies it. Simulations only ever go to staff whose address
//! is in a verified domain.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, OperatorScope, PracticeScope};
use crate::db::{is_unique_violation, Db};
use crate::shared::{AppState, PracticeId};
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};
use crate::with_db;

pub struct Domain {
    pub id: i64,
    pub domain: String,
    pub verified: bool,
    pub verified_by: String,
}

pub async fn list_for(db: &Db, practice_id: PracticeId) -> Result<Vec<Domain>, sqlx::Error> {
    let rows: Vec<(i64, String, Option<i64>, Option<String>)> = with_db!(db, p => sqlx::query_as(
        "SELECT id, domain, verified_at, verified_by FROM practice_domains WHERE practice_id = $1 ORDER BY domain")
        .bind(practice_id).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, domain, at, by)| Domain {
            id,
            domain,
            verified: at.is_some(),
            verified_by: by.unwrap_or_default(),
        })
        .collect())
}

/// The verified domains, lower-case.
pub async fn verified(db: &Db, scope: &PracticeScope) -> Result<Vec<String>, sqlx::Error> {
    Ok(list_for(db, scope.practice_id())
        .await?
        .into_iter()
        .filter(|d| d.verified)
        .map(|d| d.domain)
        .collect())
}

/// True if the address is in one of the domains (exactly, not a look-alike suffix).
pub fn allowed(email: &str, domains: &[String]) -> bool {
    email
        .rsplit_once('@')
        .is_some_and(|(_, d)| domains.iter().any(|v| v.eq_ignore_ascii_case(d)))
}

fn parse_domain(raw: &str) -> Result<String, String> {
    let d = raw.trim().trim_start_matches('@').to_ascii_lowercase();
    let ok = d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(d)
    } else {
        Err("Enter a domain like riversidesurgery.nhs.uk or nhs.net (the part of your staff's email addresses after the @)".into())
    }
}

/// Adds a domain; `verified_by` set means it is verified at once (operator or command line).
pub async fn add(
    db: &Db,
    practice_id: PracticeId,
    domain: &str,
    verified_by: Option<&str>,
    now: i64,
) -> Result<Result<(), String>, AppError> {
    let domain = match parse_domain(domain) {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    let r = with_db!(db, p => sqlx::query(
        "INSERT INTO practice_domains (practice_id, domain, verified_at, verified_by, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(practice_id).bind(&domain).bind(verified_by.map(|_| now)).bind(verified_by).bind(now).execute(p).await.map(|_| ()));
    match r {
        Ok(()) => Ok(Ok(())),
        Err(e) if is_unique_violation(&e) => Ok(Err(format!("{domain} is already on the list."))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "simulation/domains.html")]
struct DomainsPage {
    page: Page,
    domains: Vec<Domain>,
    domain: String,
    errors: FieldErrors,
}

pub async fn page(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    render(DomainsPage {
        page: Page::for_user("Email domains for simulations", scope.user()),
        domains: list_for(&state.db, scope.practice_id()).await?,
        domain: String::new(),
        errors: FieldErrors::default(),
    })
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
    match add(
        &state.db,
        scope.practice_id(),
        &form.domain,
        None,
        state.clock.now(),
    )
    .await?
    {
        Ok(()) => {
            audit::record_alone(
                &state.db,
                Some(scope.practice_id()),
                &Actor::user(scope.user(), &ip),
                Action::DomainChanged,
                &format!("asked to verify {}", form.domain.trim()),
                state.clock.now(),
            )
            .await?;
            Ok(Redirect::to("/simulation/domains").into_response())
        }
        Err(why) => {
            let mut errors = FieldErrors::default();
            errors.add("domain", why);
            Ok(render(DomainsPage {
                page: Page::for_user("Email domains for simulations", scope.user()),
                domains: list_for(&state.db, scope.practice_id()).await?,
                domain: form.domain,
                errors,
            })?
            .into_response())
        }
    }
}

/// An operator confirms the practice really uses this domain.
pub async fn verify(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    operator: OperatorScope,
    Path((practice_id, domain_id)): Path<(PracticeId, i64)>,
) -> Result<Response, AppError> {
    let user = operator.into_user();
    let now = state.clock.now();
    let done = with_db!(&state.db, p => sqlx::query(
        "UPDATE practice_domains SET verified_at = $1, verified_by = $2 WHERE id = $3 AND practice_id = $4")
        .bind(now).bind(&user.email).bind(domain_id).bind(practice_id).execute(p).await.map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(AppError::NotFound);
    }
    audit::record_alone(
        &state.db,
        Some(practice_id),
        &Actor::user(&user, &ip),
        Action::DomainChanged,
        &format!("verified domain {domain_id}"),
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/operator/practices/{practice_id}")).into_response())
}
