//! The alert log's pages: the list and the form that records, shows and
//! updates one alert.

use askama::Template;

use super::domain::{actions_state, Alert, AlertForm, Applicability, Severity};
use crate::auth::{PracticeScope, Role};
use crate::resilience::assets::ManagedBy;
use crate::resilience::rules::{self, AckStatus};
use crate::web::{FieldErrors, Page};

pub const LIST_NOTICES: &[(&str, &str)] = &[(
    "added",
    "Cyber alert recorded. The 48-hour clock for acknowledging it has started.",
)];

pub const ALERT_NOTICES: &[(&str, &str)] = &[
    (
        "acknowledged",
        "Acknowledged. Now say whether it applies and what you are doing about it.",
    ),
    ("saved", "Changes saved."),
];

/// An alert with its acknowledgement clock today.
pub struct Listed {
    pub alert: Alert,
    pub ack: AckStatus,
}

impl Listed {
    pub fn new(alert: Alert, now: i64) -> Self {
        let ack = rules::ack_status(alert.received_at, alert.acknowledged_at, now);
        Self { alert, ack }
    }
    pub fn severity(&self) -> &'static str {
        self.alert.severity.label()
    }
    pub fn applicability(&self) -> &'static str {
        self.alert.applicability.label()
    }
    pub fn received(&self) -> String {
        crate::ukclock::format(self.alert.received_at)
    }
    pub fn owner(&self) -> &'static str {
        self.alert.action_owner.label()
    }
    pub fn actions_state(&self) -> String {
        actions_state(&self.alert)
    }
}

#[derive(Template)]
#[template(path = "resilience/alerts.html")]
pub struct ListPage {
    pub page: Page,
    pub manager: bool,
    pub alerts: Vec<Listed>,
}

#[derive(Template)]
#[template(path = "resilience/alert_form.html")]
pub struct FormPage {
    page: Page,
    action: String,
    form: AlertForm,
    errors: FieldErrors,
    existing: Option<Listed>,
    manager: bool,
    severities: &'static [Severity],
    applicabilities: &'static [Applicability],
    owners: &'static [ManagedBy],
}

impl FormPage {
    pub fn new(
        scope: &PracticeScope,
        existing: Option<Listed>,
        form: AlertForm,
        errors: FieldErrors,
        notice: Option<String>,
    ) -> Self {
        let title = match &existing {
            Some(l) => format!("Cyber alert {}", l.alert.reference),
            None => "Record an NHS cyber alert".to_string(),
        };
        Self {
            page: Page::for_user(title, scope.user()).with_notice(notice),
            action: existing
                .as_ref()
                .map(|l| format!("/resilience/alerts/{}", l.alert.id))
                .unwrap_or_else(|| "/resilience/alerts/new".into()),
            form,
            errors,
            existing,
            manager: scope.role() == Role::Manager,
            severities: Severity::ALL,
            applicabilities: Applicability::ALL,
            owners: ManagedBy::ALL,
        }
    }
}
