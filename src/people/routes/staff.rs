//! The staff list: adding, editing, leavers (history kept), champions, export.

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::{Db, Tx};
use crate::people::departments;
use crate::people::domain::{NewStaff, Showing, StaffFields, StartDate};
use crate::people::staff::{self, Search, StaffMember};
use crate::people::views::{StaffFormPage, StaffListPage};
use crate::shared::{AppState, EmailAddress, FieldError, StaffId};
use crate::web::confirm::{self, Confirm};
use crate::web::spreadsheet::Sheet;
use crate::web::{render, AppError, ClientIp, FieldErrors, Notice, Page, Path, ValidForm};

/// What the list is showing, as its filter form has it.
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

    fn search(&self) -> Search<'_> {
        Search {
            words: &self.q,
            department: self.department,
            showing: Showing::from_query(&self.status),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    department: String,
    status: String,
    done: String,
}

/// The notice after a change, from the list's `done`.
fn done_notice(done: &str) -> Option<String> {
    match done {
        "added" => Some("Staff member added.".to_string()),
        "saved" => Some("Changes saved.".to_string()),
        "left" => {
            Some("Marked as left. Their account is closed and their history is kept.".to_string())
        }
        n if n.starts_with("imported-") => n[9..].parse::<u32>().ok().map(|k| {
            format!("{k} staff imported. You can invite everyone without an account below.")
        }),
        n if n.starts_with("invited-") => n[8..]
            .parse::<u32>()
            .ok()
            .map(|k| format!("{k} invitation{} sent.", if k == 1 { "" } else { "s" })),
        "none-to-invite" => {
            Some("Everyone on the staff list already has an account or an invitation.".to_string())
        }
        _ => None,
    }
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
    render(StaffListPage {
        page: Page::for_user("Staff", scope.user()).with_notice(done_notice(&q.done)),
        staff: staff::search(&state.db, &scope, &filter.search()).await?,
        uninvited: crate::people::repo::staff::without_account(&state.db, &scope)
            .await?
            .len(),
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

/// A stored start date as the form shows it (day/month/year).
fn form_date(iso: Option<&str>) -> String {
    iso.and_then(|d| StartDate::parse(d).ok())
        .map(|d| {
            d.date()
                .format(time::macros::format_description!("[day]/[month]/[year]"))
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

impl StaffForm {
    fn from_member(m: &StaffMember) -> Self {
        Self {
            full_name: m.full_name.clone(),
            email: m.email.clone(),
            job_role: m.job_role.clone(),
            department_id: m.department_id.map(|d| d.to_string()).unwrap_or_default(),
            start_date: form_date(m.start_date.as_deref()),
            employment_type: m.employment_type.as_str().to_string(),
        }
    }

    /// Every problem at once, so the form shows them all.
    async fn parse(
        &self,
        db: &Db,
        scope: &PracticeScope,
    ) -> Result<Result<NewStaff, FieldErrors>, AppError> {
        let department_id = match self.department_id.parse::<i64>() {
            Ok(id) if departments::name_of(db, scope, id).await?.is_some() => Ok(id),
            _ => Err(FieldError::new("department_id", "Choose a department")),
        };
        let fields = StaffFields {
            full_name: &self.full_name,
            email: EmailAddress::parse(&self.email),
            job_role: &self.job_role,
            department_id,
            start_date: &self.start_date,
            employment_type: &self.employment_type,
        };
        Ok(NewStaff::check(fields).map_err(FieldErrors))
    }
}

/// The practice's member of staff with this id, or "Page not found".
pub(super) async fn member(
    state: &AppState,
    scope: &PracticeScope,
    id: StaffId,
) -> Result<StaffMember, AppError> {
    staff::find(&state.db, scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// [`member`], who must still be at the practice to `what` ("be invited").
pub(super) async fn current_member(
    state: &AppState,
    scope: &PracticeScope,
    id: StaffId,
    what: &str,
) -> Result<StaffMember, AppError> {
    let m = member(state, scope, id).await?;
    if !m.active {
        return Err(AppError::BadRequest(format!(
            "{} has left the practice, so cannot {what}.",
            m.full_name
        )));
    }
    Ok(m)
}

fn email_taken(email: &EmailAddress) -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.add("email", format!("{email} is already on the staff list."));
    errors
}

/// "Name <email>", as audit entries name a member of staff.
fn who(full_name: &str, email: &str) -> String {
    format!("{full_name} <{email}>")
}

/// Records `action` about the member (by name and address) in the change's
/// `tx`, and commits.
async fn commit_about(
    mut tx: Tx,
    state: &AppState,
    scope: &ManagerScope,
    ip: &str,
    action: Action,
    m: &StaffMember,
) -> Result<(), AppError> {
    let (detail, now) = (who(&m.full_name, &m.email), state.clock.now());
    audit::record_by(&mut tx, scope, ip, action, &detail, now).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn new_page(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let form = StaffForm::default();
    StaffFormPage::show(&state, &scope, None, form, FieldErrors::default()).await
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
            let page = StaffFormPage::show(&state, &scope, None, form, errors);
            return Ok(page.await?.into_response());
        }
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if staff::insert(&mut tx, scope.practice_id(), &parsed, now)
        .await?
        .is_none()
    {
        drop(tx);
        let errors = email_taken(&parsed.email);
        let page = StaffFormPage::show(&state, &scope, None, form, errors);
        return Ok(page.await?.into_response());
    }
    let detail = who(parsed.full_name.as_str(), parsed.email.as_str());
    audit::record_by(&mut tx, &scope, &ip, Action::StaffAdded, &detail, now).await?;
    tx.commit().await?;
    Ok(Redirect::to("/staff?done=added").into_response())
}

/// What the member's page says after a change made on it.
const MEMBER_NOTICES: &[(&str, &str)] = &[
    (
        "invited",
        "Invitation sent. It asks them to choose a password within 7 days.",
    ),
    ("champion", "Cyber champion updated."),
    ("role", "Account access updated."),
    (
        "reinstated",
        "Back on the staff list. Their account can be used again.",
    ),
];

pub async fn edit_page(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<StaffId>,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    let m = member(&state, &scope, id).await?;
    let form = StaffForm::from_member(&m);
    let notice = notice.say(MEMBER_NOTICES);
    StaffFormPage::show_with(
        &state,
        &scope,
        Some(m),
        form,
        FieldErrors::default(),
        notice,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<StaffId>,
    ValidForm(form): ValidForm<StaffForm>,
) -> Result<Response, AppError> {
    let m = member(&state, &scope, id).await?;
    let parsed = match form.parse(&state.db, &scope).await? {
        Ok(s) => s,
        Err(errors) => {
            let page = StaffFormPage::show(&state, &scope, Some(m), form, errors);
            return Ok(page.await?.into_response());
        }
    };
    let mut tx = state.db.begin().await?;
    if !staff::update(&mut tx, &scope, id, &parsed).await? {
        drop(tx);
        let errors = email_taken(&parsed.email);
        let page = StaffFormPage::show(&state, &scope, Some(m), form, errors);
        return Ok(page.await?.into_response());
    }
    let (name, email) = (parsed.full_name.as_str(), parsed.email.as_str());
    crate::auth::accounts::follow_staff_details(&mut tx, scope.practice_id(), id, name, email)
        .await?;
    let (detail, now) = (who(name, email), state.clock.now());
    audit::record_by(&mut tx, &scope, &ip, Action::StaffUpdated, &detail, now).await?;
    tx.commit().await?;
    Ok(Redirect::to("/staff?done=saved").into_response())
}

/// A form that asks first: `confirm` is "yes" from the confirmation page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    confirm: String,
}

impl ConfirmForm {
    pub fn is_confirmed(&self) -> bool {
        confirm::confirmed(&self.confirm)
    }
}

pub async fn mark_left(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<StaffId>,
    ValidForm(form): ValidForm<ConfirmForm>,
) -> Result<Response, AppError> {
    let m = member(&state, &scope, id).await?;
    if m.account.is_manager() && scope.user().staff_id == Some(id) {
        return Err(AppError::BadRequest(
            "You cannot mark yourself as left. Ask another practice manager or your operator to do it.".into(),
        ));
    }
    if !confirm::confirmed(&form.confirm) {
        let page = confirm::ask(
            scope.user(),
            Confirm {
                heading: format!("Mark {} as left the practice?", m.full_name),
                explain: vec![
                    format!("{} will be taken off the current staff list. Their Safety Net account is closed at once and they are signed out everywhere.", m.full_name),
                    "Their training and exercise history is kept, and you can reinstate them later.".into(),
                ],
                action: format!("/staff/{id}/leave"),
                fields: Vec::new(),
                yes: format!("Yes, mark {} as left", m.full_name),
                back: format!("/staff/{id}"),
            },
        )?;
        return Ok(page.into_response());
    }
    let today = crate::ukclock::utc_today(&state.clock).to_string();
    // The leaver, their closed account (and ended sessions) and the audit entry commit together.
    let mut tx = state.db.begin().await?;
    staff::mark_left(&mut tx, &scope, id, &today).await?;
    crate::auth::accounts::close_for_leaver(&mut tx, scope.practice_id(), id).await?;
    commit_about(tx, &state, &scope, &ip, Action::StaffLeft, &m).await?;
    Ok(Redirect::to("/staff?done=left").into_response())
}

pub async fn reinstate(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<StaffId>,
) -> Result<Response, AppError> {
    let m = member(&state, &scope, id).await?;
    let mut tx = state.db.begin().await?;
    staff::reinstate(&mut tx, &scope, id).await?;
    crate::auth::accounts::reopen_for_returner(&mut tx, scope.practice_id(), id).await?;
    commit_about(tx, &state, &scope, &ip, Action::StaffReinstated, &m).await?;
    Ok(Notice::redirect(&format!("/staff/{id}"), "reinstated").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChampionForm {
    champion: String,
    /// "yes" from the confirmation page (removing a champion asks first).
    confirm: String,
}

pub async fn set_champion(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<StaffId>,
    ValidForm(form): ValidForm<ChampionForm>,
) -> Result<Response, AppError> {
    let m = current_member(&state, &scope, id, "be a champion").await?;
    let on = form.champion == "yes";
    if !on && m.is_champion && !confirm::confirmed(&form.confirm) {
        let page = confirm::ask(
            scope.user(),
            Confirm {
                heading: format!("Stop {} being a cyber champion?", m.full_name),
                explain: vec![format!(
                    "{} will no longer be listed as {}'s cyber champion, and will lose a champion's view of devices, alerts and backups. Their own training and account stay as they are.",
                    m.full_name, m.department
                )],
                action: format!("/staff/{id}/champion"),
                fields: vec![("champion", "no".into())],
                yes: "Yes, stop being a champion".into(),
                back: format!("/staff/{id}"),
            },
        )?;
        return Ok(page.into_response());
    }
    let mut tx = state.db.begin().await?;
    let today = crate::ukclock::local_date(state.clock.now()).to_string();
    staff::set_champion(&mut tx, &scope, id, on, &today).await?;
    // A manager stays a manager; otherwise the account's role follows the champion mark.
    crate::auth::accounts::follow_champion_mark(&mut tx, scope.practice_id(), id, on).await?;
    let detail = format!(
        "{} {} champion for {}",
        m.full_name,
        if on { "made" } else { "no longer" },
        m.department
    );
    let now = state.clock.now();
    audit::record_by(&mut tx, &scope, &ip, Action::RoleChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(Notice::redirect(&format!("/staff/{id}"), "champion").into_response())
}

pub async fn export_csv(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
) -> Result<Response, AppError> {
    let everyone = Search {
        words: "",
        department: None,
        showing: Showing::Everyone,
    };
    let all = staff::search(&state.db, &scope, &everyone).await?;
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
        sheet.row([
            m.full_name.clone(),
            m.email.clone(),
            m.job_role.clone(),
            m.department.clone(),
            form_date(m.start_date.as_deref()),
            m.employment_type.label().to_string(),
            if m.is_champion { "Yes" } else { "No" }.to_string(),
            if m.active { "Current" } else { "Left" }.to_string(),
            m.left_on.clone().unwrap_or_default(),
            m.account.label().to_string(),
        ])?;
    }
    // A download changes nothing else, so its entry commits alone.
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
