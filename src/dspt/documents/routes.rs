//! The practice's documents page: what covers which items until when (its
//! own and the ICB's), the upload form, downloads, and withdrawing one.

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::response::{Html, IntoResponse, Response};

use super::domain::{Document, MAX_BYTES};
use super::repo;
use crate::auth::audit::{self, Action, Actor};
use crate::auth::ManagerScope;
use crate::dspt::ids::DocumentId;
use crate::dspt::in_use;
use crate::dspt::toolkit::Item;
use crate::resilience::dates::{numeric, uk_date};
use crate::shared::AppState;
use crate::web::upload::{read_form, UploadForm};
use crate::web::{render, AppError, ClientIp, FieldErrors, Notice, Page, Path};

const NOTICES: &[(&str, &str)] = &[
    (
        "uploaded",
        "Document uploaded. It counts for the items you ticked until the date you gave.",
    ),
    (
        "withdrawn",
        "Document withdrawn: it no longer counts as evidence.",
    ),
];

/// The upload form as typed, for showing again with its problems.
#[derive(Default)]
pub struct Typed {
    pub title: String,
    pub items: Vec<String>,
    pub expires_on: String,
}

impl Typed {
    pub fn of(form: &UploadForm) -> Self {
        Self {
            title: form.get("title").to_string(),
            items: form.all("items").into_iter().map(str::to_string).collect(),
            expires_on: form.get("expires_on").to_string(),
        }
    }

    pub fn ticked(&self, id: &str) -> bool {
        self.items.iter().any(|i| i == id)
    }
}

#[derive(Template)]
#[template(path = "dspt/documents.html")]
struct DocumentsPage {
    page: Page,
    documents: Vec<Document>,
    items: Vec<Item>,
    typed: Typed,
    errors: FieldErrors,
    today: time::Date,
    max_mb: usize,
}

async fn page(
    state: &AppState,
    scope: &ManagerScope,
    typed: Typed,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<Html<String>, AppError> {
    let toolkit = in_use::toolkit(&state.db).await?;
    let today = uk_date(state.clock.now());
    let typed = if typed.expires_on.is_empty() && errors.is_empty() {
        Typed {
            expires_on: numeric(crate::ukclock::add_months(today, 12)),
            ..typed
        }
    } else {
        typed
    };
    render(DocumentsPage {
        page: Page::for_user("Evidence documents", scope.user()).with_notice(notice),
        documents: repo::for_practice(&state.db, scope).await?,
        items: toolkit.items.clone(),
        typed,
        errors,
        today,
        max_mb: MAX_BYTES / (1024 * 1024),
    })
}

/// `/dspt/documents`.
pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    page(
        &state,
        &scope,
        Typed::default(),
        FieldErrors::default(),
        notice.say(NOTICES),
    )
    .await
}

/// The upload: checked whole (type, size, contents, items, date) and stored
/// with its audit entry in one transaction, or shown again with what to fix.
pub async fn upload(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let multipart = multipart.map_err(|_| {
        AppError::BadRequest(
            "The upload could not be read. Choose the file again and retry.".into(),
        )
    })?;
    let form = match read_form(multipart, "file", MAX_BYTES, "").await {
        Ok(Ok(f)) => f,
        Ok(Err(problem)) | Err(AppError::TooLarge(problem)) => {
            let mut errors = FieldErrors::default();
            errors.add("file", problem);
            return Ok(page(&state, &scope, Typed::default(), errors, None)
                .await?
                .into_response());
        }
        Err(e) => return Err(e),
    };
    let now = state.clock.now();
    let toolkit = in_use::toolkit(&state.db).await?;
    let checked = match super::check(&form, &toolkit, uk_date(now)) {
        Ok(c) => c,
        Err(errors) => {
            return Ok(page(&state, &scope, Typed::of(&form), errors, None)
                .await?
                .into_response())
        }
    };
    let mut tx = state.db.begin().await?;
    super::store(
        &mut tx,
        Some(scope.practice_id()),
        &checked,
        &[scope.practice_id()],
        &scope.user().full_name,
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::DsptChanged,
        &format!(
            "uploaded {} ({}) as evidence for {}",
            checked.details.title,
            checked.file_name,
            checked.details.items.join(", ")
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::redirect("/dspt/documents", "uploaded").into_response())
}

/// A document covering the practice, to download.
pub async fn download(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<DocumentId>,
) -> Result<Response, AppError> {
    let f = repo::file_for_practice(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(super::download(f))
}

/// Withdraws one of the practice's own documents.
pub async fn withdraw(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<DocumentId>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !repo::withdraw(&mut tx, &scope, id, now).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::DsptChanged,
        &format!("withdrew evidence document {id}"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::redirect("/dspt/documents", "withdrawn").into_response())
}
