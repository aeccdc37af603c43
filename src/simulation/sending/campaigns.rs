//! Phishing exercises ("campaigns") as the rules see them: what one is and
//! its running totals ([`Campaign`]), what a new one needs ([`Launch`]) and
//! when each email goes ([`schedule`]), the start form's checks, who it goes
//! to, and the changes a manager may make to one that is under way.

use std::collections::HashSet;

use serde::Deserialize;

use crate::shared::{CampaignId, StaffId, UserId};
use crate::simulation::ids::{PageId, ProfileId, TemplateId};
use crate::simulation::library::Landing;
use crate::simulation::states::Status;
use crate::web::FieldErrors;

/// A campaign with its running totals.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub id: CampaignId,
    pub name: String,
    pub template_id: TemplateId,
    pub profile_id: ProfileId,
    pub landing: Landing,
    pub status: Status,
    pub launch_at: i64,
    pub send_by: i64,
    pub ends_at: i64,
    pub recipients: i64,
    pub sent: i64,
    pub errors: i64,
    pub opened: i64,
    pub clicked: i64,
    pub submitted: i64,
    pub reported: i64,
    pub created_at: i64,
    /// The GoPhish landing page it was started with, if any.
    pub page_id: Option<PageId>,
}

impl Campaign {
    /// `n` as a whole percentage of the emails sent.
    pub fn percent(&self, n: impl std::borrow::Borrow<i64>) -> i64 {
        let n = *n.borrow();
        if self.sent == 0 {
            0
        } else {
            (n * 100 + self.sent / 2) / self.sent
        }
    }
    pub fn launch_label(&self) -> String {
        crate::ukclock::format(self.launch_at)
    }
    pub fn ends_label(&self) -> String {
        crate::ukclock::format(self.ends_at)
    }
    /// Where it stands in time, in a sentence: when sending begins, until when
    /// it runs, or when it was cancelled or finished (a cancelled exercise
    /// does not "finish 18 Dec").
    pub fn timing(&self, next_send: Option<i64>) -> String {
        use crate::ukclock::format;
        match self.status {
            Status::Cancelled => "Cancelled: no more emails are sent".into(),
            Status::Completed => format!("Finished {}", format(self.ends_at)),
            Status::Paused => format!("Paused; runs until {}", format(self.ends_at)),
            _ => match next_send {
                Some(t) if self.sent == 0 => format!(
                    "Sending begins {}; runs until {}",
                    format(t),
                    format(self.ends_at)
                ),
                Some(_) => format!("Sending now; runs until {}", format(self.ends_at)),
                None => format!("All emails sent; runs until {}", format(self.ends_at)),
            },
        }
    }

    /// Emails still to go out while it is live: the results page keeps
    /// itself up to date.
    pub fn is_sending(&self) -> bool {
        self.status.is_live() && self.sent + self.errors < self.recipients
    }

    /// The manager may still pause, resume or cancel it.
    pub fn can_change(&self) -> bool {
        Status::UNFINISHED.contains(&self.status)
    }
}

/// One person a campaign goes to.
pub struct Target {
    pub staff_id: StaffId,
    pub department_id: Option<i64>,
    pub email: String,
    pub full_name: String,
    pub job_role: String,
}

/// What a new campaign is, once checked.
pub struct Launch {
    pub name: String,
    pub template_id: TemplateId,
    pub profile_id: ProfileId,
    pub landing: Landing,
    pub launch_at: i64,
    /// Sends are spread evenly, in random order, from launch until here.
    pub send_by: i64,
    pub ends_at: i64,
    pub business_hours: bool,
    pub created_by: UserId,
}

/// When each of `n` emails goes: evenly from launch to `send_by`, each
/// moved to the next business moment if the exercise keeps to them.
pub fn schedule(spec: &Launch, n: usize) -> Vec<i64> {
    let n = n as i64;
    (0..n)
        .map(|i| {
            let t = spec.launch_at + (spec.send_by - spec.launch_at) * i / n.max(1);
            if spec.business_hours {
                crate::ukclock::next_business_moment(t)
            } else {
                t
            }
        })
        .collect()
}

/// What starting will do, in the words the confirmation page uses: how many
/// people are emailed and when, from the very send times `schedule` gives.
pub fn what_will_happen(people: usize, times: &[i64], now: i64) -> String {
    use crate::ukclock::local;
    let who = if people == 1 {
        "1 person".to_string()
    } else {
        format!("{people} people")
    };
    let (Some(&first), Some(&last)) = (times.iter().min(), times.iter().max()) else {
        return format!("This will email {who}.");
    };
    let clock = time::macros::format_description!("[hour]:[minute]");
    let day =
        time::macros::format_description!("[weekday] [day padding:none] [month repr:long] [year]");
    let at = |t: i64| local(t).format(clock).unwrap_or_default();
    let on = |t: i64| local(t).format(day).unwrap_or_default();
    if last - first < 60 {
        if first <= now + 60 {
            format!("This will email {who} now.")
        } else {
            format!("This will email {who} at {} on {}.", at(first), on(first))
        }
    } else if local(first).date() == local(last).date() {
        format!(
            "This will email {who} between {} and {} on {}.",
            at(first),
            at(last),
            on(first)
        )
    } else {
        format!(
            "This will email {who} between {} on {} and {} on {}.",
            at(first),
            on(first),
            at(last),
            on(last)
        )
    }
}

/// The start form, as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CampaignForm {
    pub name: String,
    pub template_id: String,
    pub profile_id: String,
    pub landing: String,
    /// "everyone", "departments" or "people".
    pub audience: String,
    pub department_ids: Vec<i64>,
    pub staff_ids: Vec<StaffId>,
    /// Empty: now. Otherwise `YYYY-MM-DDTHH:MM`, UK time.
    pub launch_at: String,
    /// Spread sending over this many hours (0: all at once).
    pub spread_hours: String,
    pub business_hours: String,
    /// Days after launch when the exercise finishes by itself.
    pub run_days: String,
    /// "yes" from the page that says what will happen (starting asks first).
    pub confirm: String,
    /// "yes" from that page's "change it" button: back to the form as typed.
    pub edit: String,
}

/// When a new exercise starts, stops sending and finishes.
pub struct Timing {
    pub launch_at: i64,
    pub send_by: i64,
    pub ends_at: i64,
}

/// Who the manager chose.
pub enum Audience {
    Everyone,
    Departments(HashSet<i64>),
    People(HashSet<StaffId>),
}

impl Audience {
    pub fn includes(&self, t: &Target) -> bool {
        match self {
            Audience::Everyone => true,
            Audience::Departments(d) => t.department_id.is_some_and(|id| d.contains(&id)),
            Audience::People(p) => p.contains(&t.staff_id),
        }
    }
}

impl CampaignForm {
    /// The form a manager starts from.
    pub fn new_exercise() -> Self {
        Self {
            audience: "everyone".into(),
            spread_hours: "4".into(),
            business_hours: "yes".into(),
            run_days: "14".into(),
            ..Default::default()
        }
    }

    pub fn name(&self, errors: &mut FieldErrors) -> String {
        let name = self.name.trim().to_string();
        if name.is_empty() || name.len() > 120 {
            errors.add(
                "name",
                "Give the exercise a name, like \"November refresher\"",
            );
        }
        name
    }

    /// The start, spread and length, checked against each other; None only
    /// when the start cannot be read.
    pub fn timing(&self, now: i64, errors: &mut FieldErrors) -> Option<Timing> {
        let launch_at = if self.launch_at.trim().is_empty() {
            Some(now)
        } else {
            match crate::ukclock::parse_local(&self.launch_at) {
                Some(t) if t >= now - 60 => Some(t),
                Some(_) => {
                    errors.add(
                        "launch_at",
                        "The start time is in the past. Leave it empty to start now.",
                    );
                    None
                }
                None => {
                    errors.add(
                        "launch_at",
                        "Enter the start as a date and time, or leave it empty to start now",
                    );
                    None
                }
            }
        };
        let spread_hours = match self.spread_hours.trim().parse::<i64>() {
            Ok(h) if (0..=24 * 14).contains(&h) => h,
            _ => {
                errors.add(
                    "spread_hours",
                    "Enter a number of hours from 0 (all at once) to 336 (two weeks)",
                );
                0
            }
        };
        let run_days = match self.run_days.trim().parse::<i64>() {
            Ok(d) if (1..=90).contains(&d) => d,
            _ => {
                errors.add(
                    "run_days",
                    "Enter how many days the exercise runs, from 1 to 90",
                );
                14
            }
        };
        if spread_hours > run_days * 24 {
            errors.add("spread_hours", "Sending must finish before the exercise ends: spread over fewer hours or run it for longer");
        }
        launch_at.map(|launch_at| Timing {
            launch_at,
            send_by: launch_at + spread_hours * 3600,
            ends_at: launch_at + run_days * 86_400,
        })
    }

    pub fn audience(&self) -> Audience {
        match self.audience.as_str() {
            "departments" => Audience::Departments(self.department_ids.iter().copied().collect()),
            "people" => Audience::People(self.staff_ids.iter().copied().collect()),
            _ => Audience::Everyone,
        }
    }

    /// What is wrong with the people chosen, if anything.
    pub fn audience_problem(&self, no_verified_domain: bool, no_one: bool) -> Option<&'static str> {
        if no_verified_domain {
            return Some("The practice has no verified email domain yet, so no one can be sent a simulation. Ask for one under Email domains.");
        }
        no_one.then_some(match self.audience.as_str() {
            "departments" => {
                "Choose at least one department with staff whose email is in a verified domain"
            }
            "people" => "Choose at least one person whose email is in a verified domain",
            _ => "No current staff have an email address in a verified domain",
        })
    }

    /// The landing chosen on the form, or the template's own.
    pub fn landing_or(&self, template_landing: Landing) -> Landing {
        Landing::from_key(&self.landing).unwrap_or(template_landing)
    }

    pub fn dept_checked(&self, id: &i64) -> bool {
        self.department_ids.contains(id)
    }

    pub fn staff_checked(&self, id: &StaffId) -> bool {
        self.staff_ids.contains(id)
    }
}

/// A manager's change to an exercise under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    Pause,
    Resume,
    Cancel,
}

impl StatusChange {
    /// "pause", "resume" or "cancel", as the buttons send them.
    pub fn parse(action: &str) -> Option<Self> {
        match action {
            "pause" => Some(Self::Pause),
            "resume" => Some(Self::Resume),
            "cancel" => Some(Self::Cancel),
            _ => None,
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Cancel => "cancel",
        }
    }

    /// The states it can be made from.
    pub fn from(self) -> &'static [Status] {
        match self {
            Self::Pause => &[Status::Scheduled, Status::Sending],
            Self::Resume => &[Status::Paused],
            Self::Cancel => &Status::UNFINISHED,
        }
    }

    /// The state it leaves the exercise in.
    pub fn to(self) -> Status {
        match self {
            Self::Pause => Status::Paused,
            Self::Resume => Status::Sending,
            Self::Cancel => Status::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(business_hours: bool) -> Launch {
        Launch {
            name: "x".into(),
            template_id: TemplateId::new(1),
            profile_id: ProfileId::new(1),
            landing: Landing::Credentials,
            launch_at: 1_000_000,
            send_by: 1_000_000 + 4 * 3600,
            ends_at: 1_000_000 + 86_400,
            business_hours,
            created_by: UserId::new(1),
        }
    }

    #[test]
    fn sends_are_spread_evenly_from_launch() {
        let times = schedule(&spec(false), 4);
        assert_eq!(times, vec![1_000_000, 1_003_600, 1_007_200, 1_010_800]);
        assert!(schedule(&spec(false), 0).is_empty());
    }

    #[test]
    fn the_confirmation_says_how_many_and_when_from_the_real_schedule() {
        // Friday 4 Dec 2026, 10:00 UK time (GMT).
        let now = 1_796_378_400;
        let spec = |launch_at: i64, hours: i64, business_hours: bool| Launch {
            name: "x".into(),
            template_id: TemplateId::new(1),
            profile_id: ProfileId::new(1),
            landing: Landing::Teachable,
            launch_at,
            send_by: launch_at + hours * 3600,
            ends_at: launch_at + 14 * 86_400,
            business_hours,
            created_by: UserId::new(1),
        };
        let times = schedule(&spec(now, 0, false), 7);
        assert_eq!(
            what_will_happen(7, &times, now),
            "This will email 7 people now."
        );
        // Monday 7 Dec 08:00, over four hours.
        let monday = now + 3 * 86_400 - 2 * 3600;
        let times = schedule(&spec(monday, 4, true), 8);
        assert_eq!(
            what_will_happen(8, &times, now),
            "This will email 8 people between 08:00 and 11:30 on Monday 7 December 2026."
        );
        let times = schedule(&spec(monday, 0, true), 1);
        assert_eq!(
            what_will_happen(1, &times, now),
            "This will email 1 person at 08:00 on Monday 7 December 2026."
        );
        // Friday 16:00 over four hours in working hours: the rest waits for Monday.
        let times = schedule(&spec(now + 6 * 3600, 4, true), 4);
        assert_eq!(
            what_will_happen(4, &times, now),
            "This will email 4 people between 16:00 on Friday 4 December 2026 and 08:00 on Monday 7 December 2026."
        );
    }

    #[test]
    fn sending_must_finish_before_the_end() {
        let mut f = CampaignForm::new_exercise();
        f.spread_hours = "48".into();
        f.run_days = "1".into();
        let mut e = FieldErrors::default();
        let t = f.timing(1_000_000, &mut e).unwrap();
        assert!(e.get("spread_hours").is_some());
        assert_eq!(t.ends_at, 1_000_000 + 86_400);
        let mut e = FieldErrors::default();
        f.launch_at = "yesterday".into();
        assert!(f.timing(1_000_000, &mut e).is_none());
    }

    #[test]
    fn changes_go_only_from_their_states() {
        assert!(StatusChange::Resume.from().contains(&Status::Paused));
        assert!(!StatusChange::Pause.from().contains(&Status::Paused));
        assert!(!StatusChange::Cancel.from().contains(&Status::Completed));
        assert_eq!(
            StatusChange::parse("cancel").map(StatusChange::to),
            Some(Status::Cancelled)
        );
        assert_eq!(StatusChange::parse("delete"), None);
    }
}
