//! The CPD downloads: certificate, summary and log.

use axum::extract::State;
use axum::response::Response;

use super::domain::{certificate_number, minutes, Period};
use super::{repo, views};
use crate::auth::{PracticeScope, Role};
use crate::shared::{AppState, StaffId};
use crate::training::compliance::{pdf_response, practice_name};
use crate::training::content::{catalogue, module_title};
use crate::ukclock;
use crate::web::spreadsheet::Sheet;
use crate::web::{AppError, Path};

/// Someone else's CPD is "not found" unless you manage the practice.
fn may_see(scope: &PracticeScope, staff_id: StaffId) -> bool {
    scope.role() == Role::Manager || scope.user().staff_id == Some(staff_id)
}

/// The person's name, if the signed-in user may see their CPD.
async fn whose(
    state: &AppState,
    scope: &PracticeScope,
    staff_id: StaffId,
) -> Result<String, AppError> {
    if !may_see(scope, staff_id) {
        return Err(AppError::NotFound);
    }
    repo::staff_name(&state.db, scope.practice_id(), staff_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// `/training/certificates/{completion_id}`: one module's CPD certificate.
pub async fn certificate(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(completion_id): Path<i64>,
) -> Result<Response, AppError> {
    let c = repo::certificate(&state.db, scope.practice_id(), completion_id)
        .await?
        .filter(|c| may_see(&scope, c.staff_id))
        .ok_or(AppError::NotFound)?;
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let m = catalogue().module(&c.module).ok_or(AppError::NotFound)?;
    let number = certificate_number(scope.practice_id(), completion_id);
    Ok(pdf_response(
        views::certificate(&practice, &number, m, &c),
        &format!("certificate-{}.pdf", m.slug),
    ))
}

/// `/training/people/{staff_id}/cpd/{period}`: the CPD summary of a calendar
/// year (`2026`) or an appraisal year (`2026-27`).
pub async fn summary(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path((staff_id, period)): Path<(StaffId, String)>,
) -> Result<Response, AppError> {
    let name = whose(&state, &scope, staff_id).await?;
    let period = Period::parse(&period).ok_or_else(|| {
        AppError::BadRequest(
            "Choose a year between 2000 and 2100, like 2026, or an appraisal year, like 2026-27"
                .into(),
        )
    })?;
    let (from, to) = period.bounds().ok_or(AppError::NotFound)?;
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let rows = repo::log(&state.db, scope.practice_id(), staff_id, from, to).await?;
    Ok(pdf_response(
        views::summary(scope.practice_id(), &practice, &name, period, &rows),
        &format!("cpd-summary-{}.pdf", period.slug()),
    ))
}

/// `/training/people/{staff_id}/cpd.csv`: every completion, for a CPD log.
pub async fn csv(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(staff_id): Path<StaffId>,
) -> Result<Response, AppError> {
    let name = whose(&state, &scope, staff_id).await?;
    let rows = repo::log(&state.db, scope.practice_id(), staff_id, 0, i64::MAX).await?;
    let mut sheet = Sheet::new(&[
        "Name",
        "Date",
        "Module",
        "Minutes",
        "Quiz score",
        "Certificate",
    ])?;
    for r in rows {
        sheet.row([
            name.clone(),
            ukclock::local_date(r.completed_at).to_string(),
            module_title(&r.module).to_string(),
            minutes(r.seconds).to_string(),
            format!("{}/{}", r.score, r.total),
            certificate_number(scope.practice_id(), r.id),
        ])?;
    }
    sheet.download("cpd-log.csv")
}
