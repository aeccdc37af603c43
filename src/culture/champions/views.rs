//! The champion's page.

use askama::Template;

use super::domain::{Kind, LogForm};
use super::repo::Entry;
use crate::culture::drills::plans::repo::PlanRow;
use crate::culture::library::Drill;
use crate::web::{FieldErrors, Page};

/// Someone who can be named in the log.
pub struct Colleague {
    pub id: i64,
    pub name: String,
}

/// This month's figures for the department (or the practice, for the manager).
pub struct Figures {
    pub reports: i64,
    /// Good catch, partly, needs more practice.
    pub drills: [i64; 3],
    /// People overdue on their training.
    pub training_due: i64,
}

#[derive(Template)]
#[template(path = "culture/champion.html")]
pub struct HomePage {
    pub page: Page,
    /// "Reception & care navigation", or "the practice" for the manager.
    pub whose: String,
    pub is_manager: bool,
    /// "4 Dec 2026", for a champion.
    pub since: Option<String>,
    pub duties: Vec<String>,
    /// None below the minimum group size.
    pub figures: Option<Figures>,
    pub min_group: i64,
    pub planned: Vec<PlanRow>,
    pub suggested: Vec<&'static Drill>,
    pub colleagues: Vec<Colleague>,
    pub entries: Vec<Entry>,
    pub modules: [(&'static str, &'static str); 13],
    pub form: LogForm,
    pub errors: FieldErrors,
    pub duties_text: String,
    /// For the manager: every current champion.
    pub champions: Vec<super::repo::Champion>,
}

impl super::repo::Champion {
    /// "4 Dec 2026", or "" if not recorded (appointed before dates were kept).
    pub fn since(&self) -> String {
        self.champion_since
            .as_deref()
            .and_then(crate::resilience::dates::parse_iso)
            .map(crate::ukclock::day)
            .unwrap_or_default()
    }
    pub fn duties(&self) -> Vec<&str> {
        self.champion_duties
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    }
}

impl Entry {
    pub fn kind_label(&self) -> &'static str {
        Kind::parse(&self.kind).map_or("", Kind::label)
    }
    pub fn when(&self) -> String {
        crate::resilience::dates::parse_iso(&self.happened_on)
            .map_or_else(|| self.happened_on.clone(), crate::ukclock::day)
    }
    pub fn module_title(&self) -> String {
        self.module
            .as_deref()
            .map(|m| crate::simulation::authoring::module_title(m).to_string())
            .unwrap_or_default()
    }
}
