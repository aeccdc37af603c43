//! Handlers, all the practice manager's: record an exercise run elsewhere,
//! see it, import its results file (preview, then choose), enter summary
//! counts, or delete it. Each change commits with its audit entry; an
//! import's clicker follow-ups commit with it too.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::domain::{self, ExerciseForm, RunBy, SummaryForm};
use super::import::{self, CheckedRow, PersonResult, RowCells};
use super::repo::{self, ExerciseRow};
use super::views::{self, ListPage, ShowPage};
use crate::auth::audit::{self, Action};
use crate::auth::ManagerScope;
use crate::shared::AppState;
use crate::simulation::reporting::results::shown_departments;
use crate::training::assignments::{self, Kind, NewAssignment, FOLLOW_UP_SECS};
use crate::web::confirm::{self, Confirm};
use crate::web::import::{refusal, Choice, Outcome, UPLOAD_BODY};
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};

/// The module a click in an exercise run elsewhere leads to (we do not know
/// the lure's own, so the general one on spotting phishing).
const FOLLOW_UP_MODULE: &str = "phishing";

/// The reason on a clicker's follow-up, which their own record matches on.
pub fn follow_up_reason(exercise_name: &str) -> String {
    format!("Follow-up to the practice phishing exercise \"{exercise_name}\"")
}

async fn list_page(
    state: &AppState,
    scope: &ManagerScope,
    form: ExerciseForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    render(ListPage {
        page: Page::for_user("Exercises run elsewhere", scope.user()),
        exercises: repo::list(&state.db, scope.practice_id()).await?,
        form,
        errors,
        run_by: RunBy::ALL,
    })
}

pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let form = ExerciseForm {
        run_by: RunBy::NhsEngland.as_str().into(),
        ..Default::default()
    };
    list_page(&state, &scope, form, FieldErrors::default()).await
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<ExerciseForm>,
) -> Result<Response, AppError> {
    let checked = match domain::check(&form) {
        Ok(c) => c,
        Err(errors) => {
            return Ok(list_page(&state, &scope, form, errors)
                .await?
                .into_response())
        }
    };
    let now = state.clock.now();
    let starts_at = crate::ukclock::end_of_day(
        checked
            .starts_on
            .previous_day()
            .unwrap_or(checked.starts_on),
    ) + 1;
    let mut tx = state.db.begin().await?;
    let id = repo::insert(
        &mut tx,
        scope.practice_id(),
        &checked,
        starts_at,
        scope.user().user_id,
        now,
    )
    .await?;
    let detail = format!("recorded \"{}\" ({})", checked.name, checked.run_by.label());
    audit::record_by(
        &mut tx,
        &scope,
        &ip,
        Action::ExternalExerciseChanged,
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/simulation/external/{id}")).into_response())
}

async fn find(state: &AppState, scope: &ManagerScope, id: i64) -> Result<ExerciseRow, AppError> {
    repo::find(&state.db, scope.practice_id(), id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn show_page(
    state: &AppState,
    scope: &ManagerScope,
    e: ExerciseRow,
    upload_error: Option<String>,
    summary: SummaryForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let min_group = state.settings.simulation.min_group_size;
    let rows = repo::by_department(&state.db, scope.practice_id(), e.id).await?;
    let (departments, hidden) = shown_departments(rows, min_group);
    render(ShowPage {
        page: Page::for_user(e.name.clone(), scope.user()),
        e,
        departments,
        hidden,
        min_group,
        upload_error,
        summary,
        errors,
        example_header: import::EXAMPLE_HEADER,
    })
}

pub async fn show(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let e = find(&state, &scope, id).await?;
    let summary = SummaryForm::default();
    show_page(&state, &scope, e, None, summary, FieldErrors::default()).await
}

pub async fn upload(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    // Another practice's exercise is missing, whatever the body.
    let e = find(&state, &scope, id).await?;
    let multipart = multipart.map_err(|_| {
        AppError::BadRequest("The file could not be read. Go back and choose it again.".into())
    })?;
    let file =
        match crate::web::upload::read_file(multipart, "file", UPLOAD_BODY, "results.csv").await {
            Ok(file) => file,
            Err(AppError::TooLarge(_)) => {
                return Err(AppError::TooLarge(
                    crate::web::import::csv::TOO_LARGE.into(),
                ))
            }
            Err(err) => return Err(err),
        };
    let problem = |msg: String| async {
        let page = show_page(
            &state,
            &scope,
            e,
            Some(msg),
            SummaryForm::default(),
            FieldErrors::default(),
        )
        .await?;
        Ok::<Response, AppError>(page.into_response())
    };
    let Some((filename, bytes)) = file else {
        return problem("Choose a CSV file of results to import.".into()).await;
    };
    let rows = match import::read_rows(&bytes) {
        Ok(rows) => rows,
        Err(msg) => return problem(msg).await,
    };
    let json = serde_json::to_string(&rows).map_err(anyhow::Error::from)?;
    let mut tx = state.db.begin().await?;
    let import_id = repo::insert_import(
        &mut tx,
        scope.practice_id(),
        id,
        scope.user().user_id,
        &filename,
        &json,
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/simulation/external/{id}/results/{import_id}")).into_response())
}

/// A stored file still waiting for the manager, checked against the staff list as it is now.
async fn pending(
    state: &AppState,
    scope: &ManagerScope,
    id: i64,
    import_id: i64,
) -> Result<(ExerciseRow, String, Vec<CheckedRow>), AppError> {
    let e = find(state, scope, id).await?;
    let (filename, json, status) = repo::find_import(&state.db, scope.practice_id(), id, import_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if status != "preview" {
        return Err(already_finished());
    }
    let rows: Vec<RowCells> = serde_json::from_str(&json).map_err(anyhow::Error::from)?;
    let staff = repo::staff_by_email(&state.db, scope.practice_id()).await?;
    Ok((e, filename, import::check_rows(&rows, &staff)))
}

fn already_finished() -> AppError {
    AppError::BadRequest(
        "These results have already been imported or cancelled. To import them again, upload the file again.".into(),
    )
}

pub async fn preview(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path((id, import_id)): Path<(i64, i64)>,
) -> Result<Html<String>, AppError> {
    let (e, filename, checked) = pending(&state, &scope, id, import_id).await?;
    render(views::preview(
        scope.user(),
        &e,
        import_id,
        filename,
        &checked,
        None,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    action: String,
}

pub async fn confirm(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path((id, import_id)): Path<(i64, i64)>,
    ValidForm(form): ValidForm<ConfirmForm>,
) -> Result<Response, AppError> {
    let (e, filename, checked) = pending(&state, &scope, id, import_id).await?;
    let practice = scope.practice_id();
    let choice = Choice::from_form(&form.action);
    if choice == Choice::Cancel {
        let mut tx = state.db.begin().await?;
        repo::finish_import(&mut tx, practice, import_id, "cancelled").await?;
        tx.commit().await?;
        return Ok(Redirect::to(&format!("/simulation/external/{id}")).into_response());
    }
    let ready: Vec<&PersonResult> = checked
        .iter()
        .filter_map(|c| match &c.outcome {
            Outcome::Ready(r) => Some(r),
            Outcome::Rejected(_) => None,
        })
        .collect();
    let rejected = checked.len() - ready.len();
    if let Some(error) = refusal(choice, ready.len(), rejected) {
        let page = views::preview(scope.user(), &e, import_id, filename, &checked, Some(error));
        return Ok(render(page)?.into_response());
    }
    let now = state.clock.now();
    // The results, the clickers' follow-ups and the audit entry commit together, once.
    let mut tx = state.db.begin().await?;
    if !repo::finish_import(&mut tx, practice, import_id, "imported").await? {
        return Err(already_finished());
    }
    let already = repo::clickers(&mut tx, id).await?;
    let reason = follow_up_reason(&e.name);
    let mut follow_ups = 0;
    for r in &ready {
        repo::upsert(&mut tx, practice, id, r).await?;
        if (r.clicked.yes || r.submitted.yes) && !already.contains(&r.staff_id) {
            let at = r.clicked.at.or(r.submitted.at).unwrap_or(now).min(now);
            let added = assignments::assign(
                &mut tx,
                practice,
                &NewAssignment {
                    staff_id: r.staff_id,
                    module: FOLLOW_UP_MODULE,
                    kind: Kind::Simulation,
                    reason: &reason,
                    campaign_id: None,
                    assigned_at: at,
                    due_at: Some(now + FOLLOW_UP_SECS),
                },
            )
            .await?;
            follow_ups += i64::from(added);
        }
    }
    repo::recount(&mut tx, practice, id).await?;
    let detail = format!(
        "imported results for \"{}\": {} people, {rejected} rows skipped, {follow_ups} follow-ups assigned, from {filename}",
        e.name,
        ready.len()
    );
    audit::record_by(
        &mut tx,
        &scope,
        &ip,
        Action::ExternalExerciseChanged,
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/simulation/external/{id}?done=imported-{}",
        ready.len()
    ))
    .into_response())
}

pub async fn summary(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<SummaryForm>,
) -> Result<Response, AppError> {
    let e = find(&state, &scope, id).await?;
    let counts = match domain::check_summary(&form) {
        Ok(c) => c,
        Err(errors) => {
            return Ok(show_page(&state, &scope, e, None, form, errors)
                .await?
                .into_response())
        }
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !repo::set_summary(&mut tx, scope.practice_id(), id, &counts).await? {
        return Err(AppError::BadRequest(
            "This exercise already has each person's results, which give its counts.".into(),
        ));
    }
    let detail = format!(
        "summary for \"{}\": {} sent, {} clicked, {} reported",
        e.name, counts.sent, counts.clicked, counts.reported
    );
    audit::record_by(
        &mut tx,
        &scope,
        &ip,
        Action::ExternalExerciseChanged,
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/simulation/external/{id}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    confirm: String,
}

pub async fn delete(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<DeleteForm>,
) -> Result<Response, AppError> {
    let e = find(&state, &scope, id).await?;
    if !confirm::confirmed(&form.confirm) {
        let c = Confirm {
            heading: format!("Delete \"{}\"?", e.name),
            explain: vec![
                "Its results will no longer count in the practice's figures or anyone's record. Training already given stays.".into(),
            ],
            action: format!("/simulation/external/{id}/delete"),
            fields: Vec::new(),
            yes: "Yes, delete it".into(),
            back: format!("/simulation/external/{id}"),
        };
        return Ok(confirm::ask(scope.user(), c)?.into_response());
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !repo::delete(&mut tx, scope.practice_id(), id).await? {
        return Err(AppError::NotFound);
    }
    let detail = format!("deleted \"{}\" and its results", e.name);
    audit::record_by(
        &mut tx,
        &scope,
        &ip,
        Action::ExternalExerciseChanged,
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/simulation/external").into_response())
}
