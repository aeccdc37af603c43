//! Phishing exercises ("campaigns"): choose an email, who receives it and
//! when; watch the results; pause, resume or cancel.

use std::collections::HashSet;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use rand::seq::SliceRandom;
use serde::Deserialize;

use super::library::Landing;
use super::token::RecipientToken;
use super::{domains, profiles, templates};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::{Change, Db, Tx, Wake};
use crate::people::departments::{self, Department};
use crate::shared::{AppState, CampaignId, UserId};
use crate::web::spreadsheet::Sheet;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path};
use crate::{with_db, with_tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Scheduled,
    Sending,
    Paused,
    Cancelled,
    Completed,
}

impl Status {
    pub fn parse(s: &str) -> Self {
        match s {
            "sending" => Self::Sending,
            "paused" => Self::Paused,
            "cancelled" => Self::Cancelled,
            "completed" => Self::Completed,
            _ => Self::Scheduled,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Scheduled => "Scheduled",
            Self::Sending => "Running",
            Self::Paused => "Paused",
            Self::Cancelled => "Cancelled",
            Self::Completed => "Finished",
        }
    }
    pub fn is_live(self) -> bool {
        matches!(self, Self::Scheduled | Self::Sending)
    }
}

/// A campaign with its running totals.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub template_id: i64,
    pub profile_id: i64,
    pub landing: Landing,
    pub status: Status,
    pub launch_at: i64,
    pub send_by: i64,
    pub ends_at: i64,
    pub recipients: i64,
    pub sent: i64,
    pub errors: i64,
    pub opened: i64,
    pub clicked: i64,
    pub submitted: i64,
    pub reported: i64,
}

impl Campaign {
    pub fn percent(&self, n: impl std::borrow::Borrow<i64>) -> i64 {
        let n = *n.borrow();
        if self.sent == 0 {
            0
        } else {
            (n * 100 + self.sent / 2) / self.sent
        }
    }
    pub fn launch_label(&self) -> String {
        crate::ukclock::format(self.launch_at)
    }
    pub fn ends_label(&self) -> String {
        crate::ukclock::format(self.ends_at)
    }
}

type Row = (
    i64,
    String,
    i64,
    i64,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
);
const COLUMNS: &str =
    "id, name, template_id, profile_id, landing, status, launch_at, send_by, ends_at, \
                       recipients, sent, errors, opened, clicked, submitted, reported";

fn campaign(r: Row) -> Campaign {
    Campaign {
        id: r.0,
        name: r.1,
        template_id: r.2,
        profile_id: r.3,
        landing: templates::landing_from(&r.4),
        status: Status::parse(&r.5),
        launch_at: r.6,
        send_by: r.7,
        ends_at: r.8,
        recipients: r.9,
        sent: r.10,
        errors: r.11,
        opened: r.12,
        clicked: r.13,
        submitted: r.14,
        reported: r.15,
    }
}

pub async fn find(
    db: &Db,
    scope: &PracticeScope,
    id: CampaignId,
) -> Result<Option<Campaign>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1 AND practice_id = $2");
    let row: Option<Row> = with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    Ok(row.map(campaign))
}

/// Finishes campaigns whose end date has passed; anything still unsent is not sent.
pub async fn complete_due(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    with_db!(db, p => {
        let mut tx = p.begin().await?;
        sqlx::query("UPDATE campaign_recipients SET send_status = 'cancelled' WHERE send_status = 'queued' \
                     AND campaign_id IN (SELECT id FROM campaigns WHERE ends_at <= $1 AND status IN ('scheduled', 'sending', 'paused'))")
            .bind(now).execute(&mut *tx).await?;
        let n = sqlx::query("UPDATE campaigns SET status = 'completed' WHERE ends_at <= $1 AND status IN ('scheduled', 'sending', 'paused')")
            .bind(now).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(n)
    })
}

#[derive(Template)]
#[template(path = "simulation/campaigns.html")]
struct ListPage {
    page: Page,
    campaigns: Vec<Campaign>,
    has_templates: bool,
    has_profiles: bool,
    has_domains: bool,
}

pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    complete_due(&state.db, state.clock.now()).await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM campaigns WHERE practice_id = $1 ORDER BY id DESC LIMIT 200"
    );
    let rows: Vec<Row> = with_db!(&state.db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)?;
    render(ListPage {
        page: Page::for_user("Phishing exercises", scope.user()),
        campaigns: rows.into_iter().map(campaign).collect(),
        has_templates: !templates::all(&state.db, &scope).await?.is_empty(),
        has_profiles: !profiles::all(&state.db, &scope).await?.is_empty(),
        has_domains: !domains::verified(&state.db, &scope).await?.is_empty(),
    })
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CampaignForm {
    pub name: String,
    pub template_id: String,
    pub profile_id: String,
    pub landing: String,
    /// "everyone", "departments" or "people".
    pub audience: String,
    pub department_ids: Vec<i64>,
    pub staff_ids: Vec<i64>,
    /// Empty: now. Otherwise `YYYY-MM-DDTHH:MM`, UK time.
    pub launch_at: String,
    /// Spread sending over this many hours (0: all at once).
    pub spread_hours: String,
    pub business_hours: String,
    /// Days after launch when the exercise finishes by itself.
    pub run_days: String,
}

pub struct StaffChoice {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub in_domain: bool,
}

#[derive(Template)]
#[template(path = "simulation/campaign_form.html")]
struct FormPage {
    page: Page,
    form: CampaignForm,
    errors: FieldErrors,
    templates: Vec<templates::SimTemplate>,
    profiles: Vec<profiles::Profile>,
    departments: Vec<Department>,
    staff: Vec<StaffChoice>,
    domains: Vec<String>,
}

impl FormPage {
    fn dept_checked(&self, id: &i64) -> bool {
        self.form.department_ids.contains(id)
    }
    fn staff_checked(&self, id: &i64) -> bool {
        self.form.staff_ids.contains(id)
    }
}

async fn form_page(
    state: &AppState,
    scope: &ManagerScope,
    form: CampaignForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let domains = domains::verified(&state.db, scope).await?;
    let rows: Vec<(i64, String, String)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT id, full_name, email FROM staff WHERE practice_id = $1 AND active ORDER BY full_name")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    let staff = rows
        .into_iter()
        .map(|(id, name, email)| StaffChoice {
            id,
            in_domain: domains::allowed(&email, &domains),
            name,
            email,
        })
        .collect();
    render(FormPage {
        page: Page::for_user("Start a phishing exercise", scope.user()),
        form,
        errors,
        templates: templates::all(&state.db, scope).await?,
        profiles: profiles::all(&state.db, scope).await?,
        departments: departments::all(&state.db, scope).await?,
        staff,
        domains,
    })
}

pub async fn new_page(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let form = CampaignForm {
        audience: "everyone".into(),
        spread_hours: "4".into(),
        business_hours: "yes".into(),
        run_days: "14".into(),
        ..Default::default()
    };
    form_page(&state, &scope, form, FieldErrors::default()).await
}

/// One person a campaign goes to.
pub struct Target {
    pub staff_id: i64,
    pub department_id: Option<i64>,
    pub email: String,
    pub full_name: String,
    pub job_role: String,
}

/// What a new campaign is, once checked.
pub struct Launch {
    pub name: String,
    pub template_id: i64,
    pub profile_id: i64,
    pub landing: Landing,
    pub launch_at: i64,
    /// Sends are spread evenly, in random order, from launch until here.
    pub send_by: i64,
    pub ends_at: i64,
    pub business_hours: bool,
    pub created_by: UserId,
}

/// Stores a campaign and its recipients (each with a fresh token and a send
/// time) in the caller's transaction; the sender wakes when it commits.
/// The caller has already kept only targets in the practice's verified domains.
pub async fn insert(
    tx: &mut Tx,
    scope: &PracticeScope,
    spec: &Launch,
    targets: &mut [Target],
    now: i64,
) -> Result<CampaignId, sqlx::Error> {
    targets.shuffle(&mut rand::thread_rng());
    let n = targets.len() as i64;
    let schedule: Vec<i64> = (0..n)
        .map(|i| {
            let t = spec.launch_at + (spec.send_by - spec.launch_at) * i / n.max(1);
            if spec.business_hours {
                crate::ukclock::next_business_moment(t)
            } else {
                t
            }
        })
        .collect();
    let practice_id = scope.practice_id();
    let id = with_tx!(tx, c => {
        let (id,): (CampaignId,) = sqlx::query_as(
            "INSERT INTO campaigns (practice_id, name, template_id, profile_id, landing, status, launch_at, send_by, ends_at, business_hours, created_by, created_at, recipients) \
             VALUES ($1, $2, $3, $4, $5, 'scheduled', $6, $7, $8, $9, $10, $11, $12) RETURNING id")
            .bind(practice_id).bind(&spec.name).bind(spec.template_id).bind(spec.profile_id).bind(templates::landing_key(spec.landing))
            .bind(spec.launch_at).bind(spec.send_by).bind(spec.ends_at).bind(spec.business_hours).bind(spec.created_by).bind(now).bind(n)
            .fetch_one(&mut *c).await?;
        for (chunk, times) in targets.chunks(400).zip(schedule.chunks(400)) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO campaign_recipients (campaign_id, practice_id, staff_id, department_id, token, email, full_name, job_role, send_at, send_status) ");
            qb.push_values(chunk.iter().zip(times), |mut b, (t, at)| {
                b.push_bind(id).push_bind(practice_id).push_bind(t.staff_id).push_bind(t.department_id)
                    .push_bind(RecipientToken::generate().as_str().to_string()).push_bind(t.email.clone())
                    .push_bind(t.full_name.clone()).push_bind(t.job_role.clone()).push_bind(*at).push_bind("queued");
            });
            qb.build().execute(&mut *c).await?;
        }
        id
    });
    tx.wake_after_commit(Wake::Sender);
    Ok(id)
}

/// Launches a campaign. Recipients outside the practice's verified domains are left out.
pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    form: Result<axum_extra::extract::Form<CampaignForm>, axum_extra::extract::FormRejection>,
) -> Result<Response, AppError> {
    let Ok(axum_extra::extract::Form(form)) = form else {
        return Err(AppError::BadRequest(
            "The form could not be read. Go back, check what you entered and try again.".into(),
        ));
    };
    let mut errors = FieldErrors::default();
    let now = state.clock.now();
    let name = form.name.trim().to_string();
    if name.is_empty() || name.len() > 120 {
        errors.add(
            "name",
            "Give the exercise a name, like \"November refresher\"",
        );
    }
    let template = match form.template_id.parse::<i64>() {
        Ok(id) => templates::find(&state.db, &scope, id).await?,
        Err(_) => None,
    };
    if template.is_none() {
        errors.add("template_id", "Choose the email to send");
    }
    let profile = match form.profile_id.parse::<i64>() {
        Ok(id) => profiles::find(&state.db, &scope, id).await?,
        Err(_) => None,
    };
    if profile.is_none() {
        errors.add(
            "profile_id",
            "Choose the sending profile (the mail server to send through)",
        );
    }
    let launch_at = if form.launch_at.trim().is_empty() {
        Some(now)
    } else {
        match crate::ukclock::parse_local(&form.launch_at) {
            Some(t) if t >= now - 60 => Some(t),
            Some(_) => {
                errors.add(
                    "launch_at",
                    "The start time is in the past. Leave it empty to start now.",
                );
                None
            }
            None => {
                errors.add(
                    "launch_at",
                    "Enter the start as a date and time, or leave it empty to start now",
                );
                None
            }
        }
    };
    let spread_hours = match form.spread_hours.trim().parse::<i64>() {
        Ok(h) if (0..=24 * 14).contains(&h) => h,
        _ => {
            errors.add(
                "spread_hours",
                "Enter a number of hours from 0 (all at once) to 336 (two weeks)",
            );
            0
        }
    };
    let run_days = match form.run_days.trim().parse::<i64>() {
        Ok(d) if (1..=90).contains(&d) => d,
        _ => {
            errors.add(
                "run_days",
                "Enter how many days the exercise runs, from 1 to 90",
            );
            14
        }
    };
    if spread_hours > run_days * 24 {
        errors.add("spread_hours", "Sending must finish before the exercise ends: spread over fewer hours or run it for longer");
    }
    // Who receives it: active staff in the chosen group, and only in verified domains.
    let verified = domains::verified(&state.db, &scope).await?;
    let rows: Vec<(i64, Option<i64>, String, String, String)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT id, department_id, email, full_name, job_role FROM staff WHERE practice_id = $1 AND active ORDER BY id")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    let depts: HashSet<i64> = form.department_ids.iter().copied().collect();
    let people: HashSet<i64> = form.staff_ids.iter().copied().collect();
    let chosen: Vec<Target> = rows
        .into_iter()
        .filter(|(id, dept, ..)| match form.audience.as_str() {
            "departments" => dept.is_some_and(|d| depts.contains(&d)),
            "people" => people.contains(id),
            _ => true,
        })
        .map(
            |(staff_id, department_id, email, full_name, job_role)| Target {
                staff_id,
                department_id,
                email,
                full_name,
                job_role,
            },
        )
        .collect();
    let (mut targets, left_out): (Vec<Target>, Vec<Target>) = chosen
        .into_iter()
        .partition(|t| domains::allowed(&t.email, &verified));
    if verified.is_empty() {
        errors.add("audience", "The practice has no verified email domain yet, so no one can be sent a simulation. Ask for one under Email domains.");
    } else if targets.is_empty() {
        errors.add(
            "audience",
            match form.audience.as_str() {
                "departments" => {
                    "Choose at least one department with staff whose email is in a verified domain"
                }
                "people" => "Choose at least one person whose email is in a verified domain",
                _ => "No current staff have an email address in a verified domain",
            },
        );
    }
    let (Some(template), Some(profile), Some(launch_at), true) =
        (template, profile, launch_at, errors.is_empty())
    else {
        return Ok(form_page(&state, &scope, form, errors)
            .await?
            .into_response());
    };
    let landing = match form.landing.as_str() {
        "credentials" | "document" | "teachable" => templates::landing_from(&form.landing),
        _ => template.landing,
    };
    let spec = Launch {
        name: name.clone(),
        template_id: template.id,
        profile_id: profile.id,
        landing,
        launch_at,
        send_by: launch_at + spread_hours * 3600,
        ends_at: launch_at + run_days * 86_400,
        business_hours: form.business_hours == "yes",
        created_by: scope.user().user_id,
    };
    let n = targets.len();
    let practice_id = scope.practice_id();
    let detail = format!(
        "launched \"{name}\" to {n} people ({} left out: not in a verified domain)",
        left_out.len()
    );
    // The exercise and its audit entry commit together; then the sender wakes.
    let mut tx = state.db.begin().await?;
    let id = insert(&mut tx, &scope, &spec, &mut targets, now).await?;
    audit::record(
        &mut tx,
        Some(practice_id),
        &Actor::user(scope.user(), &ip),
        Action::CampaignChanged,
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/simulation/campaigns/{id}?left_out={}",
        left_out.len()
    ))
    .into_response())
}

pub struct DepartmentRow {
    pub name: String,
    pub people: i64,
    pub reported: i64,
    pub clicked: i64,
}

/// name, department, send status, sent, opened, clicked, submitted, reported
type RecipientDbRow = (
    String,
    Option<String>,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

pub struct RecipientRow {
    pub name: String,
    pub department: String,
    pub status: String,
    pub sent: String,
    pub reported: String,
}

pub struct TimelineRow {
    pub label: String,
    pub opened: i64,
    pub clicked: i64,
    pub reported: i64,
    pub width_opened: i64,
    pub width_clicked: i64,
    pub width_reported: i64,
}

#[derive(Template)]
#[template(path = "simulation/campaign_show.html")]
struct ShowPage {
    page: Page,
    c: Campaign,
    template_name: String,
    median_report: String,
    departments: Vec<DepartmentRow>,
    hidden_departments: i64,
    min_group: i64,
    recipients: Vec<RecipientRow>,
    page_no: i64,
    pages: i64,
    timeline: Vec<TimelineRow>,
    clicks: Vec<super::overrides::ClickRow>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    page: Option<i64>,
    left_out: Option<i64>,
}

fn human_duration(secs: i64) -> String {
    match secs {
        s if s < 90 => format!("{s} seconds"),
        s if s < 90 * 60 => format!("{} minutes", (s + 30) / 60),
        s if s < 36 * 3600 => format!("{:.1} hours", s as f64 / 3600.0),
        s => format!("{:.1} days", s as f64 / 86_400.0),
    }
}

pub async fn show(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<CampaignId>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    complete_due(&state.db, state.clock.now()).await?;
    let c = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let template_name = templates::find(&state.db, &scope, c.template_id)
        .await?
        .map(|t| t.name)
        .unwrap_or_default();
    // Median time to report, from the reporters only (an index range, not the events).
    let times: Vec<(i64,)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT reported_at - sent_at FROM campaign_recipients WHERE campaign_id = $1 AND reported_at IS NOT NULL AND sent_at IS NOT NULL ORDER BY 1")
        .bind(id).fetch_all(p).await)?;
    let median_report = if times.is_empty() {
        "No reports yet".to_string()
    } else {
        human_duration(times[times.len() / 2].0.max(0))
    };
    let dept_rows: Vec<(Option<String>, i64, i64, i64)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT d.name, COUNT(*), COUNT(r.reported_at), COUNT(r.clicked_at) FROM campaign_recipients r \
         LEFT JOIN departments d ON d.id = r.department_id WHERE r.campaign_id = $1 AND r.sent_at IS NOT NULL GROUP BY d.name ORDER BY d.name")
        .bind(id).fetch_all(p).await)?;
    let (shown, hidden): (Vec<_>, Vec<_>) = dept_rows
        .into_iter()
        .partition(|r| r.1 >= state.settings.simulation.min_group_size);
    let departments = shown
        .into_iter()
        .map(|(name, people, reported, clicked)| DepartmentRow {
            name: name.unwrap_or_else(|| "No department".into()),
            people,
            reported,
            clicked,
        })
        .collect();
    let per_page = 50;
    let pages = (c.recipients + per_page - 1) / per_page;
    let page_no = q.page.unwrap_or(1).clamp(1, pages.max(1));
    let rows: Vec<RecipientDbRow> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT r.full_name, d.name, r.send_status, r.sent_at, r.opened_at, r.clicked_at, r.submitted_at, r.reported_at \
         FROM campaign_recipients r LEFT JOIN departments d ON d.id = r.department_id WHERE r.campaign_id = $1 ORDER BY r.full_name, r.id LIMIT $2 OFFSET $3")
        .bind(id).bind(per_page).bind((page_no - 1) * per_page).fetch_all(p).await)?;
    let recipients = rows
        .into_iter()
        .map(
            |(name, dept, send_status, sent, opened, clicked, submitted, reported)| RecipientRow {
                name,
                department: dept.unwrap_or_default(),
                status: match (send_status.as_str(), submitted, clicked, opened) {
                    ("error", ..) => "Could not be sent".into(),
                    ("cancelled", ..) => "Not sent".into(),
                    ("queued", ..) => "Waiting to send".into(),
                    (_, Some(_), ..) => "Entered details".into(),
                    (_, _, Some(_), _) => "Clicked".into(),
                    (_, _, _, Some(_)) => "Opened".into(),
                    _ => "Delivered".into(),
                },
                sent: sent.map(crate::ukclock::format).unwrap_or_default(),
                reported: match (reported, sent) {
                    (Some(r), Some(s)) => format!("Yes, after {}", human_duration((r - s).max(0))),
                    _ => String::new(),
                },
            },
        )
        .collect();
    // Activity by hour since launch, from the recipients' first-event times.
    let hours: Vec<(i64, i64, i64, i64)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT h, SUM(o), SUM(c), SUM(r) FROM ( \
            SELECT (opened_at - $2) / 3600 AS h, 1 AS o, 0 AS c, 0 AS r FROM campaign_recipients WHERE campaign_id = $1 AND opened_at IS NOT NULL \
            UNION ALL SELECT (clicked_at - $2) / 3600, 0, 1, 0 FROM campaign_recipients WHERE campaign_id = $1 AND clicked_at IS NOT NULL \
            UNION ALL SELECT (reported_at - $2) / 3600, 0, 0, 1 FROM campaign_recipients WHERE campaign_id = $1 AND reported_at IS NOT NULL \
         ) t GROUP BY h ORDER BY h LIMIT 72")
        .bind(id).bind(c.launch_at).fetch_all(p).await)?;
    let top = hours
        .iter()
        .map(|h| h.1.max(h.2).max(h.3))
        .max()
        .unwrap_or(1)
        .max(1);
    let timeline = hours
        .into_iter()
        .map(|(h, o, cl, r)| TimelineRow {
            label: crate::ukclock::format(c.launch_at + h.max(0) * 3600),
            opened: o,
            clicked: cl,
            reported: r,
            width_opened: o * 100 / top,
            width_clicked: cl * 100 / top,
            width_reported: r * 100 / top,
        })
        .collect();
    let notice = q.left_out.filter(|n| *n > 0).map(|n| {
        format!("{n} staff were left out because their email address is not in one of the practice's verified domains.")
    });
    let clicks = super::overrides::recent(&state.db, &scope, id).await?;
    render(ShowPage {
        clicks,
        page: Page::for_user(c.name.clone(), scope.user()).with_notice(notice),
        template_name,
        median_report,
        departments,
        hidden_departments: hidden.len() as i64,
        min_group: state.settings.simulation.min_group_size,
        recipients,
        page_no,
        pages,
        timeline,
        c,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    /// "pause", "resume" or "cancel".
    action: String,
}

pub async fn change_status(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<CampaignId>,
    crate::web::ValidForm(form): crate::web::ValidForm<StatusForm>,
) -> Result<Response, AppError> {
    let c = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (from, to): (&[Status], &str) = match form.action.as_str() {
        "pause" => (&[Status::Scheduled, Status::Sending], "paused"),
        "resume" => (&[Status::Paused], "sending"),
        "cancel" => (
            &[Status::Scheduled, Status::Sending, Status::Paused],
            "cancelled",
        ),
        _ => {
            return Err(AppError::BadRequest(
                "Choose pause, resume or cancel.".into(),
            ))
        }
    };
    if !from.contains(&c.status) {
        return Err(AppError::BadRequest(format!(
            "This exercise is {}, so it cannot be changed that way.",
            c.status.label().to_lowercase()
        )));
    }
    let mut tx = state.db.begin().await?;
    with_tx!(tx, c => {
        sqlx::query("UPDATE campaigns SET status = $1 WHERE id = $2 AND practice_id = $3").bind(to).bind(id).bind(scope.practice_id()).execute(&mut *c).await?;
        if to == "cancelled" {
            sqlx::query("UPDATE campaign_recipients SET send_status = 'cancelled' WHERE campaign_id = $1 AND send_status = 'queued'").bind(id).execute(&mut *c).await?;
        }
    });
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::CampaignChanged,
        &format!("{} \"{}\"", form.action, c.name),
        state.clock.now(),
    )
    .await?;
    // The tracking site forgets what it knew, and the sender looks again.
    tx.publish_after_commit(Change::Campaign(id));
    tx.wake_after_commit(Wake::Sender);
    tx.commit().await?;
    Ok(Redirect::to(&format!("/simulation/campaigns/{id}")).into_response())
}

pub async fn export_csv(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<CampaignId>,
) -> Result<Response, AppError> {
    let c = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    type R = (
        String,
        String,
        Option<String>,
        String,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<String>,
    );
    let rows: Vec<R> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT r.full_name, r.email, d.name, r.send_status, r.sent_at, r.opened_at, r.clicked_at, r.submitted_at, r.reported_at, r.send_error \
         FROM campaign_recipients r LEFT JOIN departments d ON d.id = r.department_id WHERE r.campaign_id = $1 ORDER BY r.full_name, r.id")
        .bind(id).fetch_all(p).await)?;
    let mut sheet = Sheet::new(&[
        "Name",
        "Email",
        "Department",
        "Sending",
        "Sent",
        "Opened",
        "Clicked",
        "Entered details",
        "Reported",
        "Minutes to report",
        "Sending error",
    ])?;
    let t = |v: Option<i64>| v.map(crate::ukclock::format).unwrap_or_default();
    for (name, email, dept, status, sent, opened, clicked, submitted, reported, error) in rows {
        let minutes = match (reported, sent) {
            (Some(r), Some(s)) => ((r - s).max(0) / 60).to_string(),
            _ => String::new(),
        };
        sheet.row([
            name,
            email,
            dept.unwrap_or_default(),
            status,
            t(sent),
            t(opened),
            t(clicked),
            t(submitted),
            t(reported),
            minutes,
            error.unwrap_or_default(),
        ])?;
    }
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::StaffExported,
        &format!("results of \"{}\"", c.name),
        state.clock.now(),
    )
    .await?;
    sheet.download("exercise-results.csv")
}
