//! Spreadsheet downloads (CSV) that open cleanly in Excel: a byte-order mark
//! so Excel reads UTF-8, and every cell defused so nothing typed into the app
//! (a name starting with "=") runs as a formula when a manager opens the file.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppError;

/// A cell as Excel should show it: text that would start a formula gets a leading apostrophe.
pub fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

pub struct Sheet(csv::Writer<Vec<u8>>);

impl Sheet {
    pub fn new(header: &[&str]) -> Result<Self, AppError> {
        let mut sheet = Self(csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]));
        sheet.row(header.iter().copied())?;
        Ok(sheet)
    }

    pub fn row<S: AsRef<str>>(
        &mut self,
        cells: impl IntoIterator<Item = S>,
    ) -> Result<(), AppError> {
        self.0
            .write_record(cells.into_iter().map(|c| cell(c.as_ref())))
            .map_err(|e| AppError::Unexpected(e.into()))
    }

    /// The file's bytes (to put in a zip, say).
    pub fn into_bytes(self) -> Result<Vec<u8>, AppError> {
        self.0
            .into_inner()
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}")))
    }

    /// The file, offered for download as `filename`.
    pub fn download(self, filename: &str) -> Result<Response, AppError> {
        let bytes = self.into_bytes()?;
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
            ],
            bytes,
        )
            .into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_typed_into_the_app_stay_text_in_excel() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("Amelia Hughes"), "Amelia Hughes");
        assert_eq!(cell("12/11/2026"), "12/11/2026");
    }
}
