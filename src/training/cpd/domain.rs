//! The periods CPD evidence covers and how its figures are written. No I/O.

use crate::shared::PracticeId;
use crate::ukclock;

/// What a CPD summary covers: a calendar year, or an NHS appraisal year
/// (1 April to 31 March), which is how GP appraisals gather evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Calendar(i32),
    /// Starts on 1 April of this year.
    Appraisal(i32),
}

impl Period {
    /// "2026" or "2026-27", as in the summary's address.
    pub fn parse(raw: &str) -> Option<Self> {
        let in_range = |y: i32| (2000..=2100).contains(&y).then_some(y);
        match raw.split_once('-') {
            None => raw.parse().ok().and_then(in_range).map(Self::Calendar),
            Some((start, end)) => {
                let start = raw
                    .get(..4)
                    .filter(|_| start.len() == 4)
                    .and_then(|s| s.parse().ok())
                    .and_then(in_range)?;
                (end.len() == 2 && end.parse::<i32>().ok()? == (start + 1) % 100)
                    .then_some(Self::Appraisal(start))
            }
        }
    }

    /// The appraisal year a day falls in.
    pub fn appraisal_year_of(d: time::Date) -> i32 {
        if d.month() >= time::Month::April {
            d.year()
        } else {
            d.year() - 1
        }
    }

    pub fn slug(self) -> String {
        match self {
            Self::Calendar(y) => y.to_string(),
            Self::Appraisal(y) => format!("{y}-{:02}", (y + 1) % 100),
        }
    }

    pub fn label(self) -> String {
        match self {
            Self::Calendar(y) => y.to_string(),
            Self::Appraisal(y) => format!("appraisal year {y}/{:02}", (y + 1) % 100),
        }
    }

    /// From the first moment of its first day to the first moment after its last, UK time.
    pub fn bounds(self) -> Option<(i64, i64)> {
        let (start, end) = match self {
            Self::Calendar(y) => (
                time::Date::from_calendar_date(y, time::Month::January, 1).ok()?,
                time::Date::from_calendar_date(y + 1, time::Month::January, 1).ok()?,
            ),
            Self::Appraisal(y) => (
                time::Date::from_calendar_date(y, time::Month::April, 1).ok()?,
                time::Date::from_calendar_date(y + 1, time::Month::April, 1).ok()?,
            ),
        };
        Some((
            ukclock::end_of_day(start.previous_day()?) + 1,
            ukclock::end_of_day(end.previous_day()?) + 1,
        ))
    }
}

/// CPD minutes for a time spent: whole minutes, rounded up, at least one.
pub fn minutes(seconds: i64) -> i64 {
    ((seconds + 59) / 60).max(1)
}

pub fn minutes_text(m: i64) -> String {
    if m == 1 {
        "1 minute".into()
    } else {
        format!("{m} minutes")
    }
}

/// "23 November 2026", as people write dates on certificates.
pub fn long_date(d: time::Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}

/// The number printed on a certificate, `SN-{practice}-{completion:06}`.
pub fn certificate_number(practice_id: PracticeId, completion_id: i64) -> String {
    format!("SN-{practice_id}-{completion_id:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_and_appraisal_years_are_read_and_named() {
        assert_eq!(Period::parse("2026"), Some(Period::Calendar(2026)));
        assert_eq!(Period::parse("2026-27"), Some(Period::Appraisal(2026)));
        assert_eq!(Period::parse("2099-00"), Some(Period::Appraisal(2099)));
        for bad in ["2026-28", "26-27", "2026-2027", "1999", "x", "2026-", ""] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        assert_eq!(Period::Appraisal(2026).slug(), "2026-27");
        assert_eq!(Period::Appraisal(2026).label(), "appraisal year 2026/27");
        let d = |m, day| time::Date::from_calendar_date(2027, m, day).unwrap();
        assert_eq!(Period::appraisal_year_of(d(time::Month::March, 31)), 2026);
        assert_eq!(Period::appraisal_year_of(d(time::Month::April, 1)), 2027);
    }

    #[test]
    fn an_appraisal_year_runs_from_1_april_to_31_march_uk_time() {
        let (from, to) = Period::Appraisal(2026).bounds().unwrap();
        // Midnight on 1 April is 23:00 UTC the day before (British Summer Time).
        assert_eq!(from, 1_775_001_600 - 3600);
        assert_eq!(to, 1_806_537_600 - 3600);
    }

    #[test]
    fn minutes_round_up_and_certificates_are_numbered_by_practice() {
        assert_eq!((minutes(0), minutes(60), minutes(61)), (1, 1, 2));
        assert_eq!(minutes_text(1), "1 minute");
        assert_eq!(minutes_text(12), "12 minutes");
        assert_eq!(certificate_number(PracticeId::new(3), 42), "SN-3-000042");
    }
}
