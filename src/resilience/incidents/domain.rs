//! Incidents' rules, with no storage or pages: the ICO's 72 hours, the DSPT
//! reportability test, who may lead an incident, and an incident's state.

use crate::auth::{PracticeScope, Role};
use crate::resilience::ids::{IncidentId, PlanId};
use crate::resilience::plan_content::Step;
use crate::resilience::sql::{from_row, json, text_enum};
use crate::ukclock;
use crate::web::AppError;

/// UK GDPR Article 33: report within 72 hours of becoming aware, where feasible.
pub const ICO_HOURS: i64 = 72;

pub const LIKELIHOOD: [&str; 5] = [
    "Not occurred: no sign the data was seen or misused",
    "Not likely, or any incident involving vulnerable people",
    "Likely",
    "Highly likely",
    "Occurred: the data has been misused",
];
pub const SEVERITY: [&str; 5] = [
    "No adverse effect",
    "Potentially some minor adverse effect, or any incident involving vulnerable people",
    "Potentially some adverse effect",
    "Potentially pain and suffering or financial loss",
    "Loss of life or catastrophic harm",
];

/// The DSPT incident reporting tool's test: reportable to the ICO when the
/// likelihood of harm is at least "likely" and its severity at least "minor".
pub fn ico_reportable(likelihood: u8, severity: u8) -> bool {
    likelihood >= 3 && severity >= 2
}

/// The ICO deadline for an incident the practice became aware of at `aware_at`:
/// 72 real hours, whatever the clocks do in between.
pub fn ico_deadline(aware_at: i64) -> i64 {
    aware_at + ICO_HOURS * 3600
}

/// "31 hours 5 minutes left" or "passed 3 hours ago".
pub fn time_left(deadline: i64, now: i64) -> String {
    let d = deadline - now;
    let (h, m) = (d.abs() / 3600, d.abs() % 3600 / 60);
    if d >= 0 {
        format!("{h} hours {m} minutes left")
    } else {
        format!("passed {h} hours {m} minutes ago")
    }
}

/// Declaring, assessing and closing are for the manager and champions;
/// anyone may add to the log and tick actions.
pub fn can_lead(scope: &PracticeScope) -> Result<(), AppError> {
    match scope.role() {
        Role::Manager | Role::Champion => Ok(()),
        _ => Err(AppError::Forbidden("declaring, assessing and closing an incident is for the practice manager and cyber champions; anyone can add to the log")),
    }
}

/// A grade from 1 to 5 on one of the DSPT test's scales, from the form.
pub fn grade(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|n| (1..=5).contains(n))
}

text_enum! {
    /// Whether the incident is still being handled.
    pub enum IncidentStatus {
        Open = "open", "Open";
        Closed = "closed", "Closed";
    }
}

text_enum! {
    /// What a lesson learned turns into.
    pub enum LessonAction {
        Record = "none", "Recorded";
        Training = "training", "Training for everyone";
        Plan = "plan", "A change to make to the plan";
    }
}

/// An incident as stored, with its checklist (the plan's actions when it
/// was declared, as (phase, step)).
pub struct Incident {
    pub id: IncidentId,
    pub plan_id: PlanId,
    pub title: String,
    pub declared_at: i64,
    pub declared_by: String,
    pub aware_at: i64,
    pub personal_data: bool,
    pub likelihood: Option<i64>,
    pub severity: Option<i64>,
    pub ico_reported_at: Option<i64>,
    pub status: IncidentStatus,
    pub review: Option<String>,
    pub checklist: Vec<(String, Step)>,
}

from_row!(Incident, r => Ok(Incident {
    id: r.try_get("id")?,
    plan_id: r.try_get("plan_id")?,
    title: r.try_get("title")?,
    declared_at: r.try_get("declared_at")?,
    declared_by: r.try_get("declared_by")?,
    aware_at: r.try_get("aware_at")?,
    personal_data: r.try_get("personal_data")?,
    likelihood: r.try_get("likelihood")?,
    severity: r.try_get("severity")?,
    ico_reported_at: r.try_get("ico_reported_at")?,
    status: r.try_get("status")?,
    review: r.try_get("review")?,
    checklist: json("checklist", &r.try_get::<String, _>("checklist")?)?,
}));

impl Incident {
    pub fn deadline(&self) -> String {
        ukclock::format(ico_deadline(self.aware_at))
    }
    pub fn declared(&self) -> String {
        ukclock::format(self.declared_at)
    }
    pub fn aware(&self) -> String {
        ukclock::format(self.aware_at)
    }
    pub fn reportable(&self) -> Option<bool> {
        match (self.likelihood, self.severity) {
            (Some(l), Some(s)) => Some(ico_reportable(l as u8, s as u8)),
            _ => None,
        }
    }
    pub fn reported(&self) -> String {
        self.ico_reported_at
            .map(ukclock::format)
            .unwrap_or_default()
    }
    pub fn is_open(&self) -> bool {
        self.status == IncidentStatus::Open
    }
}

/// An incident in the list.
pub struct Summary {
    pub id: IncidentId,
    pub title: String,
    pub declared_at: i64,
    pub status: IncidentStatus,
}

from_row!(Summary, r => Ok(Summary {
    id: r.try_get("id")?,
    title: r.try_get("title")?,
    declared_at: r.try_get("declared_at")?,
    status: r.try_get("status")?,
}));

/// A line of the incident's log.
pub struct LogEntry {
    pub at: i64,
    pub author: String,
    pub text: String,
}

from_row!(LogEntry, r => Ok(LogEntry {
    at: r.try_get("at")?,
    author: r.try_get("author")?,
    text: r.try_get("text")?,
}));

/// An action of the checklist that someone ticked.
pub struct Check {
    pub item: i64,
    pub done_at: i64,
    pub done_by: String,
}

from_row!(Check, r => Ok(Check {
    item: r.try_get("item")?,
    done_at: r.try_get("done_at")?,
    done_by: r.try_get("done_by")?,
}));

/// A lesson learned and what became of it.
pub struct Lesson {
    pub text: String,
    pub outcome: String,
}

from_row!(Lesson, r => Ok(Lesson {
    text: r.try_get("text")?,
    outcome: r.try_get("outcome")?,
}));

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_dspt_test_needs_at_least_likely_and_at_least_minor() {
        assert!(!ico_reportable(2, 5));
        assert!(!ico_reportable(5, 1));
        assert!(ico_reportable(3, 2));
        assert!(ico_reportable(5, 5));
    }

    #[test]
    fn the_72_hours_are_real_hours_across_the_clock_change() {
        // Aware 10:00 BST on Saturday 24 October 2026; clocks go back on Sunday 25th.
        let aware = datetime!(2026-10-24 09:00 UTC).unix_timestamp();
        let deadline = ico_deadline(aware);
        assert_eq!(
            ukclock::format(aware),
            ukclock::format(datetime!(2026-10-24 09:00 UTC).unix_timestamp())
        );
        // 72 hours later it is 09:00 GMT on Tuesday 27th, not 10:00.
        let local = ukclock::local(deadline);
        assert_eq!((local.day(), local.hour()), (27, 9));
        assert_eq!(
            time_left(deadline, aware + 3600 * 40 + 300),
            "31 hours 55 minutes left"
        );
        assert_eq!(
            time_left(deadline, deadline + 7200),
            "passed 2 hours 0 minutes ago"
        );
    }
}
