//! The rules that decide who has to do which module by when, and the words of
//! the emails that remind them. No I/O: the worker and the pages feed these
//! with rows and the time.

use crate::db::row::text_state;
use crate::training::compliance::Summary;
use crate::training::content::{catalogue, module_title};
use crate::training::settings::TrainingSettings;
use crate::ukclock;

/// Why someone was asked to do a module (the assignment's `kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Induction,
    Refresher,
    /// The follow-up to a first click in a phishing exercise.
    Simulation,
    Manager,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Induction => "induction",
            Kind::Refresher => "refresher",
            Kind::Simulation => "simulation",
            Kind::Manager => "manager",
        }
    }

    pub fn from_sql(s: &str) -> Option<Self> {
        [
            Kind::Induction,
            Kind::Refresher,
            Kind::Simulation,
            Kind::Manager,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

text_state!(Kind);

/// Which of an open assignment's two reminders is due (each goes once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderKind {
    DueSoon,
    Overdue,
}

impl ReminderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::DueSoon => "due-soon",
            ReminderKind::Overdue => "overdue",
        }
    }

    pub fn from_sql(s: &str) -> Option<Self> {
        [ReminderKind::DueSoon, ReminderKind::Overdue]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// Overdue once the due moment has passed, else due soon.
    pub fn at(due: i64, now: i64) -> Self {
        if now > due {
            ReminderKind::Overdue
        } else {
            ReminderKind::DueSoon
        }
    }
}

text_state!(ReminderKind);

/// The reason a new starter's modules give.
pub const INDUCTION_REASON: &str = "Induction for new starters";
/// The reason modules assigned from the manager's page give.
pub const MANAGER_REASON: &str = "Assigned by the practice manager";

/// How long a first click's follow-up training has (two weeks).
pub const FOLLOW_UP_SECS: i64 = 14 * 86_400;

/// Why the follow-up training was assigned, as the person sees it.
pub fn follow_up_reason(campaign_name: &str) -> String {
    format!("Follow-up to the practice exercise \"{campaign_name}\"")
}

/// A new starter is someone whose start date is no more than this before they
/// were added: staff imported with years of service are not "new".
const NEW_STARTER_WINDOW_DAYS: i64 = 90;
/// Refreshers appear this long before they are due, so there is time to do them.
const REFRESHER_LEAD_DAYS: i64 = 30;

/// When a new starter's induction is due (the end of the day, UK time), or
/// None for someone with no start date or who was not new when added.
pub fn induction_due(start_date: Option<&str>, added_at: i64, s: &TrainingSettings) -> Option<i64> {
    let start = parse_date(start_date?)?;
    let added_on = ukclock::local_date(added_at);
    if start < added_on - time::Duration::days(NEW_STARTER_WINDOW_DAYS) {
        return None;
    }
    Some(ukclock::end_of_day(
        start + time::Duration::days(s.induction_due_days),
    ))
}

/// The latest completion time old enough that its refresher might be due
/// within the lead time (months counted as 28 days here, so none is missed;
/// [`refresher`] works out the exact date).
pub fn refresher_candidates_until(now: i64, s: &TrainingSettings) -> i64 {
    now + REFRESHER_LEAD_DAYS * 86_400 - s.refresher_months * 28 * 86_400
}

/// A refresher to assign now, for a module last completed at `last`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refresher {
    pub due: i64,
    pub reason: String,
}

/// The refresher due `refresher_months` after the last completion, once it is
/// within the lead time; None before then.
pub fn refresher(last: i64, now: i64, s: &TrainingSettings) -> Option<Refresher> {
    let completed_on = ukclock::local_date(last);
    let due = ukclock::end_of_day(ukclock::add_months(completed_on, s.refresher_months));
    (now >= due - REFRESHER_LEAD_DAYS * 86_400).then(|| Refresher {
        due,
        reason: format!("Yearly refresher: last completed {completed_on}"),
    })
}

/// A date written `2026-12-31`.
pub fn parse_date(s: &str) -> Option<time::Date> {
    time::Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// The ISO week a moment falls in, in UK time, e.g. "2026-W48".
pub fn iso_week(unix: i64) -> String {
    let d = ukclock::local_date(unix);
    let (y, w, _) = d.to_iso_week_date();
    format!("{y}-W{w:02}")
}

/// The weekly round-up goes on Monday from 08:00, UK time.
pub fn is_round_up_time(now: i64) -> bool {
    let local = ukclock::local(now);
    local.weekday() == time::Weekday::Monday && local.hour() >= 8
}

/// An email's subject and plain-text body.
pub struct Email {
    pub subject: String,
    pub body: String,
}

/// The reminder for one open assignment. `base` is the app's address.
pub fn reminder_email(
    kind: ReminderKind,
    full_name: &str,
    module: &str,
    due: i64,
    base: &str,
) -> Email {
    let title = module_title(module);
    let first = full_name.split_whitespace().next().unwrap_or("there");
    let due_text = ukclock::local_date(due);
    let minutes = catalogue().module(module).map(|m| m.minutes).unwrap_or(10);
    match kind {
        ReminderKind::Overdue => Email {
            subject: format!("Training reminder: {title}"),
            body: format!("Hello {first},\n\n\"{title}\" was due on {due_text}. It takes about {minutes} minutes and you can do it on your phone:\n\n{base}/training/modules/{module}\n\nIf something is stopping you, have a word with your practice manager - that is fine too.\n\nThank you for helping keep the practice and our patients safe.\n"),
        },
        ReminderKind::DueSoon => Email {
            subject: format!("Training due {due_text}: {title}"),
            body: format!("Hello {first},\n\n\"{title}\" is due on {due_text}. It takes about {minutes} minutes:\n\n{base}/training/modules/{module}\n\nThank you.\n"),
        },
    }
}

/// The practice manager's weekly round-up: how many are trained, what was
/// done this week, and who is overdue (the first 20).
pub fn round_up_email(
    practice: &str,
    week: &str,
    s: &TrainingSettings,
    c: &Summary,
    done_this_week: i64,
    base: &str,
) -> Email {
    let mut body = format!(
        "Weekly training round-up for {practice} ({week})\n\n\
         Trained in the last {} months: {} of {} staff ({}%; the DSPT target is {}%).\n\
         Modules completed in the last 7 days: {done_this_week}.\n\
         Overdue training: {} people.\n",
        s.refresher_months,
        c.trained,
        c.staff,
        c.percent(),
        s.compliance_target,
        c.overdue.len()
    );
    for o in c.overdue.iter().take(20) {
        body.push_str(&format!(
            "  - {}: {} (due {})\n",
            o.name, o.module_title, o.due
        ));
    }
    body.push_str(&format!("\nThe full picture: {base}/training/manage\n"));
    Email {
        subject: format!("Training this week at {practice}"),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn iso_weeks_follow_uk_dates() {
        assert_eq!(
            iso_week(datetime!(2026-11-23 00:30 UTC).unix_timestamp()),
            "2026-W48"
        );
        // 23:30 UTC on Sunday 28 June is already Monday in BST: the next week.
        assert_eq!(
            iso_week(datetime!(2026-06-28 23:30 UTC).unix_timestamp()),
            "2026-W27"
        );
    }

    #[test]
    fn kinds_are_stored_as_the_words_the_database_already_holds() {
        for k in [
            Kind::Induction,
            Kind::Refresher,
            Kind::Simulation,
            Kind::Manager,
        ] {
            assert_eq!(Kind::from_sql(k.as_str()), Some(k));
        }
        // The column's default, for follow-ups written before `kind` existed.
        assert_eq!(Kind::from_sql("simulation"), Some(Kind::Simulation));
        assert_eq!(Kind::from_sql("Manager"), None);
        assert_eq!(
            ReminderKind::from_sql("due-soon"),
            Some(ReminderKind::DueSoon)
        );
        assert_eq!(ReminderKind::at(100, 100), ReminderKind::DueSoon);
        assert_eq!(ReminderKind::at(100, 101), ReminderKind::Overdue);
    }

    #[test]
    fn induction_is_for_people_who_were_new_when_added() {
        let s = TrainingSettings::default();
        let added = datetime!(2026-11-23 10:00 UTC).unix_timestamp();
        let due = induction_due(Some("2026-11-16"), added, &s).unwrap();
        // 28 days after the start date, at the end of that day.
        assert_eq!(ukclock::local_date(due).to_string(), "2026-12-14");
        assert_eq!(ukclock::local_date(due + 1).to_string(), "2026-12-15");
        // Started over 90 days before being added: not a new starter.
        assert_eq!(induction_due(Some("2026-08-01"), added, &s), None);
        assert_eq!(induction_due(None, added, &s), None);
        assert_eq!(induction_due(Some("16/11/2026"), added, &s), None);
    }

    #[test]
    fn a_refresher_appears_a_month_before_the_anniversary() {
        let s = TrainingSettings::default();
        let last = datetime!(2025-12-10 12:00 UTC).unix_timestamp();
        let early = datetime!(2026-11-09 12:00 UTC).unix_timestamp();
        assert_eq!(refresher(last, early, &s), None);
        let now = datetime!(2026-11-11 12:00 UTC).unix_timestamp();
        let r = refresher(last, now, &s).unwrap();
        assert_eq!(ukclock::local_date(r.due).to_string(), "2026-12-10");
        assert_eq!(r.reason, "Yearly refresher: last completed 2025-12-10");
        // The database bound lets every such completion through.
        assert!(last <= refresher_candidates_until(now, &s));
    }
}
