//! Handlers: plan a drill for a day, and cancel a plan.

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::repo::{self, NewPlan};
use super::PlanForm;
use crate::auth::audit::Action;
use crate::culture::drills::routes::{choices, drill_page, find_drill};
use crate::culture::scope::CultureScope;
use crate::shared::AppState;
use crate::web::{AppError, ClientIp, FieldErrors, Notice, Path, ValidForm};

/// The drills page's sentences for what was just done.
pub const NOTICES: &[(&str, &str)] = &[
    ("planned", "The drill is in the plan. It shows here and in the practice manager's \"this week\" when it is near."),
    ("plan-cancelled", "The planned drill was cancelled."),
];

pub async fn plan(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: CultureScope,
    Path(drill_id): Path<String>,
    ValidForm(form): ValidForm<PlanForm>,
) -> Result<Response, AppError> {
    let drill = find_drill(&drill_id)?;
    let now = state.clock.now();
    let today = crate::ukclock::local_date(now);
    let checked = super::check(&form, today);
    // A champion plans for their own department; the manager for any (or the practice).
    let (_, departments) = choices(&state, &scope).await?;
    let own = scope.department(&state.db).await?;
    let (on, department) = match checked {
        Ok((on, chosen)) => {
            let department = if scope.is_manager() { chosen } else { own };
            if department.is_some_and(|d| !departments.iter().any(|x| x.id == d)) {
                let mut errors = FieldErrors::default();
                errors.add("plan_department_id", "Choose a department from the list");
                return Ok(
                    drill_page(&state, &scope, drill, Default::default(), form, errors)
                        .await?
                        .into_response(),
                );
            }
            (on, department)
        }
        Err(errors) => {
            return Ok(
                drill_page(&state, &scope, drill, Default::default(), form, errors)
                    .await?
                    .into_response(),
            )
        }
    };
    let planned_on = crate::resilience::dates::iso(on);
    let mut tx = state.db.begin().await?;
    let p = NewPlan {
        drill_id: &drill.id,
        department_id: department,
        planned_on: &planned_on,
        planned_by: scope.user().user_id,
        at: now,
    };
    let id = repo::insert(&mut tx, scope.practice_id(), &p).await?;
    let detail = format!(
        "planned drill \"{}\" for {} (plan {id})",
        drill.title,
        crate::ukclock::day(on)
    );
    crate::auth::audit::record_by(&mut tx, &scope, &ip, Action::CultureChanged, &detail, now)
        .await?;
    tx.commit().await?;
    Ok(Notice::redirect("/culture/drills", "planned").into_response())
}

pub async fn cancel(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: CultureScope,
    Path(plan_id): Path<i64>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let department = scope.department(&state.db).await?;
    if !scope.is_manager() && department.is_none() {
        return Err(AppError::NotFound);
    }
    let mut tx = state.db.begin().await?;
    if !repo::cancel(&mut tx, scope.practice_id(), plan_id, department, now).await? {
        return Err(AppError::NotFound);
    }
    let detail = format!("cancelled planned drill {plan_id}");
    crate::auth::audit::record_by(&mut tx, &scope, &ip, Action::CultureChanged, &detail, now)
        .await?;
    tx.commit().await?;
    Ok(Notice::redirect("/culture/drills", "plan-cancelled").into_response())
}
