//! Dates as the registers use them: UK calendar days (GMT in winter, BST in
//! summer, see `ukclock`), stored as ISO text ("2025-10-14"), shown in
//! words ("14 October 2025") and typed in UK order ("14/10/2025").

use time::{Date, Month, PrimitiveDateTime, Time};

/// The UK calendar date at a moment.
pub fn uk_date(unix: i64) -> Date {
    crate::ukclock::local_date(unix)
}

/// The moment a UK calendar day starts (00:00 GMT or BST).
pub fn uk_midnight(date: Date) -> i64 {
    let naive = PrimitiveDateTime::new(date, Time::MIDNIGHT);
    // Clocks change at 01:00 UTC, never near midnight, so the offset at
    // midnight UTC of the same date is the offset at local midnight.
    let offset = crate::ukclock::offset_at(naive.assume_utc());
    naive.assume_offset(offset).unix_timestamp()
}

/// The moment a UK calendar day ends (the next day's midnight).
pub fn uk_end_of_day(date: Date) -> i64 {
    uk_midnight(date.next_day().unwrap_or(date))
}

/// "14 October 2025": cannot be mistaken for a US date.
pub fn long_date(d: Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}

/// "2025-10-14": how dates are stored.
pub fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A stored date (or one from a date box), if it is one.
pub fn parse_iso(s: &str) -> Option<Date> {
    Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// "14/10/2025": a date as a form box shows it for editing and a UK
/// spreadsheet shows it (what [`parse_date`] reads back).
pub fn numeric(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

/// A moment as a `datetime-local` box takes it, in UK time: "2026-11-23T09:30".
pub fn local_input(unix: i64) -> String {
    let t = crate::ukclock::local(unix);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// A date as people type it: day/month/year (UK order; `/`, `-` or `.`
/// between), or ISO year-month-day, with any time of day dropped. `Ok(None)`
/// for an empty box.
pub fn parse_date(raw: &str) -> Result<Option<Date>, String> {
    let typed = raw.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    let hint = "Enter the date as day/month/year, like 14/10/2025";
    // "14/10/2025 00:00" (Excel) or "2025-10-14T09:00:00Z" (ISO).
    let date_part = typed
        .split(['T', ' '])
        .next()
        .unwrap_or(typed)
        .trim_end_matches(',');
    let parts: Vec<&str> = date_part.split(['/', '-', '.']).collect();
    let numbers: Option<Vec<i32>> = parts
        .iter()
        .map(|p| {
            (!p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect();
    let Some(n) = numbers.filter(|n| n.len() == 3) else {
        return Err(format!("{hint} (you entered \"{}\")", short(typed)));
    };
    let (year, month, day) = if parts[0].len() == 4 {
        (n[0], n[1], n[2])
    } else if parts[2].len() == 4 {
        (n[2], n[1], n[0])
    } else if parts[2].len() == 2 {
        (2000 + n[2], n[1], n[0])
    } else {
        return Err(format!("{hint} (you entered \"{}\")", short(typed)));
    };
    if !(1990..=2100).contains(&year) {
        return Err(format!(
            "Enter a year between 1990 and 2100 (you entered \"{}\")",
            short(typed)
        ));
    }
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| format!("{hint} (you entered \"{}\")", short(typed)))?;
    let day = u8::try_from(day).unwrap_or(0);
    Date::from_calendar_date(year, month, day)
        .map(Some)
        .map_err(|_| format!("There is no {day} {month} {year}. {hint}"))
}

fn short(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// "1 day", "3 days".
pub fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// A length of time in the largest sensible units: "2 days 3 hours", "45 minutes".
pub fn duration_words(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    let unit = |n: i64, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    match (d, h, m) {
        (0, 0, m) => unit(m.max(1), "minute"),
        (0, h, 0) => unit(h, "hour"),
        (0, h, m) => format!("{} {}", unit(h, "hour"), unit(m, "minute")),
        (d, 0, _) => unit(d, "day"),
        (d, h, _) => format!("{} {}", unit(d, "day"), unit(h, "hour")),
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
    fn uk_days_start_at_local_midnight() {
        assert_eq!(
            uk_midnight(date!(2026 - 07 - 01)),
            at(datetime!(2026-06-30 23:00 UTC))
        );
        assert_eq!(
            uk_midnight(date!(2026 - 12 - 01)),
            at(datetime!(2026-12-01 00:00 UTC))
        );
        // The day the clocks go back is 25 hours long.
        assert_eq!(
            uk_end_of_day(date!(2026 - 10 - 25)) - uk_midnight(date!(2026 - 10 - 25)),
            25 * 3600
        );
        assert_eq!(
            uk_date(at(datetime!(2026-06-30 23:30 UTC))),
            date!(2026 - 07 - 01)
        );
    }

    #[test]
    fn typed_dates() {
        assert_eq!(parse_date("14/10/2025"), Ok(Some(date!(2025 - 10 - 14))));
        assert_eq!(parse_date("2025-10-14"), Ok(Some(date!(2025 - 10 - 14))));
        assert_eq!(parse_date(" 14.10.25 "), Ok(Some(date!(2025 - 10 - 14))));
        assert_eq!(
            parse_date("14/10/2025 00:00"),
            Ok(Some(date!(2025 - 10 - 14)))
        );
        assert_eq!(
            parse_date("2025-10-14T09:00:00Z"),
            Ok(Some(date!(2025 - 10 - 14)))
        );
        assert_eq!(parse_date(""), Ok(None));
        assert!(parse_date("31/02/2025")
            .unwrap_err()
            .starts_with("There is no 31 February 2025"));
        assert!(parse_date("next week").is_err());
        assert!(parse_date("10/14/2025").is_err());
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(duration_words(45 * 60), "45 minutes");
        assert_eq!(duration_words(3600), "1 hour");
        assert_eq!(duration_words(26 * 3600), "1 day 2 hours");
        assert_eq!(duration_words(2 * 86_400 + 59), "2 days");
        assert_eq!(duration_words(10), "1 minute");
    }

    #[test]
    fn dates_for_form_boxes() {
        assert_eq!(numeric(date!(2025 - 03 - 04)), "04/03/2025");
        assert_eq!(
            parse_date(&numeric(date!(2025 - 03 - 04))),
            Ok(Some(date!(2025 - 03 - 04)))
        );
        assert_eq!(
            local_input(at(datetime!(2026-07-01 08:30 UTC))),
            "2026-07-01T09:30"
        );
        assert_eq!(
            local_input(at(datetime!(2026-12-01 08:30 UTC))),
            "2026-12-01T08:30"
        );
    }
}
