//! The rules of the champion's log. No I/O.

use time::Date;

use crate::web::FieldErrors;

/// The longest entry or advice, in characters.
pub const TEXT_MAX: usize = 1000;

/// What a colleague brought to their champion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// "Is this phishing?"
    Question,
    /// "I clicked something", "I nearly sent it to the wrong person".
    NearMiss,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Question => "question",
            Kind::NearMiss => "near_miss",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Kind::Question, Kind::NearMiss]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Kind::Question => "A question",
            Kind::NearMiss => "A near miss",
        }
    }
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct LogForm {
    pub kind: String,
    /// The colleague's staff id, or empty.
    pub staff_id: String,
    pub what: String,
    pub advice: String,
    /// YYYY-MM-DD.
    pub happened_on: String,
}

pub struct Checked {
    pub kind: Kind,
    pub staff_id: Option<i64>,
    pub what: String,
    pub advice: String,
    pub happened_on: Date,
}

/// Checks the form; every problem is named by its field.
pub fn check(f: &LogForm, today: Date) -> Result<Checked, FieldErrors> {
    let mut e = FieldErrors::default();
    let kind = Kind::parse(f.kind.trim());
    if kind.is_none() {
        e.add("kind", "Choose whether it was a question or a near miss");
    }
    let staff_id = match f.staff_id.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                e.add("staff_id", "Choose a colleague from the list, or no one");
                None
            }
        },
    };
    let what = f.what.trim().to_string();
    if what.is_empty() {
        e.add(
            "what",
            "Say what they asked or what happened, in a sentence or two",
        );
    } else if what.chars().count() > TEXT_MAX {
        e.add("what", format!("Keep it to {TEXT_MAX} characters or fewer"));
    }
    let advice = f.advice.trim().to_string();
    if advice.chars().count() > TEXT_MAX {
        e.add(
            "advice",
            format!("Keep it to {TEXT_MAX} characters or fewer"),
        );
    }
    let happened_on = crate::resilience::dates::parse_iso(f.happened_on.trim());
    match happened_on {
        None => e.add("happened_on", "Enter the day it happened"),
        Some(d) if d > today => e.add("happened_on", "Choose today or a day before it"),
        Some(_) => {}
    }
    match (kind, happened_on, e.is_empty()) {
        (Some(kind), Some(happened_on), true) => Ok(Checked {
            kind,
            staff_id,
            what,
            advice,
            happened_on,
        }),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn an_entry_needs_a_kind_words_and_a_day_not_in_the_future() {
        let today = date!(2026 - 12 - 04);
        let e = check(&LogForm::default(), today).err().unwrap();
        assert!(e.has("kind") && e.has("what") && e.has("happened_on"));
        let f = LogForm {
            kind: "near_miss".into(),
            what: "Clicked a parcel link".into(),
            happened_on: "2026-12-05".into(),
            ..Default::default()
        };
        assert!(check(&f, today).err().unwrap().has("happened_on"));
        let ok = LogForm {
            happened_on: "2026-12-04".into(),
            ..f
        };
        let c = check(&ok, today).unwrap();
        assert_eq!((c.kind, c.staff_id), (Kind::NearMiss, None));
    }
}
