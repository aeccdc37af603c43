//! The meeting pages: the list with the record form, and the briefing.

use askama::Template;

use super::domain::{uk, MeetingForm, MeetingKind};
use super::repo::{Action, Meeting};
use crate::culture::library::{Threat, Tip};
use crate::web::{FieldErrors, Page};

#[derive(Template)]
#[template(path = "culture/meetings.html")]
pub struct MeetingsPage {
    pub page: Page,
    pub meetings: Vec<Meeting>,
    pub actions: Vec<Action>,
    pub form: MeetingForm,
    pub errors: FieldErrors,
    pub kinds: [MeetingKind; 4],
    pub threats: &'static [Threat],
    pub series: super::calendar::SeriesForm,
    pub series_errors: FieldErrors,
    pub every: [super::calendar::Every; 3],
}

#[derive(Template)]
#[template(path = "culture/briefing.html")]
pub struct BriefingPage {
    pub page: Page,
    pub meeting: Meeting,
    pub since: String,
    pub reports: i64,
    /// Good catch, partly, needs more practice since the last meeting.
    pub drills: [i64; 3],
    /// Training, incidents, patches, backups, alerts and plans needing attention now.
    pub attention: Vec<crate::this_week::Item>,
    pub actions: Vec<Action>,
    pub tip: Option<&'static Tip>,
    pub threat: Option<&'static Threat>,
    /// Thanked by name: people with a good catch who agreed to be named.
    pub praised: Vec<String>,
    /// Good catches by people who did not ask to be named (counted only).
    pub praised_others: i64,
}

impl BriefingPage {
    /// "Thank you, Amelia Hughes and Tom Bennett, and 2 others, for your good catches."
    pub fn thanks(&self) -> Option<String> {
        if self.praised.is_empty() {
            return None;
        }
        let names = match self.praised.as_slice() {
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
            [] => String::new(),
        };
        let others = match self.praised_others {
            0 => String::new(),
            1 => ", and 1 other".to_string(),
            n => format!(", and {n} others"),
        };
        Some(format!(
            "Thank you, {names}{others}, for your good catches."
        ))
    }

    pub fn good_catches(&self) -> i64 {
        self.drills[0]
    }
    pub fn to_practise(&self) -> i64 {
        self.drills[1] + self.drills[2]
    }
}

impl Meeting {
    pub fn date(&self) -> String {
        super::domain::parse_iso(&self.held_on)
            .map(uk)
            .unwrap_or_else(|| self.held_on.clone())
    }
    pub fn kind_label(&self) -> &'static str {
        MeetingKind::from_sql(&self.kind)
            .map(MeetingKind::label)
            .unwrap_or("Meeting")
    }
}

impl Action {
    pub fn due(&self) -> String {
        super::domain::parse_iso(&self.due_on)
            .map(uk)
            .unwrap_or_else(|| self.due_on.clone())
    }
}
