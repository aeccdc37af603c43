//! Incidents' handlers: list and declare, the incident page, and what
//! happens during and after one (log, tick actions, assess, report to the
//! ICO, close with a review, lessons learned). Each change commits with its
//! log line and audit entry.

use axum::extract::{RawForm, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::domain::{
    can_lead, grade, ico_deadline, ico_reportable, Incident, Lesson, LessonAction,
};
use super::repo::{self, Declared};
use super::views::{DeclareForm, IncidentPage, ListPage, Listed};
use crate::auth::audit::Action;
use crate::auth::PracticeScope;
use crate::db::Tx;
use crate::resilience::dates::local_input;
use crate::resilience::ids::{IncidentId, PlanId};
use crate::resilience::plans::repo as plans;
use crate::resilience::scope::audit;
use crate::resilience::staff;
use crate::shared::AppState;
use crate::training::assignments::{self, Kind, NewAssignment};
use crate::ukclock;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};

/// The practice's incident, or "Page not found".
async fn find(
    state: &AppState,
    scope: &PracticeScope,
    id: IncidentId,
) -> Result<Incident, AppError> {
    repo::find(&state.db, scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

fn to_incident(id: IncidentId, anchor: &str) -> Response {
    Redirect::to(&format!("/resilience/incidents/{id}{anchor}")).into_response()
}

async fn list_page(
    state: &AppState,
    scope: &PracticeScope,
    form: DeclareForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let incidents = repo::recent(&state.db, scope).await?;
    let plans = plans::all(&state.db, scope)
        .await?
        .into_iter()
        .map(|p| (p.id, p.body.title))
        .collect();
    let can_declare = can_lead(scope).is_ok();
    let reports = if can_declare {
        super::reports::recent(&state.db, scope, 20).await?
    } else {
        Vec::new()
    };
    render(ListPage {
        page: Page::for_user("Incidents", scope.user()),
        incidents: incidents.into_iter().map(Listed::new).collect(),
        plans,
        can_declare,
        reports,
        form,
        errors,
    })
}

pub async fn list(
    State(state): State<AppState>,
    scope: PracticeScope,
) -> Result<Html<String>, AppError> {
    let form = DeclareForm {
        aware_at: local_input(state.clock.now()),
        ..Default::default()
    };
    list_page(&state, &scope, form, FieldErrors::default()).await
}

pub async fn declare(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: PracticeScope,
    ValidForm(form): ValidForm<DeclareForm>,
) -> Result<Response, AppError> {
    can_lead(&scope)?;
    let mut errors = FieldErrors::default();
    let now = state.clock.now();
    let plan = match form.plan_id.parse::<PlanId>() {
        Ok(id) => plans::find(&state.db, &scope, id).await.ok().flatten(),
        Err(_) => None,
    };
    if plan.is_none() {
        errors.add("plan_id", "Choose the plan to follow. If there is none yet, a practice manager can start one from a template under Plans.");
    }
    let title = form.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        errors.add("title", "Give the incident a short name (up to 200 characters), like \"Ransom note on reception PC 2\"");
    }
    let aware = ukclock::parse_local(&form.aware_at);
    match aware {
        None => errors.add(
            "aware_at",
            "Enter when the practice became aware, as a date and time",
        ),
        Some(t) if t > now + 300 => errors.add(
            "aware_at",
            "The time the practice became aware cannot be in the future",
        ),
        _ => {}
    }
    if form.what.chars().count() > 4000 {
        errors.add(
            "what",
            "Keep the first note under 4,000 characters; add more to the log afterwards",
        );
    }
    let (Some(plan), Some(aware), true) = (plan, aware, errors.is_empty()) else {
        return Ok(list_page(&state, &scope, form, errors)
            .await?
            .into_response());
    };
    let first = if form.what.trim().is_empty() {
        format!("Incident declared, following the {} plan.", plan.body.title)
    } else {
        form.what.trim().to_string()
    };
    let checklist = plan.body.checklist();
    let declared = Declared {
        plan_id: plan.id,
        title,
        aware_at: aware,
        personal_data: plan.body.personal_data,
        checklist: &checklist,
    };
    let detail = format!("declared incident \"{title}\" ({} plan)", plan.body.title);
    let mut tx = state.db.begin().await?;
    let id = repo::insert(&mut tx, &scope, &declared, now).await?;
    repo::add_log(&mut tx, &scope, id, &first, now).await?;
    audit(&mut tx, &scope, &ip, Action::IncidentChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(to_incident(id, ""))
}

/// Writes a line to the incident's log and the matching entry to the
/// practice's audit log, in the change's transaction.
async fn note(
    tx: &mut Tx,
    scope: &PracticeScope,
    ip: &str,
    i: &Incident,
    log: &str,
    audit_detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    repo::add_log(tx, scope, i.id, log, now).await?;
    audit(tx, scope, ip, Action::IncidentChanged, audit_detail, now).await
}

pub async fn show(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(incident_id): Path<IncidentId>,
) -> Result<Html<String>, AppError> {
    let i = find(&state, &scope, incident_id).await?;
    let checks = repo::checks(&state.db, &scope, i.id).await?;
    let log = repo::log(&state.db, &scope, i.id).await?;
    let lessons = repo::lessons(&state.db, &scope, i.id).await?;
    let now = state.clock.now();
    render(IncidentPage::new(&scope, i, checks, log, lessons, now))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LogForm {
    text: String,
}

pub async fn log(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(incident_id): Path<IncidentId>,
    ValidForm(form): ValidForm<LogForm>,
) -> Result<Response, AppError> {
    let i = find(&state, &scope, incident_id).await?;
    let text = form.text.trim();
    if text.is_empty() || text.chars().count() > 4000 {
        return Err(AppError::BadRequest(
            "Write what happened or what you did (up to 4,000 characters), then add it to the log."
                .into(),
        ));
    }
    let mut tx = state.db.begin().await?;
    repo::add_log(&mut tx, &scope, i.id, text, state.clock.now()).await?;
    tx.commit().await?;
    Ok(to_incident(i.id, "#log"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CheckForm {
    item: String,
    done: String,
}

/// Ticking an action also writes it to the log, so the log tells the whole story.
pub async fn check(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(incident_id): Path<IncidentId>,
    ValidForm(form): ValidForm<CheckForm>,
) -> Result<Response, AppError> {
    let i = find(&state, &scope, incident_id).await?;
    let item: usize = form
        .item
        .parse()
        .ok()
        .filter(|n| *n < i.checklist.len())
        .ok_or_else(|| {
            AppError::BadRequest("That action is not on this incident's checklist.".into())
        })?;
    let now = state.clock.now();
    let text = &i.checklist[item].1.text;
    let mut tx = state.db.begin().await?;
    if form.done == "yes" {
        if repo::tick(&mut tx, &scope, i.id, item as i64, now).await? {
            repo::add_log(&mut tx, &scope, i.id, &format!("Done: {text}"), now).await?;
        }
    } else if repo::untick(&mut tx, &scope, i.id, item as i64).await? {
        let line = format!("Not done after all: {text}");
        repo::add_log(&mut tx, &scope, i.id, &line, now).await?;
    }
    tx.commit().await?;
    Ok(to_incident(i.id, &format!("#item-{item}")))
}

/// Saves the whole checklist at once (one form, one box per action): the
/// ticked boxes are done, the others not; each change goes in the log.
pub async fn save_checklist(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(incident_id): Path<IncidentId>,
    RawForm(raw): RawForm,
) -> Result<Response, AppError> {
    let i = find(&state, &scope, incident_id).await?;
    let ticked: std::collections::HashSet<usize> = url::form_urlencoded::parse(&raw)
        .filter(|(k, _)| k == "done")
        .filter_map(|(_, v)| v.parse().ok())
        .filter(|n| *n < i.checklist.len())
        .collect();
    let before: std::collections::HashSet<usize> = repo::checks(&state.db, &scope, i.id)
        .await?
        .into_iter()
        .filter_map(|c| usize::try_from(c.item).ok())
        .collect();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    for (n, (_, step)) in i.checklist.iter().enumerate() {
        let line = match (ticked.contains(&n), before.contains(&n)) {
            (true, false) if repo::tick(&mut tx, &scope, i.id, n as i64, now).await? => {
                format!("Done: {}", step.text)
            }
            (false, true) if repo::untick(&mut tx, &scope, i.id, n as i64).await? => {
                format!("Not done after all: {}", step.text)
            }
            _ => continue,
        };
        repo::add_log(&mut tx, &scope, i.id, &line, now).await?;
    }
    tx.commit().await?;
    Ok(to_incident(i.id, "#checklist"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssessForm {
    likelihood: String,
    severity: String,
    personal_data: String,
}

pub async fn assess(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: PracticeScope,
    Path(incident_id): Path<IncidentId>,
    ValidForm(form): ValidForm<AssessForm>,
) -> Result<Response, AppError> {
    can_lead(&scope)?;
    let i = find(&state, &scope, incident_id).await?;
    let (Some(l), Some(s)) = (grade(&form.likelihood), grade(&form.severity)) else {
        return Err(AppError::BadRequest("Choose one likelihood and one severity from the lists (1 to 5). Nothing has been changed.".into()));
    };
    let personal = form.personal_data == "yes";
    let verdict = if ico_reportable(l as u8, s as u8) {
        "reportable to the ICO"
    } else {
        "not reportable to the ICO"
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    repo::assess(&mut tx, &scope, i.id, l, s, personal).await?;
    note(
        &mut tx,
        &scope,
        &ip,
        &i,
        &format!("Assessed: likelihood {l}, severity {s}: {verdict} under the DSPT test."),
        &format!(
            "assessed incident \"{}\": likelihood {l}, severity {s}, {verdict}",
            i.title
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(to_incident(i.id, ""))
}

pub async fn reported(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: PracticeScope,
    Path(incident_id): Path<IncidentId>,
) -> Result<Response, AppError> {
    can_lead(&scope)?;
    let i = find(&state, &scope, incident_id).await?;
    let now = state.clock.now();
    let within = if now <= ico_deadline(i.aware_at) {
        "within"
    } else {
        "after"
    };
    let mut tx = state.db.begin().await?;
    repo::reported(&mut tx, &scope, i.id, now).await?;
    note(
        &mut tx,
        &scope,
        &ip,
        &i,
        &format!("Reported through the DSPT incident reporting tool ({within} the 72 hours)."),
        &format!("recorded the ICO report for \"{}\"", i.title),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(to_incident(i.id, ""))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CloseForm {
    review: String,
}

pub async fn close(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: PracticeScope,
    Path(incident_id): Path<IncidentId>,
    ValidForm(form): ValidForm<CloseForm>,
) -> Result<Response, AppError> {
    can_lead(&scope)?;
    let i = find(&state, &scope, incident_id).await?;
    let review = form.review.trim();
    if review.is_empty() || review.chars().count() > 8000 {
        return Err(AppError::BadRequest("Write a short review before closing: what happened, what went well, what to change (up to 8,000 characters). The incident is still open.".into()));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    repo::close(&mut tx, &scope, i.id, review, now).await?;
    let detail = format!("closed incident \"{}\"", i.title);
    note(
        &mut tx,
        &scope,
        &ip,
        &i,
        "Incident closed after review.",
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(to_incident(i.id, ""))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LessonForm {
    text: String,
    /// none, training or plan.
    action: String,
    module: String,
}

/// A lesson learned, optionally turned straight into training for everyone or
/// into a change to make to the plan (shown on the plan until it is edited).
pub async fn lesson(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: PracticeScope,
    Path(incident_id): Path<IncidentId>,
    ValidForm(form): ValidForm<LessonForm>,
) -> Result<Response, AppError> {
    can_lead(&scope)?;
    let i = find(&state, &scope, incident_id).await?;
    let text = form.text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(AppError::BadRequest(
            "Write the lesson in a sentence or two (up to 2,000 characters).".into(),
        ));
    }
    let now = state.clock.now();
    let action = LessonAction::from_key(&form.action).unwrap_or(LessonAction::Record);
    let staff = match action {
        LessonAction::Training => staff::active(&state.db, &scope).await?,
        _ => Vec::new(),
    };
    // The lesson, its training or plan note and the audit entry commit together.
    let mut tx = state.db.begin().await?;
    let outcome = match action {
        LessonAction::Training => {
            let m = crate::training::content::catalogue()
                .module(&form.module)
                .ok_or_else(|| {
                    AppError::BadRequest("Choose the training module to assign.".into())
                })?;
            let due = ukclock::end_of_day(ukclock::local_date(now) + time::Duration::days(28));
            let reason = format!("Lesson from the incident \"{}\"", i.title);
            let mut n = 0;
            for member in staff {
                let new = NewAssignment {
                    staff_id: member.id,
                    module: m.slug,
                    kind: Kind::Manager,
                    reason: &reason,
                    campaign_id: None,
                    assigned_at: now,
                    due_at: Some(due),
                };
                n += u32::from(assignments::assign(&mut tx, scope.practice_id(), &new).await?);
            }
            format!("\"{}\" assigned to {n} people, due in 4 weeks", m.title)
        }
        LessonAction::Plan => "Noted on the plan as a change to make".to_string(),
        LessonAction::Record => "Recorded".to_string(),
    };
    let lesson = Lesson {
        text: text.to_string(),
        outcome,
    };
    let detail = format!("lesson from \"{}\": {}", i.title, lesson.outcome);
    if action == LessonAction::Plan {
        plans::add_note(&mut tx, &scope, i.plan_id, i.id, text, now).await?;
    }
    repo::add_lesson(&mut tx, &scope, i.id, &lesson, now).await?;
    audit(&mut tx, &scope, &ip, Action::IncidentChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(to_incident(i.id, "#review"))
}
