//! The pages: the list with the record form, one exercise (its figures,
//! departments, results file and summary forms), and the results file's
//! preview on the shared import page.

use askama::Template;

use super::domain::{ExerciseForm, RunBy, SummaryForm};
use super::import::CheckedRow;
use super::repo::ExerciseRow;
use crate::auth::SessionUser;
use crate::simulation::reporting::repo::DepartmentFigures;
use crate::web::import::views::{PreviewPage, PreviewRow};
use crate::web::import::{Outcome, SHOW_ROWS};
use crate::web::{FieldErrors, Page};

impl ExerciseRow {
    /// `n` as a whole percentage of those who received it.
    pub fn percent(&self, n: impl std::borrow::Borrow<i64>) -> i64 {
        let n = *n.borrow();
        if self.sent == 0 {
            0
        } else {
            (n * 100 + self.sent / 2) / self.sent
        }
    }

    pub fn run_by_label(&self) -> &'static str {
        RunBy::from_sql(&self.run_by).map_or("", RunBy::label)
    }

    fn day(s: &str) -> String {
        crate::training::assignments::parse_date(s)
            .map(crate::ukclock::day)
            .unwrap_or_default()
    }

    /// "3 Nov 2026 to 10 Nov 2026".
    pub fn dates(&self) -> String {
        format!(
            "{} to {}",
            Self::day(&self.starts_on),
            Self::day(&self.ends_on)
        )
    }

    pub fn flags(&self) -> Vec<&str> {
        self.red_flags.lines().collect()
    }

    pub fn has_results(&self) -> bool {
        self.source != "none"
    }

    pub fn from_summary(&self) -> bool {
        self.source == "summary"
    }
}

#[derive(Template)]
#[template(path = "simulation/external/list.html")]
pub struct ListPage {
    pub page: Page,
    pub exercises: Vec<ExerciseRow>,
    pub form: ExerciseForm,
    pub errors: FieldErrors,
    pub run_by: [RunBy; 2],
}

#[derive(Template)]
#[template(path = "simulation/external/show.html")]
pub struct ShowPage {
    pub page: Page,
    pub e: ExerciseRow,
    /// Departments at or above the minimum group size, and how many were kept back.
    pub departments: Vec<DepartmentFigures>,
    pub hidden: usize,
    pub min_group: i64,
    pub upload_error: Option<String>,
    pub summary: SummaryForm,
    pub errors: FieldErrors,
    pub example_header: &'static str,
}

/// The shared import preview, for one exercise's results file.
pub fn preview(
    user: &SessionUser,
    exercise: &ExerciseRow,
    import_id: i64,
    filename: String,
    checked: &[CheckedRow],
    error: Option<String>,
) -> PreviewPage {
    let mut rejected_rows = Vec::new();
    let mut ready_rows = Vec::new();
    let (mut ready, mut rejected) = (0, 0);
    for c in checked {
        let steps = vec![
            c.cells.email.clone(),
            c.cells.delivered.clone(),
            c.cells.opened.clone(),
            c.cells.clicked.clone(),
            c.cells.submitted.clone(),
            c.cells.reported.clone(),
        ];
        match &c.outcome {
            Outcome::Ready(_) => {
                ready += 1;
                if ready_rows.len() < SHOW_ROWS {
                    ready_rows.push(PreviewRow {
                        line: c.cells.line,
                        cells: steps,
                        problems: Vec::new(),
                    });
                }
            }
            Outcome::Rejected(errs) => {
                rejected += 1;
                if rejected_rows.len() < SHOW_ROWS {
                    rejected_rows.push(PreviewRow {
                        line: c.cells.line,
                        cells: steps,
                        problems: errs.iter().map(|e| e.message.clone()).collect(),
                    });
                }
            }
        }
    }
    const COLUMNS: &[&str] = &[
        "Email",
        "Delivered",
        "Opened",
        "Clicked",
        "Submitted",
        "Reported",
    ];
    let heading = "Check the results before importing";
    PreviewPage {
        page: Page::for_user(format!("{heading}: {}", exercise.name), user),
        heading,
        action: format!("/simulation/external/{}/results/{import_id}", exercise.id),
        filename,
        all_noun: "results",
        ready,
        rejected,
        rejected_columns: COLUMNS,
        ready_columns: COLUMNS,
        rejected_rows,
        ready_rows,
        shown_limit: SHOW_ROWS,
        error,
    }
}
