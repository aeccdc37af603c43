//! Importing staff from a spreadsheet exported from Excel or an HR/clinical
//! system, on the generic import flow (`web::import`, at `/staff/import`):
//! `columns` reads the file (which headings mean what), `checks` turns
//! each row into a new member of staff or everything wrong with it (pure:
//! it is given the practice's departments and the addresses already on its
//! list), and [`StaffImport`] ties them to the flow.

mod checks;
mod columns;
#[cfg(test)]
mod tests;

use std::collections::HashSet;

use askama::Template;

use super::domain::NewStaff;
use super::repo::departments::{self, Known as KnownDepartment};
use super::repo::staff;
use crate::auth::audit::Action;
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::web::import::{Checked, CsvImport};
use crate::web::AppError;

pub use checks::check_rows;
pub use columns::{read_rows, EXAMPLE_HEADER, MAX_ROWS};

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

/// A row as checked: ready to add, or everything wrong with it.
pub type CheckedRow = Checked<RowCells, NewStaff>;

// ---------------------------------------------------------------------------------------
// On the import flow
// ---------------------------------------------------------------------------------------

/// The staff import, at `/staff/import`.
pub struct StaffImport;

/// What checking the rows needs: the practice's departments and the
/// addresses already on its list.
pub struct KnownStaff {
    departments: Vec<KnownDepartment>,
    emails: HashSet<String>,
}

#[derive(Template)]
#[template(path = "people/import_help.html")]
struct Help {
    departments: Vec<String>,
}

impl CsvImport for StaffImport {
    type Cells = RowCells;
    type Ready = NewStaff;
    type Known = KnownStaff;

    const TABLE: &'static str = "staff_imports";
    const PATH: &'static str = "/staff/import";
    const LIST: &'static str = "/staff";
    const DEFAULT_FILENAME: &'static str = "staff.csv";
    const UPLOAD_TITLE: &'static str = "Import staff from a spreadsheet";
    const PREVIEW_TITLE: &'static str = "Check the staff before importing";
    const ALL_NOUN: &'static str = "staff";
    const REJECTED_COLUMNS: &'static [&'static str] = &["Name", "Email", "Department"];
    const READY_COLUMNS: &'static [&'static str] = &["Name", "Email", "Job role", "Department"];
    const AUDIT: Action = Action::StaffImported;

    fn line(cells: &RowCells) -> usize {
        cells.line
    }

    fn rejected_cells(c: &RowCells) -> Vec<String> {
        vec![c.full_name.clone(), c.email.clone(), c.department.clone()]
    }

    fn ready_cells(c: &RowCells) -> Vec<String> {
        vec![
            c.full_name.clone(),
            c.email.clone(),
            c.job_role.clone(),
            c.department.clone(),
        ]
    }

    fn read(bytes: &[u8]) -> Result<Vec<RowCells>, String> {
        read_rows(bytes)
    }

    async fn known(db: &Db, scope: &PracticeScope, _now: i64) -> Result<KnownStaff, sqlx::Error> {
        Ok(KnownStaff {
            departments: departments::known(db, scope).await?,
            emails: staff::emails(db, scope).await?,
        })
    }

    fn check(rows: &[RowCells], known: &KnownStaff) -> Vec<CheckedRow> {
        check_rows(rows, &known.departments, &known.emails)
    }

    async fn insert(
        tx: &mut Tx,
        scope: &PracticeScope,
        ready: &[&NewStaff],
        now: i64,
    ) -> Result<(), sqlx::Error> {
        staff::insert_many(tx, scope, ready, now).await
    }

    async fn help(db: &Db, scope: &PracticeScope) -> Result<String, AppError> {
        let departments = departments::known(db, scope).await?;
        let help = Help {
            departments: departments.into_iter().map(|d| d.name).collect(),
        };
        Ok(help.render().map_err(anyhow::Error::from)?)
    }
}
