//! Incident mode: declare an incident from a plan, keep a live log, tick off
//! the plan's actions as people do them, and — for personal data — watch the
//! ICO's 72 hours and apply the DSPT reportability test. Afterwards a review
//! whose lessons become training assignments or changes to the plan.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::plan_content::{role_title, Step};
use super::plans;
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{PracticeScope, Role};
use crate::db::Db;
use crate::shared::{AppState, PracticeId};
use crate::training::assignments::{self, Kind, NewAssignment};
use crate::ukclock;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};
use crate::with_db;

/// UK GDPR Article 33: report within 72 hours of becoming aware, where feasible.
pub const ICO_HOURS: i64 = 72;

pub const LIKELIHOOD: [&str; 5] = [
    "Not occurred: no sign the data was seen or misused",
    "Not likely, or any incident involving vulnerable people",
    "Likely",
    "Highly likely",
    "Occurred: the data has been misused",
];
pub const SEVERITY: [&str; 5] = [
    "No adverse effect",
    "Potentially some minor adverse effect, or any incident involving vulnerable people",
    "Potentially some adverse effect",
    "Potentially pain and suffering or financial loss",
    "Loss of life or catastrophic harm",
];

/// The DSPT incident reporting tool's test: reportable to the ICO when the
/// likelihood of harm is at least "likely" and its severity at least "minor".
pub fn ico_reportable(likelihood: u8, severity: u8) -> bool {
    likelihood >= 3 && severity >= 2
}

/// The ICO deadline for an incident the practice became aware of at `aware_at`:
/// 72 real hours, whatever the clocks do in between.
pub fn ico_deadline(aware_at: i64) -> i64 {
    aware_at + ICO_HOURS * 3600
}

/// "31 hours 5 minutes left" or "passed 3 hours ago".
pub fn time_left(deadline: i64, now: i64) -> String {
    let d = deadline - now;
    let (h, m) = (d.abs() / 3600, d.abs() % 3600 / 60);
    if d >= 0 {
        format!("{h} hours {m} minutes left")
    } else {
        format!("passed {h} hours {m} minutes ago")
    }
}

fn can_lead(scope: &PracticeScope) -> Result<(), AppError> {
    match scope.role() {
        Role::Manager | Role::Champion => Ok(()),
        _ => Err(AppError::Forbidden("declaring, assessing and closing an incident is for the practice manager and cyber champions; anyone can add to the log")),
    }
}

pub struct Incident {
    pub id: i64,
    pub plan_id: i64,
    pub title: String,
    pub declared_at: i64,
    pub declared_by: String,
    pub aware_at: i64,
    pub personal_data: bool,
    pub likelihood: Option<i64>,
    pub severity: Option<i64>,
    pub ico_reported_at: Option<i64>,
    pub status: String,
    pub review: Option<String>,
    pub checklist: Vec<(String, Step)>,
}

type Row = (
    i64,
    i64,
    String,
    i64,
    String,
    i64,
    bool,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
    Option<String>,
    String,
);

impl Incident {
    pub fn deadline(&self) -> String {
        ukclock::format(ico_deadline(self.aware_at))
    }
    pub fn declared(&self) -> String {
        ukclock::format(self.declared_at)
    }
    pub fn aware(&self) -> String {
        ukclock::format(self.aware_at)
    }
    pub fn reportable(&self) -> Option<bool> {
        match (self.likelihood, self.severity) {
            (Some(l), Some(s)) => Some(ico_reportable(l as u8, s as u8)),
            _ => None,
        }
    }
    pub fn reported(&self) -> String {
        self.ico_reported_at
            .map(ukclock::format)
            .unwrap_or_default()
    }
    pub fn is_open(&self) -> bool {
        self.status == "open"
    }
}

async fn find(db: &Db, practice_id: PracticeId, id: i64) -> Result<Incident, AppError> {
    let row: Option<Row> = with_db!(db, p => sqlx::query_as(
        "SELECT id, plan_id, title, declared_at, declared_by, aware_at, personal_data, likelihood, severity, ico_reported_at, status, review, checklist \
         FROM incidents WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(practice_id).fetch_optional(p).await)?;
    let r = row.ok_or(AppError::NotFound)?;
    let checklist: Vec<(String, Step)> =
        serde_json::from_str(&r.12).map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(Incident {
        id: r.0,
        plan_id: r.1,
        title: r.2,
        declared_at: r.3,
        declared_by: r.4,
        aware_at: r.5,
        personal_data: r.6,
        likelihood: r.7,
        severity: r.8,
        ico_reported_at: r.9,
        status: r.10,
        review: r.11,
        checklist,
    })
}

// ---- List and declare ------------------------------------------------------------------

pub struct Listed {
    pub id: i64,
    pub title: String,
    pub declared: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "resilience/incidents.html")]
struct ListPage {
    page: Page,
    incidents: Vec<Listed>,
    plans: Vec<(i64, String)>,
    can_declare: bool,
    form: DeclareForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeclareForm {
    plan_id: String,
    title: String,
    what: String,
    aware_at: String,
}

async fn list_page(
    state: &AppState,
    scope: &PracticeScope,
    form: DeclareForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let rows: Vec<(i64, String, i64, String)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT id, title, declared_at, status FROM incidents WHERE practice_id = $1 ORDER BY declared_at DESC LIMIT 200")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    let plans = plans::all(&state.db, scope.practice_id())
        .await?
        .into_iter()
        .map(|p| (p.id, p.body.title))
        .collect();
    render(ListPage {
        page: Page::for_user("Incidents", scope.user()),
        incidents: rows
            .into_iter()
            .map(|(id, title, at, status)| Listed {
                id,
                title,
                declared: ukclock::format(at),
                status,
            })
            .collect(),
        plans,
        can_declare: can_lead(scope).is_ok(),
        form,
        errors,
    })
}

pub async fn list(
    State(state): State<AppState>,
    scope: PracticeScope,
) -> Result<Html<String>, AppError> {
    let now = ukclock::local(state.clock.now());
    let form = DeclareForm {
        aware_at: format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute()
        ),
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
    let plan = match form.plan_id.parse::<i64>() {
        Ok(id) => plans::find(&state.db, scope.practice_id(), id).await.ok(),
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
    let checklist = serde_json::to_string(&plan.body.checklist())
        .map_err(|e| AppError::Unexpected(e.into()))?;
    let (id,): (i64,) = with_db!(&state.db, p => sqlx::query_as(
        "INSERT INTO incidents (practice_id, plan_id, title, declared_at, declared_by, aware_at, personal_data, status, checklist) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8) RETURNING id")
        .bind(scope.practice_id()).bind(plan.id).bind(title).bind(now).bind(&scope.user().full_name).bind(aware)
        .bind(plan.body.personal_data).bind(&checklist).fetch_one(p).await)?;
    let first = if form.what.trim().is_empty() {
        format!("Incident declared, following the {} plan.", plan.body.title)
    } else {
        form.what.trim().to_string()
    };
    add_log(
        &state.db,
        scope.practice_id(),
        id,
        now,
        &scope.user().full_name,
        &first,
    )
    .await?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::IncidentChanged,
        &format!("declared incident \"{title}\" ({} plan)", plan.body.title),
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/resilience/incidents/{id}")).into_response())
}

/// Writes a line to the incident's log and the matching entry to the practice's audit log.
async fn note(
    state: &AppState,
    scope: &PracticeScope,
    ip: &str,
    i: &Incident,
    log: &str,
    audit_detail: &str,
) -> Result<(), AppError> {
    let now = state.clock.now();
    add_log(
        &state.db,
        scope.practice_id(),
        i.id,
        now,
        &scope.user().full_name,
        log,
    )
    .await?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), ip),
        Action::IncidentChanged,
        audit_detail,
        now,
    )
    .await?;
    Ok(())
}

async fn add_log(
    db: &Db,
    practice_id: PracticeId,
    incident_id: i64,
    at: i64,
    author: &str,
    text: &str,
) -> Result<(), sqlx::Error> {
    with_db!(db, p => sqlx::query("INSERT INTO incident_log (incident_id, practice_id, at, author, text) VALUES ($1, $2, $3, $4, $5)")
        .bind(incident_id).bind(practice_id).bind(at).bind(author).bind(text).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

// ---- The incident page -----------------------------------------------------------------

pub struct CheckItem {
    pub index: usize,
    pub phase: String,
    pub new_phase: bool,
    pub who: &'static str,
    pub text: String,
    pub done: Option<String>,
}

#[derive(Template)]
#[template(path = "resilience/incident.html")]
struct IncidentPage {
    page: Page,
    i: Incident,
    items: Vec<CheckItem>,
    done: usize,
    log: Vec<(String, String, String)>,
    lessons: Vec<(String, String)>,
    left: String,
    overdue: bool,
    can_lead: bool,
    likelihood: Vec<(i64, &'static str, bool)>,
    severity: Vec<(i64, &'static str, bool)>,
    modules: Vec<(&'static str, String)>,
    /// Who to call, whatever the plan says: NHS England's 24/7 centre first.
    contacts: &'static [super::plan_content::NationalContact],
}

fn grades(labels: &[&'static str; 5], chosen: Option<i64>) -> Vec<(i64, &'static str, bool)> {
    (1..=5)
        .map(|n| (n, labels[n as usize - 1], chosen == Some(n)))
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(incident_id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let i = find(&state.db, scope.practice_id(), incident_id).await?;
    let checks: Vec<(i64, i64, String)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT item, done_at, done_by FROM incident_checks WHERE incident_id = $1 AND practice_id = $2")
        .bind(i.id).bind(scope.practice_id()).fetch_all(p).await)?;
    let log: Vec<(i64, String, String)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT at, author, text FROM incident_log WHERE incident_id = $1 AND practice_id = $2 ORDER BY at DESC, id DESC")
        .bind(i.id).bind(scope.practice_id()).fetch_all(p).await)?;
    let lessons: Vec<(String, String)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT text, outcome FROM incident_lessons WHERE incident_id = $1 AND practice_id = $2 ORDER BY id")
        .bind(i.id).bind(scope.practice_id()).fetch_all(p).await)?;
    let mut last_phase = String::new();
    let items: Vec<CheckItem> = i
        .checklist
        .iter()
        .enumerate()
        .map(|(index, (phase, step))| {
            let new_phase = *phase != last_phase;
            last_phase = phase.clone();
            CheckItem {
                index,
                phase: phase.clone(),
                new_phase,
                who: role_title(&step.role),
                text: step.text.clone(),
                done: checks
                    .iter()
                    .find(|(n, ..)| *n as usize == index)
                    .map(|(_, at, by)| format!("{} by {by}", ukclock::format(*at))),
            }
        })
        .collect();
    let now = state.clock.now();
    let deadline = ico_deadline(i.aware_at);
    render(IncidentPage {
        page: Page::for_user(format!("Incident: {}", i.title), scope.user()),
        done: items.iter().filter(|c| c.done.is_some()).count(),
        items,
        log: log
            .into_iter()
            .map(|(at, a, t)| (ukclock::format(at), a, t))
            .collect(),
        lessons,
        left: time_left(deadline, now),
        overdue: now > deadline && i.ico_reported_at.is_none(),
        can_lead: can_lead(&scope).is_ok(),
        likelihood: grades(&LIKELIHOOD, i.likelihood),
        severity: grades(&SEVERITY, i.severity),
        modules: crate::training::content::catalogue()
            .modules
            .iter()
            .map(|m| (m.slug, m.title.clone()))
            .collect(),
        contacts: super::plan_content::national_contacts(),
        i,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LogForm {
    text: String,
}

pub async fn log(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(incident_id): Path<i64>,
    ValidForm(form): ValidForm<LogForm>,
) -> Result<Response, AppError> {
    let i = find(&state.db, scope.practice_id(), incident_id).await?;
    let text = form.text.trim();
    if text.is_empty() || text.chars().count() > 4000 {
        return Err(AppError::BadRequest(
            "Write what happened or what you did (up to 4,000 characters), then add it to the log."
                .into(),
        ));
    }
    add_log(
        &state.db,
        scope.practice_id(),
        i.id,
        state.clock.now(),
        &scope.user().full_name,
        text,
    )
    .await?;
    Ok(Redirect::to(&format!("/resilience/incidents/{}#log", i.id)).into_response())
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
    Path(incident_id): Path<i64>,
    ValidForm(form): ValidForm<CheckForm>,
) -> Result<Response, AppError> {
    let i = find(&state.db, scope.practice_id(), incident_id).await?;
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
    if form.done == "yes" {
        let added = with_db!(&state.db, p => sqlx::query("INSERT INTO incident_checks (incident_id, practice_id, item, done_at, done_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
            .bind(i.id).bind(scope.practice_id()).bind(item as i64).bind(now).bind(&scope.user().full_name).execute(p).await.map(|r| r.rows_affected()))?;
        if added == 1 {
            add_log(
                &state.db,
                scope.practice_id(),
                i.id,
                now,
                &scope.user().full_name,
                &format!("Done: {text}"),
            )
            .await?;
        }
    } else {
        let removed = with_db!(&state.db, p => sqlx::query("DELETE FROM incident_checks WHERE incident_id = $1 AND practice_id = $2 AND item = $3")
            .bind(i.id).bind(scope.practice_id()).bind(item as i64).execute(p).await.map(|r| r.rows_affected()))?;
        if removed == 1 {
            add_log(
                &state.db,
                scope.practice_id(),
                i.id,
                now,
                &scope.user().full_name,
                &format!("Not done after all: {text}"),
            )
            .await?;
        }
    }
    Ok(Redirect::to(&format!("/resilience/incidents/{}#item-{item}", i.id)).into_response())
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
    Path(incident_id): Path<i64>,
    ValidForm(form): ValidForm<AssessForm>,
) -> Result<Response, AppError> {
    can_lead(&scope)?;
    let i = find(&state.db, scope.practice_id(), incident_id).await?;
    let grade = |s: &str| s.parse::<i64>().ok().filter(|n| (1..=5).contains(n));
    let (Some(l), Some(s)) = (grade(&form.likelihood), grade(&form.severity)) else {
        return Err(AppError::BadRequest("Choose one likelihood and one severity from the lists (1 to 5). Nothing has been changed.".into()));
    };
    let personal = form.personal_data == "yes";
    with_db!(&state.db, p => sqlx::query("UPDATE incidents SET likelihood = $1, severity = $2, personal_data = $3 WHERE id = $4 AND practice_id = $5")
        .bind(l).bind(s).bind(personal).bind(i.id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
    let verdict = if ico_reportable(l as u8, s as u8) {
        "reportable to the ICO"
    } else {
        "not reportable to the ICO"
    };
    note(
        &state,
        &scope,
        &ip,
        &i,
        &format!("Assessed: likelihood {l}, severity {s}: {verdict} under the DSPT test."),
        &format!(
            "assessed incident \"{}\": likelihood {l}, severity {s}, {verdict}",
            i.title
        ),
    )
    .await?;
    Ok(Redirect::to(&format!("/resilience/incidents/{}", i.id)).into_response())
}

pub async fn reported(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: PracticeScope,
    Path(incident_id): Path<i64>,
) -> Result<Response, AppError> {
    can_lead(&scope)?;
    let i = find(&state.db, scope.practice_id(), incident_id).await?;
    let now = state.clock.now();
    with_db!(&state.db, p => sqlx::query("UPDATE incidents SET ico_reported_at = $1 WHERE id = $2 AND practice_id = $3 AND ico_reported_at IS NULL")
        .bind(now).bind(i.id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
    let within = if now <= ico_deadline(i.aware_at) {
        "within"
    } else {
        "after"
    };
    note(
        &state,
        &scope,
        &ip,
        &i,
        &format!("Reported through the DSPT incident reporting tool ({within} the 72 hours)."),
        &format!("recorded the ICO report for \"{}\"", i.title),
    )
    .await?;
    Ok(Redirect::to(&format!("/resilience/incidents/{}", i.id)).into_response())
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
    Path(incident_id): Path<i64>,
    ValidForm(form): ValidForm<CloseForm>,
) -> Result<Response, AppError> {
    can_lead(&scope)?;
    let i = find(&state.db, scope.practice_id(), incident_id).await?;
    let review = form.review.trim();
    if review.is_empty() || review.chars().count() > 8000 {
        return Err(AppError::BadRequest("Write a short review before closing: what happened, what went well, what to change (up to 8,000 characters). The incident is still open.".into()));
    }
    let now = state.clock.now();
    with_db!(&state.db, p => sqlx::query("UPDATE incidents SET status = 'closed', closed_at = $1, review = $2 WHERE id = $3 AND practice_id = $4")
        .bind(now).bind(review).bind(i.id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
    note(
        &state,
        &scope,
        &ip,
        &i,
        "Incident closed after review.",
        &format!("closed incident \"{}\"", i.title),
    )
    .await?;
    Ok(Redirect::to(&format!("/resilience/incidents/{}", i.id)).into_response())
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
    Path(incident_id): Path<i64>,
    ValidForm(form): ValidForm<LessonForm>,
) -> Result<Response, AppError> {
    can_lead(&scope)?;
    let i = find(&state.db, scope.practice_id(), incident_id).await?;
    let text = form.text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(AppError::BadRequest(
            "Write the lesson in a sentence or two (up to 2,000 characters).".into(),
        ));
    }
    let now = state.clock.now();
    let outcome = match form.action.as_str() {
        "training" => {
            let m = crate::training::content::catalogue()
                .module(&form.module)
                .ok_or_else(|| {
                    AppError::BadRequest("Choose the training module to assign.".into())
                })?;
            let staff: Vec<(crate::shared::StaffId,)> = with_db!(&state.db, p => sqlx::query_as("SELECT id FROM staff WHERE practice_id = $1 AND active")
                .bind(scope.practice_id()).fetch_all(p).await)?;
            let due = ukclock::end_of_day(ukclock::local_date(now) + time::Duration::days(28));
            let reason = format!("Lesson from the incident \"{}\"", i.title);
            let mut n = 0;
            let mut tx = state.db.begin().await?;
            for (staff_id,) in staff {
                let new = NewAssignment {
                    staff_id,
                    module: m.slug,
                    kind: Kind::Manager,
                    reason: &reason,
                    campaign_id: None,
                    assigned_at: now,
                    due_at: Some(due),
                };
                if assignments::assign(&mut tx, scope.practice_id(), &new).await? {
                    n += 1;
                }
            }
            tx.commit().await?;
            format!("\"{}\" assigned to {n} people, due in 4 weeks", m.title)
        }
        "plan" => {
            with_db!(&state.db, p => sqlx::query("INSERT INTO plan_notes (plan_id, practice_id, text, incident_id, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(i.plan_id).bind(scope.practice_id()).bind(text).bind(i.id).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
            "Noted on the plan as a change to make".to_string()
        }
        _ => "Recorded".to_string(),
    };
    with_db!(&state.db, p => sqlx::query("INSERT INTO incident_lessons (incident_id, practice_id, text, outcome, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(i.id).bind(scope.practice_id()).bind(text).bind(&outcome).bind(now).bind(&scope.user().full_name).execute(p).await.map(|r| r.rows_affected()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::IncidentChanged,
        &format!("lesson from \"{}\": {outcome}", i.title),
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/resilience/incidents/{}#review", i.id)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_dspt_test_needs_at_least_likely_and_at_least_minor() {
        assert!(!ico_reportable(2, 5));
        assert!(!ico_reportable(5, 1));
        assert!(ico_reportable(3, 2));
        assert!(ico_reportable(5, 5));
    }

    #[test]
    fn the_72_hours_are_real_hours_across_the_clock_change() {
        // Aware 10:00 BST on Saturday 24 October 2026; clocks go back on Sunday 25th.
        let aware = datetime!(2026-10-24 09:00 UTC).unix_timestamp();
        let deadline = ico_deadline(aware);
        assert_eq!(
            ukclock::format(aware),
            ukclock::format(datetime!(2026-10-24 09:00 UTC).unix_timestamp())
        );
        // 72 hours later it is 09:00 GMT on Tuesday 27th, not 10:00.
        let local = ukclock::local(deadline);
        assert_eq!((local.day(), local.hour()), (27, 9));
        assert_eq!(
            time_left(deadline, aware + 3600 * 40 + 300),
            "31 hours 55 minutes left"
        );
        assert_eq!(
            time_left(deadline, deadline + 7200),
            "passed 2 hours 0 minutes ago"
        );
    }
}
