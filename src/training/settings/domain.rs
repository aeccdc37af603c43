//! The training rules and the checks on the form that changes them. No I/O.

use crate::db::row::named_row;
use serde::Deserialize;

use crate::web::FieldErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainingSettings {
    /// Percentage of quiz answers needed to pass.
    pub pass_mark: i64,
    /// Days after a new starter's start date that induction is due.
    pub induction_due_days: i64,
    /// Months after completing a module that its refresher is due.
    pub refresher_months: i64,
    /// Percentage of staff trained that the DSPT asks for.
    pub compliance_target: i64,
    /// Days before a due date that a reminder is sent.
    pub reminder_days: i64,
}

named_row!(TrainingSettings {
    pass_mark,
    induction_due_days,
    refresher_months,
    compliance_target,
    reminder_days
});

impl Default for TrainingSettings {
    fn default() -> Self {
        Self {
            pass_mark: 80,
            induction_due_days: 28,
            refresher_months: 12,
            compliance_target: 95,
            reminder_days: 7,
        }
    }
}

impl TrainingSettings {
    /// For the audit log.
    pub fn describe(&self) -> String {
        format!(
            "training rules: pass mark {}%, induction due {} days, refresher {} months, target {}%, reminders {} days before",
            self.pass_mark, self.induction_due_days, self.refresher_months, self.compliance_target, self.reminder_days
        )
    }
}

/// The "Training rules" form as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SettingsForm {
    pub pass_mark: String,
    pub induction_due_days: String,
    pub refresher_months: String,
    pub compliance_target: String,
    pub reminder_days: String,
}

impl From<TrainingSettings> for SettingsForm {
    fn from(s: TrainingSettings) -> Self {
        Self {
            pass_mark: s.pass_mark.to_string(),
            induction_due_days: s.induction_due_days.to_string(),
            refresher_months: s.refresher_months.to_string(),
            compliance_target: s.compliance_target.to_string(),
            reminder_days: s.reminder_days.to_string(),
        }
    }
}

/// A whole number in `range` (a trailing % is allowed), or an error on `field`.
fn number(
    errors: &mut FieldErrors,
    field: &str,
    raw: &str,
    range: std::ops::RangeInclusive<i64>,
    what: &str,
) -> i64 {
    match raw.trim().trim_end_matches('%').trim().parse::<i64>() {
        Ok(n) if range.contains(&n) => n,
        _ => {
            errors.add(
                field,
                format!(
                    "Enter {what} as a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            );
            0
        }
    }
}

impl SettingsForm {
    pub fn parse(&self) -> Result<TrainingSettings, FieldErrors> {
        let mut e = FieldErrors::default();
        let s = TrainingSettings {
            pass_mark: number(
                &mut e,
                "pass_mark",
                &self.pass_mark,
                50..=100,
                "the pass mark",
            ),
            induction_due_days: number(
                &mut e,
                "induction_due_days",
                &self.induction_due_days,
                1..=365,
                "the days new starters have",
            ),
            refresher_months: number(
                &mut e,
                "refresher_months",
                &self.refresher_months,
                1..=36,
                "the months between refreshers",
            ),
            compliance_target: number(
                &mut e,
                "compliance_target",
                &self.compliance_target,
                1..=100,
                "the target",
            ),
            reminder_days: number(
                &mut e,
                "reminder_days",
                &self.reminder_days,
                0..=60,
                "the reminder days",
            ),
        };
        if e.is_empty() {
            Ok(s)
        } else {
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_whole_numbers_in_range_and_names_each_bad_field() {
        let good = SettingsForm::from(TrainingSettings::default());
        assert_eq!(good.parse().ok(), Some(TrainingSettings::default()));
        let form = SettingsForm {
            pass_mark: " 90 % ".into(),
            induction_due_days: "0".into(),
            refresher_months: "twelve".into(),
            ..SettingsForm::from(TrainingSettings::default())
        };
        let errors = form.parse().unwrap_err();
        assert!(errors.has("induction_due_days") && errors.has("refresher_months"));
        assert!(!errors.has("pass_mark") && !errors.has("reminder_days"));
    }
}
