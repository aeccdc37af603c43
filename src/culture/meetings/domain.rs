//! The rules of a meeting record: its kind, date, attendance and the
//! action it may add. No I/O.

use time::Date;

use crate::web::FieldErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingKind {
    Practice,
    Clinical,
    ReceptionHuddle,
    Pcn,
}

impl MeetingKind {
    pub const ALL: [MeetingKind; 4] = [
        Self::Practice,
        Self::Clinical,
        Self::ReceptionHuddle,
        Self::Pcn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Practice => "practice",
            Self::Clinical => "clinical",
            Self::ReceptionHuddle => "reception_huddle",
            Self::Pcn => "pcn",
        }
    }

    pub fn from_sql(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Practice => "Practice meeting",
            Self::Clinical => "Clinical meeting",
            Self::ReceptionHuddle => "Reception huddle",
            Self::Pcn => "PCN meeting",
        }
    }
}

/// The meeting form as sent.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct MeetingForm {
    pub held_on: String,
    pub kind: String,
    pub attendees: String,
    pub notes: String,
    pub threat_id: String,
    /// A threat in the manager's own words (optional).
    pub threat_own: String,
    pub action_what: String,
    pub action_owner: String,
    pub action_due: String,
}

pub struct NewAction {
    pub what: String,
    pub owner: String,
    pub due_on: Date,
}

pub struct Checked {
    pub held_on: Date,
    pub kind: MeetingKind,
    pub attendees: i64,
    pub notes: String,
    pub threat_id: String,
    pub threat_own: String,
    pub action: Option<NewAction>,
}

/// The longest threat in the manager's own words, in characters.
pub const THREAT_OWN_MAX: usize = 1000;

/// An ISO date as stored (`2026-12-04`).
pub fn parse_iso(s: &str) -> Option<Date> {
    date(s)
}

fn date(s: &str) -> Option<Date> {
    Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// "4 Dec 2026".
pub fn uk(d: Date) -> String {
    let m = d.month().to_string();
    format!("{} {} {}", d.day(), &m[..3], d.year())
}

/// Checks the form; `today` bounds the meeting's date (not in the future).
pub fn check(f: &MeetingForm, today: Date) -> Result<Checked, FieldErrors> {
    let mut errors = FieldErrors::default();
    let held_on = date(&f.held_on);
    match held_on {
        None => errors.add("held_on", "Enter the date of the meeting"),
        Some(d) if d > today => errors.add("held_on", "The meeting's date cannot be in the future"),
        _ => {}
    }
    let kind = MeetingKind::from_sql(f.kind.trim());
    if kind.is_none() {
        errors.add("kind", "Choose the kind of meeting");
    }
    let attendees = f
        .attendees
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=500).contains(n));
    if attendees.is_none() {
        errors.add(
            "attendees",
            "Enter how many people attended, as a number like 12",
        );
    }
    if f.notes.chars().count() > 4000 {
        errors.add("notes", "Keep the notes to 4,000 characters or fewer");
    }
    let threat_id = f.threat_id.trim().to_string();
    if !threat_id.is_empty() && crate::culture::library::threat(&threat_id).is_none() {
        errors.add("threat_id", "Choose a threat from the list");
    }
    let threat_own = f.threat_own.trim().to_string();
    if threat_own.chars().count() > THREAT_OWN_MAX {
        errors.add(
            "threat_own",
            format!("Keep it to {THREAT_OWN_MAX} characters or fewer: a few sentences is plenty"),
        );
    }
    let what = f.action_what.trim();
    let action = if what.is_empty() {
        None
    } else {
        let owner = f.action_owner.trim();
        if owner.is_empty() {
            errors.add("action_owner", "Enter who will do the action");
        }
        let due = date(&f.action_due);
        if due.is_none() {
            errors.add("action_due", "Enter the date the action is due");
        }
        if what.chars().count() > 300 {
            errors.add("action_what", "Keep the action to 300 characters or fewer");
        }
        due.map(|due_on| NewAction {
            what: what.to_string(),
            owner: owner.to_string(),
            due_on,
        })
    };
    match (held_on, kind, attendees, errors.is_empty()) {
        (Some(held_on), Some(kind), Some(attendees), true) => Ok(Checked {
            held_on,
            kind,
            attendees,
            notes: f.notes.trim().to_string(),
            threat_id,
            threat_own,
            action,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_meeting_needs_a_past_date_a_kind_and_attendance() {
        let today = date!(2026 - 12 - 04);
        let e = check(&MeetingForm::default(), today).err().unwrap();
        assert!(e.has("held_on") && e.has("kind") && e.has("attendees"));
        let f = MeetingForm {
            held_on: "2026-12-05".into(),
            kind: "practice".into(),
            attendees: "12".into(),
            ..Default::default()
        };
        assert!(check(&f, today).err().unwrap().has("held_on"));
        let f = MeetingForm {
            held_on: "2026-12-04".into(),
            ..f
        };
        assert!(check(&f, today).is_ok());
    }

    #[test]
    fn an_action_needs_an_owner_and_a_due_date() {
        let f = MeetingForm {
            held_on: "2026-12-04".into(),
            kind: "reception_huddle".into(),
            attendees: "5".into(),
            action_what: "Check the screen locks".into(),
            ..Default::default()
        };
        let e = check(&f, date!(2026 - 12 - 04)).err().unwrap();
        assert!(e.has("action_owner") && e.has("action_due"));
        assert_eq!(uk(date!(2026 - 12 - 04)), "4 Dec 2026");
    }
}
