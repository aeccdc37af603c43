//! Practices, as an operator (ICB / PCN / federation IT) sees them: the list
//! with aggregate figures, creating a practice and its practice manager.
//! Operators never see individual staff beyond the practice managers.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::accounts;
use super::departments;
use super::domain::{EmploymentType, JobRole};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{system_scope_for, OperatorScope, Role, SessionUser};
use crate::db::Db;
use crate::shared::{AppState, EmailAddress, FieldError, PersonName, PracticeId, StaffId, UserId};
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};
use crate::with_db;

pub struct PracticeSummary {
    pub id: i64,
    pub name: String,
    pub ods_code: String,
    pub active_staff: i64,
    pub accounts: i64,
    pub mfa_accounts: i64,
    pub champions: i64,
    /// Current staff with training past its due date.
    pub overdue_staff: i64,
    /// Phishing exercise emails sent in the last 12 months, and how many were reported and clicked.
    pub emails_12m: i64,
    pub reported_12m: i64,
    pub clicked_12m: i64,
    /// Below this many people a figure could point at someone, so it is not shown.
    pub min_group: i64,
}

impl PracticeSummary {
    pub fn mfa_percent(&self) -> i64 {
        if self.accounts == 0 {
            0
        } else {
            self.mfa_accounts * 100 / self.accounts
        }
    }

    /// Share of current staff with no overdue training.
    pub fn training_up_to_date(&self) -> String {
        if self.active_staff < self.min_group {
            format!("Not shown: fewer than {} staff", self.min_group)
        } else {
            let current = self.active_staff - self.overdue_staff.min(self.active_staff);
            format!("{}%", current * 100 / self.active_staff)
        }
    }

    /// Reporting first: the share of exercise emails reported, then clicked.
    pub fn phishing_12m(&self) -> String {
        match self.emails_12m {
            0 => "No exercises".into(),
            n if n < self.min_group => format!("Not shown: fewer than {} emails", self.min_group),
            n => format!(
                "{}% reported, {}% clicked ({n} emails)",
                self.reported_12m * 100 / n,
                self.clicked_12m * 100 / n
            ),
        }
    }
}

type SummaryRow = (
    i64,
    String,
    Option<String>,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
);

// Counts only: an operator sees how a practice is doing, never who did what.
const SUMMARY: &str = "SELECT p.id, p.name, p.ods_code, \
    (SELECT COUNT(*) FROM staff s WHERE s.practice_id = p.id AND s.active), \
    (SELECT COUNT(*) FROM users u WHERE u.practice_id = p.id AND u.active AND u.password_hash IS NOT NULL), \
    (SELECT COUNT(*) FROM users u WHERE u.practice_id = p.id AND u.active AND u.totp_secret IS NOT NULL), \
    (SELECT COUNT(*) FROM staff s WHERE s.practice_id = p.id AND s.active AND s.is_champion), \
    (SELECT COUNT(DISTINCT a.staff_id) FROM training_assignments a JOIN staff s ON s.id = a.staff_id AND s.active \
       WHERE a.practice_id = p.id AND a.completed_at IS NULL AND a.due_at < $1), \
    (SELECT CAST(COALESCE(SUM(c.sent), 0) AS BIGINT) FROM campaigns c WHERE c.practice_id = p.id AND c.launch_at >= $2), \
    (SELECT CAST(COALESCE(SUM(c.reported), 0) AS BIGINT) FROM campaigns c WHERE c.practice_id = p.id AND c.launch_at >= $2), \
    (SELECT CAST(COALESCE(SUM(c.clicked), 0) AS BIGINT) FROM campaigns c WHERE c.practice_id = p.id AND c.launch_at >= $2) \
    FROM practices p";

/// The binds of [`SUMMARY`]: overdue means due before now; "12 months" starts a year ago.
fn summary_binds(now: i64) -> (i64, i64) {
    (now, now - 365 * 86_400)
}

fn summary(r: SummaryRow, min_group: i64) -> PracticeSummary {
    PracticeSummary {
        id: r.0,
        name: r.1,
        ods_code: r.2.unwrap_or_default(),
        active_staff: r.3,
        accounts: r.4,
        mfa_accounts: r.5,
        champions: r.6,
        overdue_staff: r.7,
        emails_12m: r.8,
        reported_12m: r.9,
        clicked_12m: r.10,
        min_group,
    }
}

/// Creates a practice with the default departments.
pub async fn create_practice(
    db: &Db,
    name: &str,
    ods_code: Option<&str>,
    now: i64,
) -> Result<PracticeId, AppError> {
    let (id,): (PracticeId,) = with_db!(db, p => sqlx::query_as("INSERT INTO practices (name, ods_code, created_at) VALUES ($1, $2, $3) RETURNING id")
        .bind(name).bind(ods_code).bind(now).fetch_one(p).await)?;
    departments::create_defaults(db, id, now).await?;
    Ok(id)
}

pub async fn find_by_name(db: &Db, name: &str) -> Result<Option<PracticeId>, sqlx::Error> {
    let r: Option<(PracticeId,)> = with_db!(db, p => sqlx::query_as("SELECT id FROM practices WHERE name = $1 ORDER BY id LIMIT 1")
        .bind(name).fetch_optional(p).await)?;
    Ok(r.map(|r| r.0))
}

/// Adds a practice manager: a staff record in Management and an account,
/// returning the account id. The caller sends the invitation.
pub async fn add_practice_manager(
    db: &Db,
    practice_id: PracticeId,
    name: &PersonName,
    email: &EmailAddress,
    now: i64,
) -> Result<Result<UserId, String>, AppError> {
    let dept: Option<(i64,)> = with_db!(db, p => sqlx::query_as(
        "SELECT id FROM departments WHERE practice_id = $1 ORDER BY (name = 'Management') DESC, id LIMIT 1")
        .bind(practice_id).fetch_optional(p).await)?;
    let Some((department_id,)) = dept else {
        return Ok(Err("The practice has no departments yet.".into()));
    };
    let staff = super::csv_import::NewStaff {
        full_name: name.clone(),
        email: email.clone(),
        job_role: JobRole::parse("Practice manager").expect("valid literal"),
        department_id,
        start_date: None,
        employment_type: EmploymentType::Permanent,
    };
    let system = system_scope_for(practice_id, "adding a practice manager");
    let staff_id = match super::staff::insert(db, &system, &staff, now).await? {
        Ok(id) => id,
        Err(_) => {
            let r: (StaffId,) = with_db!(db, p => sqlx::query_as("SELECT id FROM staff WHERE practice_id = $1 AND email = $2")
                .bind(practice_id).bind(email.as_str()).fetch_one(p).await)?;
            r.0
        }
    };
    accounts::create_user(
        db,
        email.as_str(),
        name.as_str(),
        Role::Manager,
        Some(practice_id),
        Some(staff_id),
        now,
    )
    .await
}

#[derive(Template)]
#[template(path = "people/practices.html")]
struct ListPage {
    page: Page,
    practices: Vec<PracticeSummary>,
    /// Each practice's DSPT readiness figures, by practice id.
    dspt: std::collections::HashMap<i64, crate::dspt::Readiness>,
}

impl ListPage {
    fn dspt_for(&self, id: &i64) -> Option<&crate::dspt::Readiness> {
        self.dspt.get(id)
    }
}

pub async fn list(
    State(state): State<AppState>,
    operator: OperatorScope,
) -> Result<Html<String>, AppError> {
    let user = operator.into_user();
    let sql = format!("{SUMMARY} ORDER BY p.name");
    let (now, since) = summary_binds(state.clock.now());
    let rows: Vec<SummaryRow> =
        with_db!(&state.db, p => sqlx::query_as(&sql).bind(now).bind(since).fetch_all(p).await)?;
    let min_group = state.settings.simulation.min_group_size;
    render(ListPage {
        page: Page::for_user("Practices", &user),
        practices: rows.into_iter().map(|r| summary(r, min_group)).collect(),
        dspt: crate::dspt::operator::readiness_by_practice(&state.db).await?,
    })
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct NewPracticeForm {
    name: String,
    ods_code: String,
    manager_name: String,
    manager_email: String,
}

#[derive(Template)]
#[template(path = "people/practice_new.html")]
struct NewPage {
    page: Page,
    form: NewPracticeForm,
    errors: FieldErrors,
}

pub async fn new_page(operator: OperatorScope) -> Result<Html<String>, AppError> {
    let user = operator.into_user();
    render(NewPage {
        page: Page::for_user("Add a practice", &user),
        form: NewPracticeForm::default(),
        errors: FieldErrors::default(),
    })
}

fn parse_ods(raw: &str) -> Result<Option<String>, FieldError> {
    let s = raw.trim().to_ascii_uppercase();
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() <= 10 && s.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(Some(s))
    } else {
        Err(FieldError::new(
            "ods_code",
            "Enter the practice's ODS code, like A81001, or leave it blank",
        ))
    }
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    operator: OperatorScope,
    ValidForm(form): ValidForm<NewPracticeForm>,
) -> Result<Response, AppError> {
    let user = operator.into_user();
    let mut errors = FieldErrors::default();
    let name = form.name.trim().to_string();
    if name.is_empty() || name.len() > 120 {
        errors.add("name", "Enter the practice's name, like Riverside Surgery");
    }
    let ods = errors.take(parse_ods(&form.ods_code));
    let mname = errors.take(
        PersonName::parse(&form.manager_name)
            .map_err(|e| FieldError::new("manager_name", e.message)),
    );
    let memail = errors.take(
        EmailAddress::parse(&form.manager_email)
            .map_err(|e| FieldError::new("manager_email", e.message)),
    );
    let (Some(ods), Some(mname), Some(memail), true) = (ods, mname, memail, errors.is_empty())
    else {
        return Ok(render(NewPage {
            page: Page::for_user("Add a practice", &user),
            form,
            errors,
        })?
        .into_response());
    };
    let now = state.clock.now();
    let practice_id = create_practice(&state.db, &name, ods.as_deref(), now).await?;
    let actor = Actor::user(&user, &ip);
    audit::record_alone(
        &state.db,
        Some(practice_id),
        &actor,
        Action::PracticeCreated,
        &name,
        now,
    )
    .await?;
    match add_practice_manager(&state.db, practice_id, &mname, &memail, now).await? {
        Ok(user_id) => {
            let mut tx = state.db.begin().await?;
            let invitation = accounts::Invitation {
                user_id,
                email: memail.as_str(),
                full_name: mname.as_str(),
                practice_id: Some(practice_id),
                practice_name: &name,
                inviter: &user.full_name,
            };
            accounts::send_invitation(&mut tx, state.public_url(), &invitation, now).await?;
            audit::record(
                &mut tx,
                Some(practice_id),
                &actor,
                Action::InvitationSent,
                &format!("practice manager {mname} <{memail}>"),
                now,
            )
            .await?;
            tx.commit().await?;
        }
        Err(why) => {
            // The practice exists; say what went wrong with the manager and let the operator add one.
            return Err(AppError::BadRequest(format!(
                "{name} was added, but its practice manager was not: {why}"
            )));
        }
    }
    Ok(Redirect::to(&format!("/operator/practices/{practice_id}")).into_response())
}

#[derive(Template)]
#[template(path = "people/practice_show.html")]
struct ShowPage {
    page: Page,
    practice: PracticeSummary,
    managers: Vec<(String, String, bool)>,
    domains: Vec<crate::simulation::domains::Domain>,
    form: NewPracticeForm,
    errors: FieldErrors,
}

async fn show_page(
    state: &AppState,
    user: &SessionUser,
    id: PracticeId,
    form: NewPracticeForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let sql = format!("{SUMMARY} WHERE p.id = $3");
    let (now, since) = summary_binds(state.clock.now());
    let row: Option<SummaryRow> = with_db!(&state.db, p => sqlx::query_as(&sql).bind(now).bind(since).bind(id).fetch_optional(p).await)?;
    let practice = summary(
        row.ok_or(AppError::NotFound)?,
        state.settings.simulation.min_group_size,
    );
    let managers: Vec<(String, String, bool)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT full_name, email, password_hash IS NOT NULL FROM users WHERE practice_id = $1 AND role = 'manager' AND active ORDER BY full_name")
        .bind(id).fetch_all(p).await)?;
    let domains = crate::simulation::domains::list_for(&state.db, id).await?;
    render(ShowPage {
        page: Page::for_user(practice.name.clone(), user),
        practice,
        managers,
        domains,
        form,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    operator: OperatorScope,
    Path(id): Path<PracticeId>,
) -> Result<Html<String>, AppError> {
    let user = operator.into_user();
    show_page(
        &state,
        &user,
        id,
        NewPracticeForm::default(),
        FieldErrors::default(),
    )
    .await
}

pub async fn add_manager(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    operator: OperatorScope,
    Path(id): Path<PracticeId>,
    ValidForm(form): ValidForm<NewPracticeForm>,
) -> Result<Response, AppError> {
    let user = operator.into_user();
    let name: Option<(String,)> = with_db!(&state.db, p => sqlx::query_as("SELECT name FROM practices WHERE id = $1")
        .bind(id).fetch_optional(p).await)?;
    let (practice_name,) = name.ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::default();
    let mname = errors.take(
        PersonName::parse(&form.manager_name)
            .map_err(|e| FieldError::new("manager_name", e.message)),
    );
    let memail = errors.take(
        EmailAddress::parse(&form.manager_email)
            .map_err(|e| FieldError::new("manager_email", e.message)),
    );
    let (Some(mname), Some(memail)) = (mname, memail) else {
        return Ok(show_page(&state, &user, id, form, errors)
            .await?
            .into_response());
    };
    let now = state.clock.now();
    match add_practice_manager(&state.db, id, &mname, &memail, now).await? {
        Ok(user_id) => {
            let mut tx = state.db.begin().await?;
            let invitation = accounts::Invitation {
                user_id,
                email: memail.as_str(),
                full_name: mname.as_str(),
                practice_id: Some(id),
                practice_name: &practice_name,
                inviter: &user.full_name,
            };
            accounts::send_invitation(&mut tx, state.public_url(), &invitation, now).await?;
            audit::record(
                &mut tx,
                Some(id),
                &Actor::user(&user, &ip),
                Action::InvitationSent,
                &format!("practice manager {mname} <{memail}>"),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(Redirect::to(&format!("/operator/practices/{id}")).into_response())
        }
        Err(why) => {
            errors.add("manager_email", why);
            Ok(show_page(&state, &user, id, form, errors)
                .await?
                .into_response())
        }
    }
}
