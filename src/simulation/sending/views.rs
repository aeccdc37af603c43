//! The sending pages: the list of exercises, the start form, and the
//! sending profiles with their form.

use askama::Template;

use super::campaigns::{Campaign, CampaignForm};
use super::profiles::{Profile, ProfileForm};
use crate::auth::ManagerScope;
use crate::people::departments::Department;
use crate::shared::StaffId;
use crate::simulation::authoring::SimTemplate;
use crate::simulation::ids::ProfileId;
use crate::simulation::TestResult;
use crate::web::{FieldErrors, Page};

#[derive(Template)]
#[template(path = "simulation/campaigns.html")]
pub struct ListPage {
    pub page: Page,
    pub campaigns: Vec<Campaign>,
    /// Exercises run elsewhere (NHS England's service, another tool), counted alongside.
    pub external: Vec<crate::simulation::external::repo::ExerciseRow>,
    pub has_templates: bool,
    pub has_profiles: bool,
    pub has_domains: bool,
    /// Current staff with an nhs.net address, and whether an agreement lets exercises go to them.
    pub on_nhsmail: usize,
    pub nhsmail_agreed: bool,
}

/// A member of staff on the start form, marked if they cannot be sent one.
pub struct StaffChoice {
    pub id: StaffId,
    pub name: String,
    pub in_domain: bool,
}

#[derive(Template)]
#[template(path = "simulation/campaign_form.html")]
pub struct FormPage {
    pub page: Page,
    pub form: CampaignForm,
    pub errors: FieldErrors,
    pub templates: Vec<SimTemplate>,
    pub profiles: Vec<Profile>,
    pub departments: Vec<Department>,
    pub staff: Vec<StaffChoice>,
    pub domains: Vec<String>,
}

impl FormPage {
    fn dept_checked(&self, id: &i64) -> bool {
        self.form.dept_checked(id)
    }
    fn staff_checked(&self, id: &StaffId) -> bool {
        self.form.staff_checked(id)
    }
}

#[derive(Template)]
#[template(path = "simulation/profiles.html")]
pub struct ProfilesPage {
    pub page: Page,
    pub profiles: Vec<Profile>,
}

#[derive(Template)]
#[template(path = "simulation/profile_form.html")]
pub struct ProfileFormPage {
    page: Page,
    action: String,
    form: ProfileForm,
    errors: FieldErrors,
    existing: Option<ProfileId>,
    pub test_result: Option<TestResult>,
    pub test_to: String,
}

pub fn profile_form(
    scope: &ManagerScope,
    existing: Option<ProfileId>,
    form: ProfileForm,
    errors: FieldErrors,
) -> ProfileFormPage {
    ProfileFormPage {
        page: Page::for_user(
            if existing.is_some() {
                "Edit sending profile"
            } else {
                "Add a sending profile"
            },
            scope.user(),
        ),
        action: existing
            .map(|id| format!("/simulation/profiles/{id}"))
            .unwrap_or_else(|| "/simulation/profiles/new".into()),
        form,
        errors,
        existing,
        test_result: None,
        test_to: scope.user().email.clone(),
    }
}

/// "This will email 7 people between 08:00 and 12:00 on Monday…": what
/// starting will do, asked before anything is sent.
#[derive(Template)]
#[template(path = "simulation/campaign_confirm.html")]
pub struct ConfirmPage {
    pub page: Page,
    /// The form as typed, carried in hidden fields.
    pub form: CampaignForm,
    pub what: String,
    /// The email's name, as the manager chose it.
    pub email: String,
    /// People in the group left out because their address is not in a verified domain.
    pub left_out: usize,
    /// When the exercise finishes by itself.
    pub ends: String,
    pub business_hours: bool,
}
