//! An iCalendar (RFC 5545) file for a recurring meeting series, so the
//! cyber minute lands in everyone's calendar. Written by hand: a few lines,
//! with CRLF endings, text escaping and folding at 75 octets. No I/O.

use time::{Date, Time};

use super::domain::{parse_iso, MeetingKind};
use crate::web::FieldErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    Week,
    Fortnight,
    /// The same weekday of the month ("the second Tuesday").
    Month,
}

impl Every {
    pub const ALL: [Every; 3] = [Self::Week, Self::Fortnight, Self::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Week => "week",
            Self::Fortnight => "fortnight",
            Self::Month => "month",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Week => "Every week",
            Self::Fortnight => "Every two weeks",
            Self::Month => "Every month, on the same weekday",
        }
    }
}

/// The series form as sent (a GET form: the answer is the file).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct SeriesForm {
    pub series_kind: String,
    pub starts: String,
    pub at: String,
    pub minutes: String,
    pub every: String,
}

pub struct Series {
    pub kind: MeetingKind,
    pub starts: Date,
    pub at: Time,
    pub minutes: i64,
    pub every: Every,
}

pub fn check(f: &SeriesForm) -> Result<Series, FieldErrors> {
    let mut errors = FieldErrors::default();
    let kind = MeetingKind::from_sql(f.series_kind.trim());
    if kind.is_none() {
        errors.add("series_kind", "Choose the kind of meeting");
    }
    let starts = parse_iso(&f.starts);
    if starts.is_none() {
        errors.add("starts", "Enter the date of the first meeting");
    }
    let at = Time::parse(
        f.at.trim(),
        time::macros::format_description!("[hour]:[minute]"),
    )
    .ok();
    if at.is_none() {
        errors.add("at", "Enter the start time, like 12:30");
    }
    let minutes = f
        .minutes
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (5..=480).contains(n));
    if minutes.is_none() {
        errors.add(
            "minutes",
            "Enter how long the meeting lasts in minutes, from 5 to 480",
        );
    }
    let every = Every::ALL
        .into_iter()
        .find(|e| e.as_str() == f.every.trim());
    if every.is_none() {
        errors.add("every", "Choose how often the meeting happens");
    }
    match (kind, starts, at, minutes, every) {
        (Some(kind), Some(starts), Some(at), Some(minutes), Some(every)) => Ok(Series {
            kind,
            starts,
            at,
            minutes,
            every,
        }),
        _ => Err(errors),
    }
}

/// The UK's time zone, so the meeting stays at 12:30 through the clock changes.
const LONDON: &[&str] = &[
    "BEGIN:VTIMEZONE",
    "TZID:Europe/London",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "TZNAME:BST",
    "DTSTART:19810329T010000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "TZNAME:GMT",
    "DTSTART:19961027T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
];

/// RFC 5545 TEXT: backslash, semicolon, comma and newline escaped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded so no line is longer than 75 octets (never
/// inside a character), each ending CRLF.
fn push_line(out: &mut String, line: &str) {
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
}

fn rrule(s: &Series) -> String {
    match s.every {
        Every::Week => "RRULE:FREQ=WEEKLY".into(),
        Every::Fortnight => "RRULE:FREQ=WEEKLY;INTERVAL=2".into(),
        Every::Month => {
            let day = match s.starts.weekday() {
                time::Weekday::Monday => "MO",
                time::Weekday::Tuesday => "TU",
                time::Weekday::Wednesday => "WE",
                time::Weekday::Thursday => "TH",
                time::Weekday::Friday => "FR",
                time::Weekday::Saturday => "SA",
                time::Weekday::Sunday => "SU",
            };
            // A fifth weekday does not come every month: use "the last" instead.
            let n = (s.starts.day() as i32 - 1) / 7 + 1;
            let n = if n == 5 { -1 } else { n };
            format!("RRULE:FREQ=MONTHLY;BYDAY={n}{day}")
        }
    }
}

fn stamp(d: Date, t: Time) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        d.year(),
        d.month() as u8,
        d.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The calendar file. `uid_host` makes the UID globally unique; `now` is DTSTAMP (UTC).
pub fn ics(s: &Series, practice: &str, uid: &str, now: time::OffsetDateTime) -> String {
    let mut out = String::new();
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//Safety Net//Cyber minute//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
    ];
    lines.extend(LONDON.iter().map(|l| l.to_string()));
    let now = now.to_offset(time::UtcOffset::UTC);
    lines.extend([
        "BEGIN:VEVENT".into(),
        format!("UID:{uid}"),
        format!("DTSTAMP:{}Z", stamp(now.date(), now.time())),
        format!("DTSTART;TZID=Europe/London:{}", stamp(s.starts, s.at)),
        format!("DURATION:PT{}M", s.minutes),
        rrule(s),
        format!("SUMMARY:{}", escape(&format!("{}, {}", s.kind.label(), practice))),
        format!(
            "DESCRIPTION:{}",
            escape("Security is a standing item: the cyber minute. Safety Net prepares the briefing from your practice's own figures; open Practice meetings in Safety Net to record the meeting and print the briefing.")
        ),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ]);
    for l in &lines {
        push_line(&mut out, l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, time};

    fn series(starts: Date, every: Every) -> Series {
        Series {
            kind: MeetingKind::Practice,
            starts,
            at: time!(12:30),
            minutes: 60,
            every,
        }
    }

    #[test]
    fn lines_end_crlf_and_fold_at_75_octets() {
        let s = series(date!(2026 - 12 - 08), Every::Month);
        let long = "Ysbyty’r Surgery, with a very long name that goes on, and on; and on".repeat(2);
        let f = ics(&s, &long, "x@y", datetime!(2026-12-04 10:00 UTC));
        assert!(f.ends_with("END:VCALENDAR\r\n"));
        for l in f.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
            assert!(!l.contains('\n'));
        }
        assert!(f.contains("RRULE:FREQ=MONTHLY;BYDAY=2TU\r\n"));
        assert!(f.contains("DTSTART;TZID=Europe/London:20261208T123000\r\n"));
        assert!(f.contains("\\, and on\\; and"));
    }

    #[test]
    fn a_fifth_weekday_becomes_the_last_and_fortnights_are_every_two_weeks() {
        assert_eq!(
            rrule(&series(date!(2026 - 12 - 29), Every::Month)),
            "RRULE:FREQ=MONTHLY;BYDAY=-1TU"
        );
        assert_eq!(
            rrule(&series(date!(2026 - 12 - 29), Every::Fortnight)),
            "RRULE:FREQ=WEEKLY;INTERVAL=2"
        );
    }

    #[test]
    fn every_field_is_checked() {
        let e = check(&SeriesForm::default()).err().unwrap();
        for f in ["series_kind", "starts", "at", "minutes", "every"] {
            assert!(e.has(f), "{f}");
        }
    }
}
