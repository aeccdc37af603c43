//! Evidence documents with no I/O: the kinds of file kept (PDF, Word,
//! Excel, PNG, JPEG), checking an upload's name, size and contents (a file
//! that can run anything is refused, as for template attachments, through
//! `web::filecheck`), and the form saying which items it covers and until when.

use std::collections::BTreeSet;

use time::Date;

use crate::dspt::ids::DocumentId;
use crate::dspt::toolkit::Toolkit;
use crate::resilience::dates::{parse_date, parse_iso};
use crate::resilience::sql::{from_row, text_enum};
use crate::web::{filecheck, FieldErrors};

/// The largest document kept.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// A document counts for at most this long.
pub const MAX_YEARS: i64 = 3;

text_enum! {
    /// The kinds of file Safety Net keeps as evidence.
    pub enum DocKind {
        Pdf = "pdf", "PDF";
        Word = "word", "Word document";
        Excel = "excel", "Excel spreadsheet";
        Png = "png", "PNG picture";
        Jpeg = "jpeg", "JPEG picture";
    }
}

impl DocKind {
    pub fn content_type(self) -> &'static str {
        match self {
            DocKind::Pdf => "application/pdf",
            DocKind::Word => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            DocKind::Excel => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            DocKind::Png => "image/png",
            DocKind::Jpeg => "image/jpeg",
        }
    }

    fn for_extension(ext: &str) -> Result<Self, String> {
        const KEPT: &str = "PDF, Word (.docx), Excel (.xlsx), PNG or JPEG";
        match ext {
            "pdf" => Ok(DocKind::Pdf),
            "docx" => Ok(DocKind::Word),
            "xlsx" => Ok(DocKind::Excel),
            "png" => Ok(DocKind::Png),
            "jpg" | "jpeg" => Ok(DocKind::Jpeg),
            "doc" | "xls" | "rtf" | "docm" | "xlsm" | "dotm" => Err(format!(
                "A .{ext} file can carry macros (small programs), so Safety Net does not keep it. Save it as a PDF, or in the newer format (.docx or .xlsx), and upload that."
            )),
            "" => Err(format!("The file's name has no type at the end. Choose a {KEPT} file.")),
            _ => Err(format!("Safety Net keeps {KEPT} files as evidence, not .{ext} files. Save the document as a PDF and upload that.")),
        }
    }
}

/// A file name as a download shows it: no folders, no characters Windows
/// cannot save, no control characters, at most 150 characters.
pub fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '*' | '?' | '|'))
        .take(150)
        .collect();
    cleaned.trim().trim_end_matches('.').trim().to_string()
}

/// Checks an uploaded file: (its cleaned name, its kind), or why it is refused.
pub fn check_file(raw_name: &str, data: &[u8]) -> Result<(String, DocKind), String> {
    let name = clean_name(raw_name);
    if name.is_empty() {
        return Err("Choose a file to upload.".into());
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let kind = DocKind::for_extension(&ext)?;
    if data.is_empty() {
        return Err("The file is empty. Choose the file again.".into());
    }
    if data.len() > MAX_BYTES {
        return Err(format!(
            "The file is larger than {} MB. Save a smaller copy (for a scan, a lower resolution) and upload that.",
            MAX_BYTES / (1024 * 1024)
        ));
    }
    let looks_right = match kind {
        DocKind::Pdf => data.starts_with(b"%PDF-"),
        DocKind::Word | DocKind::Excel => data.starts_with(b"PK\x03\x04"),
        DocKind::Png => data.starts_with(b"\x89PNG\r\n\x1a\n"),
        DocKind::Jpeg => data.starts_with(b"\xff\xd8\xff"),
    };
    if !looks_right {
        return Err(format!(
            "This file's contents are not a {}, though its name says so. Choose the real file, or save it again in that format.",
            kind.label()
        ));
    }
    match kind {
        DocKind::Pdf => filecheck::pdf(data)?,
        DocKind::Word | DocKind::Excel => filecheck::ooxml(data)?,
        DocKind::Png | DocKind::Jpeg => {}
    }
    Ok((name, kind))
}

/// What the upload form says about the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    pub title: String,
    pub items: Vec<String>,
    pub expires_on: Date,
}

/// Reads the form's title, ticked items and expiry date, or what to fix.
/// Items must be in `toolkit`; the expiry must be after `today` and within
/// three years.
pub fn check_details(
    title: &str,
    items: &[&str],
    expires_on: &str,
    toolkit: &Toolkit,
    today: Date,
    errors: &mut FieldErrors,
) -> Option<Details> {
    let title = title.trim();
    if title.is_empty() {
        errors.add(
            "title",
            "Enter what the document is, like ICB GP IT statement 2026",
        );
    } else if title.chars().count() > 150 {
        errors.add("title", "Keep the title to 150 characters or fewer");
    }
    let chosen: BTreeSet<&str> = items.iter().map(|s| s.trim()).collect();
    if chosen.is_empty() {
        errors.add(
            "items",
            "Tick the toolkit items this document is evidence for",
        );
    }
    let unknown: Vec<&str> = chosen
        .iter()
        .copied()
        .filter(|id| toolkit.item(id).is_none())
        .collect();
    if !unknown.is_empty() {
        errors.add(
            "items",
            format!(
                "{} is not an item of {}",
                unknown.join(", "),
                toolkit.name()
            ),
        );
    }
    let latest = crate::ukclock::add_months(today, 12 * MAX_YEARS);
    let expires = match parse_date(expires_on) {
        Ok(Some(d)) if d <= today => {
            errors.add(
                "expires_on",
                "The date it stops counting must be after today",
            );
            None
        }
        Ok(Some(d)) if d > latest => {
            errors.add(
                "expires_on",
                format!(
                    "Evidence counts for at most {MAX_YEARS} years: enter a date before {}",
                    crate::dspt::status::short_date(latest)
                ),
            );
            None
        }
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.add(
                "expires_on",
                "Enter the date the document stops counting, like 30/06/2027",
            );
            None
        }
        Err(problem) => {
            errors.add("expires_on", problem);
            None
        }
    };
    let expires_on = expires?;
    (errors.is_empty()).then(|| Details {
        title: title.to_string(),
        items: chosen.into_iter().map(str::to_string).collect(),
        expires_on,
    })
}

/// A document as lists show it (never its contents).
#[derive(Debug, Clone)]
pub struct Document {
    pub id: DocumentId,
    pub title: String,
    pub file_name: String,
    pub kind: DocKind,
    pub size_bytes: i64,
    pub expires_on: String,
    pub uploaded_by: String,
    pub uploaded_at: i64,
    /// Uploaded by an operator (the ICB) rather than the practice.
    pub from_operator: bool,
    /// The items it covers, filled in after reading.
    pub items: Vec<String>,
    /// For an operator's document: how many practices it covers.
    pub practices: i64,
}

from_row!(Document, r => Ok(Document {
    id: r.try_get("id")?,
    title: r.try_get("title")?,
    file_name: r.try_get("file_name")?,
    kind: r.try_get("kind")?,
    size_bytes: r.try_get("size_bytes")?,
    expires_on: r.try_get("expires_on")?,
    uploaded_by: r.try_get("uploaded_by")?,
    uploaded_at: r.try_get("uploaded_at")?,
    from_operator: r.try_get("from_operator")?,
    items: Vec::new(),
    practices: r.try_get("practices")?,
}));

impl Document {
    pub fn expires(&self) -> Option<Date> {
        parse_iso(&self.expires_on)
    }

    /// "Counts until 30 Jun 2027" or "Expired on …".
    pub fn validity(&self, today: Date) -> String {
        match self.expires() {
            Some(d) if d > today => format!("Counts until {}", crate::dspt::status::short_date(d)),
            Some(d) => format!("Stopped counting on {}", crate::dspt::status::short_date(d)),
            None => String::new(),
        }
    }

    pub fn is_current(&self, today: Date) -> bool {
        self.expires().is_some_and(|d| d > today)
    }

    /// "48 KB".
    pub fn size(&self) -> String {
        if self.size_bytes >= 1024 * 1024 {
            format!("{:.1} MB", self.size_bytes as f64 / (1024.0 * 1024.0))
        } else {
            format!("{} KB", (self.size_bytes + 1023) / 1024)
        }
    }

    pub fn uploaded(&self) -> String {
        crate::ukclock::format(self.uploaded_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dspt::toolkit::current;
    use time::macros::date;

    #[test]
    fn files_are_kept_only_when_their_contents_match_their_name() {
        assert_eq!(
            check_file("C:\\Scans\\ICB statement.pdf", b"%PDF-1.7\n%%EOF").unwrap(),
            ("ICB statement.pdf".into(), DocKind::Pdf)
        );
        assert_eq!(
            check_file("photo.JPG", b"\xff\xd8\xff\xe0rest").unwrap().1,
            DocKind::Jpeg
        );
        let e = check_file("statement.pdf", b"MZ\x90\x00 a program").unwrap_err();
        assert!(e.contains("contents are not a PDF"), "{e}");
        let e = check_file("policy.docx", b"%PDF-1.4").unwrap_err();
        assert!(e.contains("not a Word document"), "{e}");
        assert!(check_file("policy.doc", b"x")
            .unwrap_err()
            .contains("macros"));
        assert!(check_file("tool.exe", b"MZ")
            .unwrap_err()
            .contains("not .exe files"));
        assert!(check_file("empty.pdf", b"").unwrap_err().contains("empty"));
        let big = vec![b'%'; MAX_BYTES + 1];
        assert!(check_file("big.pdf", &big)
            .unwrap_err()
            .contains("larger than 10 MB"));
        let e = check_file(
            "form.pdf",
            b"%PDF-1.7\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj",
        )
        .unwrap_err();
        assert!(e.to_lowercase().contains("javascript"), "{e}");
    }

    #[test]
    fn the_form_needs_a_title_known_items_and_a_date_ahead() {
        let t = current();
        let today = date!(2026 - 06 - 01);
        let mut errors = FieldErrors::default();
        let d = check_details(
            " ICB statement ",
            &["4.5.3", "9.5.2", "4.5.3"],
            "30/06/2027",
            t,
            today,
            &mut errors,
        )
        .unwrap();
        assert_eq!(d.items, ["4.5.3", "9.5.2"]);
        assert_eq!(d.expires_on, date!(2027 - 06 - 30));
        assert_eq!(d.title, "ICB statement");

        let mut errors = FieldErrors::default();
        assert!(check_details("", &["3.1.1"], "01/01/2020", t, today, &mut errors).is_none());
        assert!(errors.has("title"));
        assert!(errors
            .get("items")
            .unwrap()
            .contains("3.1.1 is not an item"));
        assert!(errors.get("expires_on").unwrap().contains("after today"));

        let mut errors = FieldErrors::default();
        assert!(check_details("x", &[], "01/01/2040", t, today, &mut errors).is_none());
        assert!(errors.has("items"));
        assert!(errors
            .get("expires_on")
            .unwrap()
            .contains("at most 3 years"));
    }
}
