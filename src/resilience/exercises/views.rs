//! Tabletop exercises' pages: the list with the scenarios and the form that
//! plans one, and the page that runs one (timed injects, notes, who came,
//! actions).

use askama::Template;

use super::domain::{ActionRow, Exercise, Summary};
use crate::auth::PracticeScope;
use crate::resilience::plan_content::Scenario;
use crate::resilience::staff::Member;
use crate::shared::StaffId;
use crate::web::{FieldErrors, Page};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NewForm {
    pub scenario: String,
    pub run_on: String,
    pub facilitator: String,
}

#[derive(Template)]
#[template(path = "resilience/exercises.html")]
pub struct ListPage {
    pub page: Page,
    pub scenarios: &'static [Scenario],
    pub exercises: Vec<Summary>,
    pub last_done: Option<String>,
    pub due: bool,
    pub errors: FieldErrors,
    pub form: NewForm,
}

/// An inject as the run page shows it, with its notes.
pub struct InjectView {
    pub index: usize,
    pub at_minute: u32,
    pub title: String,
    pub text: String,
    pub questions: Vec<String>,
    pub notes: String,
    /// Not reached yet on the exercise's clock.
    pub later: bool,
}

#[derive(Template)]
#[template(path = "resilience/exercise.html")]
pub struct RunPage {
    page: Page,
    e: Exercise,
    injects: Vec<InjectView>,
    debrief_notes: String,
    debrief_field: String,
    elapsed: Option<i64>,
    /// Everyone still at the practice: (id, name, came).
    staff: Vec<(StaffId, String, bool)>,
    actions: Vec<ActionRow>,
    errors: FieldErrors,
}

impl RunPage {
    /// The page for `e` at `now`, with the actions so far and three empty
    /// rows for more.
    pub fn new(
        scope: &PracticeScope,
        e: Exercise,
        mut actions: Vec<ActionRow>,
        attending: &[StaffId],
        staff: Vec<Member>,
        errors: FieldErrors,
        now: i64,
    ) -> Self {
        let elapsed = e.started_at.map(|s| ((now - s) / 60).max(0));
        let injects: Vec<InjectView> = e
            .scenario
            .injects
            .iter()
            .enumerate()
            .map(|(i, inj)| InjectView {
                index: i,
                at_minute: inj.at_minute,
                title: inj.title.clone(),
                text: inj.text.clone(),
                questions: inj.questions.clone(),
                notes: e.notes.get(i).cloned().unwrap_or_default(),
                later: !e.is_done() && elapsed.is_some_and(|m| i64::from(inj.at_minute) > m),
            })
            .collect();
        let base = actions.len();
        for k in 0..3 {
            actions.push(ActionRow {
                index: base + k,
                text: String::new(),
                owner: None,
                due_on: String::new(),
            });
        }
        let debrief_notes = e
            .notes
            .get(e.scenario.injects.len())
            .cloned()
            .unwrap_or_default();
        Self {
            page: Page::for_user(format!("Exercise: {}", e.scenario.title), scope.user()),
            debrief_field: format!("notes-{}", injects.len()),
            injects,
            debrief_notes,
            elapsed,
            staff: staff
                .into_iter()
                .map(|m| (m.id, m.full_name, attending.contains(&m.id)))
                .collect(),
            actions,
            e,
            errors,
        }
    }
}
