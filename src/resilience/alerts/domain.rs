//! Cyber alerts' values and the form's checks, with no storage or pages.

use serde::Deserialize;

use crate::resilience::assets::ManagedBy;
use crate::resilience::dates;
use crate::resilience::fields::clean;
use crate::resilience::ids::AlertId;
use crate::resilience::sql::{from_row, text_enum};
use crate::web::FieldErrors;

text_enum! {
    /// How serious NHS England says the alert is.
    pub enum Severity {
        Critical = "critical", "Critical";
        High = "high", "High";
        Medium = "medium", "Medium";
        Low = "low", "Low";
    }
}

text_enum! {
    /// Whether the practice decided the alert applies to it.
    pub enum Applicability {
        NotAssessed = "not_assessed", "Not decided yet";
        Applies = "applies", "Applies to us";
        DoesNotApply = "does_not_apply", "Does not apply to us";
    }
}

/// An alert as stored.
#[derive(Debug, Clone)]
pub struct Alert {
    pub id: AlertId,
    pub reference: String,
    pub title: String,
    pub severity: Severity,
    pub received_at: i64,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub applicability: Applicability,
    pub assessment: String,
    pub actions: String,
    pub action_owner: ManagedBy,
    pub completed_on: Option<String>,
}

from_row!(Alert, r => Ok(Alert {
    id: r.try_get("id")?,
    reference: r.try_get("reference")?,
    title: r.try_get("title")?,
    severity: r.try_get("severity")?,
    received_at: r.try_get("received_at")?,
    acknowledged_at: r.try_get("acknowledged_at")?,
    acknowledged_by: r.try_get("acknowledged_by")?,
    applicability: r.try_get("applicability")?,
    assessment: r.try_get("assessment")?,
    actions: r.try_get("actions")?,
    action_owner: r.try_get("action_owner")?,
    completed_on: r.try_get("completed_on")?,
}));

/// The alert log's figures for the overview.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Waiting for acknowledgement…
    pub waiting: i64,
    /// …of which past the 48 hours.
    pub overdue: i64,
    /// Applying to the practice with actions still open.
    pub actions_open: i64,
}

from_row!(Counts, r => Ok(Counts {
    waiting: r.try_get("waiting")?,
    overdue: r.try_get("overdue")?,
    actions_open: r.try_get("actions_open")?,
}));

/// Where an alert's actions stand, in words.
pub fn actions_state(a: &Alert) -> String {
    match (a.applicability, &a.completed_on) {
        (Applicability::DoesNotApply, _) => "None needed".into(),
        (_, Some(d)) => format!(
            "Done {}",
            dates::parse_iso(d)
                .map(dates::long_date)
                .unwrap_or_default()
        ),
        (Applicability::Applies, None) => "Open".into(),
        (Applicability::NotAssessed, None) => "Decide whether it applies".into(),
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AlertForm {
    pub reference: String,
    pub title: String,
    pub severity: String,
    /// UK local date and time, as a datetime-local box sends it.
    pub received: String,
    pub applicability: String,
    pub assessment: String,
    pub actions: String,
    pub action_owner: String,
    pub completed_on: String,
}

/// A checked alert from the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertInput {
    pub reference: String,
    pub title: String,
    pub severity: Severity,
    pub received_at: i64,
    pub applicability: Applicability,
    pub assessment: String,
    pub actions: String,
    pub action_owner: ManagedBy,
    pub completed_on: Option<String>,
}

impl AlertForm {
    /// A new alert's form: arrived now, high, not yet decided, the practice acting.
    pub fn new_alert(now: i64) -> Self {
        Self {
            severity: Severity::High.as_str().into(),
            received: dates::local_input(now),
            applicability: Applicability::NotAssessed.as_str().into(),
            action_owner: ManagedBy::Practice.as_str().into(),
            ..Default::default()
        }
    }

    pub fn from_alert(a: &Alert) -> Self {
        Self {
            reference: a.reference.clone(),
            title: a.title.clone(),
            severity: a.severity.as_str().into(),
            received: dates::local_input(a.received_at),
            applicability: a.applicability.as_str().into(),
            assessment: a.assessment.clone(),
            actions: a.actions.clone(),
            action_owner: a.action_owner.as_str().into(),
            completed_on: a
                .completed_on
                .as_deref()
                .and_then(dates::parse_iso)
                .map(dates::numeric)
                .unwrap_or_default(),
        }
    }

    /// Every problem at once, by field.
    pub fn parse(&self, now: i64) -> Result<AlertInput, FieldErrors> {
        let mut e = FieldErrors::default();
        let reference = e
            .take(clean(&self.reference, "reference", "The reference", 40))
            .unwrap_or_default();
        if reference.is_empty() && !e.has("reference") {
            e.add("reference", "Enter the alert's reference, like CC-4567");
        }
        let title = e
            .take(clean(&self.title, "title", "The title", 300))
            .unwrap_or_default();
        if title.is_empty() && !e.has("title") {
            e.add("title", "Enter the alert's title, as NHS England gave it");
        }
        let severity = Severity::from_key(&self.severity);
        if severity.is_none() {
            e.add("severity", "Choose the severity the alert gives");
        }
        let received_at = match crate::ukclock::parse_local(&self.received) {
            Some(t) if t > now + 3600 => {
                e.add(
                    "received",
                    "The time the alert arrived cannot be in the future",
                );
                None
            }
            Some(t) => Some(t),
            None => {
                e.add(
                    "received",
                    "Enter when the alert arrived, like 2026-11-23T09:30",
                );
                None
            }
        };
        let applicability = if self.applicability.is_empty() {
            Some(Applicability::NotAssessed)
        } else {
            let a = Applicability::from_key(&self.applicability);
            if a.is_none() {
                e.add(
                    "applicability",
                    "Choose whether the alert applies to the practice",
                );
            }
            a
        };
        let assessment = e
            .take(clean(
                &self.assessment,
                "assessment",
                "Why it does or does not apply",
                2000,
            ))
            .unwrap_or_default();
        let actions = e
            .take(clean(&self.actions, "actions", "The actions", 4000))
            .unwrap_or_default();
        let action_owner = ManagedBy::parse(&self.action_owner).ok();
        if action_owner.is_none() {
            e.add("action_owner", "Choose who carries out the actions");
        }
        let completed_on = match dates::parse_date(&self.completed_on) {
            Ok(d) => d.map(dates::iso),
            Err(msg) => {
                e.add("completed_on", msg);
                None
            }
        };
        let (Some(severity), Some(received_at), Some(applicability), Some(action_owner), true) = (
            severity,
            received_at,
            applicability,
            action_owner,
            e.is_empty(),
        ) else {
            return Err(e);
        };
        Ok(AlertInput {
            reference,
            title,
            severity,
            received_at,
            applicability,
            assessment,
            actions,
            action_owner,
            completed_on,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_reports_every_problem_and_reads_a_good_one() {
        let now = time::macros::datetime!(2026-11-23 12:00 UTC).unix_timestamp();
        let bad = AlertForm {
            severity: "urgent".into(),
            received: "2027-01-01T09:00".into(),
            applicability: "maybe".into(),
            action_owner: "aliens".into(),
            completed_on: "31/02/2026".into(),
            ..Default::default()
        };
        let errors = bad.parse(now).unwrap_err();
        let fields: Vec<&str> = errors.all().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "reference",
                "title",
                "severity",
                "received",
                "applicability",
                "action_owner",
                "completed_on"
            ]
        );
        let good = AlertForm {
            reference: " CC-4567 ".into(),
            title: "Critical vulnerability".into(),
            ..AlertForm::new_alert(now)
        };
        let a = good.parse(now).unwrap();
        assert_eq!(a.reference, "CC-4567");
        assert_eq!(a.severity, Severity::High);
        assert_eq!(a.applicability, Applicability::NotAssessed);
        assert_eq!(a.action_owner, ManagedBy::Practice);
        assert_eq!(a.received_at, now);
    }
}
