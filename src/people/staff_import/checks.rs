//! Checking a staff spreadsheet's rows: each becomes a new member of staff,
//! or every problem with it at once (so the file can be fixed in one go),
//! including addresses repeated in the file or already on the list.
//! Linear in the rows: 50,000 check in a blink.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use super::{CheckedRow, KnownDepartment, RowCells};
use crate::people::domain::{NewStaff, StaffFields};
use crate::shared::values::echo;
use crate::shared::{EmailAddress, FieldError};
use crate::web::import::{Checked, Outcome};

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
            Checked {
                cells: cells.clone(),
                outcome,
            }
        })
        .collect()
}

fn check_row(
    cells: &RowCells,
    department_ids: &HashMap<String, i64>,
    department_list: &str,
    existing_emails: &HashSet<String>,
    first_line_of_email: &mut HashMap<String, usize>,
) -> Outcome<NewStaff> {
    let email = EmailAddress::parse(&cells.email).and_then(|email| {
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
    });
    let fields = StaffFields {
        full_name: &cells.full_name,
        email,
        job_role: &cells.job_role,
        department_id: find_department(&cells.department, department_ids, department_list),
        start_date: &cells.start_date,
        employment_type: &cells.employment_type,
    };
    match NewStaff::check(fields) {
        Ok(staff) => Outcome::Ready(staff),
        Err(problems) => Outcome::Rejected(problems),
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
