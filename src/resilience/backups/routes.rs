//! The backup register's handlers: list, add, show, change, and record a
//! backup or a restore test.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use super::domain::{Backup, BackupForm, LogKind, RecordForm};
use super::repo;
use super::views::{Counts, FormPage, ListPage, Listed, BACKUP_NOTICES, LIST_NOTICES};
use crate::auth::audit::Action;
use crate::auth::{ManagerScope, PracticeScope};
use crate::resilience::dates::{long_date, uk_date};
use crate::resilience::ids::BackupId;
use crate::resilience::scope::{audit, ViewScope};
use crate::shared::AppState;
use crate::web::{render, AppError, ClientIp, FieldErrors, Notice, Page, Path, ValidForm};

/// The register's figures for the overview.
pub async fn counts(state: &AppState, scope: &PracticeScope) -> Result<Counts, AppError> {
    let today = uk_date(state.clock.now());
    let listed: Vec<Listed> = repo::all(&state.db, scope)
        .await?
        .into_iter()
        .map(|b| Listed::new(b, today))
        .collect();
    Ok(Counts::of(&listed))
}

pub async fn list(
    State(state): State<AppState>,
    scope: ViewScope,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    let today = uk_date(state.clock.now());
    let backups = repo::all(&state.db, &scope)
        .await?
        .into_iter()
        .map(|b| Listed::new(b, today))
        .collect();
    let own = repo::last_own_backup(&state.db).await?;
    render(ListPage {
        page: Page::for_user("Backups", scope.user()).with_notice(notice.say(LIST_NOTICES)),
        manager: scope.is_manager(),
        backups,
        own: own.map(|o| {
            format!(
                "Safety Net's own database was last backed up with safetynet backup on {} ({} tables, {} rows).",
                crate::ukclock::format(o.at),
                o.tables,
                o.rows
            )
        }),
    })
}

/// The practice's backup, or "Page not found".
async fn find(state: &AppState, scope: &PracticeScope, id: BackupId) -> Result<Backup, AppError> {
    repo::find(&state.db, scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The backup's page, with its log, showing `form` and `errors`.
async fn backup_page(
    state: &AppState,
    scope: &PracticeScope,
    b: Backup,
    form: BackupForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let log = repo::log(&state.db, scope, b.id).await?;
    let page = FormPage::new(
        scope,
        Some((b, log)),
        form,
        errors,
        notice,
        state.clock.now(),
    );
    Ok(render(page)?.into_response())
}

pub async fn new_page(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let form = BackupForm::new_backup();
    render(FormPage::new(
        &scope,
        None,
        form,
        FieldErrors::default(),
        None,
        state.clock.now(),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<BackupForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let b = match form.parse() {
        Ok(b) => b,
        Err(errors) => {
            return Ok(
                render(FormPage::new(&scope, None, form, errors, None, now))?.into_response(),
            )
        }
    };
    let mut tx = state.db.begin().await?;
    repo::insert(&mut tx, &scope, &b, now).await?;
    let detail = format!("added backup \"{}\"", b.what);
    audit(&mut tx, &scope, &ip, Action::BackupChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(Notice::redirect("/resilience/backups", "added").into_response())
}

pub async fn show(
    State(state): State<AppState>,
    scope: ViewScope,
    Path(id): Path<BackupId>,
    notice: Notice,
) -> Result<Response, AppError> {
    let b = find(&state, &scope, id).await?;
    let form = BackupForm::from_backup(&b);
    let notice = notice.say(BACKUP_NOTICES);
    backup_page(&state, &scope, b, form, FieldErrors::default(), notice).await
}

pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<BackupId>,
    ValidForm(form): ValidForm<BackupForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let existing = find(&state, &scope, id).await?;
    let b = match form.parse() {
        Ok(b) => b,
        Err(errors) => return backup_page(&state, &scope, existing, form, errors, None).await,
    };
    let mut tx = state.db.begin().await?;
    repo::update(&mut tx, &scope, id, &b, now).await?;
    let detail = format!("changed backup \"{}\"", b.what);
    audit(&mut tx, &scope, &ip, Action::BackupChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(Notice::redirect("/resilience/backups", "saved").into_response())
}

pub async fn record(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<BackupId>,
    ValidForm(form): ValidForm<RecordForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let b = find(&state, &scope, id).await?;
    let r = match form.parse(uk_date(now)) {
        None => {
            return Err(AppError::BadRequest(
                "Choose whether you are recording a backup or a restore test.".into(),
            ))
        }
        Some(Err(errors)) => {
            let details = BackupForm::from_backup(&b);
            return backup_page(&state, &scope, b, details, errors, None).await;
        }
        Some(Ok(r)) => r,
    };
    let detail = match (r.kind, r.result) {
        (LogKind::RestoreTest, result) => format!(
            "recorded a restore test of \"{}\" on {}: {}",
            b.what,
            long_date(r.on),
            result.map(|r| r.label()).unwrap_or("").to_lowercase()
        ),
        (LogKind::Backup, _) => {
            format!("recorded a backup of \"{}\" on {}", b.what, long_date(r.on))
        }
    };
    let mut tx = state.db.begin().await?;
    repo::record(&mut tx, &scope, id, &r, now).await?;
    audit(&mut tx, &scope, &ip, Action::BackupChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(Notice::redirect(&format!("/resilience/backups/{id}"), "recorded").into_response())
}
