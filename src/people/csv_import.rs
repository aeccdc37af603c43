//! Reading a staff list exported from Excel or an HR/clinical system.
//!
//! Two steps, so the practice can see a preview before anything is saved:
//! `read_rows` turns the file into raw cells (or one problem with the whole file), and
//! `check_rows` turns each row into either a new staff member or a list of everything
//! wrong with it. Nothing here touches the database; the caller passes in what it knows.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;

use super::domain::{EmploymentType, JobRole, StartDate};
use crate::shared::values::echo;
use crate::shared::{EmailAddress, FieldError, PersonName};

pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_ROWS: usize = 50_000;

/// The header we show people as an example, and could offer as a blank template.
pub const EXAMPLE_HEADER: &str = "Name,Email,Job role,Department,Start date,Employment type";

/// A department the practice already has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDepartment {
    pub id: i64,
    pub name: String,
}

/// The raw cells of one data row, kept so the preview can show what the file said and the
/// import can be re-checked at confirmation time. Serde so it can be stored as JSON between
/// preview and confirm.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct RowCells {
    /// Line in the file where this row starts; the header is line 1 if nothing is above it.
    pub line: usize,
    pub full_name: String,
    pub email: String,
    pub job_role: String,
    pub department: String,
    pub start_date: String,
    pub employment_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStaff {
    pub full_name: PersonName,
    pub email: EmailAddress,
    pub job_role: JobRole,
    pub department_id: i64,
    pub start_date: Option<StartDate>,
    pub employment_type: EmploymentType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    Ready(NewStaff),
    /// Every problem with the row, in column order, so it can be fixed in one go.
    Rejected(Vec<FieldError>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRow {
    pub cells: RowCells,
    pub outcome: RowOutcome,
}

/// A problem with the file as a whole (not one row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem(pub String);

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FileProblem {}

fn problem(message: impl Into<String>) -> FileProblem {
    FileProblem(message.into())
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

/// Turns the uploaded bytes into text, whichever way Excel saved them.
///
/// "CSV UTF-8" has a byte-order mark; "Unicode text" is UTF-16 with one; plain "CSV" on
/// UK Windows is Windows-1252 with no mark at all, so anything that is not valid UTF-8 is
/// read as that (it maps every byte, so decoding never fails).
pub fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding
            .decode_without_bom_handling(&bytes[bom_len..])
            .0
            .into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

// ---------------------------------------------------------------------------------------
// Reading rows
// ---------------------------------------------------------------------------------------

/// Reads the header and data rows. Cells are trimmed; rows with nothing in the columns we
/// use are skipped.
pub fn read_rows(bytes: &[u8]) -> Result<Vec<RowCells>, FileProblem> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(problem(
            "The file is larger than 5 MB. Split it into smaller files and import them one \
             at a time.",
        ));
    }
    let mut text = decode(bytes);
    // Old Mac Excel ends lines with a lone carriage return; the CSV reader counts lines
    // by '\n', so without this every row would be "line 1".
    if text.contains('\r') && !text.contains('\n') {
        text = text.replace('\r', "\n");
    }

    let Some(header_line) = text.lines().find(|line| has_content(line)) else {
        return Err(problem(
            "The file is empty. Check you chose the right file, or save the staff list from \
             Excel again as CSV with the column names in the first row.",
        ));
    };
    let delimiter = pick_delimiter(header_line);

    // The CSV reader quietly treats an unclosed quote as running to the end of the file,
    // which would lose every row after it without a word.
    if let Some(line) = unclosed_quote_line(&text, delimiter) {
        return Err(problem(format!(
            "Line {line} has a quotation mark (\") that is never closed, so the rest of the \
             file cannot be read. Remove the quotation mark or add the closing one, save the \
             file and try again."
        )));
    }

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());

    let mut columns: Option<Columns> = None;
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line());
                return Err(problem(format!(
                    "Line {line} of the file could not be read. Check that line, save the \
                     file as CSV again and try again."
                )));
            }
        }
        if !record.iter().any(has_content) {
            continue;
        }
        let Some(cols) = &columns else {
            columns = Some(Columns::find(&record)?);
            continue;
        };
        let row = cols.cells(&record, record_line(&record, &text));
        if row.is_blank() {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(problem(
                "The file has more than 50,000 staff rows. Split it into smaller files and \
                 import them one at a time.",
            ));
        }
        rows.push(row);
    }

    if rows.is_empty() {
        return Err(problem(
            "The file has column names but no staff in it. Add one row for each person \
             below the column names.",
        ));
    }
    Ok(rows)
}

/// A line counts if it has anything besides separators, quotes and spaces; Excel writes
/// empty rows as ",,,,".
pub(crate) fn has_content(line: &str) -> bool {
    line.chars()
        .any(|c| !(c.is_whitespace() || matches!(c, ',' | ';' | '"')))
}

/// Comma unless the header clearly uses something else: European Excel saves with ';',
/// and "Unicode text" or tab-separated exports use tabs.
pub(crate) fn pick_delimiter(header_line: &str) -> u8 {
    if header_line.contains(',') {
        return b',';
    }
    let tabs = header_line.matches('\t').count();
    let semicolons = header_line.matches(';').count();
    match (tabs, semicolons) {
        (0, 0) => b',',
        (t, s) if t >= s => b'\t',
        _ => b';',
    }
}

/// The line on which a quoted cell opens but never closes, following the same rules as
/// the CSV reader: a quote only opens a cell at its very start, and "" inside is a quote.
pub(crate) fn unclosed_quote_line(text: &str, delimiter: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut line = 1;
    let mut opened_on = 0;
    let mut in_quotes = false;
    let mut at_cell_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            line += 1;
        }
        if in_quotes {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            }
        } else if b == b'"' && at_cell_start {
            in_quotes = true;
            opened_on = line;
            at_cell_start = false;
        } else {
            at_cell_start = b == delimiter || b == b'\n' || b == b'\r';
        }
        i += 1;
    }
    in_quotes.then_some(opened_on)
}

/// The file line a record starts on. The reader reports where it *began looking*, which
/// is before any blank lines it skipped, so those are counted here.
pub(crate) fn record_line(record: &csv::StringRecord, text: &str) -> usize {
    let Some(pos) = record.position() else {
        return 0;
    };
    let start = usize::try_from(pos.byte()).unwrap_or(usize::MAX);
    let skipped = text
        .as_bytes()
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .filter(|b| **b == b'\n')
        .count();
    usize::try_from(pos.line()).unwrap_or(usize::MAX) + skipped
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    FullName,
    FirstName,
    LastName,
    Email,
    JobRole,
    Department,
    StartDate,
    EmploymentType,
}

/// Header names we recognise, after `header_key`. Within a column, earlier names win, so
/// "Job title" is preferred to a plain "Title" (which HR systems use for Mr/Mrs/Dr).
const HEADER_NAMES: &[(Column, &[&str])] = &[
    (
        Column::FullName,
        &["fullname", "name", "staffname", "employeename"],
    ),
    (
        Column::FirstName,
        &["firstname", "forename", "forenames", "givenname"],
    ),
    (Column::LastName, &["lastname", "surname", "familyname"]),
    (
        Column::Email,
        &[
            "email",
            "emailaddress",
            "workemail",
            "workemailaddress",
            "nhsmail",
            "nhsmailaddress",
            "nhsemail",
        ],
    ),
    (
        Column::JobRole,
        &["jobrole", "jobtitle", "role", "position", "title"],
    ),
    (
        Column::Department,
        &["department", "departmentname", "dept", "team", "teamname"],
    ),
    (
        Column::StartDate,
        &[
            "startdate",
            "datestarted",
            "started",
            "start",
            "startingdate",
        ],
    ),
    (
        Column::EmploymentType,
        &[
            "employmenttype",
            "employment",
            "contracttype",
            "contract",
            "type",
        ],
    ),
];

/// Lower-case letters and digits only, with any "(...)" note removed, so "E-mail",
/// "Job_Title" and "Start date (dd/mm/yyyy)" all match.
pub(crate) fn header_key(cell: &str) -> String {
    let mut key = String::with_capacity(cell.len());
    let mut depth = 0u32;
    for c in cell.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            c if depth == 0 && c.is_alphanumeric() => key.extend(c.to_lowercase()),
            _ => {}
        }
    }
    key
}

#[derive(Debug)]
enum NameColumns {
    Full(usize),
    Split { first: usize, last: usize },
}

/// Where each field is in the file.
#[derive(Debug)]
struct Columns {
    name: NameColumns,
    email: usize,
    job_role: usize,
    department: usize,
    start_date: Option<usize>,
    employment_type: Option<usize>,
}

impl Columns {
    fn find(header: &csv::StringRecord) -> Result<Self, FileProblem> {
        let keys: Vec<String> = header.iter().map(header_key).collect();
        let position = |wanted: Column| {
            HEADER_NAMES
                .iter()
                .filter(|(column, _)| *column == wanted)
                .flat_map(|(_, names)| names.iter())
                .find_map(|name| keys.iter().position(|key| key == name))
        };

        let name = match (
            position(Column::FullName),
            position(Column::FirstName),
            position(Column::LastName),
        ) {
            (Some(full), _, _) => Ok(NameColumns::Full(full)),
            (None, Some(first), Some(last)) => Ok(NameColumns::Split { first, last }),
            (None, Some(_), None) => Err("Last name"),
            (None, None, Some(_)) => Err("First name"),
            (None, None, None) => Err("Name"),
        };
        let email = position(Column::Email).ok_or("Email");
        let job_role = position(Column::JobRole).ok_or("Job role");
        let department = position(Column::Department).ok_or("Department");

        match (name, email, job_role, department) {
            (Ok(name), Ok(email), Ok(job_role), Ok(department)) => Ok(Self {
                name,
                email,
                job_role,
                department,
                start_date: position(Column::StartDate),
                employment_type: position(Column::EmploymentType),
            }),
            (name, email, job_role, department) => {
                let missing: Vec<&str> =
                    [name.err(), email.err(), job_role.err(), department.err()]
                        .into_iter()
                        .flatten()
                        .collect();
                Err(missing_columns_problem(&missing, header))
            }
        }
    }

    fn cells(&self, record: &csv::StringRecord, line: usize) -> RowCells {
        let cell = |index: usize| record.get(index).unwrap_or("").trim().to_owned();
        let full_name = match self.name {
            NameColumns::Full(index) => cell(index),
            NameColumns::Split { first, last } => {
                let (first, last) = (cell(first), cell(last));
                match (first.is_empty(), last.is_empty()) {
                    (false, false) => format!("{first} {last}"),
                    (false, true) => first,
                    _ => last,
                }
            }
        };
        RowCells {
            line,
            full_name,
            email: cell(self.email),
            job_role: cell(self.job_role),
            department: cell(self.department),
            start_date: self.start_date.map(cell).unwrap_or_default(),
            employment_type: self.employment_type.map(cell).unwrap_or_default(),
        }
    }
}

fn missing_columns_problem(missing: &[&str], header: &csv::StringRecord) -> FileProblem {
    let mut message = format!(
        "The file has no column for: {}. The first row must name the columns, for example: \
         {EXAMPLE_HEADER}",
        missing.join(", ")
    );
    // Showing what we did find lets people spot a misspelt or unexpected heading.
    if header.iter().any(|cell| cell.contains('@')) {
        message.push_str(
            ". The first row of your file looks like a person's details, so add a row of \
             column names above it.",
        );
    } else {
        const SHOWN: usize = 10;
        let found: Vec<String> = header
            .iter()
            .map(str::trim)
            .filter(|cell| !cell.is_empty())
            .take(SHOWN)
            .map(echo)
            .collect();
        let more = header.len().saturating_sub(SHOWN);
        message.push_str(&format!(
            ". The first row of your file has: {}{}.",
            found.join(", "),
            if more > 0 { ", …" } else { "" }
        ));
    }
    problem(message)
}

impl RowCells {
    fn is_blank(&self) -> bool {
        [
            &self.full_name,
            &self.email,
            &self.job_role,
            &self.department,
            &self.start_date,
            &self.employment_type,
        ]
        .iter()
        .all(|cell| cell.is_empty())
    }
}

// ---------------------------------------------------------------------------------------
// Checking rows
// ---------------------------------------------------------------------------------------

/// Checks every row. `existing_emails` holds the lower-cased addresses already on the
/// staff list. Linear in the number of rows, so 50,000 rows check in a blink.
pub fn check_rows(
    rows: &[RowCells],
    departments: &[KnownDepartment],
    existing_emails: &HashSet<String>,
) -> Vec<CheckedRow> {
    let mut department_ids: HashMap<String, i64> = HashMap::with_capacity(departments.len());
    for department in departments {
        department_ids
            .entry(department_key(&department.name))
            .or_insert(department.id);
    }
    let department_list = describe_departments(departments);
    let mut first_line_of_email: HashMap<String, usize> = HashMap::with_capacity(rows.len());

    rows.iter()
        .map(|cells| {
            let outcome = check_row(
                cells,
                &department_ids,
                &department_list,
                existing_emails,
                &mut first_line_of_email,
            );
            CheckedRow {
                cells: cells.clone(),
                outcome,
            }
        })
        .collect()
}

/// Notes a problem and carries on, so a row reports everything wrong with it at once.
fn keep<T>(problems: &mut Vec<FieldError>, result: Result<T, FieldError>) -> Option<T> {
    result.map_err(|e| problems.push(e)).ok()
}

fn check_row(
    cells: &RowCells,
    department_ids: &HashMap<String, i64>,
    department_list: &str,
    existing_emails: &HashSet<String>,
    first_line_of_email: &mut HashMap<String, usize>,
) -> RowOutcome {
    let mut problems = Vec::new();

    let full_name = keep(&mut problems, PersonName::parse(&cells.full_name));
    let email = keep(
        &mut problems,
        EmailAddress::parse(&cells.email).and_then(|email| {
            // Recorded even when already on the staff list, so a second copy in the file
            // points back to the first rather than repeating the same message.
            let earlier = match first_line_of_email.entry(email.as_str().to_owned()) {
                Entry::Occupied(first) => Some(*first.get()),
                Entry::Vacant(slot) => {
                    slot.insert(cells.line);
                    None
                }
            };
            if existing_emails.contains(email.as_str()) {
                Err(FieldError::new(
                    "email",
                    format!("{email} is already on the staff list"),
                ))
            } else if let Some(first) = earlier {
                Err(FieldError::new(
                    "email",
                    format!("This email address is also on line {first}"),
                ))
            } else {
                Ok(email)
            }
        }),
    );
    let job_role = keep(&mut problems, JobRole::parse(&cells.job_role));
    let department_id = keep(
        &mut problems,
        find_department(&cells.department, department_ids, department_list),
    );
    let start_date = keep(
        &mut problems,
        if cells.start_date.trim().is_empty() {
            Ok(None)
        } else {
            StartDate::parse(&cells.start_date).map(Some)
        },
    );
    let employment_type = keep(
        &mut problems,
        EmploymentType::parse_or_default(&cells.employment_type),
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
        ) => RowOutcome::Ready(NewStaff {
            full_name,
            email,
            job_role,
            department_id,
            start_date,
            employment_type,
        }),
        _ => RowOutcome::Rejected(problems),
    }
}

/// Case and spacing differences are not worth rejecting a row over.
fn department_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// "Reception, Clinical, Admin": the first few, so a long list cannot swamp the page.
fn describe_departments(departments: &[KnownDepartment]) -> String {
    const SHOWN: usize = 10;
    if departments.is_empty() {
        return "this practice has no departments yet".to_owned();
    }
    let mut list: Vec<&str> = departments
        .iter()
        .take(SHOWN)
        .map(|d| d.name.trim())
        .collect();
    let more = departments.len().saturating_sub(SHOWN);
    let more_text = format!("and {more} more");
    if more > 0 {
        list.push(&more_text);
    }
    list.join(", ")
}

fn find_department(
    raw: &str,
    department_ids: &HashMap<String, i64>,
    department_list: &str,
) -> Result<i64, FieldError> {
    const F: &str = "department";
    let typed = raw.trim();
    if typed.is_empty() {
        return Err(FieldError::new(
            F,
            format!("Enter a department ({department_list})"),
        ));
    }
    department_ids
        .get(&department_key(typed))
        .copied()
        .ok_or_else(|| {
            FieldError::new(
                F,
                format!(
                    "{} is not one of this practice's departments ({department_list}). Add \
                     the department first or correct the spelling.",
                    echo(typed)
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn departments() -> Vec<KnownDepartment> {
        [
            (1, "Reception & care navigation"),
            (2, "Clinical"),
            (3, "Admin"),
        ]
        .into_iter()
        .map(|(id, name)| KnownDepartment {
            id,
            name: name.to_owned(),
        })
        .collect()
    }

    fn check(rows: &[RowCells], existing: &[&str]) -> Vec<CheckedRow> {
        let existing: HashSet<String> = existing.iter().map(|e| e.to_string()).collect();
        check_rows(rows, &departments(), &existing)
    }

    fn read(text: &str) -> Vec<RowCells> {
        read_rows(text.as_bytes()).unwrap_or_else(|p| panic!("{p}"))
    }

    fn read_problem(bytes: &[u8]) -> String {
        read_rows(bytes).expect_err("should fail").0
    }

    fn ready(row: &CheckedRow) -> &NewStaff {
        match &row.outcome {
            RowOutcome::Ready(staff) => staff,
            RowOutcome::Rejected(problems) => panic!("line {}: {problems:?}", row.cells.line),
        }
    }

    fn rejected(row: &CheckedRow) -> Vec<(&str, &str)> {
        match &row.outcome {
            RowOutcome::Ready(_) => panic!("line {} was accepted", row.cells.line),
            RowOutcome::Rejected(problems) => problems
                .iter()
                .map(|p| (p.field.as_str(), p.message.as_str()))
                .collect(),
        }
    }

    const GOOD: &str = "Name,Email,Job role,Department,Start date,Employment type\n\
        Jane Smith,Jane.Smith@NHS.net,Receptionist,Reception & care navigation,03/09/2024,\n\
        Dr Amir Khan,amir.khan@nhs.net,GP partner,clinical ,,Permanent\n\
        Sam Lee,sam.lee@nhs.net,Practice nurse,Clinical,2023-01-15,Locum\n";

    #[test]
    fn good_file_becomes_ready_rows() {
        let rows = read(GOOD);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            RowCells {
                line: 2,
                full_name: "Jane Smith".into(),
                email: "Jane.Smith@NHS.net".into(),
                job_role: "Receptionist".into(),
                department: "Reception & care navigation".into(),
                start_date: "03/09/2024".into(),
                employment_type: "".into(),
            }
        );
        assert_eq!(rows[1].department, "clinical", "cells are trimmed");
        assert_eq!(rows[2].line, 4);

        let checked = check(&rows, &[]);
        let jane = ready(&checked[0]);
        assert_eq!(jane.email.as_str(), "jane.smith@nhs.net");
        assert_eq!(jane.department_id, 1);
        assert_eq!(jane.start_date.unwrap().as_iso(), "2024-09-03");
        assert_eq!(jane.employment_type, EmploymentType::Permanent);
        let amir = ready(&checked[1]);
        assert_eq!(amir.department_id, 2);
        assert_eq!(amir.start_date, None);
        assert_eq!(ready(&checked[2]).employment_type, EmploymentType::Locum);
    }

    #[test]
    fn excel_csv_utf8_with_bom() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(
            "Name,Email,Job role,Department\nSiân Jones,sian@nhs.net,GP,Clinical\r\n".as_bytes(),
        );
        let rows = read_rows(&bytes).unwrap();
        assert_eq!(rows[0].full_name, "Siân Jones");
        assert!(matches!(check(&rows, &[])[0].outcome, RowOutcome::Ready(_)));
    }

    #[test]
    fn excel_plain_csv_is_windows_1252() {
        // "Siân O’Brien", "Zoë" and "£" as Excel writes them on UK Windows.
        let bytes = b"Name,Email,Job role,Department\r\n\
            Si\xE2n O\x92Brien,sian@nhs.net,Practice manager (\xA3 budget),Admin\r\n\
            Zo\xEB Hart,zoe@nhs.net,Receptionist,Reception & care navigation\r\n";
        assert_eq!(
            decode(bytes).lines().nth(1).unwrap(),
            "Siân O’Brien,sian@nhs.net,Practice manager (£ budget),Admin"
        );
        let rows = read_rows(bytes).unwrap();
        assert_eq!(rows[0].full_name, "Siân O’Brien");
        assert_eq!(rows[1].full_name, "Zoë Hart");
        assert_eq!((rows[0].line, rows[1].line), (2, 3));
        let checked = check(&rows, &[]);
        assert_eq!(ready(&checked[0]).full_name.as_str(), "Siân O’Brien");
        assert_eq!(ready(&checked[1]).full_name.as_str(), "Zoë Hart");
    }

    #[test]
    fn excel_unicode_text_is_utf16_with_tabs() {
        let text =
            "Name\tEmail\tJob role\tDepartment\r\nZoë Hart\tzoe@nhs.net\tNurse\tClinical\r\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        for bytes in [le, be] {
            let rows = read_rows(&bytes).unwrap();
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].full_name, "Zoë Hart");
            assert_eq!(rows[0].department, "Clinical");
            assert_eq!(rows[0].line, 2);
        }
    }

    #[test]
    fn semicolon_and_tab_delimiters() {
        let rows = read("Name;Email;Job role;Department\nJane Smith;jane@nhs.net;GP;Clinical\n");
        assert_eq!(rows[0].email, "jane@nhs.net");
        assert_eq!(rows[0].department, "Clinical");
        let rows =
            read("Name\tEmail\tJob role\tDepartment\nJane Smith\tjane@nhs.net\tGP\tClinical\n");
        assert_eq!(rows[0].job_role, "GP");
        // A comma in the header means commas, even if a heading has a semicolon in it.
        let rows = read("Name,Email,Job role,Department,Notes; misc\nA B,a@nhs.net,GP,Clinical\n");
        assert_eq!(rows[0].full_name, "A B");
    }

    #[test]
    fn first_and_last_name_columns_are_joined() {
        let rows = read(
            "Title,Forename,Surname,E-mail,Job Title,Dept.\n\
             Dr,Amir,Khan,amir@nhs.net,GP partner,Clinical\n\
             Ms,,Cher,cher@nhs.net,Receptionist,Admin\n",
        );
        assert_eq!(rows[0].full_name, "Amir Khan");
        assert_eq!(rows[0].job_role, "GP partner", "Job title beats Title");
        assert_eq!(rows[1].full_name, "Cher");
        let checked = check(&rows, &[]);
        assert_eq!(ready(&checked[0]).department_id, 2);
    }

    #[test]
    fn header_matching_ignores_case_spacing_and_notes() {
        let rows = read(
            "STAFF_NAME, Email Address ,Role,Team,Notes,Start Date (DD/MM/YYYY),Contract type\n\
             Jane Smith,jane@nhs.net,GP,Clinical,likes tea,1/2/2020,Bank\n",
        );
        assert_eq!(
            rows[0],
            RowCells {
                line: 2,
                full_name: "Jane Smith".into(),
                email: "jane@nhs.net".into(),
                job_role: "GP".into(),
                department: "Clinical".into(),
                start_date: "1/2/2020".into(),
                employment_type: "Bank".into(),
            }
        );
    }

    #[test]
    fn per_row_errors_with_line_numbers() {
        let rows = read(
            "Name,Email,Job role,Department\n\
             Jane Smith,jane@nhs.net,GP,Clinical\n\
             Bad Email,bad@@nhs.net,GP,Clinical\n\
             Typo Dept,typo@nhs.net,Receptionist,Recepton\n\
             Jane Again,JANE@nhs.net,GP,Clinical\n\
             Old Hand,old@nhs.net,Nurse,Clinical\n\
             ,noname@nhs.net,Nurse,Clinical\n",
        );
        let checked = check(&rows, &["old@nhs.net"]);
        let lines: Vec<usize> = checked.iter().map(|r| r.cells.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6, 7]);
        ready(&checked[0]);
        assert_eq!(rejected(&checked[1])[0].0, "email");
        assert_eq!(
            rejected(&checked[2]),
            [(
                "department",
                "\"Recepton\" is not one of this practice's departments (Reception & care \
                 navigation, Clinical, Admin). Add the department first or correct the spelling."
            )]
        );
        assert_eq!(
            rejected(&checked[3]),
            [("email", "This email address is also on line 2")]
        );
        assert_eq!(
            rejected(&checked[4]),
            [("email", "old@nhs.net is already on the staff list")]
        );
        assert_eq!(
            rejected(&checked[5]),
            [("full_name", "Enter the person's full name")]
        );
    }

    #[test]
    fn every_later_duplicate_points_to_the_first() {
        let rows = read(
            "Name,Email,Job role,Department\n\
             A One,dup@nhs.net,GP,Clinical\n\
             B Two,dup@nhs.net,GP,Clinical\n\
             C Three,Dup@NHS.net,GP,Clinical\n\
             D Four,old@nhs.net,GP,Clinical\n\
             E Five,old@nhs.net,GP,Clinical\n",
        );
        let checked = check(&rows, &["old@nhs.net"]);
        ready(&checked[0]);
        for row in &checked[1..3] {
            assert_eq!(
                rejected(row),
                [("email", "This email address is also on line 2")]
            );
        }
        for row in &checked[3..] {
            assert_eq!(
                rejected(row),
                [("email", "old@nhs.net is already on the staff list")]
            );
        }
    }

    #[test]
    fn a_row_with_several_problems_lists_them_all() {
        let rows = read(
            "Name,Email,Job role,Department,Start date,Employment type\n\
             123,jane@nhs,,Nowhere,31/02/2025,Volunteer\n",
        );
        let checked = check(&rows, &[]);
        let problems = rejected(&checked[0]);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                "full_name",
                "email",
                "job_role",
                "department",
                "start_date",
                "employment_type"
            ]
        );
    }

    #[test]
    fn department_matching_and_messages() {
        let row = |department: &str| RowCells {
            line: 2,
            full_name: "Jane Smith".into(),
            email: "jane@nhs.net".into(),
            job_role: "GP".into(),
            department: department.into(),
            start_date: String::new(),
            employment_type: String::new(),
        };
        let checked = check(&[row("  RECEPTION   &  care navigation ")], &[]);
        assert_eq!(ready(&checked[0]).department_id, 1);
        assert_eq!(
            rejected(&check(&[row("")], &[])[0]),
            [(
                "department",
                "Enter a department (Reception & care navigation, Clinical, Admin)"
            )]
        );

        let many: Vec<KnownDepartment> = (1..=12)
            .map(|id| KnownDepartment {
                id,
                name: format!("Team {id}"),
            })
            .collect();
        let checked = check_rows(&[row("Nope")], &many, &HashSet::new());
        assert!(rejected(&checked[0])[0].1.contains("Team 10, and 2 more)"));
        let checked = check_rows(&[row("Clinical")], &[], &HashSet::new());
        assert!(rejected(&checked[0])[0]
            .1
            .contains("(this practice has no departments yet)"));
    }

    #[test]
    fn missing_columns_are_named() {
        assert_eq!(
            read_problem(b"Name,Job title,Notes\nJane,GP,x\n"),
            "The file has no column for: Email, Department. The first row must name the \
             columns, for example: Name,Email,Job role,Department,Start date,Employment type. \
             The first row of your file has: \"Name\", \"Job title\", \"Notes\"."
        );
        assert!(read_problem(b"Forename,Email,Role,Team\n")
            .starts_with("The file has no column for: Last name."));
        assert!(read_problem(b"Jane Smith,jane@nhs.net,GP,Clinical\n")
            .contains("looks like a person's details"));
    }

    #[test]
    fn empty_and_header_only_files() {
        assert!(read_problem(b"").starts_with("The file is empty"));
        assert!(read_problem(b"\r\n  \n,,,\n").starts_with("The file is empty"));
        assert!(read_problem(b"\xEF\xBB\xBF").starts_with("The file is empty"));
        assert!(read_problem(b"Name,Email,Job role,Department\n,,,\n").contains("no staff in it"));
    }

    #[test]
    fn oversized_file_is_refused() {
        let bytes = vec![b'a'; MAX_FILE_BYTES + 1];
        assert_eq!(
            read_problem(&bytes),
            "The file is larger than 5 MB. Split it into smaller files and import them one \
             at a time."
        );
    }

    #[test]
    fn row_limit() {
        let mut text = String::from("Name,Email,Role,Dept\n");
        for i in 0..MAX_ROWS {
            text.push_str(&format!("P {i},p{i}@nhs.net,GP,Clinical\n"));
        }
        assert!(text.len() <= MAX_FILE_BYTES);
        let rows = read(&text);
        assert_eq!(rows.len(), MAX_ROWS);
        assert_eq!(rows[MAX_ROWS - 1].line, MAX_ROWS + 1);
        let checked = check(&rows, &["p7@nhs.net"]);
        let rejected_count = checked
            .iter()
            .filter(|r| matches!(r.outcome, RowOutcome::Rejected(_)))
            .count();
        assert_eq!(rejected_count, 1);

        text.push_str("One More,one.more@nhs.net,GP,Clinical\n");
        assert!(read_problem(text.as_bytes()).contains("more than 50,000"));
    }

    #[test]
    fn quoted_cells_keep_commas_and_line_breaks() {
        let rows = read(
            "Name,Email,Job role,Department\n\
             \"Smith, Jane\",jane@nhs.net,\"GP, partner\",Clinical\n\
             \"Amir\nKhan\",amir@nhs.net,\"Nurse \"\"lead\"\"\",Clinical\n\
             Sam Lee,sam@nhs.net,Admin,Admin\n\
             \n\
             \r\n\
             Pat Doe,pat@nhs.net,Admin,Admin\n",
        );
        assert_eq!(rows[0].full_name, "Smith, Jane");
        assert_eq!(rows[0].job_role, "GP, partner");
        assert_eq!(rows[1].full_name, "Amir\nKhan");
        assert_eq!(rows[1].job_role, "Nurse \"lead\"");
        let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 5, 8]);
        let checked = check(&rows, &[]);
        assert_eq!(ready(&checked[1]).full_name.as_str(), "Amir Khan");
    }

    #[test]
    fn unclosed_quote_names_the_line() {
        let problem = read_problem(
            b"Name,Email,Job role,Department\n\
              Jane Smith,jane@nhs.net,GP,Clinical\n\
              \"Amir Khan,amir@nhs.net,GP,Clinical\n\
              Sam Lee,sam@nhs.net,Admin,Admin\n",
        );
        assert!(
            problem.starts_with("Line 3 has a quotation mark"),
            "{problem}"
        );
        // A quote inside an unquoted cell is just a character.
        let rows = read("Name,Email,Job role,Department\nJ \"JJ\" Smith,j@nhs.net,GP,Clinical\n");
        assert_eq!(rows[0].full_name, "J \"JJ\" Smith");
    }

    #[test]
    fn ragged_and_blank_rows() {
        let rows = read(
            "\n\nName,Email,Job role,Department,Start date\n\
             Jane Smith,jane@nhs.net,GP\n\
             ,,,,\n\
             Sam Lee,sam@nhs.net,Admin,Admin,01/01/2020,extra,cells\n\
             ,,,,,,only a note\n",
        );
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[1].line), (4, 6));
        assert_eq!(rows[0].department, "");
        assert_eq!(rows[1].start_date, "01/01/2020");
        assert_eq!(
            rejected(&check(&rows, &[])[0]),
            [(
                "department",
                "Enter a department (Reception & care navigation, Clinical, Admin)"
            )]
        );
    }

    #[test]
    fn european_excel_blank_rows_before_the_header() {
        let rows = read(";;;\nName;Email;Job role;Department\n;;;\nA B;a@nhs.net;GP;Clinical\n");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 4);
    }

    #[test]
    fn old_mac_line_endings() {
        let rows = read("Name,Email,Job role,Department\rA B,a@nhs.net,GP,Clinical\rC D,c@nhs.net,GP,Clinical\r");
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn row_cells_round_trip_as_json() {
        let rows = read(GOOD);
        let json = serde_json::to_string(&rows).unwrap();
        let back: Vec<RowCells> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rows);
    }
}
