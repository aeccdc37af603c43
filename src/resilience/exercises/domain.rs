//! Tabletop exercises' rules, with no storage or pages: an exercise's
//! state, when the next is due (DSPT 7.2.1: at least once a year), and
//! reading the run form (notes per inject, who came, actions agreed).

use crate::resilience::dates::parse_iso;
use crate::resilience::ids::ExerciseId;
use crate::resilience::plan_content::Scenario;
use crate::resilience::sql::{from_row, text_enum};
use crate::shared::StaffId;
use crate::ukclock;
use crate::web::FieldErrors;

text_enum! {
    /// Whether the exercise has been run to the end.
    pub enum ExerciseStatus {
        Planned = "planned", "Planned";
        Done = "done", "Completed";
    }
}

/// An exercise in the list.
pub struct Summary {
    pub id: ExerciseId,
    pub title: String,
    pub run_on: String,
    pub status: ExerciseStatus,
}

from_row!(Summary, r => Ok(Summary {
    id: r.try_get("id")?,
    title: r.try_get("title")?,
    run_on: r.try_get("run_on")?,
    status: r.try_get("status")?,
}));

/// An exercise as stored: `notes` are JSON, one per inject then the debrief's.
pub struct Stored {
    pub id: ExerciseId,
    pub scenario: String,
    pub run_on: String,
    pub facilitator: String,
    pub status: ExerciseStatus,
    pub started_at: Option<i64>,
    pub notes: String,
}

from_row!(Stored, r => Ok(Stored {
    id: r.try_get("id")?,
    scenario: r.try_get("scenario")?,
    run_on: r.try_get("run_on")?,
    facilitator: r.try_get("facilitator")?,
    status: r.try_get("status")?,
    started_at: r.try_get("started_at")?,
    notes: r.try_get("notes")?,
}));

/// An exercise with its scenario.
pub struct Exercise {
    pub id: ExerciseId,
    pub scenario: &'static Scenario,
    pub run_on: String,
    pub facilitator: String,
    pub status: ExerciseStatus,
    pub started_at: Option<i64>,
    /// One per inject, then the debrief's.
    pub notes: Vec<String>,
}

impl Exercise {
    /// The stored exercise with its scenario, if we still ship that scenario.
    pub fn of(s: Stored) -> Option<Self> {
        let scenario = crate::resilience::plan_content::scenario(&s.scenario)?;
        Some(Self {
            id: s.id,
            scenario,
            run_on: s.run_on,
            facilitator: s.facilitator,
            status: s.status,
            started_at: s.started_at,
            notes: serde_json::from_str(&s.notes).unwrap_or_default(),
        })
    }

    pub fn is_done(&self) -> bool {
        self.status == ExerciseStatus::Done
    }

    /// "4 Dec 2026".
    pub fn run_on_uk(&self) -> String {
        uk_day(&self.run_on)
    }
}

impl Summary {
    /// "4 Dec 2026".
    pub fn run_on_uk(&self) -> String {
        uk_day(&self.run_on)
    }
}

/// A stored ISO date as people in the UK write it (as stored if it is not one).
fn uk_day(iso: &str) -> String {
    crate::resilience::dates::parse_iso(iso).map_or_else(|| iso.to_string(), crate::ukclock::day)
}

/// An action agreed, with its owner and due date (as typed: an ISO date or
/// empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRow {
    pub index: usize,
    pub text: String,
    pub owner: Option<StaffId>,
    pub due_on: String,
}

impl ActionRow {
    pub fn owned_by(&self, staff_id: &StaffId) -> bool {
        self.owner == Some(*staff_id)
    }
}

/// An action as stored.
pub struct StoredAction {
    pub text: String,
    pub staff_id: Option<StaffId>,
    pub due_on: Option<String>,
}

from_row!(StoredAction, r => Ok(StoredAction {
    text: r.try_get("text")?,
    staff_id: r.try_get("staff_id")?,
    due_on: r.try_get("due_on")?,
}));

impl StoredAction {
    pub fn row(self, index: usize) -> ActionRow {
        ActionRow {
            index,
            text: self.text,
            owner: self.staff_id,
            due_on: self.due_on.unwrap_or_default(),
        }
    }
}

/// Whether the practice is due an exercise: none done yet, or the last
/// completed one (its date, ISO) a year or more ago.
pub fn due(last_done: Option<&str>, today: time::Date) -> bool {
    last_done
        .and_then(parse_iso)
        .is_none_or(|d| ukclock::add_months(d, 12) <= today)
}

/// What the run form asks: "start" the clock, "finish", or just save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStep {
    Start,
    Save,
    Finish,
}

/// The run form, read: notes, who came, actions, and what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub notes: Vec<String>,
    pub attending: Vec<StaffId>,
    pub actions: Vec<ActionRow>,
    pub step: RunStep,
}

/// Reads the run form's fields for a scenario with `injects` injects;
/// `known` are the practice's staff (anyone else is ignored). Problems are
/// collected, so the page can show the form again as typed.
pub fn read_run(
    fields: &[(String, String)],
    injects: usize,
    known: &[StaffId],
) -> (Run, FieldErrors) {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.replace('\r', "").trim().to_string())
            .unwrap_or_default()
    };
    let known = |id: &StaffId| known.contains(id);
    let mut errors = FieldErrors::default();
    let notes: Vec<String> = (0..=injects).map(|i| get(&format!("notes-{i}"))).collect();
    for (i, note) in notes.iter().enumerate() {
        if note.chars().count() > 8000 {
            errors.add(
                &format!("notes-{i}"),
                "Keep each set of notes under 8,000 characters",
            );
        }
    }
    let attending: Vec<StaffId> = fields
        .iter()
        .filter(|(k, _)| k == "attended")
        .filter_map(|(_, v)| v.parse().ok())
        .filter(known)
        .collect();
    let mut actions = Vec::new();
    for i in 0..60 {
        if !fields.iter().any(|(k, _)| k == &format!("action-{i}-text")) {
            break;
        }
        let text = get(&format!("action-{i}-text"));
        let owner = get(&format!("action-{i}-owner"))
            .parse::<StaffId>()
            .ok()
            .filter(known);
        let due_on = get(&format!("action-{i}-due"));
        if text.is_empty() {
            continue;
        }
        if !due_on.is_empty() && parse_iso(&due_on).is_none() {
            errors.add(
                &format!("action-{i}-due"),
                format!(
                    "Enter the due date for action {} as a date, for example 2027-03-31",
                    actions.len() + 1
                ),
            );
        }
        if text.chars().count() > 1000 {
            errors.add(
                &format!("action-{i}-text"),
                "Keep each action under 1,000 characters",
            );
        }
        actions.push(ActionRow {
            index: actions.len(),
            text,
            owner,
            due_on,
        });
    }
    let step = match get("step").as_str() {
        "start" => RunStep::Start,
        "finish" => RunStep::Finish,
        _ => RunStep::Save,
    };
    if step == RunStep::Finish && attending.is_empty() {
        errors.add(
            "attendance",
            "Tick who took part before finishing: the DSPT asks who attended",
        );
    }
    let run = Run {
        notes,
        attending,
        actions,
        step,
    };
    (run, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_run_form_keeps_known_people_and_real_actions() {
        let known = [StaffId::new(1), StaffId::new(2)];
        let (run, errors) = read_run(
            &fields(&[
                ("notes-0", "We called the ICB\r\n"),
                ("attended", "1"),
                ("attended", "99"),
                ("action-0-text", "Buy a spare drive"),
                ("action-0-owner", "2"),
                ("action-0-due", "2027-03-31"),
                ("action-1-text", ""),
                ("action-2-text", "Test the restore"),
                ("action-2-due", "next week"),
                ("step", "finish"),
            ]),
            2,
            &known,
        );
        assert_eq!(run.notes, ["We called the ICB", "", ""]);
        assert_eq!(run.attending, [StaffId::new(1)]);
        assert_eq!(run.actions.len(), 2);
        assert_eq!(run.actions[0].owner, Some(StaffId::new(2)));
        assert_eq!(run.step, RunStep::Finish);
        let problems: Vec<&str> = errors.all().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(problems, ["action-2-due"]);
        let (_, errors) = read_run(&fields(&[("step", "finish")]), 0, &known);
        assert!(errors.has("attendance"), "finishing needs who took part");
    }

    #[test]
    fn an_exercise_is_due_once_a_year() {
        let today = date!(2026 - 11 - 23);
        assert!(due(None, today));
        assert!(due(Some("2025-11-23"), today));
        assert!(!due(Some("2025-11-24"), today));
    }
}
