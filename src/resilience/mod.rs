//! Resilience: the asset register (devices and software) with end-of-life
//! dates and the 14-day patch clock, device check-in scripts, the NHS cyber
//! alert log, the backup register, `safetynet backup` / `restore` for
//! Safety Net's own database, and the plans for when things go wrong: the
//! plans themselves, incident mode and tabletop exercises.
//!
//! The practice manager changes things (every change is audit-logged); cyber
//! champions can read every page, since they are a first contact in an
//! incident. Other staff do not see the register: a list of which devices are
//! unpatched or unencrypted is useful to an attacker and not to them. Plans
//! and incidents are for everyone: anyone may need them on a bad day.

pub mod alerts;
pub mod assets;
pub mod backups;
pub mod checkin;
pub mod exercises;
pub mod export;
pub mod import;
pub mod incidents;
pub mod own_backup;
pub mod plan_content;
pub mod plans;
pub mod rules;
pub mod support_dates;

use askama::Template;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::Html;

use crate::shared::AppState;
use crate::web::routes::{Access, Routes};

use crate::auth::{PracticeScope, Role};
use crate::web::import::{routes as flow, UPLOAD_BODY};
use crate::web::{render, AppError, Page};
use import::AssetImport;

pub fn routes(r: Routes) -> Routes {
    use Access::*;
    plan_routes(r)
        .get("/resilience", ManagerOrChampion, overview)
        .get("/resilience/assets", ManagerOrChampion, assets::list)
        .get("/resilience/assets.csv", ManagerOrChampion, export::csv)
        .get("/resilience/assets/new", PracticeManager, assets::new_page)
        .post("/resilience/assets/new", PracticeManager, assets::create)
        .post("/resilience/assets/review", PracticeManager, assets::review)
        .get(
            "/resilience/assets/import",
            PracticeManager,
            flow::upload_page::<AssetImport>,
        )
        .post_upload(
            "/resilience/assets/import",
            PracticeManager,
            UPLOAD_BODY,
            flow::upload::<AssetImport>,
        )
        .get(
            "/resilience/assets/import/{asset_import_id}",
            PracticeManager,
            flow::preview::<AssetImport>,
        )
        .post(
            "/resilience/assets/import/{asset_import_id}",
            PracticeManager,
            flow::confirm::<AssetImport>,
        )
        .get(
            "/resilience/assets/{asset_id}",
            ManagerOrChampion,
            assets::show,
        )
        .post(
            "/resilience/assets/{asset_id}",
            PracticeManager,
            assets::update,
        )
        .post(
            "/resilience/assets/{asset_id}/updated",
            PracticeManager,
            assets::mark_updated,
        )
        .post(
            "/resilience/assets/{asset_id}/retire",
            PracticeManager,
            assets::retire,
        )
        .get(
            "/resilience/support-dates",
            ManagerOrChampion,
            support_dates::page,
        )
        .post_upload(
            "/resilience/support-dates",
            PracticeManager,
            support_dates::MAX_FILE_BYTES + 64 * 1024,
            support_dates::upload,
        )
        .get("/resilience/checkin", PracticeManager, checkin::page)
        .post(
            "/resilience/checkin/token",
            PracticeManager,
            checkin::new_token,
        )
        .get(
            "/resilience/checkin/safetynet-checkin.ps1",
            PracticeManager,
            checkin::powershell,
        )
        .get(
            "/resilience/checkin/safetynet-checkin.sh",
            PracticeManager,
            checkin::shell,
        )
        .post(checkin::API_PATH, Public, checkin::api)
        .get("/resilience/alerts", ManagerOrChampion, alerts::list)
        .get("/resilience/alerts/new", PracticeManager, alerts::new_page)
        .post("/resilience/alerts/new", PracticeManager, alerts::create)
        .get(
            "/resilience/alerts/{alert_id}",
            ManagerOrChampion,
            alerts::show,
        )
        .post(
            "/resilience/alerts/{alert_id}",
            PracticeManager,
            alerts::update,
        )
        .post(
            "/resilience/alerts/{alert_id}/acknowledge",
            PracticeManager,
            alerts::acknowledge,
        )
        .get("/resilience/backups", ManagerOrChampion, backups::list)
        .get(
            "/resilience/backups/new",
            PracticeManager,
            backups::new_page,
        )
        .post("/resilience/backups/new", PracticeManager, backups::create)
        .get(
            "/resilience/backups/{backup_id}",
            ManagerOrChampion,
            backups::show,
        )
        .post(
            "/resilience/backups/{backup_id}",
            PracticeManager,
            backups::update,
        )
        .post(
            "/resilience/backups/{backup_id}/record",
            PracticeManager,
            backups::record,
        )
}

/// Plans, incidents and tabletop exercises.
fn plan_routes(r: Routes) -> Routes {
    use Access::*;
    r.get("/resilience/plans", PracticeMember, plans::list)
        .post("/resilience/plans", PracticeManager, plans::create)
        .get("/resilience/plans/{plan_id}", PracticeMember, plans::show)
        .get(
            "/resilience/plans/{plan_id}/print",
            PracticeMember,
            plans::print,
        )
        .post(
            "/resilience/plans/{plan_id}/print",
            PracticeMember,
            plans::record_print,
        )
        .get(
            "/resilience/plans/{plan_id}/plan.pdf",
            PracticeMember,
            plans::pdf,
        )
        .post(
            "/resilience/plans/{plan_id}/plan.pdf",
            PracticeMember,
            plans::pdf_to_print,
        )
        .get(
            "/resilience/plans/{plan_id}/edit",
            PracticeManager,
            plans::edit,
        )
        .post(
            "/resilience/plans/{plan_id}/edit",
            PracticeManager,
            plans::save,
        )
        .post(
            "/resilience/plans/{plan_id}/approve",
            PracticeManager,
            plans::approve,
        )
        .get("/resilience/incidents", PracticeMember, incidents::list)
        .post("/resilience/incidents", PracticeMember, incidents::declare)
        .get(
            "/resilience/incidents/{incident_id}",
            PracticeMember,
            incidents::show,
        )
        .post(
            "/resilience/incidents/{incident_id}/log",
            PracticeMember,
            incidents::log,
        )
        .post(
            "/resilience/incidents/{incident_id}/check",
            PracticeMember,
            incidents::check,
        )
        .post(
            "/resilience/incidents/{incident_id}/assess",
            PracticeMember,
            incidents::assess,
        )
        .post(
            "/resilience/incidents/{incident_id}/reported",
            PracticeMember,
            incidents::reported,
        )
        .post(
            "/resilience/incidents/{incident_id}/close",
            PracticeMember,
            incidents::close,
        )
        .post(
            "/resilience/incidents/{incident_id}/lessons",
            PracticeMember,
            incidents::lesson,
        )
        .get("/resilience/exercises", PracticeManager, exercises::list)
        .post("/resilience/exercises", PracticeManager, exercises::create)
        .get(
            "/resilience/exercises/{exercise_id}",
            PracticeManager,
            exercises::show,
        )
        .post(
            "/resilience/exercises/{exercise_id}",
            PracticeManager,
            exercises::save,
        )
        .get(
            "/resilience/exercises/{exercise_id}/report.pdf",
            PracticeManager,
            exercises::report,
        )
}

/// The practice manager or a cyber champion: may read the resilience pages.
#[derive(Debug, Clone)]
pub struct ViewScope(PracticeScope);

impl std::ops::Deref for ViewScope {
    type Target = PracticeScope;
    fn deref(&self) -> &PracticeScope {
        &self.0
    }
}

impl ViewScope {
    /// The scope, if its user is the manager or a champion.
    pub fn of(scope: PracticeScope) -> Option<Self> {
        matches!(scope.role(), Role::Manager | Role::Champion).then_some(Self(scope))
    }

    pub fn is_manager(&self) -> bool {
        self.0.role() == Role::Manager
    }
}

impl<S> FromRequestParts<S> for ViewScope
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let scope = PracticeScope::from_request_parts(parts, state).await?;
        if !matches!(scope.role(), Role::Manager | Role::Champion) {
            return Err(AppError::Forbidden(
                "Only the practice manager and cyber champions can see the practice's devices, alerts and backups.",
            ));
        }
        Ok(Self(scope))
    }
}

/// One line of the overview: what, how many, and where to look.
pub struct Figure {
    pub count: i64,
    pub label: String,
    pub href: &'static str,
    pub bad: bool,
}

#[derive(Template)]
#[template(path = "resilience/overview.html")]
struct OverviewPage {
    page: Page,
    manager: bool,
    figures: Vec<Figure>,
    review: rules::ReviewStatus,
    devices: i64,
}

pub async fn overview(
    State(state): State<AppState>,
    scope: ViewScope,
) -> Result<Html<String>, AppError> {
    let now = state.clock.now();
    let a = assets::counts(&state.db, &scope, now).await?;
    let (alerts_waiting, alerts_overdue, alert_actions) =
        alerts::counts(&state.db, &scope, now).await?;
    let (backups_overdue, restores_due) = backups::counts(&state.db, &scope, now).await?;
    let review = assets::review_status(&state.db, &scope, now).await?;
    let fig = |count: i64, label: &str, href: &'static str| Figure {
        count,
        label: label.to_string(),
        href,
        bad: count > 0,
    };
    let figures = vec![
        fig(
            a.unsupported,
            "unsupported devices or software (no security updates)",
            "/resilience/assets?show=attention",
        ),
        fig(
            a.overdue,
            "devices with updates overdue (over 14 days)",
            "/resilience/assets?show=attention",
        ),
        fig(
            a.unknown_updates,
            "devices with no date for their last updates",
            "/resilience/assets?show=attention",
        ),
        fig(
            a.unencrypted,
            "devices without disk encryption",
            "/resilience/assets?show=attention",
        ),
        fig(
            a.ending_soon,
            "with support ending in the next 6 months",
            "/resilience/assets",
        ),
        fig(
            alerts_waiting,
            &format!("cyber alerts to acknowledge ({alerts_overdue} past 48 hours)"),
            "/resilience/alerts",
        ),
        fig(
            alert_actions,
            "cyber alerts that apply with actions still open",
            "/resilience/alerts",
        ),
        fig(
            backups_overdue,
            "backups overdue or never recorded",
            "/resilience/backups",
        ),
        fig(
            restores_due,
            "backups whose restore test is due, failed or never done",
            "/resilience/backups",
        ),
    ];
    render(OverviewPage {
        page: Page::for_user("Resilience", scope.user()),
        manager: scope.is_manager(),
        figures,
        review,
        devices: a.total,
    })
}
