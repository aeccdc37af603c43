//! The rules of recording a drill: whose outcome it is, which checklist
//! steps were seen, the outcome and a kind note. No I/O.

use crate::culture::library::{Drill, DrillKind, OutcomeKey};
use crate::web::FieldErrors;

/// The longest kind note, in characters.
pub const NOTE_MAX: usize = 500;

/// A drill's result as the form sent it.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct OutcomeForm {
    /// The person's staff id (blank for a walk-round).
    pub staff_id: String,
    /// The department (a walk-round's; otherwise the person's is used).
    pub department_id: String,
    pub outcome: String,
    pub checks: Vec<String>,
    pub note: String,
    /// "yes" if the person agrees to be praised by name.
    pub praise_by_name: String,
}

/// A checked result, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub staff_id: Option<i64>,
    pub department_id: Option<i64>,
    pub outcome: OutcomeKey,
    /// Checklist ids seen, in the drill's order, comma-separated.
    pub checks: String,
    pub note: String,
    pub praise_by_name: bool,
}

/// Checks the form against the drill; every problem is named by its field.
pub fn check(drill: &Drill, f: &OutcomeForm) -> Result<Checked, FieldErrors> {
    let mut errors = FieldErrors::default();
    let walk = drill.kind == DrillKind::WalkRound;
    let staff_id = f.staff_id.trim().parse::<i64>().ok();
    let department_id = f.department_id.trim().parse::<i64>().ok();
    if walk && department_id.is_none() {
        errors.add(
            "department_id",
            "Choose the department the walk-round covered",
        );
    }
    if !walk && staff_id.is_none() {
        errors.add("staff_id", "Choose who took part");
    }
    let outcome = OutcomeKey::parse(f.outcome.trim());
    if outcome.is_none() {
        errors.add("outcome", "Choose how it went");
    }
    let unknown = f.checks.iter().any(|c| drill.check(c).is_none());
    if unknown {
        errors.add("checks", "Tick only the steps listed for this drill");
    }
    let note = f.note.trim().to_string();
    if note.chars().count() > NOTE_MAX {
        errors.add(
            "note",
            format!("Keep the note to {NOTE_MAX} characters or fewer"),
        );
    }
    match (outcome, errors.is_empty()) {
        (Some(outcome), true) => Ok(Checked {
            staff_id: if walk { None } else { staff_id },
            department_id,
            outcome,
            checks: drill
                .checklist
                .iter()
                .filter(|c| f.checks.contains(&c.id))
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(","),
            note,
            praise_by_name: !walk && f.praise_by_name == "yes",
        }),
        _ => Err(errors),
    }
}

/// Outcome labels a person sees.
pub fn outcome_label(key: OutcomeKey) -> &'static str {
    match key {
        OutcomeKey::GoodCatch => "Good catch",
        OutcomeKey::Partly => "Partly",
        OutcomeKey::NeedsPractice => "Needs more practice",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone() -> &'static Drill {
        crate::culture::library::drill("phone-relative-results").unwrap()
    }

    #[test]
    fn a_phone_drill_needs_a_person_and_an_outcome() {
        let errors = check(phone(), &OutcomeForm::default()).unwrap_err();
        assert!(errors.has("staff_id") && errors.has("outcome"));
        let ok = check(
            phone(),
            &OutcomeForm {
                staff_id: "7".into(),
                outcome: "needs-practice".into(),
                checks: vec!["reported".into(), "verified-identity".into()],
                praise_by_name: "yes".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            ok.checks, "verified-identity,reported",
            "in the drill's order"
        );
        assert_eq!(ok.outcome, OutcomeKey::NeedsPractice);
        assert!(ok.praise_by_name);
    }

    #[test]
    fn unknown_steps_and_long_notes_are_refused() {
        let errors = check(
            phone(),
            &OutcomeForm {
                staff_id: "7".into(),
                outcome: "partly".into(),
                checks: vec!["made-up".into()],
                note: "x".repeat(NOTE_MAX + 1),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(errors.has("checks") && errors.has("note"));
    }

    #[test]
    fn a_walk_round_is_for_a_department_not_a_person() {
        let walk = crate::culture::library::drill("walk-round-reception").unwrap();
        let errors = check(
            walk,
            &OutcomeForm {
                outcome: "partly".into(),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(errors.has("department_id") && !errors.has("staff_id"));
        let ok = check(
            walk,
            &OutcomeForm {
                staff_id: "7".into(),
                department_id: "3".into(),
                outcome: "good-catch".into(),
                praise_by_name: "yes".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            (ok.staff_id, ok.department_id, ok.praise_by_name),
            (None, Some(3), false)
        );
    }
}
