//! The NHS cyber alert log. NHS England publishes cyber alerts (successor to
//! CareCERT; references like CC-4567); a practice acknowledges each within
//! 48 hours, says whether it applies, and records the actions taken and who
//! owns them (the practice, ICB GP IT or a supplier).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::assets::{clean, ManagedBy};
use super::rules::{self, AckStatus};
use super::ViewScope;
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::Db;
use crate::shared::AppState;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};
use crate::with_db;

pub const SEVERITIES: [(&str, &str); 4] = [
    ("critical", "Critical"),
    ("high", "High"),
    ("medium", "Medium"),
    ("low", "Low"),
];
pub const APPLICABILITY: [(&str, &str); 3] = [
    ("not_assessed", "Not decided yet"),
    ("applies", "Applies to us"),
    ("does_not_apply", "Does not apply to us"),
];

fn label(list: &[(&'static str, &'static str)], key: &str) -> &'static str {
    list.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

#[derive(Debug, Clone)]
pub struct Alert {
    pub id: i64,
    pub reference: String,
    pub title: String,
    pub severity: String,
    pub received_at: i64,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub applicability: String,
    pub assessment: String,
    pub actions: String,
    pub action_owner: String,
    pub completed_on: Option<String>,
}

type AlertRow = (
    i64,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
);
const COLUMNS: &str = "id, reference, title, severity, received_at, acknowledged_at, acknowledged_by, applicability, assessment, actions, action_owner, completed_on";

fn alert(r: AlertRow) -> Alert {
    Alert {
        id: r.0,
        reference: r.1,
        title: r.2,
        severity: r.3,
        received_at: r.4,
        acknowledged_at: r.5,
        acknowledged_by: r.6,
        applicability: r.7,
        assessment: r.8,
        actions: r.9,
        action_owner: r.10,
        completed_on: r.11,
    }
}

pub async fn find(db: &Db, scope: &PracticeScope, id: i64) -> Result<Option<Alert>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM cyber_alerts WHERE id = $1 AND practice_id = $2");
    let row: Option<AlertRow> = with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    Ok(row.map(alert))
}

/// (waiting for acknowledgement, of which past 48 hours, applying with actions open)
pub async fn counts(
    db: &Db,
    scope: &PracticeScope,
    now: i64,
) -> Result<(i64, i64, i64), sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN acknowledged_at IS NULL THEN 1 ELSE 0 END), 0), \
                COALESCE(SUM(CASE WHEN acknowledged_at IS NULL AND received_at < $2 THEN 1 ELSE 0 END), 0), \
                COALESCE(SUM(CASE WHEN applicability = 'applies' AND completed_on IS NULL THEN 1 ELSE 0 END), 0) \
         FROM cyber_alerts WHERE practice_id = $1")
        .bind(scope.practice_id()).bind(now - rules::ACK_HOURS * 3600).fetch_one(p).await)
}

pub struct Listed {
    pub alert: Alert,
    pub ack: AckStatus,
}

impl Listed {
    fn new(alert: Alert, now: i64) -> Self {
        let ack = rules::ack_status(alert.received_at, alert.acknowledged_at, now);
        Self { alert, ack }
    }
    pub fn severity(&self) -> &'static str {
        label(&SEVERITIES, &self.alert.severity)
    }
    pub fn applicability(&self) -> &'static str {
        label(&APPLICABILITY, &self.alert.applicability)
    }
    pub fn received(&self) -> String {
        crate::ukclock::format(self.alert.received_at)
    }
    pub fn owner(&self) -> &'static str {
        ManagedBy::from_db(&self.alert.action_owner).label()
    }
    pub fn actions_state(&self) -> String {
        match (self.alert.applicability.as_str(), &self.alert.completed_on) {
            ("does_not_apply", _) => "None needed".into(),
            (_, Some(d)) => format!(
                "Done {}",
                rules::parse_iso(d)
                    .map(rules::long_date)
                    .unwrap_or_default()
            ),
            ("applies", None) => "Open".into(),
            _ => "Decide whether it applies".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "resilience/alerts.html")]
struct ListPage {
    page: Page,
    manager: bool,
    alerts: Vec<Listed>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

pub async fn list(
    State(state): State<AppState>,
    scope: ViewScope,
    Query(q): Query<Done>,
) -> Result<Html<String>, AppError> {
    let now = state.clock.now();
    let sql = format!(
        "SELECT {COLUMNS} FROM cyber_alerts WHERE practice_id = $1 ORDER BY received_at DESC, id DESC LIMIT 500"
    );
    let rows: Vec<AlertRow> = with_db!(&state.db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)?;
    let notice = match q.done.as_str() {
        "added" => Some(
            "Cyber alert recorded. The 48-hour clock for acknowledging it has started.".to_string(),
        ),
        _ => None,
    };
    render(ListPage {
        page: Page::for_user("NHS cyber alerts", scope.user()).with_notice(notice),
        manager: scope.is_manager(),
        alerts: rows
            .into_iter()
            .map(|r| Listed::new(alert(r), now))
            .collect(),
    })
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AlertForm {
    pub reference: String,
    pub title: String,
    pub severity: String,
    /// UK local date and time, as a datetime-local box sends it.
    pub received: String,
    pub applicability: String,
    pub assessment: String,
    pub actions: String,
    pub action_owner: String,
    pub completed_on: String,
}

struct Parsed {
    reference: String,
    title: String,
    severity: String,
    received_at: i64,
    applicability: String,
    assessment: String,
    actions: String,
    action_owner: String,
    completed_on: Option<String>,
}

fn local_input(unix: i64) -> String {
    let t = crate::ukclock::local(unix);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

impl AlertForm {
    fn from_alert(a: &Alert) -> Self {
        Self {
            reference: a.reference.clone(),
            title: a.title.clone(),
            severity: a.severity.clone(),
            received: local_input(a.received_at),
            applicability: a.applicability.clone(),
            assessment: a.assessment.clone(),
            actions: a.actions.clone(),
            action_owner: a.action_owner.clone(),
            completed_on: a
                .completed_on
                .as_deref()
                .and_then(rules::parse_iso)
                .map(|d| format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year()))
                .unwrap_or_default(),
        }
    }

    fn parse(&self, now: i64) -> Result<Parsed, FieldErrors> {
        let mut e = FieldErrors::default();
        let reference = e
            .take(clean(&self.reference, "reference", "The reference", 40))
            .unwrap_or_default();
        if reference.is_empty() && !e.has("reference") {
            e.add("reference", "Enter the alert's reference, like CC-4567");
        }
        let title = e
            .take(clean(&self.title, "title", "The title", 300))
            .unwrap_or_default();
        if title.is_empty() && !e.has("title") {
            e.add("title", "Enter the alert's title, as NHS England gave it");
        }
        if label(&SEVERITIES, &self.severity).is_empty() {
            e.add("severity", "Choose the severity the alert gives");
        }
        let received_at = match crate::ukclock::parse_local(&self.received) {
            Some(t) if t > now + 3600 => {
                e.add(
                    "received",
                    "The time the alert arrived cannot be in the future",
                );
                0
            }
            Some(t) => t,
            None => {
                e.add(
                    "received",
                    "Enter when the alert arrived, like 2026-11-23T09:30",
                );
                0
            }
        };
        let applicability = if self.applicability.is_empty() {
            "not_assessed".to_string()
        } else if label(&APPLICABILITY, &self.applicability).is_empty() {
            e.add(
                "applicability",
                "Choose whether the alert applies to the practice",
            );
            String::new()
        } else {
            self.applicability.clone()
        };
        let assessment = e
            .take(clean(
                &self.assessment,
                "assessment",
                "Why it does or does not apply",
                2000,
            ))
            .unwrap_or_default();
        let actions = e
            .take(clean(&self.actions, "actions", "The actions", 4000))
            .unwrap_or_default();
        let action_owner = match ManagedBy::parse(&self.action_owner) {
            Ok(v) => v.as_str().to_string(),
            Err(_) => {
                e.add("action_owner", "Choose who carries out the actions");
                String::new()
            }
        };
        let completed_on = match rules::parse_date(&self.completed_on) {
            Ok(d) => d.map(rules::iso),
            Err(msg) => {
                e.add("completed_on", msg);
                None
            }
        };
        if !e.is_empty() {
            return Err(e);
        }
        Ok(Parsed {
            reference,
            title,
            severity: self.severity.clone(),
            received_at,
            applicability,
            assessment,
            actions,
            action_owner,
            completed_on,
        })
    }
}

#[derive(Template)]
#[template(path = "resilience/alert_form.html")]
struct FormPage {
    page: Page,
    action: String,
    form: AlertForm,
    errors: FieldErrors,
    existing: Option<Listed>,
    manager: bool,
    severities: [(&'static str, &'static str); 4],
    applicabilities: [(&'static str, &'static str); 3],
    owners: [ManagedBy; 4],
}

fn form_page(
    scope: &PracticeScope,
    existing: Option<Listed>,
    form: AlertForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> FormPage {
    let title = match &existing {
        Some(l) => format!("Cyber alert {}", l.alert.reference),
        None => "Record an NHS cyber alert".to_string(),
    };
    FormPage {
        page: Page::for_user(title, scope.user()).with_notice(notice),
        action: existing
            .as_ref()
            .map(|l| format!("/resilience/alerts/{}", l.alert.id))
            .unwrap_or_else(|| "/resilience/alerts/new".into()),
        form,
        errors,
        existing,
        manager: scope.role() == crate::auth::Role::Manager,
        severities: SEVERITIES,
        applicabilities: APPLICABILITY,
        owners: ManagedBy::ALL,
    }
}

pub async fn new_page(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let form = AlertForm {
        severity: "high".into(),
        received: local_input(state.clock.now()),
        applicability: "not_assessed".into(),
        action_owner: "practice".into(),
        ..Default::default()
    };
    render(form_page(&scope, None, form, FieldErrors::default(), None))
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<AlertForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let a = match form.parse(now) {
        Ok(a) => a,
        Err(errors) => {
            return Ok(render(form_page(&scope, None, form, errors, None))?.into_response())
        }
    };
    with_db!(&state.db, p => sqlx::query(
        "INSERT INTO cyber_alerts (practice_id, reference, title, severity, received_at, applicability, assessment, actions, action_owner, completed_on, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)")
        .bind(scope.practice_id()).bind(&a.reference).bind(&a.title).bind(&a.severity).bind(a.received_at)
        .bind(&a.applicability).bind(&a.assessment).bind(&a.actions).bind(&a.action_owner).bind(&a.completed_on).bind(now)
        .execute(p).await.map(|r| r.rows_affected()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::CyberAlertChanged,
        &format!("recorded cyber alert {} ({})", a.reference, a.title),
        now,
    )
    .await?;
    Ok(Redirect::to("/resilience/alerts?done=added").into_response())
}

pub async fn show(
    State(state): State<AppState>,
    scope: ViewScope,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> Result<Html<String>, AppError> {
    let a = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = AlertForm::from_alert(&a);
    let notice = match q.done.as_str() {
        "acknowledged" => Some(
            "Acknowledged. Now say whether it applies and what you are doing about it.".to_string(),
        ),
        "saved" => Some("Changes saved.".to_string()),
        _ => None,
    };
    render(form_page(
        &scope,
        Some(Listed::new(a, state.clock.now())),
        form,
        FieldErrors::default(),
        notice,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<AlertForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let existing = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let a = match form.parse(now) {
        Ok(a) => a,
        Err(errors) => {
            return Ok(render(form_page(
                &scope,
                Some(Listed::new(existing, now)),
                form,
                errors,
                None,
            ))?
            .into_response())
        }
    };
    with_db!(&state.db, p => sqlx::query(
        "UPDATE cyber_alerts SET reference = $1, title = $2, severity = $3, received_at = $4, applicability = $5, assessment = $6, \
                actions = $7, action_owner = $8, completed_on = $9, updated_at = $10 WHERE id = $11 AND practice_id = $12")
        .bind(&a.reference).bind(&a.title).bind(&a.severity).bind(a.received_at).bind(&a.applicability)
        .bind(&a.assessment).bind(&a.actions).bind(&a.action_owner).bind(&a.completed_on).bind(now)
        .bind(id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::CyberAlertChanged,
        &format!(
            "updated cyber alert {}: {}{}",
            a.reference,
            label(&APPLICABILITY, &a.applicability).to_lowercase(),
            if a.completed_on.is_some() {
                ", actions done"
            } else {
                ""
            }
        ),
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/resilience/alerts/{id}?done=saved")).into_response())
}

pub async fn acknowledge(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let a = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if a.acknowledged_at.is_none() {
        with_db!(&state.db, p => sqlx::query(
            "UPDATE cyber_alerts SET acknowledged_at = $1, acknowledged_by = $2, updated_at = $1 WHERE id = $3 AND practice_id = $4 AND acknowledged_at IS NULL")
            .bind(now).bind(&scope.user().full_name).bind(id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
        let status = rules::ack_status(a.received_at, Some(now), now);
        audit::record_alone(
            &state.db,
            Some(scope.practice_id()),
            &Actor::user(scope.user(), &ip),
            Action::CyberAlertChanged,
            &format!(
                "acknowledged cyber alert {}: {}",
                a.reference,
                status.explain()
            ),
            now,
        )
        .await?;
    }
    Ok(Redirect::to(&format!("/resilience/alerts/{id}?done=acknowledged")).into_response())
}
