//! Who has to do which module by when, and the rules that decide it:
//! induction for new starters, refreshers a set time after completion, the
//! follow-up to a simulation click (written by the simulation module), and
//! whatever the practice manager assigns. Reminders and the manager's weekly
//! digest go out through the outbox. `run` is idempotent: the worker calls it
//! every few minutes and tests call it with a chosen clock.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::content::{catalogue, module_title};
use super::settings::{self, TrainingSettings};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::{Db, Tx};
use crate::mail::outbox;
use crate::shared::{AppState, CampaignId, PracticeId, StaffId};
use crate::ukclock;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page};
use crate::{with_db, with_tx};

/// Why someone was asked to do a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Induction,
    Refresher,
    Simulation,
    Manager,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::Induction => "induction",
            Kind::Refresher => "refresher",
            Kind::Simulation => "simulation",
            Kind::Manager => "manager",
        }
    }
}

/// A new starter is someone whose start date is no more than this before they
/// were added: staff imported with years of service are not "new".
const NEW_STARTER_WINDOW_DAYS: i64 = 90;
/// Refreshers appear this long before they are due, so there is time to do them.
const REFRESHER_LEAD_DAYS: i64 = 30;

/// The modules a role needs at this practice: the manager's version if they
/// changed it, else the shipped one.
pub async fn curriculum(
    db: &Db,
    practice_id: PracticeId,
    role_key: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let row: Option<(String,)> = with_db!(db, p => sqlx::query_as(
        "SELECT modules FROM training_curricula WHERE practice_id = $1 AND role_key = $2")
        .bind(practice_id).bind(role_key).fetch_optional(p).await)?;
    Ok(match row {
        Some((m,)) => m
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        None => catalogue()
            .role(role_key)
            .map(|r| r.modules.clone())
            .unwrap_or_default(),
    })
}

pub async fn curriculum_for_staff(
    db: &Db,
    practice_id: PracticeId,
    job_role: &str,
    employment_type: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let role = catalogue().role_for(job_role, employment_type);
    curriculum(db, practice_id, &role.key).await
}

/// Adds an assignment unless the person already has an open one for the module.
/// Returns whether one was added.
#[allow(clippy::too_many_arguments)]
pub async fn assign(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
    kind: Kind,
    reason: &str,
    now: i64,
    due_at: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let open: Option<(i64,)> = with_db!(db, p => sqlx::query_as(
        "SELECT id FROM training_assignments WHERE practice_id = $1 AND staff_id = $2 AND module = $3 AND completed_at IS NULL")
        .bind(practice_id).bind(staff_id).bind(module).fetch_optional(p).await)?;
    if open.is_some() {
        return Ok(false);
    }
    with_db!(db, p => sqlx::query(
        "INSERT INTO training_assignments (practice_id, staff_id, module, reason, kind, assigned_at, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(practice_id).bind(staff_id).bind(module).bind(reason).bind(kind.key()).bind(now).bind(due_at)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(true)
}

/// How long a first click's follow-up training has (two weeks).
pub const FOLLOW_UP_SECS: i64 = 14 * 86_400;

/// Why the follow-up training was assigned, as the person sees it.
pub fn follow_up_reason(campaign_name: &str) -> String {
    format!("Follow-up to the practice exercise \"{campaign_name}\"")
}

/// Assigns the short refresher that follows a first counted click in a
/// phishing exercise, in the caller's transaction (the simulation calls this
/// rather than writing training's tables).
pub async fn assign_follow_up(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: i64,
    module: &str,
    campaign_id: CampaignId,
    campaign_name: &str,
    clicked_at: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("INSERT INTO training_assignments (practice_id, staff_id, module, reason, campaign_id, assigned_at, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(practice_id).bind(staff_id).bind(module).bind(follow_up_reason(campaign_name))
        .bind(campaign_id).bind(clicked_at).bind(clicked_at + FOLLOW_UP_SECS).execute(&mut *c).await.map(|_| ()))
}

/// Withdraws an exercise's follow-up, if not yet done: the click that
/// assigned it was a scanner's after all.
pub async fn withdraw_follow_up(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: i64,
    campaign_id: CampaignId,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("DELETE FROM training_assignments WHERE practice_id = $1 AND staff_id = $2 AND campaign_id = $3 AND completed_at IS NULL")
        .bind(practice_id).bind(staff_id).bind(campaign_id).execute(&mut *c).await.map(|_| ()))
}

/// What the rules did in one pass, for logs and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub induction: u32,
    pub refreshers: u32,
    pub reminders: u32,
    pub digests: u32,
}

/// Applies every rule to every practice at `now`.
pub async fn run(state: &AppState) -> anyhow::Result<Pass> {
    let now = state.clock.now();
    let practices: Vec<(PracticeId, String)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT id, name FROM practices ORDER BY id").fetch_all(p).await)?;
    let mut total = Pass::default();
    for (practice_id, name) in practices {
        let s = settings::load(&state.db, practice_id).await?;
        total.induction += induction(&state.db, practice_id, &s, now).await?;
        total.refreshers += refreshers(&state.db, practice_id, &s, now).await?;
        total.reminders += reminders(state, practice_id, &s, now).await?;
        total.digests += digest(state, practice_id, &name, &s, now).await?;
    }
    Ok(total)
}

/// How often the rules run in the background. The first pass waits a full
/// interval, so a restart loop cannot send a burst of reminders.
const RULES_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10 * 60);

pub async fn run_until_stopped(state: AppState, stop: tokio_util::sync::CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(RULES_INTERVAL) => {}
        }
        match run(&state).await {
            Ok(pass) if pass != Pass::default() => tracing::info!(?pass, "training rules applied"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "training rules failed; will try again"),
        }
    }
}

type StaffRow = (StaffId, String, String, Option<String>, i64);

async fn induction(
    db: &Db,
    practice_id: PracticeId,
    s: &TrainingSettings,
    now: i64,
) -> Result<u32, sqlx::Error> {
    // People with a start date who have never had induction assigned.
    let rows: Vec<StaffRow> = with_db!(db, p => sqlx::query_as(
        "SELECT s.id, s.job_role, s.employment_type, s.start_date, s.created_at FROM staff s \
         WHERE s.practice_id = $1 AND s.active AND s.start_date IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM training_assignments a WHERE a.practice_id = s.practice_id AND a.staff_id = s.id AND a.kind = 'induction')")
        .bind(practice_id).fetch_all(p).await)?;
    let mut added = 0;
    for (staff_id, job_role, employment, start, created_at) in rows {
        let Some(start) = start.and_then(|d| parse_date(&d)) else {
            continue;
        };
        let added_on = ukclock::local_date(created_at);
        if start < added_on - time::Duration::days(NEW_STARTER_WINDOW_DAYS) {
            continue;
        }
        let due = ukclock::end_of_day(start + time::Duration::days(s.induction_due_days));
        for module in curriculum_for_staff(db, practice_id, &job_role, &employment).await? {
            if assign(
                db,
                practice_id,
                staff_id,
                &module,
                Kind::Induction,
                "Induction for new starters",
                now,
                Some(due),
            )
            .await?
            {
                added += 1;
            }
        }
    }
    Ok(added)
}

async fn refreshers(
    db: &Db,
    practice_id: PracticeId,
    s: &TrainingSettings,
    now: i64,
) -> Result<u32, sqlx::Error> {
    // Each person's latest completion of each module that could be near its
    // anniversary (months counted as 28 days here, so none is missed; the exact
    // date is worked out below) and has no refresher assigned since.
    let earliest = now + REFRESHER_LEAD_DAYS * 86_400 - s.refresher_months * 28 * 86_400;
    let rows: Vec<(StaffId, String, i64)> = with_db!(db, p => sqlx::query_as(
        "SELECT g.staff_id, g.module, g.last FROM (SELECT c.staff_id, c.module, MAX(c.completed_at) AS last \
         FROM training_completions c JOIN staff s ON s.id = c.staff_id AND s.practice_id = c.practice_id AND s.active \
         WHERE c.practice_id = $1 GROUP BY c.staff_id, c.module) g \
         WHERE g.last <= $2 AND NOT EXISTS (SELECT 1 FROM training_assignments a \
           WHERE a.practice_id = $1 AND a.staff_id = g.staff_id AND a.module = g.module AND a.assigned_at > g.last)")
        .bind(practice_id).bind(earliest).fetch_all(p).await)?;
    let mut added = 0;
    for (staff_id, module, last) in rows {
        let due_date = ukclock::add_months(ukclock::local_date(last), s.refresher_months);
        let due = ukclock::end_of_day(due_date);
        if now < due - REFRESHER_LEAD_DAYS * 86_400 {
            continue;
        }
        let reason = format!(
            "Yearly refresher: last completed {}",
            ukclock::local_date(last)
        );
        if assign(
            db,
            practice_id,
            staff_id,
            &module,
            Kind::Refresher,
            &reason,
            now,
            Some(due),
        )
        .await?
        {
            added += 1;
        }
    }
    Ok(added)
}

type OpenRow = (i64, i64, String, i64, String, String);

async fn reminders(
    state: &AppState,
    practice_id: PracticeId,
    s: &TrainingSettings,
    now: i64,
) -> anyhow::Result<u32> {
    let db = &state.db;
    let soon = now + s.reminder_days * 86_400;
    let rows: Vec<OpenRow> = with_db!(db, p => sqlx::query_as(
        "SELECT a.id, a.staff_id, a.module, a.due_at, st.full_name, st.email FROM training_assignments a \
         JOIN staff st ON st.id = a.staff_id AND st.practice_id = a.practice_id AND st.active \
         WHERE a.practice_id = $1 AND a.completed_at IS NULL AND a.due_at IS NOT NULL AND a.due_at <= $2 \
         AND NOT EXISTS (SELECT 1 FROM training_reminders r WHERE r.assignment_id = a.id \
           AND r.kind = CASE WHEN a.due_at < $3 THEN 'overdue' ELSE 'due-soon' END)")
        .bind(practice_id).bind(soon).bind(now).fetch_all(p).await)?;
    let base = state.public_url().trim_end_matches('/').to_string();
    let mut sent = 0;
    for (id, _staff, module, due, name, email) in rows {
        let kind = if now > due { "overdue" } else { "due-soon" };
        // Claiming the reminder and queueing its email commit together: a
        // crash between them can neither lose the email nor send it twice.
        let mut tx = db.begin().await?;
        let claimed = with_tx!(tx, c => sqlx::query(
            "INSERT INTO training_reminders (assignment_id, kind, sent_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(id).bind(kind).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if claimed == 0 {
            continue;
        }
        let title = module_title(&module);
        let first = name.split_whitespace().next().unwrap_or("there");
        let due_text = ukclock::local_date(due);
        let (subject, body) = if kind == "overdue" {
            (
                format!("Training reminder: {title}"),
                format!("Hello {first},\n\n\"{title}\" was due on {due_text}. It takes about {} minutes and you can do it on your phone:\n\n{base}/training/modules/{module}\n\nIf something is stopping you, have a word with your practice manager - that is fine too.\n\nThank you for helping keep the practice and our patients safe.\n", catalogue().module(&module).map(|m| m.minutes).unwrap_or(10)),
            )
        } else {
            (
                format!("Training due {due_text}: {title}"),
                format!("Hello {first},\n\n\"{title}\" is due on {due_text}. It takes about {} minutes:\n\n{base}/training/modules/{module}\n\nThank you.\n", catalogue().module(&module).map(|m| m.minutes).unwrap_or(10)),
            )
        };
        outbox::enqueue(
            &mut tx,
            Some(practice_id),
            "training-reminder",
            &email,
            &subject,
            &body,
            now,
        )
        .await?;
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

/// The ISO week a moment falls in, in UK time, e.g. "2026-W48".
fn iso_week(unix: i64) -> String {
    let d = ukclock::local_date(unix);
    let (y, w, _) = d.to_iso_week_date();
    format!("{y}-W{w:02}")
}

async fn digest(
    state: &AppState,
    practice_id: PracticeId,
    practice: &str,
    s: &TrainingSettings,
    now: i64,
) -> anyhow::Result<u32> {
    let local = ukclock::local(now);
    if local.weekday() != time::Weekday::Monday || local.hour() < 8 {
        return Ok(0);
    }
    let db = &state.db;
    let week = iso_week(now);
    let sent: Option<(i64,)> = with_db!(db, p => sqlx::query_as(
        "SELECT sent_at FROM training_digests WHERE practice_id = $1 AND week = $2")
        .bind(practice_id).bind(&week).fetch_optional(p).await)?;
    if sent.is_some() {
        return Ok(0);
    }
    let managers: Vec<(String, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT email, full_name FROM users WHERE practice_id = $1 AND role = 'manager' AND active")
        .bind(practice_id).fetch_all(p).await)?;
    if managers.is_empty() {
        return Ok(0);
    }
    let c = super::compliance::summary(db, practice_id, s, now).await?;
    let (done_week,): (i64,) = with_db!(db, p => sqlx::query_as(
        "SELECT COUNT(*) FROM training_completions WHERE practice_id = $1 AND completed_at > $2")
        .bind(practice_id).bind(now - 7 * 86_400).fetch_one(p).await)?;
    let base = state.public_url().trim_end_matches('/').to_string();
    let mut body = format!(
        "Weekly training round-up for {practice} ({week})\n\n\
         Trained in the last {} months: {} of {} staff ({}%; the DSPT target is {}%).\n\
         Modules completed in the last 7 days: {done_week}.\n\
         Overdue training: {} people.\n",
        s.refresher_months,
        c.trained,
        c.staff,
        c.percent(),
        s.compliance_target,
        c.overdue.len()
    );
    for o in c.overdue.iter().take(20) {
        body.push_str(&format!(
            "  - {}: {} (due {})\n",
            o.name, o.module_title, o.due
        ));
    }
    body.push_str(&format!("\nThe full picture: {base}/training/manage\n"));
    // The week's claim and its emails commit together; another node that
    // got there first has claimed it, and this one sends nothing.
    let mut tx = db.begin().await?;
    let claimed = with_tx!(tx, c => sqlx::query(
        "INSERT INTO training_digests (practice_id, week, sent_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(practice_id).bind(&week).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    if claimed == 0 {
        return Ok(0);
    }
    for (email, _) in &managers {
        outbox::enqueue(
            &mut tx,
            Some(practice_id),
            "training-digest",
            email,
            &format!("Training this week at {practice}"),
            &body,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(1)
}

pub fn parse_date(s: &str) -> Option<time::Date> {
    time::Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// One person's open assignment, for their training page and the manager's.
pub struct Open {
    pub module: String,
    pub title: String,
    pub reason: String,
    pub due: Option<String>,
    pub overdue: bool,
}

pub async fn open_for(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    now: i64,
) -> Result<Vec<Open>, sqlx::Error> {
    let rows: Vec<(String, String, Option<i64>)> = with_db!(db, p => sqlx::query_as(
        "SELECT module, reason, due_at FROM training_assignments WHERE practice_id = $1 AND staff_id = $2 AND completed_at IS NULL ORDER BY due_at, id")
        .bind(practice_id).bind(staff_id).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(module, reason, due)| Open {
            title: module_title(&module).to_string(),
            module,
            reason,
            due: due.map(|d| ukclock::local_date(d).to_string()),
            overdue: due.is_some_and(|d| d < now),
        })
        .collect())
}

/// Marks the person's open assignments for a module done.
pub async fn complete(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_db!(db, p => sqlx::query(
        "UPDATE training_assignments SET completed_at = $1 WHERE practice_id = $2 AND staff_id = $3 AND module = $4 AND completed_at IS NULL")
        .bind(now).bind(practice_id).bind(staff_id).bind(module).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

// ---- The manager's "assign training" page -------------------------------------------

#[derive(Template)]
#[template(path = "training/assign.html")]
struct AssignPage {
    page: Page,
    modules: Vec<(String, String)>,
    departments: Vec<(i64, String)>,
    staff: Vec<(i64, String)>,
    errors: FieldErrors,
    chosen_module: String,
    due: String,
}

async fn people_lists(
    db: &Db,
    scope: &PracticeScope,
) -> Result<(Vec<(i64, String)>, Vec<(i64, String)>), sqlx::Error> {
    let departments = with_db!(db, p => sqlx::query_as(
        "SELECT id, name FROM departments WHERE practice_id = $1 ORDER BY name")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    let staff = with_db!(db, p => sqlx::query_as(
        "SELECT id, full_name FROM staff WHERE practice_id = $1 AND active ORDER BY full_name")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    Ok((departments, staff))
}

fn module_choices() -> Vec<(String, String)> {
    let mut v = vec![(
        "curriculum".to_string(),
        "Each person's role curriculum".to_string(),
    )];
    v.extend(
        catalogue()
            .modules
            .iter()
            .map(|m| (m.slug.to_string(), m.title.clone())),
    );
    v
}

pub async fn assign_page(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let (departments, staff) = people_lists(&state.db, &scope).await?;
    let due = ukclock::local_date(state.clock.now() + 28 * 86_400).to_string();
    render(AssignPage {
        page: Page::for_user("Assign training", scope.user()),
        modules: module_choices(),
        departments,
        staff,
        errors: FieldErrors::default(),
        chosen_module: String::new(),
        due,
    })
}

/// Form fields arrive as a list because "who" may name several people.
pub async fn assign_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    axum_extra::extract::Form(fields): axum_extra::extract::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let module = get("module");
    let who = get("who");
    let due_raw = get("due");
    let mut errors = FieldErrors::default();
    if module != "curriculum" && catalogue().module(&module).is_none() {
        errors.add(
            "module",
            "Choose a module, or each person's role curriculum",
        );
    }
    let now = state.clock.now();
    let due = match parse_date(&due_raw) {
        Some(d) if ukclock::end_of_day(d) > now => Some(ukclock::end_of_day(d)),
        Some(_) => {
            errors.add("due", "The due date must be in the future");
            None
        }
        None => {
            errors.add(
                "due",
                "Enter the due date as a date, for example 2026-12-31",
            );
            None
        }
    };
    let practice_id = scope.practice_id();
    let targets: Vec<(StaffId, String, String)> = match who.as_str() {
        "everyone" => with_db!(&state.db, p => sqlx::query_as(
            "SELECT id, job_role, employment_type FROM staff WHERE practice_id = $1 AND active")
            .bind(practice_id).fetch_all(p).await)?,
        "department" => {
            let dept: i64 = get("department").parse().unwrap_or(-1);
            with_db!(&state.db, p => sqlx::query_as(
                "SELECT id, job_role, employment_type FROM staff WHERE practice_id = $1 AND active AND department_id = $2")
                .bind(practice_id).bind(dept).fetch_all(p).await)?
        }
        "people" => {
            let wanted: HashSet<StaffId> = fields
                .iter()
                .filter(|(n, _)| n == "staff")
                .filter_map(|(_, v)| v.parse().ok())
                .collect();
            let all: Vec<(StaffId, String, String)> = with_db!(&state.db, p => sqlx::query_as(
                "SELECT id, job_role, employment_type FROM staff WHERE practice_id = $1 AND active")
                .bind(practice_id).fetch_all(p).await)?;
            all.into_iter()
                .filter(|(id, ..)| wanted.contains(id))
                .collect()
        }
        _ => {
            errors.add("who", "Choose who should do it");
            Vec::new()
        }
    };
    if errors.is_empty() && targets.is_empty() {
        errors.add(
            "who",
            "Nobody matched: choose a department with staff in it, or tick at least one person",
        );
    }
    if !errors.is_empty() {
        let (departments, staff) = people_lists(&state.db, &scope).await?;
        return Ok(render(AssignPage {
            page: Page::for_user("Assign training", scope.user()),
            modules: module_choices(),
            departments,
            staff,
            errors,
            chosen_module: module,
            due: due_raw,
        })?
        .into_response());
    }
    let mut added = 0;
    let mut curricula: HashMap<(String, String), Vec<String>> = HashMap::new();
    for (staff_id, job_role, employment) in &targets {
        let modules = if module == "curriculum" {
            let key = (job_role.clone(), employment.clone());
            if !curricula.contains_key(&key) {
                let c = curriculum_for_staff(&state.db, practice_id, job_role, employment).await?;
                curricula.insert(key.clone(), c);
            }
            curricula[&key].clone()
        } else {
            vec![module.clone()]
        };
        for m in modules {
            if assign(
                &state.db,
                practice_id,
                *staff_id,
                &m,
                Kind::Manager,
                "Assigned by the practice manager",
                now,
                due,
            )
            .await?
            {
                added += 1;
            }
        }
    }
    audit::record_alone(
        &state.db,
        Some(practice_id),
        &Actor::user(scope.user(), &ip),
        Action::TrainingAssigned,
        &format!(
            "{} to {} people ({added} new assignments)",
            if module == "curriculum" {
                "role curricula".to_string()
            } else {
                module_title(&module).to_string()
            },
            targets.len()
        ),
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/training/manage?assigned={added}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks_follow_uk_dates() {
        use time::macros::datetime;
        assert_eq!(
            iso_week(datetime!(2026-11-23 00:30 UTC).unix_timestamp()),
            "2026-W48"
        );
        // 23:30 UTC on Sunday 28 June is already Monday in BST: the next week.
        assert_eq!(
            iso_week(datetime!(2026-06-28 23:30 UTC).unix_timestamp()),
            "2026-W27"
        );
    }
}
