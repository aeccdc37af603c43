//! Handlers: the champion's page, adding to the log, turning an entry into
//! an incident report or a training module, and the champion's responsibilities.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use super::domain::{self, LogForm};
use super::repo::{self, NewEntry};
use super::views::{Colleague, Figures, HomePage};
use crate::auth::audit::Action;
use crate::culture::drills::plans;
use crate::culture::library::{self, DrillKind};
use crate::culture::scope::CultureScope;
use crate::people::domain::Showing;
use crate::people::staff::{self, Search};
use crate::shared::{AppState, StaffId};
use crate::training::assignments::{self, Kind, NewAssignment};
use crate::web::{render, AppError, ClientIp, FieldErrors, Notice, Page, Path, ValidForm};

const NOTICES: &[(&str, &str)] = &[
    (
        "logged",
        "Added to the log. Thank you for helping a colleague.",
    ),
    (
        "reported",
        "Passed to the practice manager as an incident report.",
    ),
    (
        "trained",
        "The module is in their training, due in four weeks.",
    ),
    ("duties", "Your responsibilities are saved."),
];

/// A module from the log is due in four weeks: practice, not a penalty.
const DUE_SECS: i64 = 28 * 86_400;

/// The department a champion looks after; None for the manager (the whole practice).
async fn department(state: &AppState, scope: &CultureScope) -> Result<Option<i64>, AppError> {
    let dept = scope.department(&state.db).await?;
    if !scope.is_manager() && dept.is_none() {
        return Err(AppError::Forbidden(
            "You are not in a department yet. Ask your practice manager to add you to one.",
        ));
    }
    Ok(dept)
}

async fn colleagues(
    state: &AppState,
    scope: &CultureScope,
    dept: Option<i64>,
) -> Result<Vec<Colleague>, AppError> {
    let search = Search {
        words: "",
        department: dept,
        showing: Showing::Current,
    };
    Ok(staff::search(&state.db, scope, &search)
        .await?
        .into_iter()
        .map(|s| Colleague {
            id: s.id.get(),
            name: s.full_name,
        })
        .collect())
}

async fn home_page(
    state: &AppState,
    scope: &CultureScope,
    form: LogForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<Html<String>, AppError> {
    let db = &state.db;
    let practice = scope.practice_id();
    let dept = department(state, scope).await?;
    let now = state.clock.now();
    let today = crate::ukclock::local_date(now);
    let min_group = state.settings.simulation.min_group_size;
    let (whose, people) = match dept {
        None => ("the practice".to_string(), i64::MAX),
        Some(d) => crate::people::departments::all(db, scope)
            .await?
            .into_iter()
            .find(|x| x.id == d)
            .map_or((String::new(), 0), |x| (x.name, x.active_staff)),
    };
    let colleagues = colleagues(state, scope, dept).await?;
    let figures = if people >= min_group {
        let month = (
            crate::culture::reports::domain::start_of(
                crate::culture::reports::domain::month_start(today),
            ),
            now + 1,
        );
        let reports = crate::culture::reports::repo::times(db, practice, dept, month)
            .await?
            .len() as i64;
        let drills =
            crate::culture::drills::repo::outcome_counts(db, practice, dept, month).await?;
        let s = crate::training::settings::load(db, practice).await?;
        let c = crate::training::compliance::summary(db, practice, &s, now).await?;
        let mut due: Vec<i64> = c
            .overdue
            .iter()
            .map(|o| o.staff_id.get())
            .filter(|id| dept.is_none() || colleagues.iter().any(|p| p.id == *id))
            .collect();
        due.sort_unstable();
        due.dedup();
        Some(Figures {
            reports,
            drills,
            training_due: due.len() as i64,
        })
    } else {
        None
    };
    // Two phone or text-message drills not run here in the last 90 days, turning with the month.
    let recent: Vec<String> = crate::culture::drills::repo::recent(db, practice, dept, 200)
        .await?
        .into_iter()
        .filter(|r| r.run_at >= now - 90 * 86_400)
        .map(|r| r.drill_id)
        .collect();
    let fresh: Vec<_> = library::library()
        .drills_of(DrillKind::Phone)
        .chain(library::library().drills_of(DrillKind::SmsCard))
        .filter(|d| !recent.contains(&d.id))
        .collect();
    let turn = usize::from(u8::from(today.month())) % fresh.len().max(1);
    let suggested = fresh
        .iter()
        .cycle()
        .skip(turn)
        .take(2.min(fresh.len()))
        .copied()
        .collect();
    let (since, duties_text) = match (scope.is_manager(), scope.user().staff_id) {
        (false, Some(me)) => match repo::appointment(db, practice, me).await? {
            Some(a) => (
                a.champion_since
                    .as_deref()
                    .and_then(crate::resilience::dates::parse_iso)
                    .map(crate::ukclock::day),
                a.champion_duties,
            ),
            None => (None, String::new()),
        },
        _ => (None, String::new()),
    };
    render(HomePage {
        page: Page::for_user("Your champion's page", scope.user()).with_notice(notice),
        whose,
        is_manager: scope.is_manager(),
        since,
        duties: duties_text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect(),
        figures,
        min_group,
        planned: plans::repo::open(db, practice, dept, "9999-12-31").await?,
        suggested,
        colleagues,
        entries: repo::recent(db, practice, dept, 50).await?,
        modules: crate::simulation::authoring::MODULES,
        form: LogForm {
            happened_on: if form.happened_on.is_empty() {
                today.to_string()
            } else {
                form.happened_on.clone()
            },
            ..form
        },
        errors,
        duties_text,
        champions: if scope.is_manager() {
            repo::champions(db, practice).await?
        } else {
            Vec::new()
        },
    })
}

pub async fn page(
    State(state): State<AppState>,
    scope: CultureScope,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    home_page(
        &state,
        &scope,
        LogForm::default(),
        FieldErrors::default(),
        notice.say(NOTICES),
    )
    .await
}

pub async fn add(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: CultureScope,
    ValidForm(form): ValidForm<LogForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let dept = department(&state, &scope).await?;
    let checked = match domain::check(&form, crate::ukclock::local_date(now)) {
        Ok(c) => c,
        Err(errors) => {
            return Ok(home_page(&state, &scope, form, errors, None)
                .await?
                .into_response())
        }
    };
    // Only a colleague this champion looks after (another practice's look missing).
    let mut entry_dept = dept;
    if let Some(id) = checked.staff_id {
        if !colleagues(&state, &scope, dept)
            .await?
            .iter()
            .any(|c| c.id == id)
        {
            let mut errors = FieldErrors::default();
            errors.add("staff_id", "Choose a colleague from the list, or no one");
            return Ok(home_page(&state, &scope, form, errors, None)
                .await?
                .into_response());
        }
        if dept.is_none() {
            entry_dept = staff::find(&state.db, &scope, StaffId::new(id))
                .await?
                .and_then(|s| s.department_id);
        }
    }
    let happened_on = checked.happened_on.to_string();
    let mut tx = state.db.begin().await?;
    let e = NewEntry {
        department_id: entry_dept,
        staff_id: checked.staff_id,
        kind: checked.kind.as_str(),
        what: &checked.what,
        advice: &checked.advice,
        happened_on: &happened_on,
        logged_by: scope.user().user_id,
        at: now,
    };
    let id = repo::insert(&mut tx, scope.practice_id(), &e).await?;
    let detail = format!(
        "logged a colleague's {} (entry {id})",
        checked.kind.label().to_lowercase()
    );
    crate::auth::audit::record_by(&mut tx, &scope, &ip, Action::CultureChanged, &detail, now)
        .await?;
    tx.commit().await?;
    Ok(Notice::redirect("/culture/champion", "logged").into_response())
}

/// The entry, if this champion (or the manager) may see it.
async fn entry(state: &AppState, scope: &CultureScope, id: i64) -> Result<repo::Entry, AppError> {
    let e = repo::find(&state.db, scope.practice_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let dept = department(state, scope).await?;
    if dept.is_some() && e.department_id != dept {
        return Err(AppError::NotFound);
    }
    Ok(e)
}

pub async fn to_report(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: CultureScope,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let e = entry(&state, &scope, id).await?;
    let now = state.clock.now();
    let happened = format!("{} (passed on by a cyber champion)", e.when());
    let mut tx = state.db.begin().await?;
    let report = crate::resilience::incidents::reports::file_for_champion(
        &mut tx,
        &state,
        &scope,
        e.department_id,
        &e.what,
        &happened,
        &e.advice,
        now,
    )
    .await?;
    if !repo::became_report(&mut tx, scope.practice_id(), id, report).await? {
        return Err(AppError::BadRequest(
            "This entry has already been passed on as an incident report.".into(),
        ));
    }
    let detail = format!("log entry {id} passed on as incident report {report}");
    crate::auth::audit::record_by(&mut tx, &scope, &ip, Action::CultureChanged, &detail, now)
        .await?;
    tx.commit().await?;
    Ok(Notice::redirect("/culture/champion", "reported").into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct TrainingForm {
    pub module: String,
}

pub async fn to_training(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: CultureScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<TrainingForm>,
) -> Result<Response, AppError> {
    let e = entry(&state, &scope, id).await?;
    let Some(staff_id) = e.staff_id else {
        return Err(AppError::BadRequest(
            "This entry names no colleague, so there is no one to give training to.".into(),
        ));
    };
    let Some((module, title)) = crate::simulation::authoring::MODULES
        .iter()
        .find(|(k, _)| *k == form.module)
    else {
        return Err(AppError::BadRequest(
            "Choose a training module from the list.".into(),
        ));
    };
    let now = state.clock.now();
    let reason = format!(
        "Suggested by your cyber champion after: {}",
        e.kind_label().to_lowercase()
    );
    let mut tx = state.db.begin().await?;
    if !repo::became_training(&mut tx, scope.practice_id(), id, module).await? {
        return Err(AppError::BadRequest(
            "This entry has already led to a training module.".into(),
        ));
    }
    let a = NewAssignment {
        staff_id,
        module,
        kind: Kind::Manager,
        reason: &reason,
        campaign_id: None,
        assigned_at: now,
        due_at: Some(now + DUE_SECS),
    };
    assignments::assign(&mut tx, scope.practice_id(), &a).await?;
    let detail = format!("log entry {id}: training \"{title}\" given");
    crate::auth::audit::record_by(&mut tx, &scope, &ip, Action::CultureChanged, &detail, now)
        .await?;
    tx.commit().await?;
    Ok(Notice::redirect("/culture/champion", "trained").into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct DutiesForm {
    pub duties: String,
}

pub async fn save_duties(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: CultureScope,
    ValidForm(form): ValidForm<DutiesForm>,
) -> Result<Response, AppError> {
    let Some(me) = scope.user().staff_id.filter(|_| !scope.is_manager()) else {
        return Err(AppError::NotFound);
    };
    let duties: Vec<&str> = form
        .duties
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if duties.is_empty() || duties.len() > 12 || duties.iter().any(|d| d.chars().count() > 200) {
        let mut errors = FieldErrors::default();
        errors.add(
            "duties",
            "List between 1 and 12 responsibilities, one a line, each under 200 characters",
        );
        return Ok(home_page(&state, &scope, LogForm::default(), errors, None)
            .await?
            .into_response());
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !repo::save_duties(&mut tx, scope.practice_id(), me, &duties.join("\n")).await? {
        return Err(AppError::NotFound);
    }
    crate::auth::audit::record_by(
        &mut tx,
        &scope,
        &ip,
        Action::CultureChanged,
        "changed their champion responsibilities",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::redirect("/culture/champion", "duties").into_response())
}
