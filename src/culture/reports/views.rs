//! The pages of "I reported a suspicious email".

use askama::Template;

use super::domain::{How, MonthCount};
use super::repo::Recent;
use crate::web::{FieldErrors, Page};

/// The form again, with what to fix (the home page shows it first).
#[derive(Template)]
#[template(path = "culture/report_form.html")]
pub struct FormPage {
    pub page: Page,
    pub how: String,
    pub note: String,
    pub errors: FieldErrors,
    pub choices: [How; 4],
}

#[derive(Template)]
#[template(path = "culture/report_thanks.html")]
pub struct ThanksPage {
    pub page: Page,
    /// The person's reports in the last 12 months, this one included.
    pub this_year: i64,
}

#[derive(Template)]
#[template(path = "culture/reports.html")]
pub struct ReportsPage {
    pub page: Page,
    /// Whose figures: "the practice" or the champion's department.
    pub whose: String,
    /// None when the group is below the minimum size.
    pub months: Option<Vec<MonthCount>>,
    pub chart: String,
    pub min_group: i64,
    /// The manager's list of recent reports (empty for a champion).
    pub recent: Vec<Recent>,
    pub is_manager: bool,
}

impl Recent {
    pub fn when(&self) -> String {
        crate::ukclock::format(self.reported_at)
    }
    pub fn who(&self) -> &str {
        self.full_name.as_deref().unwrap_or("Someone")
    }
}

impl ReportsPage {
    pub fn total(&self) -> i64 {
        self.months
            .as_ref()
            .map(|m| m.iter().map(|c| c.count).sum())
            .unwrap_or(0)
    }
}
