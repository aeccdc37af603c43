//! The reporting pages: an exercise's results (figures, teams, people,
//! activity by hour, clicks with why each counted), "Your phishing
//! exercises", and the reporting mailbox's settings.

use askama::Template;

use super::history::Entry;
use super::mailbox::MailboxForm;
use super::repo::{Click, DepartmentFigures, RecipientResult};
use super::results::{human_duration, TimelineRow};
use crate::simulation::ids::EventId;
use crate::simulation::sending::Campaign;
use crate::simulation::states::Kind;
use crate::simulation::TestResult;
use crate::web::{FieldErrors, Page};

pub struct DepartmentRow {
    pub name: String,
    pub people: i64,
    pub reported: i64,
    pub clicked: i64,
}

impl From<DepartmentFigures> for DepartmentRow {
    fn from(d: DepartmentFigures) -> Self {
        Self {
            name: d.name.unwrap_or_else(|| "No department".into()),
            people: d.people,
            reported: d.reported,
            clicked: d.clicked,
        }
    }
}

pub struct RecipientRow {
    pub name: String,
    pub department: String,
    pub status: &'static str,
    pub sent: String,
    pub reported: String,
}

impl From<RecipientResult> for RecipientRow {
    fn from(r: RecipientResult) -> Self {
        Self {
            status: r.status_words(),
            sent: r.sent_at.map(crate::ukclock::format).unwrap_or_default(),
            reported: r
                .report_delay()
                .map(|d| format!("Yes, after {}", human_duration(d)))
                .unwrap_or_default(),
            department: r.department.unwrap_or_default(),
            name: r.full_name,
        }
    }
}

pub struct ClickRow {
    pub id: EventId,
    pub name: String,
    pub kind: Kind,
    pub counted: bool,
    pub reasons: String,
    pub when: String,
    pub overridden_by: Option<String>,
}

impl ClickRow {
    /// A click can be overturned; a hidden-link hit is always a scanner's.
    pub fn is_click(&self) -> bool {
        self.kind == Kind::Click
    }
}

impl From<Click> for ClickRow {
    fn from(c: Click) -> Self {
        Self {
            id: c.id,
            name: c.full_name,
            kind: c.kind,
            counted: c.counted,
            reasons: c.reasons,
            when: crate::ukclock::format(c.at),
            overridden_by: c.overridden_by,
        }
    }
}

#[derive(Template)]
#[template(path = "simulation/campaign_show.html")]
pub struct ShowPage {
    pub page: Page,
    pub c: Campaign,
    /// When sending begins, until when it runs, or that it was cancelled.
    pub timing: String,
    pub template_name: String,
    pub median_report: String,
    pub departments: Vec<DepartmentRow>,
    pub hidden_departments: i64,
    pub min_group: i64,
    pub recipients: Vec<RecipientRow>,
    pub page_no: i64,
    pub pages: i64,
    pub timeline: Vec<TimelineRow>,
    pub clicks: Vec<ClickRow>,
}

#[derive(Template)]
#[template(path = "simulation/my_exercises.html")]
pub struct MinePage {
    pub page: Page,
    pub entries: Vec<Entry>,
    pub reported: usize,
}

#[derive(Template)]
#[template(path = "simulation/mailbox.html")]
pub struct MailboxPage {
    pub page: Page,
    pub form: MailboxForm,
    pub errors: FieldErrors,
    pub status: Option<String>,
    pub result: Option<TestResult>,
    /// Why Safety Net can no longer sign in, and what to do about it.
    pub attention: Option<(String, &'static str)>,
}
