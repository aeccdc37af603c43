//! The rules for an exercise run elsewhere: its record form, the summary
//! counts (when only a summary was given), and what a results-file cell may
//! say (yes/no, or a time). Pure, so they are unit tested here.

use serde::Deserialize;

use crate::shared::values::echo;
use crate::shared::FieldError;
use crate::training::assignments::parse_date;
use crate::web::FieldErrors;

/// Who ran it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunBy {
    NhsEngland,
    Other,
}

impl RunBy {
    pub const ALL: [RunBy; 2] = [RunBy::NhsEngland, RunBy::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NhsEngland => "nhs-england",
            Self::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::NhsEngland => "NHS England's simulated phishing service",
            Self::Other => "Another tool or company",
        }
    }

    pub fn from_sql(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The record form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExerciseForm {
    pub name: String,
    pub run_by: String,
    pub starts_on: String,
    pub ends_on: String,
    pub subject: String,
    pub red_flags: String,
}

/// A form that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExercise {
    pub name: String,
    pub run_by: RunBy,
    pub starts_on: time::Date,
    pub ends_on: time::Date,
    pub subject: String,
    /// One red flag a line, blank lines dropped.
    pub red_flags: String,
}

const MAX_TEXT: usize = 200;

fn short_text(raw: &str, field: &str, what: &str, required: bool) -> Result<String, FieldError> {
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if required && text.is_empty() {
        return Err(FieldError::new(field, format!("Enter {what}")));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(FieldError::new(
            field,
            format!("{what} must be {MAX_TEXT} characters or fewer"),
        ));
    }
    Ok(text)
}

fn date(raw: &str, field: &str, what: &str) -> Result<time::Date, FieldError> {
    if raw.trim().is_empty() {
        return Err(FieldError::new(field, format!("Enter {what}")));
    }
    parse_date(raw).ok_or_else(|| {
        FieldError::new(
            field,
            format!("Enter {what} as a real date, for example 2026-11-03"),
        )
    })
}

/// Checks the record form: every problem at once.
pub fn check(form: &ExerciseForm) -> Result<NewExercise, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = errors.take(short_text(
        &form.name,
        "name",
        "a name for the exercise",
        true,
    ));
    let run_by = errors.take(
        RunBy::from_sql(&form.run_by)
            .ok_or_else(|| FieldError::new("run_by", "Choose who ran the exercise")),
    );
    let starts_on = errors.take(date(&form.starts_on, "starts_on", "the day it started"));
    let ends_on = errors.take(date(&form.ends_on, "ends_on", "the day it ended"));
    if let (Some(s), Some(e)) = (starts_on, ends_on) {
        if e < s {
            errors.add("ends_on", "The end date must be on or after the start date");
        }
    }
    let subject = errors.take(short_text(
        &form.subject,
        "subject",
        "The email's subject",
        false,
    ));
    let flags: Vec<&str> = form
        .red_flags
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if flags.len() > 20 || flags.iter().any(|f| f.chars().count() > MAX_TEXT) {
        errors.add(
            "red_flags",
            format!("Give at most 20 red flags, one a line, each {MAX_TEXT} characters or fewer"),
        );
    }
    match (name, run_by, starts_on, ends_on, subject) {
        (Some(name), Some(run_by), Some(starts_on), Some(ends_on), Some(subject))
            if errors.is_empty() =>
        {
            Ok(NewExercise {
                name,
                run_by,
                starts_on,
                ends_on,
                subject,
                red_flags: flags.join("\n"),
            })
        }
        _ => Err(errors),
    }
}

/// The summary form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SummaryForm {
    pub sent: String,
    pub opened: String,
    pub clicked: String,
    pub submitted: String,
    pub reported: String,
}

/// An exercise's counts, from a summary or its per-person results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub sent: i64,
    pub opened: i64,
    pub clicked: i64,
    pub submitted: i64,
    pub reported: i64,
}

fn count(raw: &str, field: &str, what: &str) -> Result<i64, FieldError> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(0);
    }
    t.parse::<i64>()
        .ok()
        .filter(|n| (0..=100_000).contains(n))
        .ok_or_else(|| {
            FieldError::new(
                field,
                format!("Enter how many {what} as a whole number, for example 12"),
            )
        })
}

/// Checks the summary: whole numbers, and none more than were sent (nor
/// more entering details than clicked).
pub fn check_summary(form: &SummaryForm) -> Result<Counts, FieldErrors> {
    let mut errors = FieldErrors::default();
    let sent = errors.take(count(&form.sent, "sent", "were sent the email"));
    let opened = errors.take(count(&form.opened, "opened", "opened it"));
    let clicked = errors.take(count(&form.clicked, "clicked", "clicked the link"));
    let submitted = errors.take(count(&form.submitted, "submitted", "entered details"));
    let reported = errors.take(count(&form.reported, "reported", "reported it"));
    if sent == Some(0) {
        errors.add("sent", "Enter how many were sent the email");
    }
    if let Some(sent) = sent.filter(|s| *s > 0) {
        for (field, what, n) in [
            ("opened", "opened it", opened),
            ("clicked", "clicked", clicked),
            ("submitted", "entered details", submitted),
            ("reported", "reported it", reported),
        ] {
            if n.is_some_and(|n| n > sent) {
                errors.add(
                    field,
                    format!("More cannot have {what} than were sent the email ({sent})"),
                );
            }
        }
    }
    if let (Some(c), Some(s)) = (clicked, submitted) {
        if s > c && !errors.has("submitted") {
            errors.add(
                "submitted",
                format!(
                    "Entering details needs a click first: at most {c}, the number who clicked"
                ),
            );
        }
    }
    match (sent, opened, clicked, submitted, reported) {
        (Some(sent), Some(opened), Some(clicked), Some(submitted), Some(reported))
            if errors.is_empty() =>
        {
            Ok(Counts {
                sent,
                opened,
                clicked,
                submitted,
                reported,
            })
        }
        _ => Err(errors),
    }
}

/// One step in a results file: yes or no, with its time if the file gave one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Step {
    pub yes: bool,
    pub at: Option<i64>,
}

const ALLOWED: &str = "yes, no, or a date and time such as 2026-11-03 09:15";

/// A results-file cell: blank is no; yes/no words; or a time (which means yes).
pub fn parse_step(raw: &str, column: &str) -> Result<Step, String> {
    let t = raw.trim();
    let lower = t.to_lowercase();
    match lower.as_str() {
        "" | "no" | "n" | "false" | "0" | "-" => return Ok(Step::default()),
        "yes" | "y" | "true" | "1" | "x" => {
            return Ok(Step {
                yes: true,
                at: None,
            })
        }
        _ => {}
    }
    parse_time(t)
        .map(|at| Step {
            yes: true,
            at: Some(at),
        })
        .ok_or_else(|| {
            format!(
                "{column}: {} is not something we understand. Use {ALLOWED}",
                echo(t)
            )
        })
}

/// Times as exports write them: ISO 8601 (with Z or an offset), or a UK
/// local "2026-11-03 09:15", "03/11/2026 09:15" or "03/11/2026 09:15:30".
fn parse_time(t: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(at) = time::OffsetDateTime::parse(t, &Rfc3339) {
        return Some(at.unix_timestamp());
    }
    let iso = t.replacen(' ', "T", 1);
    let (date_part, time_part) = iso.split_once('T')?;
    let date = parse_date(date_part).or_else(|| {
        time::Date::parse(
            date_part,
            time::macros::format_description!("[day]/[month]/[year]"),
        )
        .ok()
    })?;
    let hm: String = time_part
        .trim_end_matches('Z')
        .chars()
        .take(5)
        .collect::<String>();
    crate::ukclock::parse_local(&format!("{date}T{hm}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ExerciseForm {
        ExerciseForm {
            name: "November NHSmail exercise".into(),
            run_by: "nhs-england".into(),
            starts_on: "2026-11-03".into(),
            ends_on: "2026-11-10".into(),
            subject: "Your mailbox is full".into(),
            red_flags: "Urgent tone\n\nOdd sender\n".into(),
        }
    }

    #[test]
    fn a_good_form_keeps_its_red_flags_one_a_line() {
        let e = check(&form()).unwrap();
        assert_eq!(e.red_flags, "Urgent tone\nOdd sender");
        assert_eq!(e.run_by, RunBy::NhsEngland);
    }

    #[test]
    fn every_problem_is_named_beside_its_field() {
        let bad = ExerciseForm {
            name: " ".into(),
            run_by: "someone".into(),
            starts_on: "2026-11-10".into(),
            ends_on: "2026-11-03".into(),
            ..form()
        };
        let errors = check(&bad).unwrap_err();
        assert!(errors.has("name") && errors.has("run_by") && errors.has("ends_on"));
    }

    #[test]
    fn summary_counts_cannot_exceed_what_was_sent() {
        let f = |sent: &str, clicked: &str, submitted: &str| SummaryForm {
            sent: sent.into(),
            opened: "5".into(),
            clicked: clicked.into(),
            submitted: submitted.into(),
            reported: "3".into(),
        };
        assert_eq!(check_summary(&f("20", "4", "1")).unwrap().clicked, 4);
        assert!(check_summary(&f("20", "25", "1"))
            .unwrap_err()
            .has("clicked"));
        assert!(check_summary(&f("20", "2", "3"))
            .unwrap_err()
            .has("submitted"));
        assert!(check_summary(&f("lots", "2", "1")).unwrap_err().has("sent"));
    }

    #[test]
    fn cells_say_yes_no_or_a_time() {
        assert_eq!(parse_step("", "Clicked"), Ok(Step::default()));
        assert!(parse_step("Yes", "Clicked").unwrap().yes);
        assert!(!parse_step("FALSE", "Clicked").unwrap().yes);
        let at = parse_step("2026-11-03 09:15", "Clicked").unwrap();
        assert_eq!(at.at, crate::ukclock::parse_local("2026-11-03T09:15"));
        assert!(parse_step("03/11/2026 09:15", "Opened")
            .unwrap()
            .at
            .is_some());
        assert!(parse_step("2026-11-03T09:15:00Z", "Opened")
            .unwrap()
            .at
            .is_some());
        let err = parse_step("maybe", "Clicked").unwrap_err();
        assert!(err.starts_with("Clicked: "));
        assert!(err.contains("yes, no"));
    }
}
