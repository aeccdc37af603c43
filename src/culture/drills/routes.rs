//! Handlers: the drill library and recent runs (manager or champion), one
//! drill with its record form, a run's page, and a person's own drills.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::domain::{self, Checked, OutcomeForm};
use super::plans::{self, PlanForm};
use super::repo::{self, NewRun};
use super::views::{Choice, DrillPage, DrillsPage, MyDrillsPage, RunPage};
use crate::auth::audit::Action;
use crate::auth::PracticeScope;
use crate::culture::library::{self, Drill, DrillKind, OutcomeKey};
use crate::culture::scope::CultureScope;
use crate::people::domain::Showing;
use crate::people::staff::{self, Search};
use crate::shared::{AppState, StaffId};
use crate::training::assignments::{self, Kind, NewAssignment};
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path};

const YEAR: i64 = 365 * 86_400;
/// A "needs more practice" module is due in four weeks: practice, not a penalty.
const PRACTICE_DUE_SECS: i64 = 28 * 86_400;

pub async fn list(
    State(state): State<AppState>,
    scope: CultureScope,
    notice: crate::web::Notice,
) -> Result<Html<String>, AppError> {
    let now = state.clock.now();
    let dept = scope.department(&state.db).await?;
    let min_group = state.settings.simulation.min_group_size;
    let (whose, big_enough) = match dept {
        None => ("the practice".to_string(), true),
        Some(d) => {
            let found = crate::people::departments::all(&state.db, &scope)
                .await?
                .into_iter()
                .find(|x| x.id == d);
            match found {
                Some(x) => (x.name, x.active_staff >= min_group),
                None => (String::new(), false),
            }
        }
    };
    if !scope.is_manager() && dept.is_none() {
        return Err(AppError::Forbidden(
            "You are not in a department yet, so there are no drills to show. Ask your practice manager.",
        ));
    }
    let counts = if big_enough {
        Some(
            repo::outcome_counts(&state.db, scope.practice_id(), dept, (now - YEAR, now + 1))
                .await?,
        )
    } else {
        None
    };
    let kinds = DrillKind::ALL
        .into_iter()
        .filter(|k| k.has_personal_outcomes())
        .map(|k| (k, library::library().drills_of(k).collect()))
        .collect();
    let planned = plans::repo::open(&state.db, scope.practice_id(), dept, "9999-12-31").await?;
    render(DrillsPage {
        page: Page::for_user("Drills", scope.user())
            .with_notice(notice.say(plans::routes::NOTICES)),
        planned,
        kinds,
        runs: repo::recent(&state.db, scope.practice_id(), dept, 20).await?,
        counts,
        whose,
        min_group,
        posters: library::library().drills_of(DrillKind::QrPoster).collect(),
    })
}

pub(crate) fn find_drill(id: &str) -> Result<&'static Drill, AppError> {
    library::drill(id)
        .filter(|d| d.kind.has_personal_outcomes())
        .ok_or(AppError::NotFound)
}

/// Who the scope may record: the manager anyone current, a champion their department.
pub(crate) async fn choices(
    state: &AppState,
    scope: &CultureScope,
) -> Result<(Vec<Choice>, Vec<Choice>), AppError> {
    let dept = scope.department(&state.db).await?;
    let search = Search {
        words: "",
        department: dept,
        showing: Showing::Current,
    };
    let people = staff::search(&state.db, scope, &search)
        .await?
        .into_iter()
        .map(|s| Choice {
            id: s.id.get(),
            name: s.full_name,
        })
        .collect();
    let departments = crate::people::departments::all(&state.db, scope)
        .await?
        .into_iter()
        .filter(|d| dept.is_none_or(|mine| mine == d.id))
        .map(|d| Choice {
            id: d.id,
            name: d.name,
        })
        .collect();
    Ok((people, departments))
}

pub(crate) async fn drill_page(
    state: &AppState,
    scope: &CultureScope,
    drill: &'static Drill,
    form: OutcomeForm,
    plan: PlanForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let (people, departments) = choices(state, scope).await?;
    render(DrillPage {
        page: Page::for_user(drill.title.clone(), scope.user()),
        drill,
        people,
        departments,
        form,
        plan,
        errors,
        outcomes: OutcomeKey::ALL,
        is_manager: scope.is_manager(),
    })
}

pub async fn show(
    State(state): State<AppState>,
    scope: CultureScope,
    Path(drill_id): Path<String>,
) -> Result<Html<String>, AppError> {
    let drill = find_drill(&drill_id)?;
    drill_page(
        &state,
        &scope,
        drill,
        OutcomeForm::default(),
        PlanForm::default(),
        FieldErrors::default(),
    )
    .await
}

pub async fn record(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: CultureScope,
    Path(drill_id): Path<String>,
    form: Result<axum_extra::extract::Form<OutcomeForm>, axum_extra::extract::FormRejection>,
) -> Result<Response, AppError> {
    let drill = find_drill(&drill_id)?;
    let Ok(axum_extra::extract::Form(form)) = form else {
        return Err(AppError::BadRequest(
            "The form could not be read. Go back, check what you entered and try again.".into(),
        ));
    };
    let mut checked = match domain::check(drill, &form) {
        Ok(c) => c,
        Err(errors) => {
            return Ok(
                drill_page(&state, &scope, drill, form, PlanForm::default(), errors)
                    .await?
                    .into_response(),
            )
        }
    };
    // Only people and departments this scope may record (another practice's look missing).
    let (people, departments) = choices(&state, &scope).await?;
    let mut errors = FieldErrors::default();
    if let Some(id) = checked.staff_id {
        if !people.iter().any(|p| p.id == id) {
            errors.add("staff_id", "Choose someone from the list");
        } else {
            let member = staff::find(&state.db, &scope, StaffId::new(id)).await?;
            checked.department_id = member.and_then(|m| m.department_id);
        }
    }
    if let Some(d) = checked.department_id.filter(|_| checked.staff_id.is_none()) {
        if !departments.iter().any(|x| x.id == d) {
            errors.add("department_id", "Choose a department from the list");
        }
    }
    if !errors.is_empty() {
        return Ok(
            drill_page(&state, &scope, drill, form, PlanForm::default(), errors)
                .await?
                .into_response(),
        );
    }
    let run_id = save(&state, &scope, &ip, drill, &checked).await?;
    Ok(Redirect::to(&format!("/culture/drills/runs/{run_id}")).into_response())
}

/// The run, its outcome, any practice module and the audit entry, in one transaction.
async fn save(
    state: &AppState,
    scope: &PracticeScope,
    ip: &str,
    drill: &Drill,
    c: &Checked,
) -> Result<i64, AppError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let run = NewRun {
        drill_id: &drill.id,
        kind: drill.kind.as_str(),
        department_id: c.department_id,
        run_at: now,
        run_by: scope.user().user_id,
    };
    let run_id = repo::insert_run(&mut tx, scope.practice_id(), &run).await?;
    repo::insert_outcome(&mut tx, scope.practice_id(), run_id, c, now).await?;
    // Run up to a week ahead of its day, a planned drill counts as carried out.
    let up_to = crate::ukclock::local_date(now) + time::Duration::days(plans::EARLY_DAYS);
    plans::repo::carried_out(
        &mut tx,
        scope.practice_id(),
        &drill.id,
        c.department_id,
        &crate::resilience::dates::iso(up_to),
        run_id,
    )
    .await?;
    if let (OutcomeKey::NeedsPractice, Some(staff_id)) = (c.outcome, c.staff_id) {
        let reason = format!("A little more practice after the drill \"{}\"", drill.title);
        let a = NewAssignment {
            staff_id: StaffId::new(staff_id),
            module: &drill.training_module,
            kind: Kind::Manager,
            reason: &reason,
            campaign_id: None,
            assigned_at: now,
            due_at: Some(now + PRACTICE_DUE_SECS),
        };
        assignments::assign(&mut tx, scope.practice_id(), &a).await?;
    }
    let detail = format!(
        "recorded drill \"{}\" (run {run_id}): {}",
        drill.title,
        c.outcome.as_str()
    );
    crate::auth::audit::record_by(&mut tx, scope, ip, Action::CultureChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(run_id)
}

pub async fn run_page(
    State(state): State<AppState>,
    scope: CultureScope,
    Path(run_id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let run = repo::find(&state.db, scope.practice_id(), run_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // A champion sees only their own department's runs.
    if !scope.is_manager() {
        let mine = scope.department(&state.db).await?;
        if mine.is_none() || mine != run.department_id {
            return Err(AppError::NotFound);
        }
    }
    let drill = library::drill(&run.drill_id);
    let module = (run.outcome_key() == Some(OutcomeKey::NeedsPractice) && run.staff_id.is_some())
        .then(|| drill.map(|d| d.training_module.clone()))
        .flatten();
    render(RunPage {
        page: Page::for_user("Drill recorded", scope.user()),
        run,
        drill,
        module,
    })
}

pub async fn mine(
    State(state): State<AppState>,
    scope: PracticeScope,
) -> Result<Html<String>, AppError> {
    let runs = match scope.user().staff_id {
        Some(id) => repo::for_person(&state.db, scope.practice_id(), id).await?,
        None => Vec::new(),
    };
    render(MyDrillsPage {
        page: Page::for_user("Your practice drills", scope.user()),
        runs,
    })
}
