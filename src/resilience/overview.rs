//! The resilience overview: one line per thing that needs the practice's
//! attention, each linking to where to look.

use askama::Template;
use axum::extract::State;
use axum::response::Html;

use super::{alerts, assets, backups, rules, support_dates, ViewScope};
use crate::shared::AppState;
use crate::web::{render, AppError, Page};

/// One line of the overview: what, how many, and where to look.
pub struct Figure {
    pub count: i64,
    pub label: String,
    pub href: &'static str,
    pub bad: bool,
    /// Set when nothing has been recorded to count from: the figure is not
    /// known (not "0"), and this says what is missing.
    pub unknown: Option<&'static str>,
}

impl Figure {
    /// Not known until `recorded` is true; `missing` says what to record.
    fn known_if(mut self, recorded: bool, missing: &'static str) -> Self {
        if !recorded {
            self.unknown = Some(missing);
            self.bad = false;
        }
        self
    }
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
    support_dates::refresh(&state.db, &scope).await?;
    let a = assets::repo::counts(&state.db, &scope, now).await?;
    let alerts = alerts::repo::counts(&state.db, &scope, now).await?;
    let backups = backups::routes::counts(&state, &scope).await?;
    let review = assets::routes::review_status(&state, &scope, now).await?;
    let fig = |count: i64, label: &str, href: &'static str| Figure {
        count,
        label: label.to_string(),
        href,
        bad: count > 0,
        unknown: None,
    };
    const NO_DEVICES: &str = "no devices recorded yet";
    const NO_BACKUPS: &str = "no backups recorded yet";
    let has_devices = a.total > 0;
    let has_backups = backups.listed > 0;
    let figures = vec![
        fig(
            a.unsupported,
            "unsupported devices or software (no security updates)",
            "/resilience/assets?show=attention",
        )
        .known_if(has_devices, NO_DEVICES),
        fig(
            a.overdue,
            "devices with updates overdue (over 14 days)",
            "/resilience/assets?show=attention",
        )
        .known_if(has_devices, NO_DEVICES),
        fig(
            a.unknown_updates,
            "devices with no date for their last updates",
            "/resilience/assets?show=attention",
        )
        .known_if(has_devices, NO_DEVICES),
        fig(
            a.unencrypted,
            "devices without disk encryption",
            "/resilience/assets?show=attention",
        )
        .known_if(has_devices, NO_DEVICES),
        fig(
            a.ending_soon,
            "with support ending in the next 6 months",
            "/resilience/assets",
        )
        .known_if(has_devices, NO_DEVICES),
        fig(
            alerts.waiting,
            &format!(
                "cyber alerts to acknowledge ({} past 48 hours)",
                alerts.overdue
            ),
            "/resilience/alerts",
        ),
        fig(
            alerts.actions_open,
            "cyber alerts that apply with actions still open",
            "/resilience/alerts",
        ),
        fig(
            backups.overdue,
            "backups overdue or never recorded",
            "/resilience/backups",
        )
        .known_if(has_backups, NO_BACKUPS),
        fig(
            backups.restores_due,
            "backups whose restore test is due, failed or never done",
            "/resilience/backups",
        )
        .known_if(has_backups, NO_BACKUPS),
    ];
    render(OverviewPage {
        page: Page::for_user("Resilience", scope.user()),
        manager: scope.is_manager(),
        figures,
        review,
        devices: a.total,
    })
}
