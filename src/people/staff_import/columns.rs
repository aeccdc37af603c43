//! Which of a staff spreadsheet's headings mean what ("Forename" and
//! "Surname", "E-mail", "Job title", "Team"…), and reading each row's cells.

use super::RowCells;
use crate::shared::values::echo;
use crate::web::import::csv::{self as sheet, FileRules};

pub const MAX_ROWS: usize = 50_000;

/// The header we show people as an example, and could offer as a blank template.
pub const EXAMPLE_HEADER: &str = "Name,Email,Job role,Department,Start date,Employment type";

const RULES: FileRules = FileRules {
    max_rows: MAX_ROWS,
    empty: "The file is empty. Check you chose the right file, or save the staff list from \
            Excel again as CSV with the column names in the first row.",
    no_rows: "The file has column names but no staff in it. Add one row for each person \
              below the column names.",
    too_many_rows: "The file has more than 50,000 staff rows. Split it into smaller files and \
                    import them one at a time.",
};

/// Reads the header and data rows. Cells are trimmed; rows with nothing in the columns we
/// use are skipped.
pub fn read_rows(bytes: &[u8]) -> Result<Vec<RowCells>, String> {
    sheet::read_rows(bytes, &RULES, Columns::find, |cols, record, line| {
        let row = cols.cells(record, line);
        (!row.is_blank()).then_some(row)
    })
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
    fn find(header: &csv::StringRecord) -> Result<Self, String> {
        let keys: Vec<String> = header.iter().map(sheet::header_key).collect();
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
        let cell = |index: usize| sheet::cell(record, index);
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

fn missing_columns_problem(missing: &[&str], header: &csv::StringRecord) -> String {
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
    message
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
