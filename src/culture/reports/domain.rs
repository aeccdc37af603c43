//! The rules of a self-reported suspicious email: how it was reported, the
//! optional line about it, and counting reports by UK calendar month. No I/O.

use time::{Date, Month};

use crate::db::row::text_state;

/// Where the person reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    Spamreports,
    Champion,
    ItOrManager,
    Other,
}
text_state!(How);

impl How {
    pub const ALL: [How; 4] = [
        Self::Spamreports,
        Self::Champion,
        Self::ItOrManager,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spamreports => "spamreports",
            Self::Champion => "champion",
            Self::ItOrManager => "it_or_manager",
            Self::Other => "other",
        }
    }

    pub fn from_sql(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Spamreports => "Forwarded it to spamreports@nhs.net",
            Self::Champion => "Told a cyber champion",
            Self::ItOrManager => "Told IT or the practice manager",
            Self::Other => "Another way",
        }
    }
}

/// The longest optional line, in characters.
pub const NOTE_MAX: usize = 300;

/// A report as typed: how (a blank choice is "another way") and the line,
/// tidied; or what to fix, by field.
pub fn parse(how: &str, note: &str) -> Result<(How, String), (&'static str, String)> {
    let how = match how.trim() {
        "" => How::Other,
        s => How::from_sql(s).ok_or(("how", "Choose how you reported it".to_string()))?,
    };
    let note = note.split_whitespace().collect::<Vec<_>>().join(" ");
    if note.chars().count() > NOTE_MAX {
        return Err((
            "note",
            format!(
                "Keep the line about it to {NOTE_MAX} characters or fewer (it has {})",
                note.chars().count()
            ),
        ));
    }
    Ok((how, note))
}

/// A UK calendar month and how many reports it had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthCount {
    pub year: i32,
    pub month: Month,
    pub count: i64,
}

impl MonthCount {
    /// "Dec 2026".
    pub fn label(&self) -> String {
        let name = self.month.to_string();
        format!("{} {}", &name[..3], self.year)
    }
}

/// The first day of the month `date` is in.
pub fn month_start(date: Date) -> Date {
    date.replace_day(1).expect("every month has a first day")
}

/// The Unix time UK midnight begins `date`.
pub fn start_of(date: Date) -> i64 {
    match date.previous_day() {
        Some(d) => crate::ukclock::end_of_day(d) + 1,
        None => i64::MIN,
    }
}

/// The months from `from`'s to `to`'s (both included), oldest first.
pub fn months(from: Date, to: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut m = month_start(from);
    while m <= to {
        out.push(m);
        m = crate::ukclock::add_months(m, 1);
    }
    out
}

/// The Unix times from the start of `from`'s month to the end of `to`'s
/// (the end excluded).
pub fn range(from: Date, to: Date) -> (i64, i64) {
    (
        start_of(month_start(from)),
        start_of(crate::ukclock::add_months(month_start(to), 1)),
    )
}

/// Counts `times` (Unix times, any order) into the months from `from` to `to`.
pub fn bucket(from: Date, to: Date, times: &[i64]) -> Vec<MonthCount> {
    let months = months(from, to);
    let end = range(from, to).1;
    let starts: Vec<i64> = months.iter().map(|m| start_of(*m)).collect();
    let mut counts = vec![0i64; months.len()];
    for t in times.iter().filter(|t| **t < end) {
        // The last month whose start is at or before t.
        let i = starts.partition_point(|s| s <= t);
        if i > 0 {
            counts[i - 1] += 1;
        }
    }
    months
        .into_iter()
        .zip(counts)
        .map(|(m, count)| MonthCount {
            year: m.year(),
            month: m.month(),
            count,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_blank_choice_is_another_way_and_a_long_line_is_refused() {
        assert_eq!(
            parse("", "  odd   invoice ").unwrap(),
            (How::Other, "odd invoice".into())
        );
        assert_eq!(parse("spamreports", "").unwrap().0, How::Spamreports);
        assert_eq!(parse("carrier pigeon", "").unwrap_err().0, "how");
        let long = "x".repeat(NOTE_MAX + 1);
        assert_eq!(parse("champion", &long).unwrap_err().0, "note");
    }

    #[test]
    fn reports_fall_in_their_uk_month() {
        // 31 Mar 2026 23:30 BST is 22:30 UTC: still March in the UK.
        let late_march = time::macros::datetime!(2026-03-31 22:30 UTC).unix_timestamp();
        // 1 Apr 2026 00:30 BST is 31 Mar 23:30 UTC: April in the UK.
        let early_april = time::macros::datetime!(2026-03-31 23:30 UTC).unix_timestamp();
        let before = time::macros::datetime!(2026-01-01 00:00 UTC).unix_timestamp() - 1;
        let months = bucket(
            date!(2026 - 02 - 14),
            date!(2026 - 04 - 02),
            &[late_march, early_april, early_april, before],
        );
        let got: Vec<(String, i64)> = months.iter().map(|m| (m.label(), m.count)).collect();
        assert_eq!(
            got,
            vec![
                ("Feb 2026".into(), 0),
                ("Mar 2026".into(), 1),
                ("Apr 2026".into(), 2)
            ]
        );
    }
}
