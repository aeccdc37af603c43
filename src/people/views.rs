//! The staff, department and operator pages (askama templates in
//! `templates/people/`) and how each is put together.

use askama::Template;
use axum::response::Html;

use super::domain::{EmploymentType, PracticeSummary};
use super::repo::departments::Department;
use super::repo::staff::StaffMember;
use super::routes::practices::NewPracticeForm;
use super::routes::staff::{ListFilter, StaffForm};
use crate::auth::accounts::Manager;
use crate::auth::{ManagerScope, SessionUser};
use crate::shared::AppState;
use crate::web::{render, AppError, FieldErrors, Page};

#[derive(Template)]
#[template(path = "people/staff_list.html")]
pub struct StaffListPage {
    pub page: Page,
    pub staff: Vec<StaffMember>,
    pub departments: Vec<Department>,
    pub filter: ListFilter,
    /// Current staff with no account yet, whom "Invite everyone" would invite.
    pub uninvited: usize,
}

#[derive(Template)]
#[template(path = "people/staff_form.html")]
pub struct StaffFormPage {
    pub page: Page,
    pub heading: String,
    pub action: String,
    pub form: StaffForm,
    pub errors: FieldErrors,
    pub departments: Vec<Department>,
    pub employment_types: [EmploymentType; 6],
    pub member: Option<StaffMember>,
    /// This person's phishing-exercise record (manager only).
    pub history: Vec<crate::simulation::reporting::history::Entry>,
}

impl StaffFormPage {
    /// Adding someone (no `member`), or a member's details and record.
    pub async fn show(
        state: &AppState,
        scope: &ManagerScope,
        member: Option<StaffMember>,
        form: StaffForm,
        errors: FieldErrors,
    ) -> Result<Html<String>, AppError> {
        Self::show_with(state, scope, member, form, errors, None).await
    }

    /// A member's page with the success banner saying what just changed.
    pub async fn show_with(
        state: &AppState,
        scope: &ManagerScope,
        member: Option<StaffMember>,
        form: StaffForm,
        errors: FieldErrors,
        notice: Option<String>,
    ) -> Result<Html<String>, AppError> {
        let (heading, action) = match &member {
            Some(m) => (m.full_name.clone(), format!("/staff/{}", m.id)),
            None => ("Add a staff member".to_string(), "/staff/new".to_string()),
        };
        let history = match &member {
            Some(m) => {
                crate::simulation::reporting::history::for_staff(&state.db, scope, m.id).await?
            }
            None => Vec::new(),
        };
        render(Self {
            history,
            page: Page::for_user(heading.clone(), scope.user()).with_notice(notice),
            heading,
            action,
            form,
            errors,
            departments: super::departments::all(&state.db, scope).await?,
            employment_types: EmploymentType::ALL,
            member,
        })
    }
}

#[derive(Template)]
#[template(path = "people/departments.html")]
pub struct DepartmentsPage {
    pub page: Page,
    pub departments: Vec<Department>,
    /// Departments with staff but no champion, named above the table.
    pub uncovered: Vec<String>,
    pub new_name: String,
    pub errors: FieldErrors,
}

impl DepartmentsPage {
    pub async fn show(
        state: &AppState,
        scope: &ManagerScope,
        new_name: String,
        errors: FieldErrors,
    ) -> Result<Html<String>, AppError> {
        render(Self {
            page: Page::for_user("Departments", scope.user()),
            departments: super::departments::all(&state.db, scope).await?,
            uncovered: crate::culture::champions::coverage(&state.db, scope)
                .await?
                .without_champion
                .into_iter()
                .map(|d| d.name)
                .collect(),
            new_name,
            errors,
        })
    }
}

#[derive(Template)]
#[template(path = "people/practices.html")]
pub struct PracticesPage {
    pub page: Page,
    pub practices: Vec<PracticeSummary>,
    /// Each practice's DSPT readiness figures (`dspt::operator::readiness_by_practice`).
    pub dspt: std::collections::HashMap<crate::shared::PracticeId, crate::dspt::Readiness>,
}

impl PracticesPage {
    fn dspt_for(&self, id: &crate::shared::PracticeId) -> Option<&crate::dspt::Readiness> {
        self.dspt.get(id)
    }
}

#[derive(Template)]
#[template(path = "people/practice_new.html")]
pub struct NewPracticePage {
    pub page: Page,
    pub form: NewPracticeForm,
    pub errors: FieldErrors,
}

impl NewPracticePage {
    pub fn show(
        user: &SessionUser,
        form: NewPracticeForm,
        errors: FieldErrors,
    ) -> Result<Html<String>, AppError> {
        render(Self {
            page: Page::for_user("Add a practice", user),
            form,
            errors,
        })
    }
}

#[derive(Template)]
#[template(path = "people/practice_show.html")]
pub struct PracticePage {
    pub page: Page,
    pub practice: PracticeSummary,
    pub managers: Vec<Manager>,
    pub domains: Vec<crate::simulation::domains::Domain>,
    pub nhsmail: Option<crate::simulation::domains::NhsmailAgreement>,
    /// The organisation sign-ins the operator has set up, and the one this practice must use.
    pub sign_in_providers: Vec<crate::auth::views::ProviderButton>,
    pub sign_in_required: Option<String>,
    pub form: NewPracticeForm,
    pub errors: FieldErrors,
    /// The dashboard's trend tiles as aggregates (none below the minimum group size).
    pub tiles: Vec<crate::dashboard::Tile>,
    pub dashboard_heading: &'static str,
    pub min_group: i64,
}
