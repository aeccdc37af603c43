//! UK local time (GMT in winter, BST in summer) without a time-zone database:
//! BST runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
//! last Sunday of October.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

fn last_sunday(year: i32, month: Month) -> Date {
    let mut d = Date::from_calendar_date(year, month, month.length(year)).expect("valid date");
    while d.weekday() != Weekday::Sunday {
        d = d.previous_day().expect("in range");
    }
    d
}

/// The UK's offset from UTC at a moment.
pub fn offset_at(utc: OffsetDateTime) -> UtcOffset {
    let y = utc.year();
    let start = PrimitiveDateTime::new(
        last_sunday(y, Month::March),
        Time::from_hms(1, 0, 0).expect("valid"),
    )
    .assume_utc();
    let end = PrimitiveDateTime::new(
        last_sunday(y, Month::October),
        Time::from_hms(1, 0, 0).expect("valid"),
    )
    .assume_utc();
    if utc >= start && utc < end {
        UtcOffset::from_hms(1, 0, 0).expect("valid")
    } else {
        UtcOffset::UTC
    }
}

/// A Unix time as UK local time.
pub fn local(unix: i64) -> OffsetDateTime {
    let utc = OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    utc.to_offset(offset_at(utc))
}

/// "22 Nov 2026 14:05" in UK time.
pub fn format(unix: i64) -> String {
    let fmt = time::macros::format_description!("[day] [month repr:short] [year] [hour]:[minute]");
    local(unix).format(fmt).unwrap_or_default()
}

/// A date as people in the UK write it: "4 Dec 2026".
pub fn day(date: time::Date) -> String {
    let fmt = time::macros::format_description!("[day padding:none] [month repr:short] [year]");
    date.format(fmt).unwrap_or_default()
}

/// The UK date a moment falls on, "4 Dec 2026".
pub fn format_date(unix: i64) -> String {
    day(local_date(unix))
}

/// Surgery hours for sending simulated email: Monday to Friday, 08:00 to 18:30 UK time.
pub fn is_business_hours(unix: i64) -> bool {
    let t = local(unix);
    let minutes = u32::from(t.hour()) * 60 + u32::from(t.minute());
    !matches!(t.weekday(), Weekday::Saturday | Weekday::Sunday)
        && (8 * 60..18 * 60 + 30).contains(&minutes)
}

/// The next moment at or after `unix` that is within surgery hours.
pub fn next_business_moment(unix: i64) -> i64 {
    let mut t = unix;
    // Step in 15-minute jumps: at most a long weekend's worth of steps.
    for _ in 0..(4 * 24 * 4) {
        if is_business_hours(t) {
            return t;
        }
        t = (t / 900 + 1) * 900;
    }
    t
}

/// A UK local date and time typed by a person (`YYYY-MM-DDTHH:MM`, as a
/// browser's datetime-local field sends it) as a Unix time.
pub fn parse_local(s: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let naive = PrimitiveDateTime::parse(s.trim(), fmt).ok()?;
    // Try GMT first; if that moment is in BST, the typed time was BST.
    let as_gmt = naive.assume_utc();
    let offset = offset_at(as_gmt - time::Duration::hours(1));
    Some(naive.assume_offset(offset).unix_timestamp())
}

/// The last second of a UK calendar day, for due dates ("due 5 March" means by the end of it).
pub fn end_of_day(date: time::Date) -> i64 {
    let naive = PrimitiveDateTime::new(date, time::Time::from_hms(23, 59, 59).expect("valid"));
    let offset = offset_at(naive.assume_utc() - time::Duration::hours(1));
    naive.assume_offset(offset).unix_timestamp()
}

/// Today's date in UTC (not UK time: just after midnight in summer it is
/// still yesterday here), at the clock's moment.
pub fn utc_today(clock: &crate::shared::Clock) -> time::Date {
    OffsetDateTime::from_unix_timestamp(clock.now())
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN)
}

/// The UK calendar date a moment falls on.
pub fn local_date(unix: i64) -> time::Date {
    local(unix).date()
}

/// The same day `months` later, or the month's last day when it is shorter (31 Jan + 1 = 28/29 Feb).
pub fn add_months(date: time::Date, months: i64) -> time::Date {
    let total = i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + months;
    let year = (total.div_euclid(12)) as i32;
    let month = time::Month::try_from((total.rem_euclid(12) + 1) as u8).expect("1..=12");
    let last = time::util::days_in_month(month, year);
    time::Date::from_calendar_date(year, month, date.day().min(last)).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn clocks_go_forward_on_the_last_sunday_of_march() {
        // 2026: BST starts 29 March 01:00 UTC and ends 25 October 01:00 UTC.
        assert_eq!(offset_at(datetime!(2026-03-29 00:59 UTC)), UtcOffset::UTC);
        assert_eq!(offset_at(datetime!(2026-03-29 01:00 UTC)).whole_hours(), 1);
        assert_eq!(offset_at(datetime!(2026-10-25 00:59 UTC)).whole_hours(), 1);
        assert_eq!(offset_at(datetime!(2026-10-25 01:00 UTC)), UtcOffset::UTC);
    }

    #[test]
    fn business_hours_are_uk_local() {
        // Monday 6 July 2026, 07:30 UTC is 08:30 BST: open.
        assert!(is_business_hours(
            datetime!(2026-07-06 07:30 UTC).unix_timestamp()
        ));
        // Monday 7 December 2026, 07:30 UTC is 07:30 GMT: not yet.
        assert!(!is_business_hours(
            datetime!(2026-12-07 07:30 UTC).unix_timestamp()
        ));
        // Saturday.
        assert!(!is_business_hours(
            datetime!(2026-07-04 10:00 UTC).unix_timestamp()
        ));
        // Friday 18:45 BST skips to Monday 08:00 BST.
        let next = next_business_moment(datetime!(2026-07-10 17:45 UTC).unix_timestamp());
        assert_eq!(next, datetime!(2026-07-13 07:00 UTC).unix_timestamp());
    }

    #[test]
    fn typed_local_times_respect_summer_time() {
        assert_eq!(
            parse_local("2026-07-06T09:00"),
            Some(datetime!(2026-07-06 08:00 UTC).unix_timestamp())
        );
        assert_eq!(
            parse_local("2026-12-07T09:00"),
            Some(datetime!(2026-12-07 09:00 UTC).unix_timestamp())
        );
        assert_eq!(parse_local("tomorrow"), None);
        assert_eq!(
            format(datetime!(2026-07-06 08:00 UTC).unix_timestamp()),
            "06 Jul 2026 09:00"
        );
    }
}
