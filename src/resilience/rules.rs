//! The clocks of the resilience register, as pure functions of "now" so they
//! can be tested at fixed dates:
//!
//! - the **patch clock**: critical and high-risk updates installed within 14
//!   days of release (Cyber Essentials; DSPT). Vendors release security
//!   updates at least monthly (Microsoft on the second Tuesday of each month),
//!   so each device's clock starts on the first monthly release day after it
//!   last installed updates, and it is overdue once 14 days have passed;
//! - the **cyber alert clock**: acknowledge an NHS cyber alert within 48 hours;
//! - **backups**: made as often as planned, and restored in a test regularly;
//! - the **register review**: the asset register reviewed within 12 months
//!   (DSPT 7.1.1).
//!
//! Calendar rules work on UK dates (GMT in winter, BST in summer, see
//! `ukclock`), so a deadline falls at the end of a UK day whatever the season.

use time::{Date, Duration, Month, Weekday};

use super::backups::domain::RestoreResult;
/// Also here for the asset import (`import.rs`), which names it so.
pub use super::dates::uk_date;
use super::dates::{days, duration_words, long_date, uk_midnight};
use crate::ukclock::add_months;

pub const PATCH_DAYS: i64 = 14;
pub const ACK_HOURS: i64 = 48;
pub const REVIEW_MONTHS: i64 = 12;

// ---------- the patch clock ----------

/// The monthly security release day: the second Tuesday of the month.
pub fn release_day(year: i32, month: Month) -> Date {
    let first = Date::from_calendar_date(year, month, 1).expect("valid date");
    let to_tuesday = (7 + Weekday::Tuesday.number_days_from_monday() as i64
        - first.weekday().number_days_from_monday() as i64)
        % 7;
    first + Duration::days(to_tuesday + 7)
}

/// The latest release day on or before `date`.
pub fn release_on_or_before(date: Date) -> Date {
    let this = release_day(date.year(), date.month());
    if this <= date {
        return this;
    }
    let (y, m) = if date.month() == Month::January {
        (date.year() - 1, Month::December)
    } else {
        (date.year(), date.month().previous())
    };
    release_day(y, m)
}

/// The first release day after `date`.
pub fn release_after(date: Date) -> Date {
    let this = release_day(date.year(), date.month());
    if this > date {
        return this;
    }
    let (y, m) = if date.month() == Month::December {
        (date.year() + 1, Month::January)
    } else {
        (date.year(), date.month().next())
    };
    release_day(y, m)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchStatus {
    /// No date of the last update is recorded.
    Unknown,
    /// Nothing released since the last update; the next release day.
    UpToDate { next_release: Date },
    /// Updates released on `release` are waiting, to be installed by `deadline`.
    Due {
        release: Date,
        deadline: Date,
        days_left: i64,
    },
    Overdue {
        release: Date,
        deadline: Date,
        days_over: i64,
    },
}

impl PatchStatus {
    pub fn is_overdue(&self) -> bool {
        matches!(self, Self::Overdue { .. })
    }

    pub fn tag_class(&self) -> &'static str {
        match self {
            Self::Unknown => "nhsuk-tag--grey",
            Self::UpToDate { .. } => "nhsuk-tag--green",
            Self::Due { .. } => "nhsuk-tag--yellow",
            Self::Overdue { .. } => "nhsuk-tag--red",
        }
    }

    pub fn tag(&self) -> &'static str {
        match self {
            Self::Unknown => "Not known",
            Self::UpToDate { .. } => "Up to date",
            Self::Due { .. } => "Updates due",
            Self::Overdue { .. } => "Updates overdue",
        }
    }

    pub fn explain(&self) -> String {
        match self {
            Self::Unknown => "No date recorded for the last updates".into(),
            Self::UpToDate { next_release } => {
                format!("Next monthly updates expected {}", long_date(*next_release))
            }
            Self::Due {
                deadline,
                days_left: 0,
                ..
            } => format!("Install by the end of today ({})", long_date(*deadline)),
            Self::Due {
                deadline,
                days_left,
                ..
            } => format!(
                "Install by {} ({} left)",
                long_date(*deadline),
                days(*days_left)
            ),
            Self::Overdue {
                release, days_over, ..
            } => format!(
                "{} overdue: updates released {} are not installed",
                days(*days_over),
                long_date(*release)
            ),
        }
    }
}

/// The patch clock for a device that last installed updates at `last_updated`.
pub fn patch_status(last_updated: Option<i64>, now: i64) -> PatchStatus {
    let Some(last) = last_updated else {
        return PatchStatus::Unknown;
    };
    let today = uk_date(now);
    // The first release day that began after the last update: updates
    // installed any time on a release day count as that day's.
    let release = release_after(uk_date(last));
    if release > today {
        return PatchStatus::UpToDate {
            next_release: release,
        };
    }
    let deadline = release + Duration::days(PATCH_DAYS);
    if today <= deadline {
        PatchStatus::Due {
            release,
            deadline,
            days_left: (deadline - today).whole_days(),
        }
    } else {
        PatchStatus::Overdue {
            release,
            deadline,
            days_over: (today - deadline).whole_days(),
        }
    }
}

/// A device whose last update was before this moment is overdue (for SQL
/// filters and counts): the start of the latest release day whose 14 days
/// have run out. Agrees with [`patch_status`].
pub fn overdue_before(now: i64) -> i64 {
    let today = uk_date(now);
    uk_midnight(release_on_or_before(today - Duration::days(PATCH_DAYS + 1)))
}

// ---------- the cyber alert clock ----------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckStatus {
    Acknowledged { at: i64, late_by: Option<i64> },
    Waiting { due: i64, left: i64 },
    Overdue { due: i64, over: i64 },
}

impl AckStatus {
    pub fn tag_class(&self) -> &'static str {
        match self {
            Self::Acknowledged { late_by: None, .. } => "nhsuk-tag--green",
            Self::Acknowledged { .. } => "nhsuk-tag--grey",
            Self::Waiting { .. } => "nhsuk-tag--yellow",
            Self::Overdue { .. } => "nhsuk-tag--red",
        }
    }

    pub fn tag(&self) -> &'static str {
        match self {
            Self::Acknowledged { .. } => "Acknowledged",
            Self::Waiting { .. } => "Acknowledge now",
            Self::Overdue { .. } => "Acknowledgement overdue",
        }
    }

    pub fn explain(&self) -> String {
        let t = crate::ukclock::format;
        match self {
            Self::Acknowledged { at, late_by: None } => {
                format!("Acknowledged {} (within 48 hours)", t(*at))
            }
            Self::Acknowledged {
                at,
                late_by: Some(late),
            } => format!(
                "Acknowledged {}, {} after the 48 hours",
                t(*at),
                duration_words(*late)
            ),
            Self::Waiting { due, left } => {
                format!(
                    "Acknowledge by {} ({} left)",
                    t(*due),
                    duration_words(*left)
                )
            }
            Self::Overdue { due, over } => format!(
                "Should have been acknowledged by {} ({} ago)",
                t(*due),
                duration_words(*over)
            ),
        }
    }

    pub fn waiting(&self) -> bool {
        !matches!(self, Self::Acknowledged { .. })
    }
}

/// Forty-eight hours are elapsed time: across a clock change the deadline
/// shows an hour earlier or later on the wall clock.
pub fn ack_status(received_at: i64, acknowledged_at: Option<i64>, now: i64) -> AckStatus {
    let due = received_at + ACK_HOURS * 3600;
    match acknowledged_at {
        Some(at) => AckStatus::Acknowledged {
            at,
            late_by: (at > due).then_some(at - due),
        },
        None if now <= due => AckStatus::Waiting {
            due,
            left: due - now,
        },
        None => AckStatus::Overdue {
            due,
            over: now - due,
        },
    }
}

// ---------- backups ----------

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupStatus {
    /// Someone else (the clinical system supplier, ICB) makes these backups.
    TheirResponsibility,
    NeverRecorded,
    Ok {
        next_due: Date,
    },
    Overdue {
        due: Date,
        days_over: i64,
    },
}

impl BackupStatus {
    pub fn needs_attention(&self) -> bool {
        matches!(self, Self::NeverRecorded | Self::Overdue { .. })
    }
    pub fn tag_class(&self) -> &'static str {
        match self {
            Self::TheirResponsibility => "nhsuk-tag--blue",
            Self::NeverRecorded => "nhsuk-tag--grey",
            Self::Ok { .. } => "nhsuk-tag--green",
            Self::Overdue { .. } => "nhsuk-tag--red",
        }
    }
    pub fn tag(&self) -> &'static str {
        match self {
            Self::TheirResponsibility => "Made by someone else",
            Self::NeverRecorded => "Not recorded",
            Self::Ok { .. } => "Up to date",
            Self::Overdue { .. } => "Backup overdue",
        }
    }
    pub fn explain(&self) -> String {
        match self {
            Self::TheirResponsibility => {
                "Ask them for evidence that backups are made and tested".into()
            }
            Self::NeverRecorded => "Record the last backup when it is made".into(),
            Self::Ok { next_due } => format!("Next backup due by {}", long_date(*next_due)),
            Self::Overdue { due, days_over } => {
                format!("Was due by {} ({} ago)", long_date(*due), days(*days_over))
            }
        }
    }
}

pub fn backup_status(
    practice_responsible: bool,
    last_backup: Option<Date>,
    frequency_days: i64,
    today: Date,
) -> BackupStatus {
    match (practice_responsible, last_backup) {
        (false, None) => BackupStatus::TheirResponsibility,
        (true, None) => BackupStatus::NeverRecorded,
        (_, Some(last)) => {
            let due = last + Duration::days(frequency_days.max(1));
            if today <= due {
                BackupStatus::Ok { next_due: due }
            } else {
                BackupStatus::Overdue {
                    due,
                    days_over: (today - due).whole_days(),
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreStatus {
    NeverTested,
    Failed { on: Date },
    Ok { next_due: Date, partly: bool },
    Due { due: Date, days_over: i64 },
}

impl RestoreStatus {
    pub fn needs_attention(&self) -> bool {
        !matches!(self, Self::Ok { partly: false, .. })
    }
    pub fn tag_class(&self) -> &'static str {
        match self {
            Self::NeverTested => "nhsuk-tag--grey",
            Self::Failed { .. } => "nhsuk-tag--red",
            Self::Ok { partly: false, .. } => "nhsuk-tag--green",
            Self::Ok { .. } => "nhsuk-tag--yellow",
            Self::Due { .. } => "nhsuk-tag--red",
        }
    }
    pub fn tag(&self) -> &'static str {
        match self {
            Self::NeverTested => "Never tested",
            Self::Failed { .. } => "Last test failed",
            Self::Ok { partly: false, .. } => "Tested",
            Self::Ok { .. } => "Partly worked",
            Self::Due { .. } => "Restore test due",
        }
    }
    pub fn explain(&self) -> String {
        match self {
            Self::NeverTested => {
                "A backup is only useful if it can be restored: try restoring a few files".into()
            }
            Self::Failed { on } => format!(
                "The test on {} failed: fix the backup and test again",
                long_date(*on)
            ),
            Self::Ok {
                next_due,
                partly: false,
            } => format!("Next test due by {}", long_date(*next_due)),
            Self::Ok {
                next_due,
                partly: true,
            } => format!(
                "Some things could not be restored: fix that and test again (next test due by {})",
                long_date(*next_due)
            ),
            Self::Due { due, days_over } => {
                format!("Was due by {} ({} ago)", long_date(*due), days(*days_over))
            }
        }
    }
}

pub fn restore_status(
    last_test: Option<Date>,
    result: Option<RestoreResult>,
    every_days: i64,
    today: Date,
) -> RestoreStatus {
    let Some(on) = last_test else {
        return RestoreStatus::NeverTested;
    };
    if result == Some(RestoreResult::Failed) {
        return RestoreStatus::Failed { on };
    }
    let due = on + Duration::days(every_days.max(1));
    if today <= due {
        RestoreStatus::Ok {
            next_due: due,
            partly: result == Some(RestoreResult::Partly),
        }
    } else {
        RestoreStatus::Due {
            due,
            days_over: (today - due).whole_days(),
        }
    }
}

// ---------- register review ----------

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewStatus {
    Never,
    Ok { last: Date, next_due: Date },
    DueSoon { last: Date, next_due: Date },
    Overdue { last: Date, due: Date },
}

impl ReviewStatus {
    pub fn needs_attention(&self) -> bool {
        !matches!(self, Self::Ok { .. })
    }
    pub fn tag_class(&self) -> &'static str {
        match self {
            Self::Never | Self::Overdue { .. } => "nhsuk-tag--red",
            Self::DueSoon { .. } => "nhsuk-tag--yellow",
            Self::Ok { .. } => "nhsuk-tag--green",
        }
    }
    pub fn tag(&self) -> &'static str {
        match self {
            Self::Never => "Not reviewed yet",
            Self::Ok { .. } => "Reviewed",
            Self::DueSoon { .. } => "Review due soon",
            Self::Overdue { .. } => "Review overdue",
        }
    }
    pub fn explain(&self) -> String {
        match self {
            Self::Never => "The DSPT asks for a register reviewed within the last 12 months".into(),
            Self::Ok { last, next_due } | Self::DueSoon { last, next_due } => format!(
                "Last reviewed {}; next review due by {}",
                long_date(*last),
                long_date(*next_due)
            ),
            Self::Overdue { last, due } => format!(
                "Last reviewed {}; the review was due by {}",
                long_date(*last),
                long_date(*due)
            ),
        }
    }
}

pub fn review_status(last: Option<Date>, today: Date) -> ReviewStatus {
    let Some(last) = last else {
        return ReviewStatus::Never;
    };
    let next_due = add_months(last, REVIEW_MONTHS);
    if today > next_due {
        ReviewStatus::Overdue {
            last,
            due: next_due,
        }
    } else if today + Duration::days(30) >= next_due {
        ReviewStatus::DueSoon { last, next_due }
    } else {
        ReviewStatus::Ok { last, next_due }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn at(dt: time::OffsetDateTime) -> i64 {
        dt.unix_timestamp()
    }

    #[test]
    fn release_days_are_second_tuesdays() {
        assert_eq!(release_day(2026, Month::October), date!(2026 - 10 - 13));
        assert_eq!(release_day(2026, Month::November), date!(2026 - 11 - 10));
        assert_eq!(release_day(2026, Month::December), date!(2026 - 12 - 08));
        // A month starting on a Tuesday.
        assert_eq!(release_day(2026, Month::September), date!(2026 - 09 - 08));
        assert_eq!(
            release_on_or_before(date!(2026 - 11 - 09)),
            date!(2026 - 10 - 13)
        );
        assert_eq!(
            release_on_or_before(date!(2026 - 11 - 10)),
            date!(2026 - 11 - 10)
        );
        assert_eq!(
            release_on_or_before(date!(2027 - 01 - 05)),
            date!(2026 - 12 - 08)
        );
        assert_eq!(release_after(date!(2026 - 12 - 08)), date!(2027 - 01 - 12));
    }

    #[test]
    fn patch_clock_at_fixed_dates() {
        // Updated on 20 October 2026; November's updates come out on the 10th.
        let last = at(datetime!(2026-10-20 10:00 UTC));
        assert_eq!(
            patch_status(Some(last), at(datetime!(2026-11-09 12:00 UTC))),
            PatchStatus::UpToDate {
                next_release: date!(2026 - 11 - 10)
            }
        );
        assert_eq!(
            patch_status(Some(last), at(datetime!(2026-11-23 12:00 UTC))),
            PatchStatus::Due {
                release: date!(2026 - 11 - 10),
                deadline: date!(2026 - 11 - 24),
                days_left: 1
            }
        );
        assert_eq!(
            patch_status(Some(last), at(datetime!(2026-11-24 23:59 UTC))),
            PatchStatus::Due {
                release: date!(2026 - 11 - 10),
                deadline: date!(2026 - 11 - 24),
                days_left: 0
            }
        );
        assert_eq!(
            patch_status(Some(last), at(datetime!(2026-11-25 00:00 UTC))),
            PatchStatus::Overdue {
                release: date!(2026 - 11 - 10),
                deadline: date!(2026 - 11 - 24),
                days_over: 1
            }
        );
        // Two months behind: the clock runs from the first update missed.
        let old = at(datetime!(2026-09-01 10:00 UTC));
        assert_eq!(
            patch_status(Some(old), at(datetime!(2026-11-23 12:00 UTC))),
            PatchStatus::Overdue {
                release: date!(2026 - 09 - 08),
                deadline: date!(2026 - 09 - 22),
                days_over: 62
            }
        );
        // Installed on release day itself: up to date.
        let same_day = at(datetime!(2026-11-10 19:00 UTC));
        assert!(matches!(
            patch_status(Some(same_day), at(datetime!(2026-11-30 12:00 UTC))),
            PatchStatus::UpToDate { .. }
        ));
        assert_eq!(patch_status(None, 0), PatchStatus::Unknown);
    }

    #[test]
    fn patch_clock_across_the_october_clock_change() {
        // October 2026's updates: Tuesday 13 October (BST). Clocks go back on
        // Sunday 25 October, so the deadline, Tuesday 27 October, is a GMT day.
        let last = at(datetime!(2026-10-01 09:00 UTC));
        // 23:30 GMT on the 27th is still the deadline day.
        assert_eq!(
            patch_status(Some(last), at(datetime!(2026-10-27 23:30 UTC))),
            PatchStatus::Due {
                release: date!(2026 - 10 - 13),
                deadline: date!(2026 - 10 - 27),
                days_left: 0
            }
        );
        assert!(patch_status(Some(last), at(datetime!(2026-10-28 00:00 UTC))).is_overdue());
        // Updated at 00:30 BST on release day (23:30 UTC the day before) counts as that day.
        let just_after_midnight = at(datetime!(2026-10-12 23:30 UTC));
        assert!(matches!(
            patch_status(
                Some(just_after_midnight),
                at(datetime!(2026-11-01 12:00 UTC))
            ),
            PatchStatus::UpToDate { .. }
        ));
    }

    #[test]
    fn patch_clock_across_the_march_clock_change() {
        // March 2027: release Tuesday 9 March (GMT); clocks go forward Sunday
        // 28 March; deadline Tuesday 23 March (GMT). April's release is
        // Tuesday 13 April (BST), deadline 27 April, ending at 23:00 UTC.
        let last = at(datetime!(2027-03-20 09:00 UTC));
        let now_bst = at(datetime!(2027-04-27 22:59 UTC));
        assert_eq!(
            patch_status(Some(last), now_bst),
            PatchStatus::Due {
                release: date!(2027 - 04 - 13),
                deadline: date!(2027 - 04 - 27),
                days_left: 0
            }
        );
        // 23:00 UTC is midnight BST: the 28th, so overdue.
        assert!(patch_status(Some(last), at(datetime!(2027-04-27 23:00 UTC))).is_overdue());
    }

    #[test]
    fn the_sql_threshold_agrees_with_the_clock() {
        let start = at(datetime!(2026-01-01 00:00 UTC));
        // Every 7 hours over two years, against last updates every 11 hours.
        let mut now = start + 400 * 86_400;
        while now < start + 800 * 86_400 {
            let threshold = overdue_before(now);
            let mut last = now - 120 * 86_400;
            while last <= now {
                let by_sql = last < threshold;
                let by_rule = patch_status(Some(last), now).is_overdue();
                assert_eq!(by_sql, by_rule, "last {last} now {now}");
                last += 11 * 3600;
            }
            now += 7 * 3600 * 13;
        }
    }

    #[test]
    fn alert_clock_is_48_hours_across_a_clock_change() {
        // Received 10:00 BST on Saturday 24 October 2026 (09:00 UTC). 48 hours
        // later is 09:00 UTC on Monday 26th, which is 09:00 GMT.
        let received = at(datetime!(2026-10-24 09:00 UTC));
        let status = ack_status(received, None, at(datetime!(2026-10-25 09:00 UTC)));
        assert_eq!(
            status,
            AckStatus::Waiting {
                due: at(datetime!(2026-10-26 09:00 UTC)),
                left: 24 * 3600
            }
        );
        assert!(
            status.explain().contains("26 Oct 2026 09:00"),
            "{}",
            status.explain()
        );
        let late = ack_status(received, None, at(datetime!(2026-10-26 12:30 UTC)));
        assert!(matches!(late, AckStatus::Overdue { over, .. } if over == 3 * 3600 + 1800));
        assert!(
            late.explain().ends_with("(3 hours 30 minutes ago)"),
            "{}",
            late.explain()
        );
        assert_eq!(
            ack_status(received, Some(received + 3600), 0),
            AckStatus::Acknowledged {
                at: received + 3600,
                late_by: None
            }
        );
        assert_eq!(
            ack_status(received, Some(received + 50 * 3600), 0),
            AckStatus::Acknowledged {
                at: received + 50 * 3600,
                late_by: Some(2 * 3600)
            }
        );
    }

    #[test]
    fn backups_and_restore_tests() {
        let today = date!(2026 - 11 - 23);
        assert_eq!(
            backup_status(true, Some(date!(2026 - 11 - 22)), 1, today),
            BackupStatus::Ok {
                next_due: date!(2026 - 11 - 23)
            }
        );
        assert_eq!(
            backup_status(true, Some(date!(2026 - 11 - 20)), 1, today),
            BackupStatus::Overdue {
                due: date!(2026 - 11 - 21),
                days_over: 2
            }
        );
        assert_eq!(
            backup_status(true, None, 7, today),
            BackupStatus::NeverRecorded
        );
        assert_eq!(
            backup_status(false, None, 1, today),
            BackupStatus::TheirResponsibility
        );
        assert_eq!(
            restore_status(None, None, 365, today),
            RestoreStatus::NeverTested
        );
        assert!(matches!(
            restore_status(
                Some(date!(2026 - 06 - 01)),
                Some(RestoreResult::Worked),
                365,
                today
            ),
            RestoreStatus::Ok { partly: false, .. }
        ));
        assert!(matches!(
            restore_status(
                Some(date!(2025 - 06 - 01)),
                Some(RestoreResult::Worked),
                365,
                today
            ),
            RestoreStatus::Due { .. }
        ));
        assert!(matches!(
            restore_status(
                Some(date!(2026 - 11 - 01)),
                Some(RestoreResult::Failed),
                365,
                today
            ),
            RestoreStatus::Failed { .. }
        ));
    }

    #[test]
    fn register_review_within_12_months() {
        let today = date!(2026 - 11 - 23);
        assert_eq!(review_status(None, today), ReviewStatus::Never);
        assert!(matches!(
            review_status(Some(date!(2026 - 01 - 10)), today),
            ReviewStatus::Ok { .. }
        ));
        assert!(matches!(
            review_status(Some(date!(2025 - 12 - 10)), today),
            ReviewStatus::DueSoon { .. }
        ));
        assert_eq!(
            review_status(Some(date!(2025 - 11 - 22)), today),
            ReviewStatus::Overdue {
                last: date!(2025 - 11 - 22),
                due: date!(2026 - 11 - 22)
            }
        );
    }
}
