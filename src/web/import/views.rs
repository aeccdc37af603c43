//! The two pages every import shows (templates `import_upload.html` and
//! `import_preview.html`): the upload form with the kind's own
//! instructions, and the preview of every row.

use askama::Template;

use super::{Checked, CsvImport, Outcome, SHOW_ROWS};
use crate::auth::SessionUser;
use crate::web::Page;

#[derive(Template)]
#[template(path = "import_upload.html")]
pub struct UploadPage {
    pub page: Page,
    pub heading: &'static str,
    pub action: &'static str,
    /// The kind's instructions, rendered from its own (escaping) template.
    pub help: String,
    pub error: Option<String>,
}

impl UploadPage {
    pub fn new<I: CsvImport>(user: &SessionUser, help: String, error: Option<String>) -> Self {
        Self {
            page: Page::for_user(I::UPLOAD_TITLE, user),
            heading: I::UPLOAD_TITLE,
            action: I::PATH,
            help,
            error,
        }
    }
}

pub struct PreviewRow {
    pub line: usize,
    pub cells: Vec<String>,
    pub problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "import_preview.html")]
pub struct PreviewPage {
    pub page: Page,
    pub heading: &'static str,
    pub action: String,
    pub filename: String,
    pub all_noun: &'static str,
    pub ready: usize,
    pub rejected: usize,
    pub rejected_columns: &'static [&'static str],
    pub ready_columns: &'static [&'static str],
    pub rejected_rows: Vec<PreviewRow>,
    pub ready_rows: Vec<PreviewRow>,
    pub shown_limit: usize,
    pub error: Option<String>,
}

impl PreviewPage {
    pub fn new<I: CsvImport>(
        user: &SessionUser,
        id: i64,
        filename: String,
        checked: &[Checked<I::Cells, I::Ready>],
        error: Option<String>,
    ) -> Self {
        let mut rejected_rows = Vec::new();
        let mut ready_rows = Vec::new();
        let (mut ready, mut rejected) = (0, 0);
        for c in checked {
            match &c.outcome {
                Outcome::Ready(_) => {
                    ready += 1;
                    if ready_rows.len() < SHOW_ROWS {
                        ready_rows.push(PreviewRow {
                            line: I::line(&c.cells),
                            cells: I::ready_cells(&c.cells),
                            problems: Vec::new(),
                        });
                    }
                }
                Outcome::Rejected(errs) => {
                    rejected += 1;
                    if rejected_rows.len() < SHOW_ROWS {
                        rejected_rows.push(PreviewRow {
                            line: I::line(&c.cells),
                            cells: I::rejected_cells(&c.cells),
                            problems: errs.iter().map(|e| e.message.clone()).collect(),
                        });
                    }
                }
            }
        }
        Self {
            page: Page::for_user(I::PREVIEW_TITLE, user),
            heading: I::PREVIEW_TITLE,
            action: format!("{}/{id}", I::PATH),
            filename,
            all_noun: I::ALL_NOUN,
            ready,
            rejected,
            rejected_columns: I::REJECTED_COLUMNS,
            ready_columns: I::READY_COLUMNS,
            rejected_rows,
            ready_rows,
            shown_limit: SHOW_ROWS,
            error,
        }
    }
}

/// A finished import, for someone who comes back to it.
#[derive(Template)]
#[template(path = "import_finished.html")]
pub struct FinishedPage {
    pub page: Page,
    pub heading: &'static str,
    pub filename: String,
    /// Rows added and skipped, if it was imported (None: cancelled).
    pub outcome: Option<(i64, i64)>,
    pub finished_on: Option<String>,
    pub list: &'static str,
    pub upload: &'static str,
}

impl FinishedPage {
    pub fn new<I: CsvImport>(user: &SessionUser, stored: &super::repo::Stored) -> Self {
        let outcome = match stored.status {
            super::repo::Status::Imported => {
                Some((stored.imported.unwrap_or(0), stored.skipped.unwrap_or(0)))
            }
            _ => None,
        };
        Self {
            page: Page::for_user(I::PREVIEW_TITLE, user),
            heading: I::UPLOAD_TITLE,
            filename: stored.filename.clone(),
            outcome,
            finished_on: stored
                .finished_at
                .map(|t| crate::ukclock::day(crate::ukclock::local_date(t))),
            list: I::LIST,
            upload: I::PATH,
        }
    }
}
