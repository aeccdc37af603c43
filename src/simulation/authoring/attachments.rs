//! A template's optional attachment: one harmless file sent with every email
//! of an exercise, such as a "complaint letter" or an "invoice".
//!
//! An exercise must never send anything that can run, whoever uploads it, so
//! only document, web page, text, calendar and image files are taken, their
//! contents must match their name, and macro-enabled Office files, programs,
//! scripts and archives are refused with the reason. Web page, text and
//! calendar attachments are templates like the body: `{{ link }}` in them is
//! each person's tracked link, so opening the attachment and following its
//! link counts as a click, and `{{ tracker }}` in a web page counts an open.

use super::templates::SimTemplate;
use crate::simulation::ids::TemplateId;
use crate::simulation::library::{FlagPlace, RedFlag};
use crate::simulation::render::{self, Vars};
use crate::web::filecheck;

/// Large enough for any letter, invoice or form; an exercise's file only has to look real.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;

/// The kinds of file an exercise may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Word,
    Excel,
    PowerPoint,
    WebPage,
    Text,
    Calendar,
    Png,
    Jpeg,
    Gif,
}

const ALL_KINDS: [FileKind; 10] = [
    FileKind::Pdf,
    FileKind::Word,
    FileKind::Excel,
    FileKind::PowerPoint,
    FileKind::WebPage,
    FileKind::Text,
    FileKind::Calendar,
    FileKind::Png,
    FileKind::Jpeg,
    FileKind::Gif,
];

/// What can be attached, for messages and hints.
pub const ALLOWED: &str = "PDF (.pdf), Word (.docx), Excel (.xlsx), PowerPoint (.pptx), web page (.html), text (.txt), calendar invitation (.ics) or picture (.png, .jpg, .gif)";

impl FileKind {
    /// Stored in the database.
    pub fn key(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Word => "docx",
            FileKind::Excel => "xlsx",
            FileKind::PowerPoint => "pptx",
            FileKind::WebPage => "html",
            FileKind::Text => "txt",
            FileKind::Calendar => "ics",
            FileKind::Png => "png",
            FileKind::Jpeg => "jpg",
            FileKind::Gif => "gif",
        }
    }

    /// A picture can be shown in the email's body with `{{ picture }}`.
    pub fn is_picture(self) -> bool {
        matches!(self, FileKind::Png | FileKind::Jpeg | FileKind::Gif)
    }

    pub fn from_key(key: &str) -> Option<Self> {
        ALL_KINDS.into_iter().find(|k| k.key() == key)
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            FileKind::Pdf => &["pdf"],
            FileKind::Word => &["docx"],
            FileKind::Excel => &["xlsx"],
            FileKind::PowerPoint => &["pptx"],
            FileKind::WebPage => &["html", "htm"],
            FileKind::Text => &["txt"],
            FileKind::Calendar => &["ics"],
            FileKind::Png => &["png"],
            FileKind::Jpeg => &["jpg", "jpeg"],
            FileKind::Gif => &["gif"],
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Word => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Excel => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileKind::PowerPoint => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            FileKind::WebPage => "text/html; charset=utf-8",
            FileKind::Text => "text/plain; charset=utf-8",
            FileKind::Calendar => "text/calendar; charset=utf-8",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Gif => "image/gif",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FileKind::Pdf => "PDF document",
            FileKind::Word => "Word document",
            FileKind::Excel => "Excel spreadsheet",
            FileKind::PowerPoint => "PowerPoint presentation",
            FileKind::WebPage => "Web page",
            FileKind::Text => "Text file",
            FileKind::Calendar => "Calendar invitation",
            FileKind::Png | FileKind::Jpeg | FileKind::Gif => "Picture",
        }
    }

    /// Text files are filled in per person like the body (web pages HTML-escaped).
    pub fn templated(self) -> bool {
        matches!(
            self,
            FileKind::WebPage | FileKind::Text | FileKind::Calendar
        )
    }

    /// The kind a file name says it is, or why that kind is never sent.
    pub fn for_name(file_name: &str) -> Result<Self, String> {
        let ext = file_name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        if let Some(k) = ALL_KINDS
            .into_iter()
            .find(|k| k.extensions().contains(&ext.as_str()))
        {
            return Ok(k);
        }
        let refused = match ext.as_str() {
            "docm" | "dotm" | "xlsm" | "xltm" | "xlam" | "pptm" | "potm" | "ppsm" => format!(
                "A .{ext} file is a macro-enabled Office file. Macros are small programs, so Safety Net never sends them, even in an exercise. Save the file as .docx, .xlsx or .pptx, or as a PDF. To teach about macros, name the danger in the email's words and add a red flag there."
            ),
            "doc" | "dot" | "xls" | "xlt" | "ppt" | "rtf" => format!(
                "The older .{ext} format can carry macros (small programs), so Safety Net does not send it. Save the file in the newer format (.docx, .xlsx or .pptx) or as a PDF."
            ),
            "exe" | "msi" | "com" | "scr" | "bat" | "cmd" | "ps1" | "vbs" | "vbe" | "js"
            | "jse" | "wsf" | "hta" | "jar" | "lnk" | "cpl" | "reg" | "dll" | "sh" | "svg" => {
                format!(
                    "A .{ext} file can run a program or script when opened, so Safety Net never sends one. Use a harmless document instead: {ALLOWED}."
                )
            }
            "zip" | "7z" | "rar" | "gz" | "tar" | "iso" | "img" | "cab" => format!(
                "A .{ext} file is an archive that can hide other files, and mail filters often stop them. Attach the document itself: {ALLOWED}."
            ),
            "" => format!("The file's name has no type at the end. Choose a {ALLOWED} file."),
            _ => format!("Safety Net cannot attach .{ext} files. Choose a {ALLOWED} file."),
        };
        Err(refused)
    }
}

/// What a template shows about its attachment, without the file itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    pub file_name: String,
    pub kind: FileKind,
    pub size: i64,
}

impl AttachmentMeta {
    /// "48 KB", for people.
    pub fn size_label(&self) -> String {
        if self.size >= 1024 * 1024 {
            format!("{:.1} MB", self.size as f64 / (1024.0 * 1024.0))
        } else {
            format!("{} KB", (self.size + 1023) / 1024)
        }
    }
}

/// A checked attachment and its contents.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub meta: AttachmentMeta,
    pub data: Vec<u8>,
}

/// A file name as a mail client will show it: no folders, no characters
/// Windows cannot save, no control characters, at most 120 characters.
pub fn clean_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '*' | '?' | '|'))
        .take(120)
        .collect();
    cleaned.trim().trim_end_matches('.').trim().to_string()
}

impl Attachment {
    /// Checks an uploaded file: name, kind, size and contents. Text kinds must
    /// render for a sample person, so a broken `{{ … }}` is caught now, not
    /// when 500 emails go out.
    pub fn check(raw_name: &str, data: Vec<u8>, practice_name: &str) -> Result<Self, String> {
        let file_name = clean_file_name(raw_name);
        if file_name.is_empty() {
            return Err("The file needs a name, like Complaint letter.pdf.".into());
        }
        let kind = FileKind::for_name(&file_name)?;
        if data.is_empty() {
            return Err("The file is empty. Choose the file again.".into());
        }
        if data.len() > MAX_BYTES {
            return Err(format!(
                "The file is larger than {} MB. An exercise's attachment only has to look real: save a shorter version, or a PDF of the first page.",
                MAX_BYTES / (1024 * 1024)
            ));
        }
        let not_really = || {
            format!(
                "This file's contents are not a {}, though its name says so. Choose the real file, or save it again in that format.",
                kind.label().to_lowercase()
            )
        };
        // The contents are inspected, not just the name (see `web::filecheck`).
        let looks_right = match kind {
            FileKind::Pdf => {
                let is_pdf = data.starts_with(b"%PDF-");
                if is_pdf {
                    filecheck::pdf(&data)?;
                }
                is_pdf
            }
            FileKind::Word | FileKind::Excel | FileKind::PowerPoint => {
                let is_zip = data.starts_with(b"PK\x03\x04");
                if is_zip {
                    filecheck::ooxml(&data)?;
                }
                is_zip
            }
            FileKind::Png => data.starts_with(b"\x89PNG\r\n\x1a\n"),
            FileKind::Jpeg => data.starts_with(b"\xff\xd8\xff"),
            FileKind::Gif => data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a"),
            FileKind::WebPage | FileKind::Text | FileKind::Calendar => {
                let Ok(text) = std::str::from_utf8(&data) else {
                    return Err("This file is not plain text in UTF-8. Save it again as UTF-8 (in Notepad: Save As, Encoding UTF-8).".into());
                };
                let text = text.trim_start_matches('\u{feff}');
                if kind == FileKind::Calendar && !text.contains("BEGIN:VCALENDAR") {
                    return Err(not_really());
                }
                if kind == FileKind::WebPage {
                    filecheck::html(text)?;
                }
                let mut vars = Vars::sample(practice_name);
                vars.tracker_url = "https://sim.example/o/sample".into();
                render::Prepared::new(&render::Content::default())
                    .and_then(|p| p.with_attachment(text, kind == FileKind::WebPage))
                    .and_then(|p| p.render_attachment(&vars).unwrap_or(Ok(String::new())))
                    .map_err(|e| format!("The attachment: {}", e.message))?;
                true
            }
        };
        if !looks_right {
            return Err(not_really());
        }
        Ok(Self {
            meta: AttachmentMeta {
                file_name,
                kind,
                size: data.len() as i64,
            },
            data,
        })
    }

    /// The text of a text kind, as the renderer takes it.
    pub fn source(&self) -> Option<&str> {
        if !self.meta.kind.templated() {
            return None;
        }
        std::str::from_utf8(&self.data)
            .ok()
            .map(|t| t.trim_start_matches('\u{feff}'))
    }
}

/// Red flags about the attachment's name that `file_name` does not contain
/// (none can be kept once there is no attachment).
pub fn flags_missing_from<'a>(flags: &'a [RedFlag], file_name: Option<&str>) -> Vec<&'a str> {
    flags
        .iter()
        .filter(|f| f.r#where == FlagPlace::Attachment)
        .filter(|f| !file_name.is_some_and(|n| n.contains(&f.marker)))
        .map(|f| f.marker.as_str())
        .collect()
}

/// An example template: a "remittance advice" whose attachment is a web page
/// asking the person to sign in, with its red flags.
pub fn example() -> (SimTemplate, Attachment) {
    use crate::simulation::library::{Landing, PremiseAlignment};
    let flag = |place, marker: &str, explanation: &str| RedFlag {
        r#where: place,
        marker: marker.into(),
        explanation: explanation.into(),
    };
    let t = SimTemplate {
        id: TemplateId::new(0),
        name: "Remittance advice with a web page attachment".into(),
        library_id: None,
        content: render::Content {
            from_name: "PCN Accounts Payable".into(),
            from_address: "remittance@pcn-payments.example".into(),
            subject: "Remittance advice - enhanced services payment".into(),
            html: "<p>Dear {{ first_name }},</p>\n<p>Please find attached the remittance advice for this month's enhanced services payment to {{ practice_name }}.</p>\n\
                   <p>Open the attached file and sign in with your NHSmail account to see the amounts.</p>\n<p>Kind regards,<br>PCN Accounts Payable</p>\n\
                   {{ tracker }}<p style=\"font-size:12px;color:#666\">Not expecting this email? <a href=\"{{ report_link }}\">Report it</a></p>".into(),
            text: "Dear {{ first_name }},\n\nPlease find attached the remittance advice for this month's enhanced services payment to {{ practice_name }}.\n\n\
                   Open the attached file and sign in with your NHSmail account to see the amounts.\n\nKind regards,\nPCN Accounts Payable\n\n\
                   Not expecting this email? Report it: {{ report_link }}\n".into(),
        },
        landing: Landing::Credentials,
        training_module: "phishing".into(),
        cues: 4,
        premise: PremiseAlignment::High,
        red_flags: vec![
            flag(FlagPlace::From, "pcn-payments.example", "Payments from your PCN or the ICB come from addresses you already know, not from a new domain like this one."),
            flag(FlagPlace::Body, "sign in with your NHSmail account", "A remittance advice is a statement of what was paid. It never needs your password to be read."),
            flag(FlagPlace::Attachment, ".html", "The attachment is a web page, not a PDF or spreadsheet. Web page attachments are a common way to show a fake sign-in page that looks like it is on your own computer."),
        ],
        attachment: None,
    };
    let page = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Remittance advice</title></head>\n\
        <body style=\"font-family:Arial,sans-serif;max-width:560px;margin:40px auto\">\n\
        <h1 style=\"font-size:20px\">Remittance advice</h1>\n<p>Prepared for {{ first_name }} {{ last_name }}, {{ practice_name }}.</p>\n\
        <p>This document is protected. Sign in to view the payment details.</p>\n\
        <p><a href=\"{{ link }}\" style=\"display:inline-block;padding:10px 18px;background:#0072c6;color:#fff;text-decoration:none\">Sign in to view</a></p>\n\
        {{ tracker }}</body></html>\n";
    let a = Attachment::check("Remittance advice.html", page.as_bytes().to_vec(), "Demo")
        .expect("the example attachment passes its own checks");
    (t, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRACTICE: &str = "Riverside Surgery";

    #[test]
    fn safe_kinds_are_taken_and_named_by_their_extension() {
        let pdf = Attachment::check(
            "C:\\Users\\pm\\Invoice 4471.PDF",
            b"%PDF-1.7 ...".to_vec(),
            PRACTICE,
        )
        .unwrap();
        assert_eq!(pdf.meta.file_name, "Invoice 4471.PDF");
        assert_eq!(pdf.meta.kind, FileKind::Pdf);
        assert_eq!(pdf.meta.size, 12);
        let page = Attachment::check(
            "letter.htm",
            b"<p>Dear {{ first_name }}</p><a href=\"{{ link }}\">Read</a>{{ tracker }}".to_vec(),
            PRACTICE,
        )
        .unwrap();
        assert_eq!(page.meta.kind, FileKind::WebPage);
        assert!(page.source().unwrap().contains("{{ link }}"));
    }

    #[test]
    fn files_that_can_run_anything_are_refused_with_the_reason() {
        let zip = b"PK\x03\x04 word/document.xml".to_vec();
        for (name, data, says) in [
            ("Complaint.docm", zip.clone(), "macro-enabled"),
            ("old.xls", zip.clone(), "older .xls"),
            ("setup.exe", b"MZ".to_vec(), "run a program"),
            ("invoice.js", b"x".to_vec(), "run a program"),
            ("files.zip", zip.clone(), "archive"),
            ("letter", b"x".to_vec(), "no type"),
            ("notes.odt", zip.clone(), "cannot attach .odt"),
        ] {
            let e = Attachment::check(name, data, PRACTICE).unwrap_err();
            assert!(e.contains(says), "{name}: {e}");
        }
        let mut with_macros = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, body) in [
            ("[Content_Types].xml", "<Types/>"),
            ("word/vbaProject.bin", "macro"),
        ] {
            with_macros.start_file(name, stored).unwrap();
            std::io::Write::write_all(&mut with_macros, body.as_bytes()).unwrap();
        }
        let with_macros = with_macros.finish().unwrap().into_inner();
        let e = Attachment::check("renamed.docx", with_macros, PRACTICE).unwrap_err();
        assert!(e.contains("contains macros"), "{e}");
        let e = Attachment::check("fake.docx", zip, PRACTICE).unwrap_err();
        assert!(e.contains("could not be opened to check it"), "{e}");
    }

    #[test]
    fn contents_must_match_the_name() {
        let e = Attachment::check("invoice.pdf", b"MZ\x90\x00".to_vec(), PRACTICE).unwrap_err();
        assert!(e.contains("not a pdf document"), "{e}");
        let e = Attachment::check("photo.png", b"%PDF-1.4".to_vec(), PRACTICE).unwrap_err();
        assert!(e.contains("not a picture"), "{e}");
        let e = Attachment::check("x.txt", vec![0xff, 0xfe, 0x00], PRACTICE).unwrap_err();
        assert!(e.contains("UTF-8"), "{e}");
        let e = Attachment::check("x.pdf", vec![], PRACTICE).unwrap_err();
        assert!(e.contains("empty"), "{e}");
        let e = Attachment::check("x.pdf", vec![b'%'; MAX_BYTES + 1], PRACTICE).unwrap_err();
        assert!(e.contains("larger than 2 MB"), "{e}");
    }

    #[test]
    fn web_pages_may_not_run_code_and_markers_must_render() {
        for bad in [
            "<script>alert(1)</script>",
            "<a href=\"javascript:void(0)\">x</a>",
            "<body onload=\"go()\">",
            "<img src=x onerror=go()>",
            "<iframe src=\"x\"></iframe>",
        ] {
            let e = Attachment::check("a.html", bad.as_bytes().to_vec(), PRACTICE).unwrap_err();
            assert!(
                e.contains("never sends anything that can run"),
                "{bad}: {e}"
            );
        }
        assert!(
            Attachment::check("a.html", b"<p>Online consultations</p>".to_vec(), PRACTICE).is_ok()
        );
        let e = Attachment::check("a.txt", b"Go to {{ lnk }}".to_vec(), PRACTICE).unwrap_err();
        assert!(
            e.starts_with("The attachment: ") && e.contains("does not know"),
            "{e}"
        );
    }

    #[test]
    fn names_lose_folders_and_characters_mail_clients_refuse() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\"b<c>d?.pdf"), "abcd.pdf");
        assert_eq!(clean_file_name(" report.pdf. "), "report.pdf");
        assert_eq!(clean_file_name("line\r\nbreak.pdf"), "linebreak.pdf");
        assert_eq!(clean_file_name(&"x".repeat(300)).len(), 120);
    }

    #[test]
    fn attachment_flags_must_be_in_the_file_name() {
        let flag = |place, marker: &str| RedFlag {
            r#where: place,
            marker: marker.into(),
            explanation: "why".into(),
        };
        let flags = vec![
            flag(FlagPlace::Body, "urgent"),
            flag(FlagPlace::Attachment, ".html"),
        ];
        assert!(flags_missing_from(&flags, Some("Invoice.html")).is_empty());
        assert_eq!(
            flags_missing_from(&flags, Some("Invoice.pdf")),
            vec![".html"]
        );
        assert_eq!(flags_missing_from(&flags, None), vec![".html"]);
    }
}
