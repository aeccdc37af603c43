//! Plans' handlers: list, start from a template, read, print (a page or a
//! PDF: either counts as printing it), edit and approve.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::domain::{apply_form, review_date, Plan, PlanBody};
use super::pdf::plan_pdf;
use super::repo;
use super::views::{edit_page, NoteLine, PlanPage, PlansPage};
use crate::auth::audit::Action;
use crate::auth::{ManagerScope, PracticeScope, Role};
use crate::db::is_unique_violation;
use crate::people::accounts::practice_name;
use crate::resilience::ids::PlanId;
use crate::resilience::plan_content;
use crate::resilience::scope::audit;
use crate::shared::AppState;
use crate::training::compliance::pdf_response;
use crate::ukclock;
use crate::web::{render, AppError, ClientIp, FieldErrors, Notice, Page, Path, ValidForm};

/// The practice's plan, or "Page not found".
pub async fn find(state: &AppState, scope: &PracticeScope, id: PlanId) -> Result<Plan, AppError> {
    repo::find(&state.db, scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

fn to_plan(id: PlanId) -> Redirect {
    Redirect::to(&format!("/resilience/plans/{id}"))
}

pub async fn list(
    State(state): State<AppState>,
    scope: PracticeScope,
) -> Result<Html<String>, AppError> {
    let plans = repo::all(&state.db, &scope).await?;
    let unused = plan_content::templates()
        .iter()
        .filter(|t| !plans.iter().any(|p| p.template == t.slug))
        .collect();
    render(PlansPage {
        page: Page::for_user("Incident and recovery plans", scope.user()),
        plans,
        unused,
        is_manager: scope.role() == Role::Manager,
        today: ukclock::local_date(state.clock.now()),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewPlan {
    template: String,
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<NewPlan>,
) -> Result<Response, AppError> {
    let t = plan_content::template(&form.template)
        .ok_or_else(|| AppError::BadRequest("Choose one of the plan templates listed.".into()))?;
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let body = PlanBody::from_template(t, &practice);
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let id = match repo::insert(&mut tx, &scope, &t.slug, &body, now).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::BadRequest(format!(
                "The practice already has a {} plan: open it from the list of plans.",
                t.title
            )))
        }
        Err(e) => return Err(e.into()),
    };
    let detail = format!("started the {} plan from the template", t.title);
    audit(&mut tx, &scope, &ip, Action::PlanChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/resilience/plans/{id}/edit")).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(plan_id): Path<PlanId>,
) -> Result<Html<String>, AppError> {
    let plan = find(&state, &scope, plan_id).await?;
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let notes = repo::notes(&state.db, &scope, plan_id).await?;
    render(PlanPage {
        page: Page::for_user(plan.body.title.clone(), scope.user()),
        is_manager: scope.role() == Role::Manager,
        notes: notes.into_iter().map(NoteLine::new).collect(),
        review_due: plan.review_due(ukclock::local_date(state.clock.now())),
        plan,
        print: false,
        practice,
    })
}

/// Records that the scope's user printed the plan (DSPT 7.3.2 asks when the
/// contact list was last printed).
async fn record_printed(
    state: &AppState,
    scope: &PracticeScope,
    id: PlanId,
) -> Result<Plan, AppError> {
    let plan = find(state, scope, id).await?;
    let mut tx = state.db.begin().await?;
    repo::mark_printed(&mut tx, scope, plan.id, state.clock.now()).await?;
    tx.commit().await?;
    Ok(plan)
}

/// A page laid out for paper. Opening it changes nothing (a link from
/// anywhere could open it); pressing "Print this plan" records the print.
pub async fn print(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(plan_id): Path<PlanId>,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    let plan = find(&state, &scope, plan_id).await?;
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let mut page = Page::bare(plan.body.title.clone());
    page.scripts.push("/static/js/print.js");
    let page = page.with_notice(notice.say(&[(
        "printed",
        "Recorded as printed. If the print window did not open, use your browser's Print command.",
    )]));
    render(PlanPage {
        page,
        notes: Vec::new(),
        review_due: false,
        plan,
        is_manager: false,
        print: true,
        practice,
    })
}

/// "Print this plan": records who printed it and when, then shows the page to print.
pub async fn record_print(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(plan_id): Path<PlanId>,
) -> Result<Response, AppError> {
    let plan = record_printed(&state, &scope, plan_id).await?;
    Ok(
        Notice::redirect(&format!("/resilience/plans/{}/print", plan.id), "printed")
            .into_response(),
    )
}

/// The PDF to look at (a link); changes nothing.
pub async fn pdf(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(plan_id): Path<PlanId>,
) -> Result<Response, AppError> {
    let plan = find(&state, &scope, plan_id).await?;
    plan_pdf_response(&state, &scope, &plan).await
}

/// "Download the PDF to print": records the print, then gives the PDF.
pub async fn pdf_to_print(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(plan_id): Path<PlanId>,
) -> Result<Response, AppError> {
    let plan = record_printed(&state, &scope, plan_id).await?;
    plan_pdf_response(&state, &scope, &plan).await
}

async fn plan_pdf_response(
    state: &AppState,
    scope: &PracticeScope,
    plan: &Plan,
) -> Result<Response, AppError> {
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let bytes = plan_pdf(plan, &practice, &scope.user().full_name, state.clock.now());
    Ok(pdf_response(bytes, &format!("{}-plan.pdf", plan.template)))
}

pub async fn edit(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(plan_id): Path<PlanId>,
) -> Result<Html<String>, AppError> {
    let plan = find(&state, &scope, plan_id).await?;
    edit_page(&scope, plan.id, plan.body, FieldErrors::default())
}

pub async fn save(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(plan_id): Path<PlanId>,
    axum_extra::extract::Form(fields): axum_extra::extract::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let plan = find(&state, &scope, plan_id).await?;
    let (body, errors) = apply_form(&plan.body, &fields);
    if !errors.is_empty() {
        // Shown again exactly as typed, so nothing is lost while it is fixed.
        return Ok(edit_page(&scope, plan.id, body, errors)?.into_response());
    }
    if body == plan.body {
        return Ok(to_plan(plan.id).into_response());
    }
    let version = plan.next_version();
    let now = state.clock.now();
    let detail = format!("edited the {} plan (version {version}, draft)", body.title);
    let mut tx = state.db.begin().await?;
    repo::save_body(&mut tx, &scope, plan.id, &body, version, now).await?;
    audit(&mut tx, &scope, &ip, Action::PlanChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(to_plan(plan.id).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ApproveForm {
    review_on: String,
}

/// Approval freezes this version (kept in plan_versions) and sets the review date.
pub async fn approve(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(plan_id): Path<PlanId>,
    ValidForm(form): ValidForm<ApproveForm>,
) -> Result<Response, AppError> {
    let plan = find(&state, &scope, plan_id).await?;
    let now = state.clock.now();
    let review = review_date(&form.review_on, ukclock::local_date(now))
        .map_err(|msg| AppError::BadRequest(msg.into()))?;
    if let Some(msg) = plan.cannot_approve() {
        return Err(AppError::BadRequest(msg.into()));
    }
    let detail = format!(
        "approved version {} of the {} plan, review by {review}",
        plan.version, plan.body.title
    );
    let mut tx = state.db.begin().await?;
    repo::approve(&mut tx, &scope, &plan, &review.to_string(), now).await?;
    audit(&mut tx, &scope, &ip, Action::PlanChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(to_plan(plan.id).into_response())
}
