//! How an exercise's results are put to a manager: durations in words, each
//! person's furthest step, activity by hour scaled for the chart, and team
//! figures kept back below the minimum group size (so no one is singled out).

use super::repo::{DepartmentFigures, HourFigures, RecipientResult};
use crate::simulation::states::{Progress, SendStatus, Step};

/// "45 seconds", "12 minutes", "3.5 hours", "2.0 days".
pub fn human_duration(secs: i64) -> String {
    match secs {
        s if s < 90 => format!("{s} seconds"),
        s if s < 90 * 60 => format!("{} minutes", (s + 30) / 60),
        s if s < 36 * 3600 => format!("{:.1} hours", s as f64 / 3600.0),
        s => format!("{:.1} days", s as f64 / 86_400.0),
    }
}

/// The middle reporter's time, or that no one has reported yet.
pub fn median_report(delays: &[i64]) -> String {
    match delays.get(delays.len() / 2) {
        Some(d) => human_duration((*d).max(0)),
        None => "No reports yet".to_string(),
    }
}

impl RecipientResult {
    pub fn progress(&self) -> Progress {
        Progress::from_times(
            self.opened_at,
            self.clicked_at,
            self.submitted_at,
            self.reported_at,
            None,
        )
    }

    /// Where their email got to and the furthest they went, in words.
    pub fn status_words(&self) -> &'static str {
        match self.send_status {
            SendStatus::Error => "Could not be sent",
            SendStatus::Cancelled => "Not sent",
            SendStatus::Queued => "Waiting to send",
            SendStatus::Sent => match self.progress().furthest() {
                Some(Step::Submitted) => "Entered details",
                Some(Step::Clicked) => "Clicked",
                Some(Step::Opened) => "Opened",
                _ => "Delivered",
            },
        }
    }

    /// How long they took to report it, if they did.
    pub fn report_delay(&self) -> Option<i64> {
        match (self.reported_at, self.sent_at) {
            (Some(r), Some(s)) => Some((r - s).max(0)),
            _ => None,
        }
    }
}

/// Departments big enough to show, and how many were kept back.
pub fn shown_departments(
    rows: Vec<DepartmentFigures>,
    min_group: i64,
) -> (Vec<DepartmentFigures>, usize) {
    let (shown, hidden): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.people >= min_group);
    (shown, hidden.len())
}

/// One hour of the activity chart; widths are per mille of the busiest hour.
pub struct TimelineRow {
    pub label: String,
    pub opened: i64,
    pub clicked: i64,
    pub reported: i64,
    pub width_opened: i64,
    pub width_clicked: i64,
    pub width_reported: i64,
}

pub fn timeline(hours: Vec<HourFigures>, launch_at: i64) -> Vec<TimelineRow> {
    let top = hours
        .iter()
        .map(|h| h.opened.max(h.clicked).max(h.reported))
        .max()
        .unwrap_or(1)
        .max(1);
    hours
        .into_iter()
        .map(|h| TimelineRow {
            label: crate::ukclock::format(launch_at + h.hour.max(0) * 3600),
            opened: h.opened,
            clicked: h.clicked,
            reported: h.reported,
            width_opened: h.opened * 100 / top,
            width_clicked: h.clicked * 100 / top,
            width_reported: h.reported * 100 / top,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(send_status: SendStatus, opened: bool, clicked: bool) -> RecipientResult {
        RecipientResult {
            full_name: "A".into(),
            email: "a@x.example".into(),
            department: None,
            send_status,
            send_error: None,
            sent_at: Some(100),
            opened_at: opened.then_some(110),
            clicked_at: clicked.then_some(120),
            submitted_at: None,
            reported_at: Some(40),
        }
    }

    #[test]
    fn a_person_shows_their_furthest_step_once_sent() {
        assert_eq!(
            result(SendStatus::Sent, true, true).status_words(),
            "Clicked"
        );
        assert_eq!(
            result(SendStatus::Sent, true, false).status_words(),
            "Opened"
        );
        assert_eq!(
            result(SendStatus::Sent, false, false).status_words(),
            "Delivered"
        );
        assert_eq!(
            result(SendStatus::Queued, true, true).status_words(),
            "Waiting to send"
        );
        // A report before the recorded send time never shows as negative.
        assert_eq!(
            result(SendStatus::Sent, false, false).report_delay(),
            Some(0)
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(45), "45 seconds");
        assert_eq!(human_duration(12 * 60), "12 minutes");
        assert_eq!(human_duration(3 * 3600 + 1800), "3.5 hours");
        assert_eq!(median_report(&[]), "No reports yet");
        assert_eq!(median_report(&[30, 60, 600]), "60 seconds");
    }

    #[test]
    fn small_teams_are_kept_back() {
        let dept = |people| DepartmentFigures {
            name: Some("Reception".into()),
            people,
            reported: 1,
            clicked: 1,
        };
        let (shown, hidden) = shown_departments(vec![dept(5), dept(2)], 5);
        assert_eq!((shown.len(), hidden), (1, 1));
    }
}
