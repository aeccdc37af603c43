//! The drill pages.

use askama::Template;

use super::domain::{outcome_label, OutcomeForm};
use super::plans::repo::PlanRow;
use super::plans::PlanForm;
use super::repo::RunRow;
use crate::culture::library::{Drill, DrillKind, OutcomeKey};
use crate::web::{FieldErrors, Page};

/// Someone who can be chosen on the record form.
pub struct Choice {
    pub id: i64,
    pub name: String,
}

#[derive(Template)]
#[template(path = "culture/drills.html")]
pub struct DrillsPage {
    pub page: Page,
    /// Drills planned and not yet recorded, soonest first.
    pub planned: Vec<PlanRow>,
    pub kinds: Vec<(DrillKind, Vec<&'static Drill>)>,
    pub runs: Vec<RunRow>,
    /// Good catch, partly, needs more practice in 12 months; None below the minimum group size.
    pub counts: Option<[i64; 3]>,
    pub whose: String,
    pub min_group: i64,
    /// QR-poster drills, counted per place rather than per person.
    pub posters: Vec<&'static Drill>,
}

#[derive(Template)]
#[template(path = "culture/drill.html")]
pub struct DrillPage {
    pub page: Page,
    pub drill: &'static Drill,
    pub people: Vec<Choice>,
    pub departments: Vec<Choice>,
    pub form: OutcomeForm,
    pub plan: PlanForm,
    pub errors: FieldErrors,
    pub outcomes: [OutcomeKey; 3],
    /// The manager chooses a department for a plan; a champion plans for their own.
    pub is_manager: bool,
}

impl DrillPage {
    pub fn is_walk(&self) -> bool {
        self.drill.kind == DrillKind::WalkRound
    }
    pub fn ticked(&self, id: &str) -> bool {
        self.form.checks.iter().any(|c| c == id)
    }
    pub fn outcome_text(&self, k: &OutcomeKey) -> &'static str {
        outcome_label(*k)
    }
}

#[derive(Template)]
#[template(path = "culture/drill_run.html")]
pub struct RunPage {
    pub page: Page,
    pub run: RunRow,
    pub drill: Option<&'static Drill>,
    /// The training module assigned, if the outcome asked for one.
    pub module: Option<String>,
}

#[derive(Template)]
#[template(path = "culture/my_drills.html")]
pub struct MyDrillsPage {
    pub page: Page,
    pub runs: Vec<RunRow>,
}

impl RunRow {
    pub fn when(&self) -> String {
        crate::ukclock::format(self.run_at)
    }
    pub fn title(&self) -> String {
        crate::culture::library::drill(&self.drill_id)
            .map(|d| d.title.clone())
            .unwrap_or_else(|| self.drill_id.clone())
    }
    pub fn outcome_key(&self) -> Option<OutcomeKey> {
        OutcomeKey::parse(&self.outcome)
    }
    pub fn outcome_text(&self) -> &'static str {
        self.outcome_key().map(outcome_label).unwrap_or("")
    }
    pub fn who(&self) -> String {
        match (&self.full_name, &self.department) {
            (Some(n), _) => n.clone(),
            (None, Some(d)) => d.clone(),
            _ => String::new(),
        }
    }
    /// What the person is told, from the drill's own debrief for this outcome.
    pub fn debrief(&self) -> String {
        let drill = crate::culture::library::drill(&self.drill_id);
        match (drill, self.outcome_key()) {
            (Some(d), Some(k)) => d.outcome(k).map(|o| o.debrief.clone()).unwrap_or_default(),
            _ => String::new(),
        }
    }
    /// The checklist steps seen, as their text.
    pub fn seen(&self) -> Vec<String> {
        let drill = crate::culture::library::drill(&self.drill_id);
        self.checks
            .split(',')
            .filter(|c| !c.is_empty())
            .filter_map(|c| drill.and_then(|d| d.check(c)).map(|c| c.text.clone()))
            .collect()
    }
}

impl PlanRow {
    /// "Thu 10 Dec 2026".
    pub fn when(&self) -> String {
        let fmt = time::macros::format_description!(
            "[weekday repr:short] [day padding:none] [month repr:short] [year]"
        );
        crate::resilience::dates::parse_iso(&self.planned_on)
            .and_then(|d| d.format(fmt).ok())
            .unwrap_or_else(|| self.planned_on.clone())
    }
    pub fn title(&self) -> String {
        crate::culture::library::drill(&self.drill_id)
            .map(|d| d.title.clone())
            .unwrap_or_else(|| self.drill_id.clone())
    }
    pub fn whose(&self) -> String {
        self.department
            .clone()
            .unwrap_or_else(|| "The whole practice".into())
    }
}
