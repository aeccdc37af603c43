//! The practice manager's "Assign training" page: one module, or each
//! person's role curriculum, to everyone, a department or chosen people.

use std::collections::HashSet;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::assign;
use super::domain::{parse_date, Kind, MANAGER_REASON};
use super::repo::{self, Assignee, Choice, NewAssignment};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::ManagerScope;
use crate::shared::{AppState, StaffId};
use crate::training::content::{catalogue, module_title};
use crate::training::curricula;
use crate::ukclock;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page};

/// The choice meaning "each person's role curriculum" rather than one module.
const CURRICULUM: &str = "curriculum";

#[derive(Template)]
#[template(path = "training/assign.html")]
struct AssignPage {
    page: Page,
    /// (value, label) for the module list.
    modules: Vec<(String, String)>,
    departments: Vec<Choice>,
    staff: Vec<Choice>,
    errors: FieldErrors,
    chosen_module: String,
    due: String,
}

/// The page, with what was typed and what to fix.
async fn assign_page(
    state: &AppState,
    scope: &ManagerScope,
    chosen_module: String,
    due: String,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let mut modules = vec![(
        CURRICULUM.to_string(),
        "Each person's role curriculum".to_string(),
    )];
    modules.extend(
        catalogue()
            .modules
            .iter()
            .map(|m| (m.slug.to_string(), m.title.clone())),
    );
    render(AssignPage {
        page: Page::for_user("Assign training", scope.user()),
        modules,
        departments: repo::departments(&state.db, scope.practice_id()).await?,
        staff: repo::current_staff(&state.db, scope.practice_id()).await?,
        errors,
        chosen_module,
        due,
    })
}

pub async fn show(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let due = ukclock::local_date(state.clock.now() + 28 * 86_400).to_string();
    assign_page(&state, &scope, String::new(), due, FieldErrors::default()).await
}

/// Assigns what was chosen to whoever was chosen (skipping anyone who already
/// has it to do), with one audit entry, in one transaction. Form fields
/// arrive as a list because "who" may name several people.
pub async fn submit(
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
    let due_raw = get("due");
    let mut errors = FieldErrors::default();
    if module != CURRICULUM && catalogue().module(&module).is_none() {
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
    let targets: Vec<Assignee> = match get("who").as_str() {
        "everyone" => repo::assignees(&state.db, practice_id, None).await?,
        "department" => {
            let dept: i64 = get("department").parse().unwrap_or(-1);
            repo::assignees(&state.db, practice_id, Some(dept)).await?
        }
        "people" => {
            let wanted: HashSet<StaffId> = fields
                .iter()
                .filter(|(n, _)| n == "staff")
                .filter_map(|(_, v)| v.parse().ok())
                .collect();
            let mut all = repo::assignees(&state.db, practice_id, None).await?;
            all.retain(|a| wanted.contains(&a.id));
            all
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
        return Ok(assign_page(&state, &scope, module, due_raw, errors)
            .await?
            .into_response());
    }
    let curricula = curricula::load(&state.db, practice_id).await?;
    let mut tx = state.db.begin().await?;
    let mut added = 0;
    for person in &targets {
        let modules = if module == CURRICULUM {
            curricula.for_staff(&person.job_role, &person.employment_type)
        } else {
            std::slice::from_ref(&module)
        };
        for m in modules {
            let new = NewAssignment {
                staff_id: person.id,
                module: m,
                kind: Kind::Manager,
                reason: MANAGER_REASON,
                campaign_id: None,
                assigned_at: now,
                due_at: due,
            };
            if assign(&mut tx, practice_id, &new).await? {
                added += 1;
            }
        }
    }
    let what = if module == CURRICULUM {
        "role curricula"
    } else {
        module_title(&module)
    };
    audit::record(
        &mut tx,
        Some(practice_id),
        &Actor::user(scope.user(), &ip),
        Action::TrainingAssigned,
        &format!(
            "{what} to {} people ({added} new assignments)",
            targets.len()
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/training/manage?assigned={added}")).into_response())
}
