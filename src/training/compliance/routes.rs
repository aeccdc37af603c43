//! The compliance pages: the practice's training at a glance, and one
//! person's training record.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;

use super::{repo, summary, Summary};
use crate::auth::ManagerScope;
use crate::shared::{AppState, StaffId};
use crate::training::my_training::{self, Record};
use crate::training::settings::{self, TrainingSettings};
use crate::web::{render, AppError, Page, Path};

#[derive(Template)]
#[template(path = "training/manage.html")]
struct ManagePage {
    page: Page,
    s: TrainingSettings,
    c: Summary,
    met: bool,
}

/// What the page that sent the manager here did, shown as a notice.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Notice {
    assigned: Option<u32>,
    saved: Option<String>,
}

impl Notice {
    fn text(&self) -> Option<String> {
        match (self.assigned, self.saved.as_deref()) {
            (Some(0), _) => Some("Nothing new to assign: everyone chosen already had it to do.".to_string()),
            (Some(k), _) => Some(format!("Training assigned: {k} new assignments. Each person will see it on their training page.")),
            (_, Some("settings")) => Some("Training rules saved.".to_string()),
            (_, Some("curricula")) => Some("Role curricula saved.".to_string()),
            (_, Some("tna")) => Some("Training needs analysis saved.".to_string()),
            _ => None,
        }
    }
}

/// `/training/manage`: trained against the target, by department, overdue,
/// and who still has modules to finish.
pub async fn manage(
    State(state): State<AppState>,
    scope: ManagerScope,
    Query(n): Query<Notice>,
) -> Result<Html<String>, AppError> {
    let s = settings::load(&state.db, scope.practice_id()).await?;
    let c = summary(&state.db, scope.practice_id(), &s, state.clock.now()).await?;
    let met = c.meets(&s);
    render(ManagePage {
        page: Page::for_user("Training and compliance", scope.user()).with_notice(n.text()),
        s,
        c,
        met,
    })
}

#[derive(Template)]
#[template(path = "training/person.html")]
struct PersonPage {
    page: Page,
    name: String,
    record: Record,
}

/// `/training/manage/people/{staff_id}`: one person's training record.
pub async fn person(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(staff_id): Path<StaffId>,
) -> Result<Html<String>, AppError> {
    let person = repo::staff_member(&state.db, scope.practice_id(), staff_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let record =
        my_training::record(&state.db, scope.practice_id(), staff_id, state.clock.now()).await?;
    render(PersonPage {
        page: Page::for_user(
            format!("Training record: {}", person.full_name),
            scope.user(),
        ),
        name: person.full_name,
        record,
    })
}
