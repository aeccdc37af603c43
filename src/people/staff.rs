//! The staff list: adding, editing, leavers (history kept), champions, export.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::csv_import::NewStaff;
use super::departments::{self, Department};
use super::domain::{EmploymentType, JobRole, StartDate};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::{is_unique_violation, Db};
use crate::shared::{AppState, EmailAddress, PersonName, StaffId};
use crate::web::spreadsheet::Sheet;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};
use crate::{with_db, with_tx};

/// One person as the staff list shows them.
pub struct StaffMember {
    pub id: StaffId,
    pub full_name: String,
    pub email: String,
    pub job_role: String,
    pub department_id: Option<i64>,
    pub department: String,
    pub start_date: Option<String>,
    pub employment_type: EmploymentType,
    pub is_champion: bool,
    pub active: bool,
    pub left_on: Option<String>,
    pub account: AccountStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    None,
    Invited,
    Active { manager: bool, mfa: bool },
    Disabled,
}

impl AccountStatus {
    pub fn label(&self) -> &'static str {
        match self {
            Self::None => "No account",
            Self::Invited => "Invited",
            Self::Active { manager: true, .. } => "Practice manager",
            Self::Active { .. } => "Active",
            Self::Disabled => "Closed",
        }
    }
    pub fn has_account(&self) -> bool {
        !matches!(self, Self::None)
    }
    pub fn is_manager(&self) -> bool {
        matches!(self, Self::Active { manager: true, .. })
    }
    pub fn mfa(&self) -> bool {
        matches!(self, Self::Active { mfa: true, .. })
    }
}

type StaffRow = (
    StaffId,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    bool,
    bool,
    Option<String>,
    Option<String>,
    Option<bool>,
    Option<bool>,
    Option<bool>,
);

const SELECT: &str = "SELECT s.id, s.full_name, s.email, s.job_role, s.department_id, d.name, s.start_date, \
    s.employment_type, s.is_champion, s.active, s.left_on, u.role, u.password_hash IS NOT NULL, u.totp_secret IS NOT NULL, u.active \
    FROM staff s LEFT JOIN departments d ON d.id = s.department_id LEFT JOIN users u ON u.staff_id = s.id";

fn member(r: StaffRow) -> StaffMember {
    let account = match (r.11.as_deref(), r.12, r.13, r.14) {
        (None, ..) => AccountStatus::None,
        (Some(_), _, _, Some(false)) => AccountStatus::Disabled,
        (Some(_), Some(false), ..) => AccountStatus::Invited,
        (Some(role), _, mfa, _) => AccountStatus::Active {
            manager: role == "manager",
            mfa: mfa.unwrap_or(false),
        },
    };
    StaffMember {
        id: r.0,
        full_name: r.1,
        email: r.2,
        job_role: r.3,
        department_id: r.4,
        department: r.5.unwrap_or_default(),
        start_date: r.6,
        employment_type: EmploymentType::parse(&r.7).unwrap_or(EmploymentType::Permanent),
        is_champion: r.8,
        active: r.9,
        left_on: r.10,
        account,
    }
}

/// One staff member of the practice in scope, or None (another practice's id looks the same as a missing one).
pub async fn find(
    db: &Db,
    scope: &PracticeScope,
    id: StaffId,
) -> Result<Option<StaffMember>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE s.id = $1 AND s.practice_id = $2");
    let row: Option<StaffRow> = with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    Ok(row.map(member))
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ListFilter {
    pub q: String,
    pub department: Option<i64>,
    /// "active" (default), "left" or "all".
    pub status: String,
}

impl ListFilter {
    pub fn is_department(&self, id: &i64) -> bool {
        self.department == Some(*id)
    }
}

pub async fn search(
    db: &Db,
    scope: &PracticeScope,
    f: &ListFilter,
) -> Result<Vec<StaffMember>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE s.practice_id = $1 AND ($2 = 0 OR s.department_id = $2) \
         AND ($3 = 'all' OR ($3 = 'left' AND NOT s.active) OR ($3 = 'active' AND s.active)) \
         AND (LOWER(s.full_name) LIKE $4 OR s.email LIKE $4 OR LOWER(s.job_role) LIKE $4) ORDER BY s.full_name, s.id"
    );
    let status = match f.status.as_str() {
        "left" | "all" => f.status.as_str(),
        _ => "active",
    };
    let q = format!("%{}%", f.q.trim().to_lowercase());
    let rows: Vec<StaffRow> = with_db!(db, p => sqlx::query_as(&sql)
        .bind(scope.practice_id()).bind(f.department.unwrap_or(0)).bind(status).bind(&q).fetch_all(p).await)?;
    Ok(rows.into_iter().map(member).collect())
}

#[derive(Template)]
#[template(path = "people/staff_list.html")]
struct ListPage {
    page: Page,
    staff: Vec<StaffMember>,
    departments: Vec<Department>,
    filter: ListFilter,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    department: String,
    status: String,
    done: String,
}

pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let filter = ListFilter {
        q: q.q,
        department: q.department.parse().ok(),
        status: q.status,
    };
    let notice = match q.done.as_str() {
        "added" => Some("Staff member added.".to_string()),
        "saved" => Some("Changes saved.".to_string()),
        "left" => {
            Some("Marked as left. Their account is closed and their history is kept.".to_string())
        }
        n if n.starts_with("imported-") => Some(format!("{} staff imported.", &n[9..])),
        _ => None,
    };
    render(ListPage {
        page: Page::for_user("Staff", scope.user()).with_notice(notice),
        staff: search(&state.db, &scope, &filter).await?,
        departments: departments::all(&state.db, &scope).await?,
        filter,
    })
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct StaffForm {
    pub full_name: String,
    pub email: String,
    pub job_role: String,
    pub department_id: String,
    pub start_date: String,
    pub employment_type: String,
}

impl StaffForm {
    fn from_member(m: &StaffMember) -> Self {
        Self {
            full_name: m.full_name.clone(),
            email: m.email.clone(),
            job_role: m.job_role.clone(),
            department_id: m.department_id.map(|d| d.to_string()).unwrap_or_default(),
            start_date: m
                .start_date
                .as_deref()
                .and_then(|d| StartDate::parse(d).ok())
                .map(|d| {
                    d.date()
                        .format(time::macros::format_description!("[day]/[month]/[year]"))
                        .unwrap_or_default()
                })
                .unwrap_or_default(),
            employment_type: m.employment_type.as_str().to_string(),
        }
    }

    /// Every problem at once, so the form shows them all.
    async fn parse(
        &self,
        db: &Db,
        scope: &PracticeScope,
    ) -> Result<Result<NewStaff, FieldErrors>, AppError> {
        let mut errors = FieldErrors::default();
        let full_name = errors.take(PersonName::parse(&self.full_name));
        let email = errors.take(EmailAddress::parse(&self.email));
        let job_role = errors.take(JobRole::parse(&self.job_role));
        let department_id = match self.department_id.parse::<i64>() {
            Ok(id) if departments::name_of(db, scope, id).await?.is_some() => Some(id),
            _ => {
                errors.add("department_id", "Choose a department");
                None
            }
        };
        let start_date = if self.start_date.trim().is_empty() {
            Some(None)
        } else {
            errors.take(StartDate::parse(&self.start_date)).map(Some)
        };
        let employment_type = errors.take(EmploymentType::parse_or_default(&self.employment_type));
        Ok(
            match (
                full_name,
                email,
                job_role,
                department_id,
                start_date,
                employment_type,
            ) {
                (
                    Some(full_name),
                    Some(email),
                    Some(job_role),
                    Some(department_id),
                    Some(start_date),
                    Some(employment_type),
                ) => Ok(NewStaff {
                    full_name,
                    email,
                    job_role,
                    department_id,
                    start_date,
                    employment_type,
                }),
                _ => Err(errors),
            },
        )
    }
}

#[derive(Template)]
#[template(path = "people/staff_form.html")]
struct FormPage {
    page: Page,
    heading: String,
    action: String,
    form: StaffForm,
    errors: FieldErrors,
    departments: Vec<Department>,
    employment_types: [EmploymentType; 6],
    member: Option<StaffMember>,
    /// This person's phishing-exercise record (manager only).
    history: Vec<crate::simulation::reporting::history::Entry>,
}

async fn form_page(
    state: &AppState,
    scope: &ManagerScope,
    member: Option<StaffMember>,
    form: StaffForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let (heading, action) = match &member {
        Some(m) => (m.full_name.clone(), format!("/staff/{}", m.id)),
        None => ("Add a staff member".to_string(), "/staff/new".to_string()),
    };
    let history = match &member {
        Some(m) => crate::simulation::reporting::history::for_staff(&state.db, scope, m.id).await?,
        None => Vec::new(),
    };
    render(FormPage {
        history,
        page: Page::for_user(heading.clone(), scope.user()),
        heading,
        action,
        form,
        errors,
        departments: departments::all(&state.db, scope).await?,
        employment_types: EmploymentType::ALL,
        member,
    })
}

pub async fn new_page(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    form_page(
        &state,
        &scope,
        None,
        StaffForm::default(),
        FieldErrors::default(),
    )
    .await
}

/// Adds one person; a clash on email comes back as a field error.
pub async fn insert(
    db: &Db,
    scope: &PracticeScope,
    s: &NewStaff,
    now: i64,
) -> Result<Result<StaffId, FieldErrors>, AppError> {
    let r: Result<(StaffId,), sqlx::Error> = with_db!(db, p => sqlx::query_as(
        "INSERT INTO staff (practice_id, department_id, full_name, email, job_role, start_date, employment_type, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(scope.practice_id()).bind(s.department_id).bind(s.full_name.as_str()).bind(s.email.as_str())
        .bind(s.job_role.as_str()).bind(s.start_date.as_ref().map(|d| d.as_iso())).bind(s.employment_type.as_str()).bind(now)
        .fetch_one(p).await);
    match r {
        Ok((id,)) => Ok(Ok(id)),
        Err(e) if is_unique_violation(&e) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "email",
                format!("{} is already on the staff list.", s.email),
            );
            Ok(Err(errors))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<StaffForm>,
) -> Result<Response, AppError> {
    let parsed = match form.parse(&state.db, &scope).await? {
        Ok(s) => s,
        Err(errors) => {
            return Ok(form_page(&state, &scope, None, form, errors)
                .await?
                .into_response())
        }
    };
    match insert(&state.db, &scope, &parsed, state.clock.now()).await? {
        Ok(_) => {
            audit::record_alone(
                &state.db,
                Some(scope.practice_id()),
                &Actor::user(scope.user(), &ip),
                Action::StaffAdded,
                &format!("{} <{}>", parsed.full_name, parsed.email),
                state.clock.now(),
            )
            .await?;
            Ok(Redirect::to("/staff?done=added").into_response())
        }
        Err(errors) => Ok(form_page(&state, &scope, None, form, errors)
            .await?
            .into_response()),
    }
}

pub async fn edit_page(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<StaffId>,
) -> Result<Html<String>, AppError> {
    let m = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = StaffForm::from_member(&m);
    form_page(&state, &scope, Some(m), form, FieldErrors::default()).await
}

pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<StaffId>,
    ValidForm(form): ValidForm<StaffForm>,
) -> Result<Response, AppError> {
    let m = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let parsed = match form.parse(&state.db, &scope).await? {
        Ok(s) => s,
        Err(errors) => {
            return Ok(form_page(&state, &scope, Some(m), form, errors)
                .await?
                .into_response())
        }
    };
    let r = with_db!(&state.db, p => sqlx::query(
        "UPDATE staff SET full_name = $1, email = $2, job_role = $3, department_id = $4, start_date = $5, employment_type = $6 \
         WHERE id = $7 AND practice_id = $8")
        .bind(parsed.full_name.as_str()).bind(parsed.email.as_str()).bind(parsed.job_role.as_str()).bind(parsed.department_id)
        .bind(parsed.start_date.as_ref().map(|d| d.as_iso())).bind(parsed.employment_type.as_str()).bind(id).bind(scope.practice_id())
        .execute(p).await.map(|r| r.rows_affected()));
    match r {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "email",
                format!("{} is already on the staff list.", parsed.email),
            );
            return Ok(form_page(&state, &scope, Some(m), form, errors)
                .await?
                .into_response());
        }
        Err(e) => return Err(e.into()),
    }
    // The account follows the staff record's name. Its email is the sign-in name, so it changes only when free.
    with_db!(&state.db, p => sqlx::query("UPDATE users SET full_name = $1 WHERE staff_id = $2 AND practice_id = $3")
        .bind(parsed.full_name.as_str()).bind(id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
    if parsed.email.as_str() != m.email {
        let r = with_db!(&state.db, p => sqlx::query("UPDATE users SET email = $1 WHERE staff_id = $2 AND practice_id = $3")
            .bind(parsed.email.as_str()).bind(id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()));
        if let Err(e) = r {
            if !is_unique_violation(&e) {
                return Err(e.into());
            }
        }
    }
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::StaffUpdated,
        &format!("{} <{}>", parsed.full_name, parsed.email),
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/staff?done=saved").into_response())
}

pub async fn mark_left(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<StaffId>,
) -> Result<Response, AppError> {
    let m = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if m.account.is_manager() && scope.user().staff_id == Some(id) {
        return Err(AppError::BadRequest(
            "You cannot mark yourself as left. Ask another practice manager or your operator to do it.".into(),
        ));
    }
    let today = crate::ukclock::utc_today(&state.clock).to_string();
    // The leaver, their closed account and the audit entry commit together.
    let mut tx = state.db.begin().await?;
    with_tx!(tx, c => sqlx::query("UPDATE staff SET active = FALSE, left_on = $1, is_champion = FALSE WHERE id = $2 AND practice_id = $3")
        .bind(&today).bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))?;
    // A leaver's account is closed at once and any open session ends.
    crate::auth::accounts::close_for_leaver(&mut tx, scope.practice_id(), id).await?;
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::StaffLeft,
        &format!("{} <{}>", m.full_name, m.email),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/staff?done=left").into_response())
}

pub async fn reinstate(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<StaffId>,
) -> Result<Response, AppError> {
    let m = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    with_tx!(tx, c => sqlx::query("UPDATE staff SET active = TRUE, left_on = NULL WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))?;
    crate::auth::accounts::reopen_for_returner(&mut tx, scope.practice_id(), id).await?;
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::StaffReinstated,
        &format!("{} <{}>", m.full_name, m.email),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/staff/{id}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChampionForm {
    champion: String,
}

pub async fn set_champion(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<StaffId>,
    ValidForm(form): ValidForm<ChampionForm>,
) -> Result<Response, AppError> {
    let m = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !m.active {
        return Err(AppError::BadRequest(format!(
            "{} has left the practice, so cannot be a champion.",
            m.full_name
        )));
    }
    let on = form.champion == "yes";
    with_db!(&state.db, p => {
        sqlx::query("UPDATE staff SET is_champion = $1 WHERE id = $2 AND practice_id = $3")
            .bind(on).bind(id).bind(scope.practice_id()).execute(p).await?;
        // A manager stays a manager; otherwise the account's role follows the champion mark.
        sqlx::query("UPDATE users SET role = $1 WHERE staff_id = $2 AND practice_id = $3 AND role <> 'manager'")
            .bind(if on { "champion" } else { "staff" }).bind(id).bind(scope.practice_id()).execute(p).await?;
    });
    let detail = format!(
        "{} {} champion for {}",
        m.full_name,
        if on { "made" } else { "no longer" },
        m.department
    );
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::RoleChanged,
        &detail,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/staff/{id}")).into_response())
}

pub async fn export_csv(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
) -> Result<Response, AppError> {
    let all = search(
        &state.db,
        &scope,
        &ListFilter {
            status: "all".into(),
            ..Default::default()
        },
    )
    .await?;
    let mut sheet = Sheet::new(&[
        "Name",
        "Email",
        "Job role",
        "Department",
        "Start date",
        "Employment type",
        "Champion",
        "Status",
        "Left on",
        "Account",
    ])?;
    for m in &all {
        let start = m
            .start_date
            .as_deref()
            .and_then(|d| StartDate::parse(d).ok())
            .map(|d| {
                d.date()
                    .format(time::macros::format_description!("[day]/[month]/[year]"))
                    .unwrap_or_default()
            });
        sheet.row([
            m.full_name.clone(),
            m.email.clone(),
            m.job_role.clone(),
            m.department.clone(),
            start.unwrap_or_default(),
            m.employment_type.label().to_string(),
            if m.is_champion { "Yes" } else { "No" }.to_string(),
            if m.active { "Current" } else { "Left" }.to_string(),
            m.left_on.clone().unwrap_or_default(),
            m.account.label().to_string(),
        ])?;
    }
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::StaffExported,
        &format!("{} people", all.len()),
        state.clock.now(),
    )
    .await?;
    sheet.download("staff.csv")
}
