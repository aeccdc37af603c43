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

/// Why the follow-up training was assigned, as stored. It never names the
/// exercise (its name is the manager's, such as "Parcel email - Reception
/// (3)"); pages show [`follow_up_shown`] with the email's subject and date.
pub fn follow_up_reason(_campaign_name: &str) -> String {
    "Follow-up to a practice phishing email".to_string()
}

/// A follow-up's reason as the person sees it: the practice email's subject
/// (unless it has placeholders) and the day it arrived.
pub fn follow_up_shown(subject: Option<&str>, sent_at: Option<i64>) -> String {
    let subject = subject.filter(|s| !s.contains("{{") && !s.trim().is_empty());
    match (subject, sent_at) {
        (Some(s), Some(at)) => format!(
            "Follow-up to the practice email \"{s}\" of {}",
            ukclock::format_date(at)
        ),
        (Some(s), None) => format!("Follow-up to the practice email \"{s}\""),
        (None, Some(at)) => format!(
            "Follow-up to a practice phishing email of {}",
            ukclock::format_date(at)
        ),
        (None, None) => follow_up_reason(""),
    }
}

/// A new starter is someone whose start date is no more than this before they
/// were added: staff imported with years of service are not "new".
const NEW_STARTER_WINDOW_DAYS: i64 = 90;
/// Refreshers appear this long before they are due, so there is time to do them.
const REFRESHER_LEAD_DAYS: i64 = 30;

/// When a new starter's induction is due (the end of the day, UK time), or
/// None for someone with no start date or who was not new when added. The
/// induction period runs from the start date, or from the day they were added
/// (or the rules first saw them, `now`) if that is later: nobody is overdue on
/// their first day.
pub fn induction_due(
    start_date: Option<&str>,
    added_at: i64,
    now: i64,
    s: &TrainingSettings,
) -> Option<i64> {
    let start = parse_date(start_date?)?;
    let added_on = ukclock::local_date(added_at);
    if start < added_on - time::Duration::days(NEW_STARTER_WINDOW_DAYS) {
        return None;
    }
    let from = start.max(added_on).max(ukclock::local_date(now));
    Some(ukclock::end_of_day(
        from + time::Duration::days(s.induction_due_days),
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

/// One module in a reminder: what, when it is due, and which reminder it is.
#[derive(Debug, Clone)]
pub struct DueItem {
    pub module: String,
    pub due: i64,
    pub kind: ReminderKind,
}

/// One reminder to one person, listing everything of theirs that is due soon
/// or overdue (`items`, soonest first), so nobody gets an email per module.
/// `base` is the app's address.
pub fn reminder_email(full_name: &str, items: &[DueItem], base: &str) -> Email {
    let first = full_name.split_whitespace().next().unwrap_or("there");
    let line = |i: &DueItem| {
        let title = module_title(&i.module);
        let minutes = catalogue()
            .module(&i.module)
            .map(|m| m.minutes)
            .unwrap_or(10);
        let when = ukclock::format_date(i.due);
        let due = match i.kind {
            ReminderKind::Overdue => format!("was due {when}"),
            ReminderKind::DueSoon => format!("due {when}"),
        };
        format!(
            "- {title} ({due}, about {minutes} minutes): {base}/training/modules/{}\n",
            i.module
        )
    };
    let list: String = items.iter().map(line).collect();
    let overdue = items.iter().any(|i| i.kind == ReminderKind::Overdue);
    let subject = match items {
        [one] if overdue => format!("Training reminder: {}", module_title(&one.module)),
        [one] => format!(
            "Training due {}: {}",
            ukclock::format_date(one.due),
            module_title(&one.module)
        ),
        many => format!("Training reminder: {} short modules", many.len()),
    };
    let intro = if items.len() == 1 {
        "Here is the training you have to do"
    } else {
        "Here is everything you have to do, in one list"
    };
    let body = format!(
        "Hello {first},\n\n{intro}. Each can be done on your phone:\n\n{list}\n\
         Everything is on your training page: {base}/training\n\n\
         If something is stopping you, have a word with your practice manager - that is fine too.\n\n\
         Thank you for helping keep the practice and our patients safe.\n"
    );
    Email { subject, body }
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
        let due = induction_due(Some("2026-11-30"), added, added, &s).unwrap();
        // 28 days after a start date still to come, at the end of that day.
        assert_eq!(ukclock::local_date(due).to_string(), "2026-12-28");
        assert_eq!(ukclock::local_date(due + 1).to_string(), "2026-12-29");
        // Started a week before being added: 28 days from the day added, not
        // from the start date, so nothing is overdue on the first day.
        let due = induction_due(Some("2026-11-16"), added, added, &s).unwrap();
        assert_eq!(ukclock::local_date(due).to_string(), "2026-12-21");
        // The rules ran two days after she was added: from that day.
        let later = added + 2 * 86_400;
        let due = induction_due(Some("2026-11-16"), added, later, &s).unwrap();
        assert_eq!(ukclock::local_date(due).to_string(), "2026-12-23");
        // Started over 90 days before being added: not a new starter.
        assert_eq!(induction_due(Some("2026-08-01"), added, added, &s), None);
        assert_eq!(induction_due(None, added, added, &s), None);
        assert_eq!(induction_due(Some("16/11/2026"), added, added, &s), None);
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
