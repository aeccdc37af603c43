//! The four handlers of every import, generic over its [`CsvImport`]: the
//! upload form, the upload (read, then stored for the preview), the
//! preview, and the manager's choice. A capability's route table names them
//! with its kind: `.get("/staff/import", PracticeManager, upload_page::<StaffImport>)`.

use axum::extract::{Multipart, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::repo::{self, Ending, Status};
use super::views::{FinishedPage, PreviewPage, UploadPage};
use super::{csv, refusal, Checked, Choice, CsvImport, Outcome, UPLOAD_BODY};
use crate::auth::audit;
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::Db;
use crate::shared::AppState;
use crate::web::{render, AppError, ClientIp, Path, ValidForm};

async fn upload_form<I: CsvImport>(
    state: &AppState,
    scope: &ManagerScope,
    error: Option<String>,
) -> Result<Html<String>, AppError> {
    let help = I::help(&state.db, scope).await?;
    render(UploadPage::new::<I>(scope.user(), help, error))
}

pub async fn upload_page<I: CsvImport>(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    upload_form::<I>(&state, &scope, None).await
}

pub async fn upload<I: CsvImport>(
    State(state): State<AppState>,
    scope: ManagerScope,
    multipart: Multipart,
) -> Result<Response, AppError> {
    // The size is checked with the rest of the file (a form message), except
    // past the body limit, which is refused whole.
    let file =
        match crate::web::upload::read_file(multipart, "file", UPLOAD_BODY, I::DEFAULT_FILENAME)
            .await
        {
            Ok(file) => file,
            Err(AppError::TooLarge(_)) => return Err(AppError::TooLarge(csv::TOO_LARGE.into())),
            Err(e) => return Err(e),
        };
    let Some((filename, bytes)) = file else {
        let error = Some("Choose a CSV file to import.".into());
        return Ok(upload_form::<I>(&state, &scope, error)
            .await?
            .into_response());
    };
    let rows = match I::read(&bytes) {
        Ok(rows) => rows,
        Err(problem) => {
            return Ok(upload_form::<I>(&state, &scope, Some(problem))
                .await?
                .into_response())
        }
    };
    let json = serde_json::to_string(&rows).map_err(anyhow::Error::from)?;
    let mut tx = state.db.begin().await?;
    let id = repo::insert(
        &mut tx,
        I::TABLE,
        &scope,
        &filename,
        &json,
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}/{id}", I::PATH)).into_response())
}

/// A stored import: still waiting for the manager (its file's name and
/// rows), or finished (what it did).
enum Found<C> {
    Pending(String, Vec<C>),
    Finished(repo::Stored),
}

async fn find<I: CsvImport>(
    db: &Db,
    scope: &PracticeScope,
    id: i64,
) -> Result<Found<I::Cells>, AppError> {
    let stored = repo::find(db, I::TABLE, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if stored.status != Status::Preview {
        return Ok(Found::Finished(stored));
    }
    let rows = serde_json::from_str(&stored.rows_json).map_err(anyhow::Error::from)?;
    Ok(Found::Pending(stored.filename, rows))
}

/// Going back to a finished import (the browser's Back button, a second
/// click) shows what it did.
fn finished<I: CsvImport>(id: i64) -> Response {
    Redirect::to(&format!("{}/{id}", I::PATH)).into_response()
}

/// The rows checked against the database as it is now.
async fn check<I: CsvImport>(
    state: &AppState,
    scope: &PracticeScope,
    rows: &[I::Cells],
) -> Result<Vec<Checked<I::Cells, I::Ready>>, AppError> {
    let known = I::known(&state.db, scope, state.clock.now()).await?;
    Ok(I::check(rows, &known))
}

pub async fn preview<I: CsvImport>(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let (filename, rows) = match find::<I>(&state.db, &scope, id).await? {
        Found::Pending(filename, rows) => (filename, rows),
        Found::Finished(stored) => return render(FinishedPage::new::<I>(scope.user(), &stored)),
    };
    let checked = check::<I>(&state, &scope, &rows).await?;
    render(PreviewPage::new::<I>(
        scope.user(),
        id,
        filename,
        &checked,
        None,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    /// "all", "good" or "cancel".
    action: String,
}

pub async fn confirm<I: CsvImport>(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<ConfirmForm>,
) -> Result<Response, AppError> {
    let (filename, rows) = match find::<I>(&state.db, &scope, id).await? {
        Found::Pending(filename, rows) => (filename, rows),
        Found::Finished(_) => return Ok(finished::<I>(id)),
    };
    let choice = Choice::from_form(&form.action);
    if choice == Choice::Cancel {
        let mut tx = state.db.begin().await?;
        let now = state.clock.now();
        repo::finish(&mut tx, I::TABLE, &scope, id, Ending::Cancelled, now).await?;
        tx.commit().await?;
        return Ok(Redirect::to(I::LIST).into_response());
    }
    let checked = check::<I>(&state, &scope, &rows).await?;
    let ready: Vec<&I::Ready> = checked
        .iter()
        .filter_map(|c| match &c.outcome {
            Outcome::Ready(r) => Some(r),
            Outcome::Rejected(_) => None,
        })
        .collect();
    let rejected = checked.len() - ready.len();
    if let Some(error) = refusal(choice, ready.len(), rejected) {
        let page = PreviewPage::new::<I>(scope.user(), id, filename, &checked, Some(error));
        return Ok(render(page)?.into_response());
    }
    let now = state.clock.now();
    // All or nothing, and once: a failure part-way, or a second confirmation,
    // leaves the list as it was.
    let mut tx = state.db.begin().await?;
    let ending = Ending::Imported {
        added: ready.len() as i64,
        skipped: rejected as i64,
    };
    if !repo::finish(&mut tx, I::TABLE, &scope, id, ending, now).await? {
        return Ok(finished::<I>(id));
    }
    I::insert(&mut tx, &scope, &ready, now).await?;
    let detail = format!(
        "{} imported, {rejected} skipped, from {filename}",
        ready.len()
    );
    audit::record_by(&mut tx, &scope, &ip, I::AUDIT, &detail, now).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?done=imported-{}", I::LIST, ready.len())).into_response())
}
