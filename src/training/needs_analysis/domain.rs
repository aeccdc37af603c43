//! The training needs analysis (DSPT 3.1.1) as the manager writes it, the
//! starting text offered before the first save, and its checks. No I/O.

use serde::Deserialize;

use crate::training::assignments::parse_date;
use crate::web::FieldErrors;

/// The most each long-text area may hold.
const TNA_MAX: usize = 10_000;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct TnaForm {
    pub staff_groups: String,
    pub delivery: String,
    pub gaps: String,
    pub actions: String,
    /// `2027-11-30`, or empty.
    pub review_on: String,
}

impl TnaForm {
    /// The long-text fields as (name, label, value), in page order.
    pub fn areas(&self) -> Vec<(&'static str, &'static str, &str)> {
        vec![
            (
                "staff_groups",
                "Staff groups and what each needs",
                &self.staff_groups,
            ),
            ("delivery", "How training is delivered", &self.delivery),
            ("gaps", "Gaps identified", &self.gaps),
            ("actions", "Actions, with who and by when", &self.actions),
        ]
    }

    /// What the page offers before the practice saves its own.
    pub fn starter() -> Self {
        Self {
            staff_groups: "Reception and care navigators: phone and in-person scams, phishing, patient data.\nClinicians (GPs, nurses, HCAs): phishing, patient data, devices and remote working.\nAdministration and secretaries: phishing, patient data, sending information safely.\nManagement: all of the above plus backups, updates and incident response.\nLocums and new starters: induction before using the clinical system.".into(),
            delivery: "Safety Net's modules (5–15 minutes each, quiz, CPD certificate), a cyber minute at each practice meeting, phishing exercises with a short lesson after a click, and tabletop exercises once a year.".into(),
            gaps: String::new(),
            actions: String::new(),
            review_on: String::new(),
        }
    }

    /// What to fix, field by field; empty when it can be saved.
    pub fn check(&self) -> FieldErrors {
        let mut errors = FieldErrors::default();
        for (field, _, value) in self.areas() {
            if value.chars().count() > TNA_MAX {
                errors.add(field, format!("Keep this to {TNA_MAX} characters or fewer"));
            }
        }
        if self.staff_groups.trim().is_empty() {
            errors.add(
                "staff_groups",
                "Describe the staff groups and what each needs",
            );
        }
        if self.review_date().is_some_and(|d| parse_date(d).is_none()) {
            errors.add(
                "review_on",
                "Enter the review date as a date, for example 2027-11-30",
            );
        }
        errors
    }

    /// The review date as typed, or None if left empty.
    pub fn review_date(&self) -> Option<&str> {
        Some(self.review_on.trim()).filter(|r| !r.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_analysis_needs_its_staff_groups_a_real_date_and_no_endless_text() {
        assert!(TnaForm::starter().check().is_empty());
        let form = TnaForm {
            staff_groups: "  ".into(),
            gaps: "x".repeat(TNA_MAX + 1),
            review_on: "next year".into(),
            ..TnaForm::starter()
        };
        let errors = form.check();
        assert!(errors.has("staff_groups") && errors.has("gaps") && errors.has("review_on"));
        let dated = TnaForm {
            review_on: " 2027-11-30 ".into(),
            ..TnaForm::starter()
        };
        assert_eq!(dated.review_date(), Some("2027-11-30"));
        assert!(dated.check().is_empty());
    }
}
