//! One way to import a spreadsheet, for every kind: upload a CSV file, see
//! every row with everything wrong on each, then import all of them, only
//! the good rows if the manager chooses, or cancel. Nothing is added before
//! they choose, and a stored preview is imported at most once.
//!
//! A kind of import (`people::staff_import::StaffImport`,
//! `resilience::import::AssetImport`) says what its rows are, how to read
//! and check them and how to add the good ones, by implementing
//! [`CsvImport`]; the handlers in [`routes`] do the rest, instantiated for
//! it in the capability's route table (`routes::upload::<StaffImport>`).
//!
//! - `csv`: reading the file (encodings, separators, line numbers);
//! - `repo`: the stored previews (one table per kind, same shape);
//! - `routes`: the four handlers; `views`: the two pages.

pub mod csv;
pub mod repo;
pub mod routes;
pub mod views;

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::auth::audit::Action;
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::shared::FieldError;

use super::AppError;

/// The largest file an import reads.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// An import's upload: the file plus the form around it.
pub const UPLOAD_BODY: usize = MAX_FILE_BYTES + 64 * 1024;

/// The preview shows this many rows of each kind; the counts cover them all.
pub const SHOW_ROWS: usize = 500;

/// What became of one row when it was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<R> {
    Ready(R),
    /// Every problem with the row, in column order, so it can be fixed in one go.
    Rejected(Vec<FieldError>),
}

/// A row as read from the file, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked<C, R> {
    pub cells: C,
    pub outcome: Outcome<R>,
}

/// A kind of spreadsheet import. See the module's opening.
pub trait CsvImport: Send + Sync + 'static {
    /// One row's cells as the file had them (stored as JSON between the
    /// preview and the choice, and checked again then).
    type Cells: Serialize + DeserializeOwned + Clone + Send + Sync;
    /// A row that passed every check, ready to add.
    type Ready: Send + Sync;
    /// What checking needs to know from the database.
    type Known: Send + Sync;

    /// The table of stored previews (the capability's own).
    const TABLE: &'static str;
    /// Where the upload form is; a preview is at `{PATH}/{id}`.
    const PATH: &'static str;
    /// The list the import adds to: where cancelling returns, and importing
    /// (`?done=imported-N`).
    const LIST: &'static str;
    /// The file's name when the browser gives none.
    const DEFAULT_FILENAME: &'static str;
    const UPLOAD_TITLE: &'static str;
    const PREVIEW_TITLE: &'static str;
    /// The button with no problem rows: "Import 12 {ALL_NOUN}".
    const ALL_NOUN: &'static str;
    /// The preview's columns for rows with problems ("What to fix" is added)
    /// and for rows ready to import, after "Line".
    const REJECTED_COLUMNS: &'static [&'static str];
    const READY_COLUMNS: &'static [&'static str];
    /// The audit entry an import makes.
    const AUDIT: Action;

    /// The line of the file a row starts on.
    fn line(cells: &Self::Cells) -> usize;
    /// The cells under [`Self::REJECTED_COLUMNS`] and [`Self::READY_COLUMNS`].
    fn rejected_cells(cells: &Self::Cells) -> Vec<String>;
    fn ready_cells(cells: &Self::Cells) -> Vec<String>;

    /// Reads the file into rows, or says what is wrong with it as a whole.
    fn read(bytes: &[u8]) -> Result<Vec<Self::Cells>, String>;
    /// What the checks need, as the database is now.
    fn known(
        db: &Db,
        scope: &PracticeScope,
        now: i64,
    ) -> impl Future<Output = Result<Self::Known, sqlx::Error>> + Send;
    /// Checks every row, in order.
    fn check(rows: &[Self::Cells], known: &Self::Known) -> Vec<Checked<Self::Cells, Self::Ready>>;
    /// Adds the good rows, in the import's transaction.
    fn insert(
        tx: &mut Tx,
        scope: &PracticeScope,
        ready: &[&Self::Ready],
        now: i64,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// The upload page's instructions: which columns, in what form (HTML
    /// rendered from the capability's own template).
    fn help(
        db: &Db,
        scope: &PracticeScope,
    ) -> impl Future<Output = Result<String, AppError>> + Send;
}

/// What the manager chose on the preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    All,
    Good,
    Cancel,
    /// Nothing we offered.
    Unknown,
}

impl Choice {
    /// The preview form's `action` button.
    pub fn from_form(s: &str) -> Self {
        match s {
            "all" => Self::All,
            "good" => Self::Good,
            "cancel" => Self::Cancel,
            _ => Self::Unknown,
        }
    }
}

/// Why the choice cannot be carried out with these rows, or None to import
/// the `ready` ones. "All" with any rejected row imports nothing.
pub fn refusal(choice: Choice, ready: usize, rejected: usize) -> Option<String> {
    match choice {
        Choice::All if rejected > 0 => Some(format!(
            "{rejected} rows have problems, so nothing has been imported. Correct the file and upload it again, or choose to import only the {ready} good rows."
        )),
        Choice::All | Choice::Good if ready == 0 => {
            Some("There are no rows without problems to import.".to_string())
        }
        Choice::All | Choice::Good => None,
        Choice::Cancel | Choice::Unknown => {
            Some("Choose whether to import all the rows or only the good ones.".to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_means_all_or_nothing_and_good_means_only_the_good() {
        assert_eq!(refusal(Choice::All, 3, 0), None);
        assert!(refusal(Choice::All, 3, 2)
            .unwrap()
            .starts_with("2 rows have problems, so nothing has been imported"));
        assert_eq!(refusal(Choice::Good, 3, 2), None);
        assert_eq!(
            refusal(Choice::Good, 0, 2).as_deref(),
            Some("There are no rows without problems to import.")
        );
        assert!(refusal(Choice::from_form("maybe"), 3, 0).is_some());
        assert_eq!(Choice::from_form("cancel"), Choice::Cancel);
    }
}
