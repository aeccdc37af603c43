//! Plans' pages: the list with the templates not yet started, one plan
//! (on screen and laid out for paper), and the edit form.

use askama::Template;
use axum::response::Html;

use super::domain::{Contact, Plan, PlanBody, PlanNote};
use crate::auth::PracticeScope;
use crate::resilience::ids::PlanId;
use crate::resilience::plan_content::PlanTemplate;
use crate::ukclock;
use crate::web::{render, AppError, FieldErrors, Page};

#[derive(Template)]
#[template(path = "resilience/plans.html")]
pub struct PlansPage {
    pub page: Page,
    pub plans: Vec<Plan>,
    /// Templates the practice has not started a plan from.
    pub unused: Vec<&'static PlanTemplate>,
    pub is_manager: bool,
    pub today: time::Date,
}

/// A change to make, as the plan shows it.
pub struct NoteLine {
    pub date: String,
    pub text: String,
}

impl NoteLine {
    pub fn new(n: PlanNote) -> Self {
        Self {
            date: ukclock::format_date(n.created_at),
            text: n.text,
        }
    }
}

#[derive(Template)]
#[template(path = "resilience/plan.html")]
pub struct PlanPage {
    pub page: Page,
    pub plan: Plan,
    pub is_manager: bool,
    pub print: bool,
    pub practice: String,
    /// Changes to make, from incident reviews.
    pub notes: Vec<NoteLine>,
    /// Shown in a banner: the review date has come.
    pub review_due: bool,
}

#[derive(Template)]
#[template(path = "resilience/plan_edit.html")]
pub struct EditPage {
    page: Page,
    plan_id: PlanId,
    body: PlanBody,
    phases: Vec<(usize, String, String)>,
    continuity: String,
    recovery: String,
    errors: FieldErrors,
}

impl EditPage {
    fn text_areas(&self) -> Vec<(&'static str, &'static str, &str)> {
        vec![
            (
                "continuity",
                "Working while systems are restored (one per line)",
                &self.continuity,
            ),
            (
                "recovery",
                "Getting data back (one step per line)",
                &self.recovery,
            ),
            (
                "patients",
                "Draft statement for patients",
                &self.body.statements.patients,
            ),
            (
                "press",
                "Draft statement for the press",
                &self.body.statements.press,
            ),
        ]
    }
}

pub fn edit_page(
    scope: &PracticeScope,
    plan_id: PlanId,
    mut body: PlanBody,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    // Three empty rows for new contacts.
    for _ in 0..3 {
        body.contacts.push(Contact::default());
    }
    let phases = (0..body.phases.len())
        .map(|i| (i, body.phases[i].name.clone(), body.phase_text(i)))
        .collect();
    render(EditPage {
        page: Page::for_user(format!("Edit: {}", body.title), scope.user()),
        plan_id,
        continuity: body.continuity.join("\n"),
        recovery: body.recovery.join("\n"),
        phases,
        body,
        errors,
    })
}
