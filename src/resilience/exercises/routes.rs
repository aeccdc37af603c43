//! Tabletop exercises' handlers: list and plan one, run it (save notes, who
//! came and actions; start the clock; finish), and the after-action report.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::domain::{due, read_run, Exercise, ExerciseStatus, RunStep};
use super::repo::{self, Saved};
use super::views::{ListPage, NewForm, RunPage};
use crate::auth::audit::Action;
use crate::auth::{ManagerScope, PracticeScope};
use crate::resilience::dates::parse_iso;
use crate::resilience::ids::ExerciseId;
use crate::resilience::plan_content;
use crate::resilience::scope::audit;
use crate::resilience::staff;
use crate::shared::{AppState, StaffId};
use crate::ukclock;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};

async fn list_page(
    state: &AppState,
    scope: &PracticeScope,
    form: NewForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let exercises = repo::all(&state.db, scope).await?;
    let today = ukclock::local_date(state.clock.now());
    let last_done = exercises
        .iter()
        .filter(|e| e.status == ExerciseStatus::Done)
        .map(|e| e.run_on.clone())
        .max();
    render(ListPage {
        page: Page::for_user("Tabletop exercises", scope.user()),
        scenarios: plan_content::scenarios(),
        due: due(last_done.as_deref(), today),
        exercises,
        last_done,
        errors,
        form,
    })
}

pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let form = NewForm {
        run_on: ukclock::local_date(state.clock.now() + 14 * 86_400).to_string(),
        facilitator: scope.user().full_name.clone(),
        ..Default::default()
    };
    list_page(&state, &scope, form, FieldErrors::default()).await
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<NewForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let scenario = plan_content::scenario(&form.scenario);
    if scenario.is_none() {
        errors.add("scenario", "Choose one of the scenarios");
    }
    let run_on = parse_iso(&form.run_on);
    if run_on.is_none() {
        errors.add(
            "run_on",
            "Enter the date of the exercise, for example 2027-01-20",
        );
    }
    let facilitator = form.facilitator.trim();
    if facilitator.is_empty() || facilitator.chars().count() > 200 {
        errors.add("facilitator", "Enter who will run the exercise");
    }
    let (Some(s), Some(run_on), true) = (scenario, run_on, errors.is_empty()) else {
        return Ok(list_page(&state, &scope, form, errors)
            .await?
            .into_response());
    };
    let now = state.clock.now();
    let detail = format!(
        "planned the tabletop exercise \"{}\" for {}",
        s.title,
        crate::ukclock::day(run_on)
    );
    let mut tx = state.db.begin().await?;
    let id = repo::insert(&mut tx, &scope, s, &run_on.to_string(), facilitator, now).await?;
    audit(&mut tx, &scope, &ip, Action::ExerciseChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/resilience/exercises/{id}")).into_response())
}

/// The practice's exercise, or "Page not found" (also for a scenario we no
/// longer ship).
pub async fn find(
    state: &AppState,
    scope: &PracticeScope,
    id: ExerciseId,
) -> Result<Exercise, AppError> {
    repo::find(&state.db, scope, id)
        .await?
        .and_then(Exercise::of)
        .ok_or(AppError::NotFound)
}

pub async fn show(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(exercise_id): Path<ExerciseId>,
) -> Result<Html<String>, AppError> {
    let e = find(&state, &scope, exercise_id).await?;
    let actions = repo::actions(&state.db, &scope, e.id).await?;
    let attending = repo::attendees(&state.db, &scope, e.id).await?;
    let staff = staff::active(&state.db, &scope).await?;
    let now = state.clock.now();
    let page = RunPage::new(
        &scope,
        e,
        actions,
        &attending,
        staff,
        FieldErrors::default(),
        now,
    );
    render(page)
}

/// Saves notes, attendance and actions; `step` = start, save or finish.
pub async fn save(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(exercise_id): Path<ExerciseId>,
    axum_extra::extract::Form(fields): axum_extra::extract::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut e = find(&state, &scope, exercise_id).await?;
    let known: Vec<StaffId> = staff::all_ids(&state.db, &scope).await?;
    let (run, errors) = read_run(&fields, e.scenario.injects.len(), &known);
    let now = state.clock.now();
    if !errors.is_empty() {
        e.notes = run.notes;
        let staff = staff::active(&state.db, &scope).await?;
        let page = RunPage::new(&scope, e, run.actions, &run.attending, staff, errors, now);
        return Ok(render(page)?.into_response());
    }
    let notes = serde_json::to_string(&run.notes).map_err(|e| AppError::Unexpected(e.into()))?;
    let (status, started_at) = match run.step {
        RunStep::Start => (e.status, Some(e.started_at.unwrap_or(now))),
        RunStep::Finish => (ExerciseStatus::Done, e.started_at.or(Some(now))),
        RunStep::Save => (e.status, e.started_at),
    };
    let saved = Saved {
        notes: &notes,
        status,
        started_at,
        attending: &run.attending,
        actions: &run.actions,
    };
    let mut tx = state.db.begin().await?;
    repo::save(&mut tx, &scope, e.id, &saved, now).await?;
    if run.step == RunStep::Finish {
        let detail = format!(
            "finished the tabletop exercise \"{}\" with {} people and {} actions",
            e.scenario.title,
            run.attending.len(),
            run.actions.len()
        );
        audit(&mut tx, &scope, &ip, Action::ExerciseChanged, &detail, now).await?;
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/resilience/exercises/{}", e.id)).into_response())
}
