//! The states an exercise, a recipient's email and a tracked event can be
//! in, each stored as text written once here ([`text_state!`]), and what a
//! recipient has done so far ([`Progress`]): the first times kept on their
//! row, one [`Step`] each.

use crate::db::row::text_state;

/// Where an exercise is (`campaigns.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Launched, nothing sent yet.
    Scheduled,
    /// At least one email went out.
    Sending,
    Paused,
    Cancelled,
    /// Its end date passed, or a script completed it.
    Completed,
}

impl Status {
    /// Not finished: sending may go on, or resume, until the end date.
    pub const UNFINISHED: [Status; 3] = [Status::Scheduled, Status::Sending, Status::Paused];
    /// The sender sends for these.
    pub const SENDING: [Status; 2] = [Status::Scheduled, Status::Sending];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Sending => "sending",
            Self::Paused => "paused",
            Self::Cancelled => "cancelled",
            Self::Completed => "completed",
        }
    }

    pub fn from_sql(s: &str) -> Option<Self> {
        [
            Self::Scheduled,
            Self::Sending,
            Self::Paused,
            Self::Cancelled,
            Self::Completed,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Scheduled => "Scheduled",
            Self::Sending => "Running",
            Self::Paused => "Paused",
            Self::Cancelled => "Cancelled",
            Self::Completed => "Finished",
        }
    }

    pub fn is_live(self) -> bool {
        matches!(self, Self::Scheduled | Self::Sending)
    }

    /// Finished one way or the other: a report no longer counts.
    pub fn is_over(self) -> bool {
        matches!(self, Self::Cancelled | Self::Completed)
    }
}
text_state!(Status);

/// Where one recipient's email is (`campaign_recipients.send_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendStatus {
    /// Waiting for its send time (or a retry).
    Queued,
    Sent,
    /// Could not be sent; `send_error` says why.
    Error,
    /// The exercise stopped before it went.
    Cancelled,
}

impl SendStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Error => "error",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn from_sql(s: &str) -> Option<Self> {
        [Self::Queued, Self::Sent, Self::Error, Self::Cancelled]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}
text_state!(SendStatus);

/// What a tracked event was (`sim_events.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Open,
    Click,
    Submit,
    Report,
    /// The hidden link only scanners follow.
    Honeypot,
}

impl Kind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Click => "click",
            Self::Submit => "submit",
            Self::Report => "report",
            Self::Honeypot => "honeypot",
        }
    }

    pub fn from_sql(s: &str) -> Option<Self> {
        [
            Self::Open,
            Self::Click,
            Self::Submit,
            Self::Report,
            Self::Honeypot,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// The first times an event of this kind sets, if not set already: a
    /// click implies the email was opened, a submission that it was clicked.
    /// A scanner's event sets nothing, except that its hidden link marks the
    /// recipient's email as one a scanner reads.
    pub fn sets(self, counted: bool) -> &'static [Step] {
        match (self, counted) {
            (Self::Honeypot, _) => &[Step::HiddenLink],
            (_, false) => &[],
            (Self::Open, _) => &[Step::Opened],
            (Self::Click, _) => &[Step::Opened, Step::Clicked],
            (Self::Submit, _) => &[Step::Opened, Step::Clicked, Step::Submitted],
            (Self::Report, _) => &[Step::Reported],
        }
    }
}
text_state!(Kind);

/// A first time kept on a recipient's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Opened,
    Clicked,
    Submitted,
    Reported,
    /// The hidden link was followed: never a person's action.
    HiddenLink,
}

impl Step {
    /// Its column in `campaign_recipients`.
    pub const fn column(self) -> &'static str {
        match self {
            Self::Opened => "opened_at",
            Self::Clicked => "clicked_at",
            Self::Submitted => "submitted_at",
            Self::Reported => "reported_at",
            Self::HiddenLink => "honeypot_at",
        }
    }

    /// A person's step, counted in the exercise's totals.
    pub fn is_persons(self) -> bool {
        self != Self::HiddenLink
    }
}

/// What a recipient has done so far: which first times are set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub opened: bool,
    pub clicked: bool,
    pub submitted: bool,
    pub reported: bool,
    /// A scanner followed the email's hidden link.
    pub hidden_link: bool,
}

impl Progress {
    pub fn has(&self, step: Step) -> bool {
        match step {
            Step::Opened => self.opened,
            Step::Clicked => self.clicked,
            Step::Submitted => self.submitted,
            Step::Reported => self.reported,
            Step::HiddenLink => self.hidden_link,
        }
    }

    fn set(&mut self, step: Step) {
        match step {
            Step::Opened => self.opened = true,
            Step::Clicked => self.clicked = true,
            Step::Submitted => self.submitted = true,
            Step::Reported => self.reported = true,
            Step::HiddenLink => self.hidden_link = true,
        }
    }

    /// After an event of `kind` was stored.
    pub fn after(mut self, kind: Kind, counted: bool) -> Self {
        for step in kind.sets(counted) {
            self.set(*step);
        }
        self
    }

    /// Everything either knows (a hit recorded while the other was read).
    pub fn union(self, other: Self) -> Self {
        Self {
            opened: self.opened || other.opened,
            clicked: self.clicked || other.clicked,
            submitted: self.submitted || other.submitted,
            reported: self.reported || other.reported,
            hidden_link: self.hidden_link || other.hidden_link,
        }
    }

    /// From the first times as stored.
    pub fn from_times(
        opened: Option<i64>,
        clicked: Option<i64>,
        submitted: Option<i64>,
        reported: Option<i64>,
        hidden_link: Option<i64>,
    ) -> Self {
        Self {
            opened: opened.is_some(),
            clicked: clicked.is_some(),
            submitted: submitted.is_some(),
            reported: reported.is_some(),
            hidden_link: hidden_link.is_some(),
        }
    }

    /// The furthest a person went, for the results table.
    pub fn furthest(&self) -> Option<Step> {
        [Step::Submitted, Step::Clicked, Step::Opened]
            .into_iter()
            .find(|s| self.has(*s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_stored_as_their_words() {
        for s in [
            Status::Scheduled,
            Status::Sending,
            Status::Paused,
            Status::Cancelled,
            Status::Completed,
        ] {
            assert_eq!(Status::from_sql(s.as_str()), Some(s));
        }
        assert_eq!(Status::from_sql("running"), None);
        assert_eq!(SendStatus::from_sql("error"), Some(SendStatus::Error));
        assert_eq!(Kind::from_sql("honeypot"), Some(Kind::Honeypot));
    }

    #[test]
    fn a_submission_implies_a_click_and_an_open_but_a_scanner_sets_nothing() {
        let p = Progress::default().after(Kind::Submit, true);
        assert!(p.opened && p.clicked && p.submitted && !p.reported);
        assert_eq!(
            Progress::default().after(Kind::Click, false),
            Progress::default()
        );
        let scanned = Progress::default().after(Kind::Honeypot, false);
        assert!(scanned.hidden_link && scanned.furthest().is_none());
        assert_eq!(p.furthest(), Some(Step::Submitted));
    }
}
