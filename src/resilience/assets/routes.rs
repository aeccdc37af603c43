//! The asset register's handlers: list, add, show, change, "updates
//! installed today", retire or reinstate, and "reviewed today". Each change
//! commits with its audit entry and redirects with a [`Notice`] word.

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::domain::{duplicate_problem, last_updated_at, AddedBy, Asset, AssetForm, Show};
use super::repo;
use super::views::{imported_notice, FormPage, ListPage, Listed, ASSET_NOTICES, LIST_NOTICES};
use crate::auth::audit::Action;
use crate::auth::{ManagerScope, PracticeScope};
use crate::resilience::fields::clean;
use crate::resilience::ids::AssetId;
use crate::resilience::scope::{audit, ViewScope};
use crate::resilience::{dates, rules, support_dates};
use crate::shared::AppState;
use crate::web::{render, AppError, ClientIp, FieldErrors, Notice, Page, Path, ValidForm};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    /// "attention", "retired" or empty for every asset in use.
    pub show: String,
    /// Carry on after this asset (keyset paging).
    pub after: String,
}

pub async fn list(
    State(state): State<AppState>,
    scope: ViewScope,
    Query(q): Query<ListQuery>,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    let now = state.clock.now();
    support_dates::refresh(&state.db, &scope).await?;
    let counts = repo::counts(&state.db, &scope, now).await?;
    let show = Show::from_key(&q.show).unwrap_or(Show::InUse);
    let after = q.after.trim().parse::<AssetId>().ok();
    let (assets, next) = repo::page(&state.db, &scope, show, after, now).await?;
    let review = review_status(&state, &scope, now).await?;
    render(ListPage {
        page: Page::for_user("Asset register", scope.user()).with_notice(
            notice
                .say(LIST_NOTICES)
                .or_else(|| imported_notice(notice.word())),
        ),
        manager: scope.is_manager(),
        rows: assets.into_iter().map(|a| Listed::new(a, now)).collect(),
        show: show.as_str(),
        next,
        first_page: after.is_none(),
        counts,
        review,
        today: crate::ukclock::day(dates::uk_date(now)),
    })
}

/// Where the register's yearly review stands.
pub async fn review_status(
    state: &AppState,
    scope: &PracticeScope,
    now: i64,
) -> Result<rules::ReviewStatus, AppError> {
    let last = repo::last_review(&state.db, scope).await?;
    Ok(rules::review_status(
        last.as_deref().and_then(dates::parse_iso),
        dates::uk_date(now),
    ))
}

pub async fn new_page(scope: ManagerScope) -> Result<Html<String>, AppError> {
    let form = AssetForm {
        kind: "desktop".into(),
        encryption: "unknown".into(),
        managed_by: "unknown".into(),
        ..Default::default()
    };
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
    ValidForm(form): ValidForm<AssetForm>,
) -> Result<Response, AppError> {
    save(&state, &scope, &ip, None, form).await
}

pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<AssetId>,
    ValidForm(form): ValidForm<AssetForm>,
) -> Result<Response, AppError> {
    let existing = find(&state, &scope, id).await?;
    save(&state, &scope, &ip, Some(existing), form).await
}

/// Adds the form's asset (`existing` None) or saves it over an existing
/// one. A form with problems, or a serial number or computer name another
/// asset in use has, comes back as typed with every problem shown.
async fn save(
    state: &AppState,
    scope: &PracticeScope,
    ip: &str,
    existing: Option<Asset>,
    form: AssetForm,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let again = |existing: Option<Asset>, form: AssetForm, errors: FieldErrors| {
        let existing = existing.map(|a| Listed::new(a, now));
        Ok(render(FormPage::new(scope, existing, form, errors, None))?.into_response())
    };
    let input = match form.parse(dates::uk_date(now)) {
        Ok(i) => i,
        Err(errs) => return again(existing, form, FieldErrors(errs)),
    };
    let mut tx = state.db.begin().await?;
    let id = existing.as_ref().map(|a| a.id);
    if let Some(other) = repo::same_identity(&mut tx, scope, &input, id).await? {
        drop(tx);
        let (field, msg) = duplicate_problem(&input, &other);
        let mut errors = FieldErrors::default();
        errors.add(field, msg);
        return again(existing, form, errors);
    }
    let done = match &existing {
        None => {
            repo::insert(&mut tx, scope, &input, AddedBy::Manager, now).await?;
            audit(
                &mut tx,
                scope,
                ip,
                Action::AssetChanged,
                &format!("added {}", input.describe()),
                now,
            )
            .await?;
            "added"
        }
        Some(a) => {
            let last = last_updated_at(input.last_updated.as_deref(), a.last_updated_at);
            repo::update(&mut tx, scope, a.id, &input, last, now).await?;
            audit(
                &mut tx,
                scope,
                ip,
                Action::AssetChanged,
                &format!("changed {}", input.describe()),
                now,
            )
            .await?;
            "saved"
        }
    };
    tx.commit().await?;
    Ok(Notice::redirect("/resilience/assets", done).into_response())
}

/// The practice's asset, or "Page not found".
async fn find(state: &AppState, scope: &PracticeScope, id: AssetId) -> Result<Asset, AppError> {
    repo::find(&state.db, scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn show(
    State(state): State<AppState>,
    scope: ViewScope,
    Path(id): Path<AssetId>,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    support_dates::refresh(&state.db, &scope).await?;
    let asset = find(&state, &scope, id).await?;
    let form = AssetForm::from_asset(&asset);
    render(FormPage::new(
        &scope,
        Some(Listed::new(asset, state.clock.now())),
        form,
        FieldErrors::default(),
        notice.say(ASSET_NOTICES),
    ))
}

pub async fn mark_updated(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<AssetId>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let asset = find(&state, &scope, id).await?;
    let mut tx = state.db.begin().await?;
    repo::mark_updated(&mut tx, &scope, id, now).await?;
    let detail = format!("recorded updates installed today on \"{}\"", asset.name);
    audit(&mut tx, &scope, &ip, Action::AssetChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(Notice::redirect(&format!("/resilience/assets/{id}"), "updated").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RetireForm {
    /// "retire" or "reinstate".
    action: String,
}

pub async fn retire(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<AssetId>,
    ValidForm(form): ValidForm<RetireForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let asset = find(&state, &scope, id).await?;
    let retiring = match form.action.as_str() {
        "retire" => true,
        "reinstate" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Choose whether the device is no longer in use, or back in use.".into(),
            ))
        }
    };
    let retired_on = retiring.then(|| dates::iso(dates::uk_date(now)));
    let (detail, done) = if retiring {
        (
            format!("marked \"{}\" as no longer in use", asset.name),
            "retired",
        )
    } else {
        (format!("put \"{}\" back in use", asset.name), "reinstated")
    };
    let mut tx = state.db.begin().await?;
    repo::set_retired(&mut tx, &scope, id, retired_on.as_deref(), now).await?;
    audit(&mut tx, &scope, &ip, Action::AssetChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(Notice::redirect(&format!("/resilience/assets/{id}"), done).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewForm {
    note: String,
}

pub async fn review(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<ReviewForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let note =
        clean(&form.note, "note", "The note", 1000).map_err(|e| AppError::BadRequest(e.message))?;
    let detail = if note.is_empty() {
        "reviewed the asset register".to_string()
    } else {
        format!("reviewed the asset register: {note}")
    };
    let mut tx = state.db.begin().await?;
    repo::add_review(&mut tx, &scope, &note, now).await?;
    audit(&mut tx, &scope, &ip, Action::RegisterReviewed, &detail, now).await?;
    tx.commit().await?;
    Ok(Notice::redirect("/resilience/assets", "reviewed").into_response())
}
