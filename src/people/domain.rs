//! Validated values about people and departments, and the states a
//! member of staff and their account can be in. No database or web here.
//!
//! Each value type can only be built through `parse`, so code that holds one never needs
//! to re-check it. Error messages are written for practice staff, not IT people: they say
//! what is wrong and what to type instead.

use crate::db::row::text_state;
use crate::shared::values::{check_length, clean_text, echo, FieldError};
use crate::shared::{EmailAddress, PersonName};
use std::fmt;

use time::{Date, Month};

/// What someone does at the practice, e.g. "Practice nurse". Free text because every
/// practice names roles differently.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobRole(String);

impl JobRole {
    pub const MAX_CHARS: usize = 80;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        const F: &str = "job_role";
        let role = clean_text(raw, F, "The job role")?;
        if role.is_empty() {
            return Err(FieldError::new(
                F,
                "Enter a job role, like Receptionist or Practice nurse",
            ));
        }
        check_length(&role, Self::MAX_CHARS, F, "The job role")?;
        Ok(Self(role))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name of a team within the practice, e.g. "Reception & care navigation".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DepartmentName(String);

impl DepartmentName {
    pub const MAX_CHARS: usize = 80;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        const F: &str = "name";
        let name = clean_text(raw, F, "The department name")?;
        if name.is_empty() {
            return Err(FieldError::new(
                F,
                "Enter a department name, like Reception or Clinical",
            ));
        }
        check_length(&name, Self::MAX_CHARS, F, "The department name")?;
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DepartmentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------------------
// Employment type
// ---------------------------------------------------------------------------------------

/// How someone is engaged. It changes which joiner/leaver checks apply (a locum's access
/// needs an end date; a trainee rotates out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmploymentType {
    Permanent,
    FixedTerm,
    Locum,
    Bank,
    Contractor,
    Trainee,
}

impl EmploymentType {
    pub const ALL: [Self; 6] = [
        Self::Permanent,
        Self::FixedTerm,
        Self::Locum,
        Self::Bank,
        Self::Contractor,
        Self::Trainee,
    ];

    /// The key stored in the database. Never change these.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Permanent => "permanent",
            Self::FixedTerm => "fixed_term",
            Self::Locum => "locum",
            Self::Bank => "bank",
            Self::Contractor => "contractor",
            Self::Trainee => "trainee",
        }
    }

    /// What staff see.
    pub fn label(self) -> &'static str {
        match self {
            Self::Permanent => "Permanent",
            Self::FixedTerm => "Fixed term",
            Self::Locum => "Locum",
            Self::Bank => "Bank",
            Self::Contractor => "Contractor",
            Self::Trainee => "Trainee or student",
        }
    }

    /// Accepts storage keys, labels and the words practices commonly use in their own
    /// spreadsheets, ignoring case, hyphens and underscores.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        const F: &str = "employment_type";
        let words: Vec<String> = raw
            .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let key = words.join(" ");
        if key.is_empty() {
            return Err(FieldError::new(
                F,
                format!("Choose an employment type: {}", Self::choices()),
            ));
        }
        let found = match key.as_str() {
            "permanent" | "perm" | "permanent contract" | "substantive" | "salaried"
            | "salaried gp" | "employed" | "employee" | "staff" => Self::Permanent,
            "fixed term"
            | "fixed term contract"
            | "fixed"
            | "ftc"
            | "temp"
            | "temporary"
            | "temporary contract" => Self::FixedTerm,
            "locum" | "locum gp" | "locum nurse" | "locum doctor" | "sessional"
            | "sessional gp" => Self::Locum,
            "bank" | "bank staff" | "bank nurse" | "zero hours" | "casual" => Self::Bank,
            "contractor" | "agency" | "agency staff" | "self employed" | "third party"
            | "external" => Self::Contractor,
            "trainee" | "trainee or student" | "student" | "medical student" | "student nurse"
            | "registrar" | "gp registrar" | "gp trainee" | "apprentice" => Self::Trainee,
            _ => {
                return Err(FieldError::new(
                    F,
                    format!(
                        "{} is not an employment type we recognise. Use one of: {}",
                        echo(raw.trim()),
                        Self::choices()
                    ),
                ))
            }
        };
        Ok(found)
    }

    /// For imports, where a blank cell means the usual case.
    pub fn parse_or_default(raw: &str) -> Result<Self, FieldError> {
        if raw.trim().is_empty() {
            Ok(Self::Permanent)
        } else {
            Self::parse(raw)
        }
    }

    fn choices() -> String {
        Self::ALL.map(Self::label).join(", ")
    }

    /// The stored key back; an older spelling still reads (as [`Self::parse`] would).
    pub fn from_sql(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .or_else(|| Self::parse(s).ok())
    }
}

text_state!(EmploymentType);

impl fmt::Display for EmploymentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

// ---------------------------------------------------------------------------------------
// Start date
// ---------------------------------------------------------------------------------------

/// The day someone started at the practice. Read UK-style (day first), because
/// "03/09/2024" from a UK spreadsheet means 3 September.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StartDate(Date);

const DATE_HINT: &str = "Enter the start date as day/month/year, like 03/09/2024";

impl StartDate {
    pub const EARLIEST_YEAR: i32 = 1950;
    pub const LATEST_YEAR: i32 = 2100;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        const F: &str = "start_date";
        let typed = raw.trim();
        if typed.is_empty() {
            return Err(FieldError::new(F, DATE_HINT));
        }
        let format_error =
            || FieldError::new(F, format!("{DATE_HINT} (you entered {})", echo(typed)));

        let (year, month, day) = split_date(without_time(typed)).ok_or_else(format_error)?;
        if !(Self::EARLIEST_YEAR..=Self::LATEST_YEAR).contains(&year) {
            return Err(FieldError::new(
                F,
                format!(
                    "Enter a start date between {} and {} (you entered {})",
                    Self::EARLIEST_YEAR,
                    Self::LATEST_YEAR,
                    echo(typed)
                ),
            ));
        }
        // A day that exists in no month is a typing mistake; one that exists in some
        // other month (31 April) gets a message naming the gap.
        if !(1..=31).contains(&day) {
            return Err(format_error());
        }
        match Date::from_calendar_date(year, month, day) {
            Ok(date) => Ok(Self(date)),
            Err(_) => Err(FieldError::new(
                F,
                format!(
                    "There is no {day} {month} in {year}. {DATE_HINT} (you entered {})",
                    echo(typed)
                ),
            )),
        }
    }

    pub fn date(&self) -> Date {
        self.0
    }

    /// "2024-09-03": for storage and `<input type="date">`.
    pub fn as_iso(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }

    /// "3 September 2024": for reading, since it cannot be mistaken for a US date.
    pub fn display(&self) -> String {
        format!("{} {} {}", self.0.day(), self.0.month(), self.0.year())
    }
}

impl fmt::Display for StartDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

// ---------------------------------------------------------------------------------------
// A new member of staff, and the states of a member and their account
// ---------------------------------------------------------------------------------------

/// A member of staff ready to add: every value checked (from the form or a
/// spreadsheet row), their department one of the practice's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStaff {
    pub full_name: PersonName,
    pub email: EmailAddress,
    pub job_role: JobRole,
    pub department_id: i64,
    pub start_date: Option<StartDate>,
    pub employment_type: EmploymentType,
}

/// The fields of a member of staff as someone typed them (the staff form, a
/// spreadsheet row). The email and department come already checked, since
/// how depends on where they were typed (a form picks a department from a
/// list; a spreadsheet's address must not repeat one above it).
pub struct StaffFields<'a> {
    pub full_name: &'a str,
    pub email: Result<EmailAddress, FieldError>,
    pub job_role: &'a str,
    pub department_id: Result<i64, FieldError>,
    pub start_date: &'a str,
    pub employment_type: &'a str,
}

impl NewStaff {
    /// Checks every field at once, so the person sees every problem in one
    /// go, in the form's order. A blank start date is none; a blank
    /// employment type is permanent.
    pub fn check(f: StaffFields<'_>) -> Result<Self, Vec<FieldError>> {
        fn keep<T>(problems: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
            r.map_err(|e| problems.push(e)).ok()
        }
        let mut problems = Vec::new();
        let full_name = keep(&mut problems, PersonName::parse(f.full_name));
        let email = keep(&mut problems, f.email);
        let job_role = keep(&mut problems, JobRole::parse(f.job_role));
        let department_id = keep(&mut problems, f.department_id);
        let start_date = if f.start_date.trim().is_empty() {
            Some(None)
        } else {
            keep(&mut problems, StartDate::parse(f.start_date)).map(Some)
        };
        let employment_type = keep(
            &mut problems,
            EmploymentType::parse_or_default(f.employment_type),
        );
        match (
            full_name,
            email,
            job_role,
            department_id,
            start_date,
            employment_type,
        ) {
            (
                Some(full_name),
                Some(email),
                Some(job_role),
                Some(department_id),
                Some(start_date),
                Some(employment_type),
            ) => Ok(Self {
                full_name,
                email,
                job_role,
                department_id,
                start_date,
                employment_type,
            }),
            _ => Err(problems),
        }
    }
}

/// A member of staff's account, as the staff list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    None,
    /// Invited, no password chosen yet.
    Invited,
    Active {
        manager: bool,
        mfa: bool,
    },
    /// Closed (they have left).
    Disabled,
}

impl AccountStatus {
    /// From the account's columns (all None when there is no account).
    pub fn from_columns(
        is_manager: Option<bool>,
        set_up: Option<bool>,
        mfa: Option<bool>,
        active: Option<bool>,
    ) -> Self {
        match (is_manager, set_up, active) {
            (None, ..) => Self::None,
            (Some(_), _, Some(false)) => Self::Disabled,
            (Some(_), Some(false), _) => Self::Invited,
            (Some(manager), ..) => Self::Active {
                manager,
                mfa: mfa.unwrap_or(false),
            },
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Self::None => "No account",
            Self::Invited => "Invited",
            Self::Active { manager: true, .. } => "Practice manager",
            Self::Active { .. } => "Active",
            Self::Disabled => "Closed",
        }
    }
    pub fn has_account(&self) -> bool {
        !matches!(self, Self::None)
    }
    pub fn is_manager(&self) -> bool {
        matches!(self, Self::Active { manager: true, .. })
    }
    pub fn mfa(&self) -> bool {
        matches!(self, Self::Active { mfa: true, .. })
    }
}

/// Which people the staff list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Showing {
    Current,
    Left,
    Everyone,
}

impl Showing {
    /// From the list's `status` choice ("active", "left", "all"); anything else is current staff.
    pub fn from_query(s: &str) -> Self {
        match s {
            "left" => Self::Left,
            "all" => Self::Everyone,
            _ => Self::Current,
        }
    }
}

// ---------------------------------------------------------------------------------------
// A practice's figures for its operator
// ---------------------------------------------------------------------------------------

/// How a practice is doing, in counts only: an operator sees this, never who
/// did what.
pub struct PracticeSummary {
    pub id: crate::shared::PracticeId,
    pub name: String,
    pub ods_code: String,
    pub active_staff: i64,
    pub accounts: i64,
    pub mfa_accounts: i64,
    pub champions: i64,
    /// Current staff whose training is up to date, by the one definition
    /// (`training::is_up_to_date`, counted by `training::trained_count`).
    pub trained_staff: i64,
    /// Phishing exercise emails sent in the last 12 months, and how many were reported and clicked.
    pub emails_12m: i64,
    pub reported_12m: i64,
    pub clicked_12m: i64,
    /// Below this many people a figure could point at someone, so it is not shown.
    pub min_group: i64,
}

impl PracticeSummary {
    /// Share of accounts with two-step verification, unless so few accounts
    /// that it could point at someone.
    pub fn mfa(&self) -> String {
        if self.accounts == 0 {
            "No accounts yet".into()
        } else if self.accounts < self.min_group {
            format!("Not shown: fewer than {} accounts", self.min_group)
        } else {
            format!("{}%", self.mfa_accounts * 100 / self.accounts)
        }
    }

    /// Share of current staff whose training is up to date: the figure the
    /// practice manager sees against the DSPT target.
    pub fn training_up_to_date(&self) -> String {
        if self.active_staff < self.min_group {
            format!("Not shown: fewer than {} staff", self.min_group)
        } else {
            let trained = self.trained_staff.min(self.active_staff);
            format!("{}%", trained * 100 / self.active_staff)
        }
    }

    /// Reporting first: the share of exercise emails reported, then clicked.
    pub fn phishing_12m(&self) -> String {
        match self.emails_12m {
            0 => "No exercises".into(),
            n if n < self.min_group => format!("Not shown: fewer than {} emails", self.min_group),
            n => format!(
                "{}% reported, {}% clicked ({n} emails)",
                self.reported_12m * 100 / n,
                self.clicked_12m * 100 / n
            ),
        }
    }
}

/// Drops a time of day, which Excel adds to dates ("03/09/2024 00:00") and ISO
/// timestamps carry ("2024-09-03T09:00:00Z"). Returns the input unchanged if what follows
/// the date does not look like a time.
fn without_time(s: &str) -> &str {
    let Some(colon) = s.find(':') else {
        return s;
    };
    let Some(split) = s[..colon].rfind(|c: char| c.is_whitespace() || c == 'T' || c == 't') else {
        return s;
    };
    let time = s[split + 1..].trim().to_ascii_lowercase();
    let time = time
        .strip_suffix("am")
        .or_else(|| time.strip_suffix("pm"))
        .or_else(|| time.strip_suffix('z'))
        .unwrap_or(&time);
    let looks_like_time = time
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | '+' | '-' | ' '));
    if looks_like_time {
        s[..split].trim_end()
    } else {
        s
    }
}

/// Splits a date into (year, month, day). Day first, unless it starts with a four-digit
/// year (ISO order). Months may be numbers or names ("3 Sept 2024", "03-Sep-24": Excel
/// writes dates however the cell was formatted).
fn split_date(s: &str) -> Option<(i32, Month, u8)> {
    if s.chars()
        .any(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '/' | '-' | '.' | ',')))
    {
        return None;
    }
    let parts: Vec<&str> = s
        .split([' ', '/', '-', '.', ','])
        .filter(|p| !p.is_empty())
        .collect();
    let [first, middle, last] = parts[..] else {
        return None;
    };
    let (year, day) = if first.len() == 4 && first.chars().all(|c| c.is_ascii_digit()) {
        (first, last)
    } else {
        (last, first)
    };
    Some((parse_year(year)?, parse_month(middle)?, parse_day(day)?))
}

fn digits(s: &str, lengths: std::ops::RangeInclusive<usize>) -> Option<u32> {
    if lengths.contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn parse_year(s: &str) -> Option<i32> {
    match s.len() {
        // Two-digit years mean 20YY: start dates on a current staff list are recent.
        2 => digits(s, 2..=2).map(|y| 2000 + y as i32),
        4 => digits(s, 4..=4).map(|y| y as i32),
        _ => None,
    }
}

fn parse_month(s: &str) -> Option<Month> {
    if let Some(n) = digits(s, 1..=2) {
        return u8::try_from(n).ok().and_then(|n| Month::try_from(n).ok());
    }
    let lower = s.to_lowercase();
    if lower == "sept" {
        return Some(Month::September);
    }
    let mut month = Month::January;
    for _ in 0..12 {
        let name = month.to_string().to_lowercase();
        if lower.len() >= 3 && name.starts_with(&lower) {
            return Some(month);
        }
        month = month.next();
    }
    None
}

fn parse_day(s: &str) -> Option<u8> {
    let lower = s.to_ascii_lowercase();
    let number = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|suffix| lower.strip_suffix(suffix))
        .unwrap_or(&lower);
    digits(number, 1..=2).and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests;
