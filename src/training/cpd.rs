//! CPD evidence: a certificate for each completed module, a yearly summary for
//! an appraisal portfolio, and the log as a spreadsheet. A person sees their
//! own; the practice manager sees anyone's at the practice.

use axum::extract::State;
use axum::response::Response;

use super::compliance::{pdf_response, practice_name};
use super::content::catalogue;
use crate::auth::{PracticeScope, Role};
use crate::db::Db;
use crate::pdf::{Align, Document, Weight};
use crate::shared::{AppState, PracticeId, StaffId};
use crate::ukclock;
use crate::web::spreadsheet::Sheet;
use crate::web::{AppError, Path};
use crate::with_db;

type CompletionRow = (StaffId, String, String, i64, i64, i64, i64);

async fn completion(db: &Db, scope: &PracticeScope, id: i64) -> Result<CompletionRow, AppError> {
    let row: Option<CompletionRow> = with_db!(db, p => sqlx::query_as(
        "SELECT c.staff_id, s.full_name, c.module, c.completed_at, c.seconds, c.score, c.total FROM training_completions c \
         JOIN staff s ON s.id = c.staff_id WHERE c.id = $1 AND c.practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    let row = row.ok_or(AppError::NotFound)?;
    // Someone else's certificate is "not found" unless you manage the practice.
    if scope.role() != Role::Manager && scope.user().staff_id != Some(row.0) {
        return Err(AppError::NotFound);
    }
    Ok(row)
}

fn minutes(seconds: i64) -> i64 {
    ((seconds + 59) / 60).max(1)
}

fn minutes_text(m: i64) -> String {
    if m == 1 {
        "1 minute".into()
    } else {
        format!("{m} minutes")
    }
}

/// "23 November 2026", as people write dates on certificates.
fn long_date(d: time::Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}

/// `/training/certificates/{completion_id}`: one module's CPD certificate.
pub async fn certificate(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(completion_id): Path<i64>,
) -> Result<Response, AppError> {
    let (_, name, module, at, seconds, score, total) =
        completion(&state.db, &scope, completion_id).await?;
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let m = catalogue().module(&module).ok_or(AppError::NotFound)?;
    let number = format!("SN-{}-{completion_id:06}", scope.practice_id());
    let mut doc = Document::new(
        &format!("Certificate: {}", m.title),
        &format!("{practice} · certificate {number}"),
    );
    doc.gap(10.0);
    doc.text_with(
        "Certificate of completion",
        26.0,
        Weight::Bold,
        Align::Centre,
        0.0,
    );
    doc.gap(8.0);
    doc.text_with(
        "Continuing professional development: cyber security and data protection",
        12.0,
        Weight::Regular,
        Align::Centre,
        0.0,
    );
    doc.gap(18.0);
    doc.text_with(
        "This is to certify that",
        12.0,
        Weight::Regular,
        Align::Centre,
        0.0,
    );
    doc.gap(6.0);
    doc.text_with(&name, 22.0, Weight::Bold, Align::Centre, 0.0);
    doc.gap(6.0);
    doc.text_with(
        "completed the module",
        12.0,
        Weight::Regular,
        Align::Centre,
        0.0,
    );
    doc.gap(6.0);
    doc.text_with(&m.title, 18.0, Weight::Bold, Align::Centre, 0.0);
    doc.gap(12.0);
    doc.rule();
    doc.field("Practice", &practice);
    doc.field("Date completed", &long_date(ukclock::local_date(at)));
    doc.field("Time spent (CPD)", &minutes_text(minutes(seconds)));
    doc.field("Quiz result", &format!("{score} of {total} correct"));
    doc.subheading("Learning outcomes: after this module they can");
    for o in &m.outcomes {
        doc.bullet(o);
    }
    doc.subheading("Based on guidance from");
    for s in &m.sources {
        doc.bullet(&format!("{}: {}", s.publisher, s.title));
    }
    Ok(pdf_response(
        doc.finish(),
        &format!("certificate-{}.pdf", m.slug),
    ))
}

async fn staff_for(db: &Db, scope: &PracticeScope, staff_id: StaffId) -> Result<String, AppError> {
    if scope.role() != Role::Manager && scope.user().staff_id != Some(staff_id) {
        return Err(AppError::NotFound);
    }
    let row: Option<(String,)> = with_db!(db, p => sqlx::query_as(
        "SELECT full_name FROM staff WHERE id = $1 AND practice_id = $2")
        .bind(staff_id).bind(scope.practice_id()).fetch_optional(p).await)?;
    Ok(row.ok_or(AppError::NotFound)?.0)
}

type LogRow = (i64, String, i64, i64, i64, i64);

async fn log(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    from: i64,
    to: i64,
) -> Result<Vec<LogRow>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, module, completed_at, seconds, score, total FROM training_completions \
         WHERE practice_id = $1 AND staff_id = $2 AND completed_at >= $3 AND completed_at < $4 ORDER BY completed_at")
        .bind(practice_id).bind(staff_id).bind(from).bind(to).fetch_all(p).await)
}

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
    fn bounds(self) -> Option<(i64, i64)> {
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

/// `/training/people/{staff_id}/cpd/{period}`: the CPD summary of a calendar
/// year (`2026`) or an appraisal year (`2026-27`).
pub async fn summary(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path((staff_id, period)): Path<(StaffId, String)>,
) -> Result<Response, AppError> {
    let name = staff_for(&state.db, &scope, staff_id).await?;
    let period = Period::parse(&period).ok_or_else(|| {
        AppError::BadRequest(
            "Choose a year between 2000 and 2100, like 2026, or an appraisal year, like 2026-27"
                .into(),
        )
    })?;
    let (from, to) = period.bounds().ok_or(AppError::NotFound)?;
    let label = period.label();
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let rows = log(&state.db, scope.practice_id(), staff_id, from, to).await?;
    let mut doc = Document::new(
        &format!("CPD summary {label}: {name}"),
        &format!("{practice} · CPD summary {label} · {name}"),
    );
    doc.title(&format!("Cyber security CPD summary, {label}"));
    doc.field("Name", &name);
    doc.field("Practice", &practice);
    if let Period::Appraisal(y) = period {
        doc.field("Covers", &format!("1 April {y} to 31 March {}", y + 1));
    }
    let total: i64 = rows.iter().map(|r| minutes(r.3)).sum();
    doc.field(
        "Total",
        &format!(
            "{} {}, {} hours {} minutes",
            rows.len(),
            if rows.len() == 1 { "module" } else { "modules" },
            total / 60,
            total % 60
        ),
    );
    if rows.is_empty() {
        doc.paragraph("No modules were completed in this period.");
    }
    for (id, module, at, seconds, score, total) in &rows {
        let Some(m) = catalogue().module(module) else {
            continue;
        };
        doc.subheading(&format!("{} · {}", ukclock::local_date(*at), m.title));
        doc.paragraph(&format!(
            "{} minutes. Quiz {score} of {total}. Certificate SN-{}-{id:06}.",
            minutes(*seconds),
            scope.practice_id()
        ));
        for o in &m.outcomes {
            doc.bullet(o);
        }
    }
    doc.gap(8.0);
    doc.paragraph(
        "Reflection (for your appraisal): what did you change in your work after this training?",
    );
    doc.rule();
    doc.rule();
    Ok(pdf_response(
        doc.finish(),
        &format!("cpd-summary-{}.pdf", period.slug()),
    ))
}

/// `/training/people/{staff_id}/cpd.csv`: every completion, for a CPD log.
pub async fn csv(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(staff_id): Path<StaffId>,
) -> Result<Response, AppError> {
    let name = staff_for(&state.db, &scope, staff_id).await?;
    let rows = log(&state.db, scope.practice_id(), staff_id, 0, i64::MAX).await?;
    let cert = |id: i64| format!("SN-{}-{id:06}", scope.practice_id());
    let mut sheet = Sheet::new(&[
        "Name",
        "Date",
        "Module",
        "Minutes",
        "Quiz score",
        "Certificate",
    ])?;
    for (id, module, at, seconds, score, total) in rows {
        sheet.row([
            name.clone(),
            ukclock::local_date(at).to_string(),
            super::content::module_title(&module).to_string(),
            minutes(seconds).to_string(),
            format!("{score}/{total}"),
            cert(id),
        ])?;
    }
    sheet.download("cpd-log.csv")
}

#[cfg(test)]
mod tests {
    use super::Period;

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
}
