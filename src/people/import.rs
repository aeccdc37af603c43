//! Importing staff from a CSV file: upload, a preview with what is wrong on
//! each row, then import everything, or only the good rows if the manager
//! chooses. Nothing is written to the staff list until they confirm.

use std::collections::HashSet;

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::csv_import::{self, CheckedRow, KnownDepartment, RowCells, RowOutcome};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::Db;
use crate::shared::AppState;
use crate::web::{render, AppError, ClientIp, Page, Path, ValidForm};
use crate::with_db;

/// The preview shows this many rows of each kind; the counts cover them all.
const SHOW_ROWS: usize = 500;

#[derive(Template)]
#[template(path = "people/import_upload.html")]
struct UploadPage {
    page: Page,
    error: Option<String>,
    departments: Vec<String>,
}

async fn department_names(
    db: &Db,
    scope: &PracticeScope,
) -> Result<Vec<KnownDepartment>, sqlx::Error> {
    let rows: Vec<(i64, String)> = with_db!(db, p => sqlx::query_as("SELECT id, name FROM departments WHERE practice_id = $1 ORDER BY name")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| KnownDepartment { id, name })
        .collect())
}

async fn upload_form(
    state: &AppState,
    scope: &ManagerScope,
    error: Option<String>,
) -> Result<Html<String>, AppError> {
    let departments = department_names(&state.db, scope)
        .await?
        .into_iter()
        .map(|d| d.name)
        .collect();
    render(UploadPage {
        page: Page::for_user("Import staff from a spreadsheet", scope.user()),
        error,
        departments,
    })
}

pub async fn upload_page(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    upload_form(&state, &scope, None).await
}

pub async fn upload(
    State(state): State<AppState>,
    scope: ManagerScope,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let too_large = || {
        AppError::TooLarge("The file is larger than 5 MB. Split it into smaller files and import them one at a time.".into())
    };
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(too_large())
            }
            Err(_) => {
                return Err(AppError::BadRequest(
                    "The upload could not be read. Choose the file again and retry.".into(),
                ))
            }
        };
        if field.name() == Some("file") {
            let name = field
                .file_name()
                .unwrap_or("staff.csv")
                .chars()
                .take(200)
                .collect::<String>();
            let bytes = match field.bytes().await {
                Ok(b) => b,
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(too_large())
                }
                Err(_) => {
                    return Err(AppError::BadRequest(
                        "The upload could not be read. Choose the file again and retry.".into(),
                    ))
                }
            };
            file = Some((name, bytes.to_vec()));
        }
    }
    let Some((filename, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Ok(
            upload_form(&state, &scope, Some("Choose a CSV file to import.".into()))
                .await?
                .into_response(),
        );
    };
    let rows = match csv_import::read_rows(&bytes) {
        Ok(rows) => rows,
        Err(problem) => {
            return Ok(upload_form(&state, &scope, Some(problem.to_string()))
                .await?
                .into_response())
        }
    };
    let json = serde_json::to_string(&rows).map_err(anyhow::Error::from)?;
    let (id,): (i64,) = with_db!(&state.db, p => sqlx::query_as(
        "INSERT INTO staff_imports (practice_id, created_by, created_at, filename, rows_json, status) VALUES ($1, $2, $3, $4, $5, 'preview') RETURNING id")
        .bind(scope.practice_id()).bind(scope.user().user_id).bind(state.clock.now()).bind(&filename).bind(&json)
        .fetch_one(p).await)?;
    Ok(Redirect::to(&format!("/staff/import/{id}")).into_response())
}

struct PendingImport {
    filename: String,
    rows: Vec<RowCells>,
}

async fn load(db: &Db, scope: &PracticeScope, id: i64) -> Result<PendingImport, AppError> {
    let row: Option<(String, String, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT filename, rows_json, status FROM staff_imports WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    let (filename, json, status) = row.ok_or(AppError::NotFound)?;
    if status != "preview" {
        return Err(AppError::BadRequest(
            "This import has already been finished or cancelled. To import more staff, upload the file again.".into(),
        ));
    }
    let rows = serde_json::from_str(&json).map_err(anyhow::Error::from)?;
    Ok(PendingImport { filename, rows })
}

/// Re-checks the rows against the staff list as it is now.
async fn check(
    db: &Db,
    scope: &PracticeScope,
    rows: &[RowCells],
) -> Result<Vec<CheckedRow>, AppError> {
    let departments = department_names(db, scope).await?;
    let emails: Vec<(String,)> = with_db!(db, p => sqlx::query_as("SELECT email FROM staff WHERE practice_id = $1")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    let existing: HashSet<String> = emails.into_iter().map(|e| e.0).collect();
    Ok(csv_import::check_rows(rows, &departments, &existing))
}

pub struct PreviewRow {
    pub line: usize,
    pub cells: RowCells,
    pub problems: Vec<String>,
    /// Which cells have a problem, for highlighting.
    pub bad: Vec<String>,
}

#[derive(Template)]
#[template(path = "people/import_preview.html")]
struct PreviewPage {
    page: Page,
    id: i64,
    filename: String,
    ready: usize,
    rejected: usize,
    rejected_rows: Vec<PreviewRow>,
    ready_rows: Vec<PreviewRow>,
    shown_limit: usize,
    error: Option<String>,
}

fn preview_page(
    scope: &ManagerScope,
    id: i64,
    filename: String,
    checked: &[CheckedRow],
    error: Option<String>,
) -> PreviewPage {
    let to_row = |c: &CheckedRow| {
        let (problems, bad) = match &c.outcome {
            RowOutcome::Ready(_) => (Vec::new(), Vec::new()),
            RowOutcome::Rejected(errs) => (
                errs.iter().map(|e| e.message.clone()).collect(),
                errs.iter().map(|e| e.field.clone()).collect(),
            ),
        };
        PreviewRow {
            line: c.cells.line,
            cells: c.cells.clone(),
            problems,
            bad,
        }
    };
    let rejected: Vec<&CheckedRow> = checked
        .iter()
        .filter(|c| matches!(c.outcome, RowOutcome::Rejected(_)))
        .collect();
    let ready: Vec<&CheckedRow> = checked
        .iter()
        .filter(|c| matches!(c.outcome, RowOutcome::Ready(_)))
        .collect();
    PreviewPage {
        page: Page::for_user("Check the staff before importing", scope.user()),
        id,
        filename,
        ready: ready.len(),
        rejected: rejected.len(),
        rejected_rows: rejected.iter().take(SHOW_ROWS).map(|c| to_row(c)).collect(),
        ready_rows: ready.iter().take(SHOW_ROWS).map(|c| to_row(c)).collect(),
        shown_limit: SHOW_ROWS,
        error,
    }
}

pub async fn preview(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let pending = load(&state.db, &scope, id).await?;
    let checked = check(&state.db, &scope, &pending.rows).await?;
    render(preview_page(&scope, id, pending.filename, &checked, None))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    /// "all", "good" or "cancel".
    action: String,
}

pub async fn confirm(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<ConfirmForm>,
) -> Result<Response, AppError> {
    let pending = load(&state.db, &scope, id).await?;
    if form.action == "cancel" {
        with_db!(&state.db, p => sqlx::query("UPDATE staff_imports SET status = 'cancelled' WHERE id = $1 AND practice_id = $2")
            .bind(id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
        return Ok(Redirect::to("/staff").into_response());
    }
    let checked = check(&state.db, &scope, &pending.rows).await?;
    let ready: Vec<&csv_import::NewStaff> = checked
        .iter()
        .filter_map(|c| match &c.outcome {
            RowOutcome::Ready(s) => Some(s),
            RowOutcome::Rejected(_) => None,
        })
        .collect();
    let rejected = checked.len() - ready.len();
    let error = match form.action.as_str() {
        "all" if rejected > 0 => Some(format!(
            "{rejected} rows have problems, so nothing has been imported. Correct the file and upload it again, or choose to import only the {} good rows.",
            ready.len()
        )),
        "all" | "good" if ready.is_empty() => Some("There are no rows without problems to import.".to_string()),
        "all" | "good" => None,
        _ => Some("Choose whether to import all the rows or only the good ones.".to_string()),
    };
    if error.is_some() {
        return Ok(
            render(preview_page(&scope, id, pending.filename, &checked, error))?.into_response(),
        );
    }
    let now = state.clock.now();
    let practice_id = scope.practice_id();
    // All or nothing: a failure part-way leaves the staff list as it was.
    with_db!(&state.db, p => {
        let mut tx = p.begin().await?;
        for chunk in ready.chunks(500) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO staff (practice_id, department_id, full_name, email, job_role, start_date, employment_type, created_at) ");
            qb.push_values(chunk, |mut b, s| {
                b.push_bind(practice_id).push_bind(s.department_id).push_bind(s.full_name.as_str().to_string())
                    .push_bind(s.email.as_str().to_string()).push_bind(s.job_role.as_str().to_string())
                    .push_bind(s.start_date.as_ref().map(|d| d.as_iso())).push_bind(s.employment_type.as_str()).push_bind(now);
            });
            qb.build().execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE staff_imports SET status = 'imported' WHERE id = $1 AND practice_id = $2")
            .bind(id).bind(practice_id).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    let detail = format!(
        "{} imported, {rejected} skipped, from {}",
        ready.len(),
        pending.filename
    );
    audit::record_alone(
        &state.db,
        Some(practice_id),
        &Actor::user(scope.user(), &ip),
        Action::StaffImported,
        &detail,
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/staff?done=imported-{}", ready.len())).into_response())
}
