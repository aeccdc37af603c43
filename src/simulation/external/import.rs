//! Reading an exercise's results file (which headings mean what, as the
//! staff import does it) and checking each row: a person of this practice,
//! and steps that say yes, no or a time. Pure: it is given the practice's
//! staff by address.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::domain::{parse_step, Step};
use crate::shared::values::echo;
use crate::shared::{FieldError, StaffId};
use crate::web::import::csv::{self as sheet, FileRules};
use crate::web::import::{Checked, Outcome};

pub const EXAMPLE_HEADER: &str = "Email,Delivered,Opened,Clicked,Submitted,Reported";

const RULES: FileRules = FileRules {
    max_rows: 20_000,
    empty: "The file is empty. Check you chose the right file, or save the results from \
            Excel again as CSV with the column names in the first row.",
    no_rows: "The file has column names but no results in it. Add one row for each person \
              below the column names.",
    too_many_rows: "The file has more than 20,000 rows. Split it into smaller files and \
                    import them one at a time.",
};

/// One row's cells as the file had them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RowCells {
    pub line: usize,
    pub email: String,
    pub delivered: String,
    pub opened: String,
    pub clicked: String,
    pub submitted: String,
    pub reported: String,
}

/// A row that passed: whose it is and each step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonResult {
    pub staff_id: StaffId,
    pub department_id: Option<i64>,
    pub delivered: Step,
    pub opened: Step,
    pub clicked: Step,
    pub submitted: Step,
    pub reported: Step,
}

pub type CheckedRow = Checked<RowCells, PersonResult>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Email,
    Delivered,
    Opened,
    Clicked,
    Submitted,
    Reported,
}

/// Header names we recognise (after `header_key`), as simulators export them.
const HEADER_NAMES: &[(Column, &[&str])] = &[
    (
        Column::Email,
        &[
            "email",
            "emailaddress",
            "recipient",
            "recipientemail",
            "user",
            "useremail",
            "userprincipalname",
            "upn",
        ],
    ),
    (
        Column::Delivered,
        &[
            "delivered",
            "sent",
            "received",
            "emaildelivered",
            "deliveredat",
        ],
    ),
    (
        Column::Opened,
        &["opened", "open", "emailopened", "openedat", "read"],
    ),
    (
        Column::Clicked,
        &[
            "clicked",
            "clickedlink",
            "linkclicked",
            "click",
            "clickedat",
        ],
    ),
    (
        Column::Submitted,
        &[
            "submitted",
            "submitteddata",
            "submittedat",
            "entereddetails",
            "credentialssubmitted",
            "compromised",
        ],
    ),
    (
        Column::Reported,
        &["reported", "reportedemail", "reportedat", "report"],
    ),
];

struct Columns {
    email: usize,
    steps: [Option<usize>; 5],
}

impl Columns {
    fn find(header: &csv::StringRecord) -> Result<Self, String> {
        let keys: Vec<String> = header.iter().map(sheet::header_key).collect();
        let position = |wanted: Column| {
            HEADER_NAMES
                .iter()
                .filter(|(c, _)| *c == wanted)
                .flat_map(|(_, names)| names.iter())
                .find_map(|name| keys.iter().position(|key| key == name))
        };
        let steps = [
            position(Column::Delivered),
            position(Column::Opened),
            position(Column::Clicked),
            position(Column::Submitted),
            position(Column::Reported),
        ];
        let found: Vec<String> = header
            .iter()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .take(10)
            .map(echo)
            .collect();
        let Some(email) = position(Column::Email) else {
            return Err(format!(
                "The file has no Email column. The first row must name the columns, for \
                 example: {EXAMPLE_HEADER}. The first row of your file has: {}.",
                found.join(", ")
            ));
        };
        if steps.iter().all(Option::is_none) {
            return Err(format!(
                "The file has no results columns: it needs at least one of Delivered, Opened, \
                 Clicked, Submitted or Reported. The first row of your file has: {}.",
                found.join(", ")
            ));
        }
        Ok(Self { email, steps })
    }

    fn cells(&self, record: &csv::StringRecord, line: usize) -> RowCells {
        let cell = |i: Option<usize>| i.map(|i| sheet::cell(record, i)).unwrap_or_default();
        let [delivered, opened, clicked, submitted, reported] = self.steps.map(cell);
        RowCells {
            line,
            email: cell(Some(self.email)),
            delivered,
            opened,
            clicked,
            submitted,
            reported,
        }
    }
}

/// Reads the header and the rows; rows with nothing we use are skipped.
pub fn read_rows(bytes: &[u8]) -> Result<Vec<RowCells>, String> {
    sheet::read_rows(bytes, &RULES, Columns::find, |cols, record, line| {
        let row = cols.cells(record, line);
        (row != RowCells {
            line,
            ..RowCells::default()
        })
        .then_some(row)
    })
}

/// Checks every row. `staff` maps lower-cased addresses to the practice's
/// staff (and their department).
pub fn check_rows(
    rows: &[RowCells],
    staff: &HashMap<String, (StaffId, Option<i64>)>,
) -> Vec<CheckedRow> {
    let mut first_line: HashMap<String, usize> = HashMap::new();
    rows.iter()
        .map(|cells| Checked {
            cells: cells.clone(),
            outcome: check_row(cells, staff, &mut first_line),
        })
        .collect()
}

fn check_row(
    cells: &RowCells,
    staff: &HashMap<String, (StaffId, Option<i64>)>,
    first_line: &mut HashMap<String, usize>,
) -> Outcome<PersonResult> {
    let mut problems = Vec::new();
    let key = cells.email.trim().to_lowercase();
    let person = if key.is_empty() {
        problems.push(FieldError::new(
            "email",
            "Email: enter the person's email address",
        ));
        None
    } else if let Some(first) = first_line.get(&key) {
        problems.push(FieldError::new(
            "email",
            format!("Email: this address is also on line {first}"),
        ));
        None
    } else {
        first_line.insert(key.clone(), cells.line);
        let found = staff.get(&key).copied();
        if found.is_none() {
            problems.push(FieldError::new(
                "email",
                format!(
                    "Email: {} is not one of your staff",
                    echo(cells.email.trim()).trim_matches('"')
                ),
            ));
        }
        found
    };
    let mut step = |raw: &str, column: &str| match parse_step(raw, column) {
        Ok(s) => s,
        Err(message) => {
            problems.push(FieldError::new(&column.to_lowercase(), message));
            Step::default()
        }
    };
    let delivered = step(&cells.delivered, "Delivered");
    let opened = step(&cells.opened, "Opened");
    let clicked = step(&cells.clicked, "Clicked");
    let submitted = step(&cells.submitted, "Submitted");
    let reported = step(&cells.reported, "Reported");
    match person {
        Some((staff_id, department_id)) if problems.is_empty() => {
            // A later step means the earlier ones happened, whatever the file left blank.
            let clicked = or_later(clicked, &[submitted]);
            let opened = or_later(opened, &[clicked]);
            Outcome::Ready(PersonResult {
                staff_id,
                department_id,
                delivered: or_later(delivered, &[opened, reported]),
                opened,
                clicked,
                submitted,
                reported,
            })
        }
        _ => Outcome::Rejected(problems),
    }
}

fn or_later(step: Step, later: &[Step]) -> Step {
    Step {
        yes: step.yes || later.iter().any(|s| s.yes),
        at: step.at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff() -> HashMap<String, (StaffId, Option<i64>)> {
        HashMap::from([
            ("ann@nhs.net".to_string(), (StaffId::new(1), Some(7))),
            ("bob@nhs.net".to_string(), (StaffId::new(2), None)),
        ])
    }

    #[test]
    fn excel_headings_with_a_bom_and_odd_spacing_are_matched() {
        let file = "\u{feff}E-mail Address , CLICKED,Reported at\r\nAnn@nhs.net,yes,\r\n";
        let rows = read_rows(file.as_bytes()).unwrap();
        assert_eq!(rows[0].email, "Ann@nhs.net");
        assert_eq!(rows[0].clicked, "yes");
        assert_eq!(rows[0].line, 2);
    }

    #[test]
    fn a_file_without_results_columns_says_what_it_needs() {
        let err = read_rows(b"Email,Name\nann@nhs.net,Ann\n").unwrap_err();
        assert!(err.contains("at least one of Delivered"));
    }

    #[test]
    fn each_row_names_its_problems_and_a_click_means_it_was_opened() {
        let row = |line, email: &str, clicked: &str| RowCells {
            line,
            email: email.into(),
            clicked: clicked.into(),
            ..RowCells::default()
        };
        let checked = check_rows(
            &[
                row(2, "ANN@nhs.net", "2026-11-03 09:15"),
                row(3, "zed@nhs.net", "yes"),
                row(4, "bob@nhs.net", "maybe"),
                row(5, "ann@nhs.net", "no"),
            ],
            &staff(),
        );
        match &checked[0].outcome {
            Outcome::Ready(r) => assert!(r.clicked.yes && r.opened.yes && r.delivered.yes),
            Outcome::Rejected(e) => panic!("{e:?}"),
        }
        let problems = |i: usize| match &checked[i].outcome {
            Outcome::Rejected(e) => e.iter().map(|e| e.message.clone()).collect::<Vec<_>>(),
            Outcome::Ready(_) => Vec::new(),
        };
        assert_eq!(problems(1), ["Email: zed@nhs.net is not one of your staff"]);
        assert!(problems(2)[0].starts_with("Clicked: "));
        assert_eq!(problems(3), ["Email: this address is also on line 2"]);
    }
}
