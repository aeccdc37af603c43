//! Content inspection of uploaded files: whether a web page, PDF or Office
//! file can run anything when it is opened. The contents are read, not the
//! name: a file that can run code is refused whatever it is called.
//!
//! - **Web pages** are parsed (lol_html, as for emails) and refused with any
//!   script, event handler, frame or embedded object, or a `javascript:`,
//!   `vbscript:` or `data:` address, however it is disguised with character
//!   references or white space.
//! - **PDFs** are refused with JavaScript (`/JavaScript`, `/JS`), a launch
//!   action, embedded files, rich media, XFA forms or form submission, also
//!   inside compressed object streams (inflated here); names written with
//!   `#xx` escapes are read as the PDF reader reads them. Encrypted PDFs
//!   cannot be checked, so they are refused too.
//! - **Office files** (.docx, .xlsx, .pptx) are opened as the zip packages
//!   they are; `[Content_Types].xml` and every relationship file are read, and
//!   the file is refused if they name a macro project, an OLE object, an
//!   ActiveX control or an embedded package, or make Office fetch anything
//!   from elsewhere when the file opens (an external target other than a
//!   plain hyperlink, such as a remote template).
//!
//! Each refusal says what was found, in words for a practice manager.

use std::cell::RefCell;
use std::io::{Cursor, Read};

use lol_html::{element, rewrite_str, RewriteStrSettings};

/// Elements that run or embed something.
const LIVE_ELEMENTS: [(&str, &str); 10] = [
    ("script", "a script"),
    ("iframe", "a frame showing another page"),
    ("frame", "a frame showing another page"),
    ("frameset", "a frame showing another page"),
    ("object", "an embedded object"),
    ("embed", "an embedded object"),
    ("applet", "an embedded program"),
    ("portal", "a frame showing another page"),
    ("base", "a <base> address that changes where links lead"),
    ("import", "an imported component"),
];

/// Character references a browser decodes in an attribute, as far as
/// disguising a `javascript:` address goes. Anything else named is left, and
/// a reference left before the first `:` makes the address suspect.
fn decode_references(s: &str) -> String {
    const NAMED: [(&str, char); 14] = [
        ("colon", ':'),
        ("tab", '\t'),
        ("newline", '\n'),
        ("lpar", '('),
        ("rpar", ')'),
        ("sol", '/'),
        ("amp", '&'),
        ("quot", '"'),
        ("apos", '\''),
        ("lt", '<'),
        ("gt", '>'),
        ("nbsp", ' '),
        ("semi", ';'),
        ("period", '.'),
    ];
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let digits_end = |r: &str, hex: bool| {
            r.find(|c: char| {
                !(if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                })
            })
            .unwrap_or(r.len())
        };
        if let Some(r) = rest.strip_prefix('#') {
            let (hex, r) = match r.strip_prefix(['x', 'X']) {
                Some(h) => (true, h),
                None => (false, r),
            };
            let end = digits_end(r, hex);
            let n = u32::from_str_radix(&r[..end], if hex { 16 } else { 10 }).ok();
            if let Some(c) = n.and_then(char::from_u32).filter(|_| end > 0) {
                out.push(c);
                rest = r[end..].strip_prefix(';').unwrap_or(&r[end..]);
                continue;
            }
        } else {
            let end = rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            let name = rest[..end].to_ascii_lowercase();
            if let Some((_, c)) = NAMED.iter().find(|(n, _)| *n == name) {
                out.push(*c);
                rest = rest[end..].strip_prefix(';').unwrap_or(&rest[end..]);
                continue;
            }
        }
        out.push('&');
    }
    out.push_str(rest);
    out
}

/// What an address in an attribute would do, if it runs something.
fn live_address(value: &str) -> Option<&'static str> {
    let decoded = decode_references(value);
    // Browsers ignore tabs and line breaks anywhere in an address, and spaces and controls at its start.
    let squeezed: String = decoded
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .trim_start_matches(|c: char| c <= ' ')
        .to_ascii_lowercase();
    if squeezed.contains("javascript:")
        || squeezed.contains("vbscript:")
        || squeezed.contains("livescript:")
    {
        return Some("a javascript: address, which runs a script");
    }
    if squeezed.starts_with("data:") {
        return Some("a data: address, which can carry a whole page or program");
    }
    let before_colon = squeezed.split(':').next().unwrap_or("");
    if squeezed.contains(':') && before_colon.contains('&') {
        return Some("an address disguised with character references");
    }
    None
}

/// Attributes that hold an address.
fn holds_address(name: &str) -> bool {
    matches!(
        name,
        "href"
            | "src"
            | "action"
            | "formaction"
            | "data"
            | "background"
            | "poster"
            | "srcset"
            | "lowsrc"
            | "dynsrc"
            | "cite"
            | "longdesc"
            | "ping"
            | "manifest"
            | "codebase"
            | "archive"
            | "classid"
            | "profile"
            | "usemap"
            | "xlink:href"
            | "to"
            | "from"
            | "values"
            | "by"
            | "content"
    ) || name.ends_with(":href")
}

/// Refuses a web page that runs anything when opened.
pub fn html(page: &str) -> Result<(), String> {
    let found: RefCell<Option<String>> = RefCell::new(None);
    let settings = RewriteStrSettings::new()
        .with_enable_esi_tags(false)
        .append_element_content_handler(element!("*", |el| {
            if found.borrow().is_some() {
                return Ok(());
            }
            let tag = el.tag_name();
            let mut what = LIVE_ELEMENTS
                .iter()
                .find(|(t, _)| *t == tag)
                .map(|(_, w)| w.to_string());
            if what.is_none() && tag == "meta" {
                let refresh = el
                    .get_attribute("http-equiv")
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("refresh"));
                if refresh {
                    what = Some("a <meta> refresh that opens another address".into());
                }
            }
            for a in el.attributes() {
                if what.is_some() {
                    break;
                }
                let name = a.name();
                if name.starts_with("on") {
                    what = Some(format!("an event handler ({name}), which runs a script"));
                } else if name == "srcdoc" {
                    what = Some("a frame with a page inside it".into());
                } else if holds_address(&name) || name.contains("href") || name.contains("src") {
                    what = live_address(&a.value()).map(str::to_string);
                }
            }
            if what.is_some() {
                *found.borrow_mut() = what;
            }
            Ok(())
        }));
    if rewrite_str(page, settings).is_err() {
        return Err("The web page could not be read safely. Save it again as a simple page without scripts.".into());
    }
    match found.into_inner() {
        Some(what) => Err(format!(
            "The web page contains {what}. An exercise never sends anything that can run: take it out and use a plain link to {{{{ link }}}} instead."
        )),
        None => Ok(()),
    }
}

/// PDF names that make a reader run or open something.
const PDF_LIVE_NAMES: [(&str, &str); 11] = [
    ("JavaScript", "JavaScript"),
    ("JS", "JavaScript"),
    ("Launch", "an action that starts a program"),
    ("EmbeddedFile", "a file embedded inside it"),
    ("EmbeddedFiles", "files embedded inside it"),
    (
        "RichMedia",
        "embedded media (Flash or video) that can run code",
    ),
    ("XFA", "an XFA form, which can run scripts"),
    ("SubmitForm", "a form that sends what is typed elsewhere"),
    ("ImportData", "an action that loads data from another file"),
    ("GoToE", "a link into an embedded file"),
    ("Encrypt", "encryption, so its contents cannot be checked"),
];

/// Every name in a stretch of PDF, with `#xx` escapes decoded (`/J#61vaScript` is `/JavaScript`).
fn pdf_names(bytes: &[u8]) -> Vec<String> {
    let delimiter = |b: u8| b.is_ascii_whitespace() || b"()<>[]{}/%".contains(&b) || b == 0;
    let mut names = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'/' {
            i += 1;
            continue;
        }
        i += 1;
        let mut name = Vec::new();
        while i < bytes.len() && !delimiter(bytes[i]) {
            if bytes[i] == b'#' && i + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    name.push(b);
                    i += 3;
                    continue;
                }
            }
            name.push(bytes[i]);
            i += 1;
        }
        names.push(String::from_utf8_lossy(&name).into_owned());
    }
    names
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Filters Safety Net cannot undo; an object stream using one cannot be checked.
const OPAQUE_FILTERS: [&str; 12] = [
    "ASCIIHexDecode",
    "AHx",
    "ASCII85Decode",
    "A85",
    "LZWDecode",
    "LZW",
    "RunLengthDecode",
    "RL",
    "Crypt",
    "CCITTFaxDecode",
    "JBIG2Decode",
    "DCTDecode",
];

/// Refuses a PDF that runs or opens anything.
pub fn pdf(data: &[u8]) -> Result<(), String> {
    let live = |names: &[String]| {
        names.iter().find_map(|n| {
            PDF_LIVE_NAMES
                .iter()
                .find(|(live, _)| n == live)
                .map(|(_, what)| *what)
        })
    };
    let refuse = |what: &str| {
        Err(format!(
            "This PDF contains {what}. An exercise never sends anything that can run: save or print it again as a plain PDF (for example with \"Microsoft Print to PDF\") and upload that."
        ))
    };
    if let Some(what) = live(&pdf_names(data)) {
        return refuse(what);
    }
    // Object streams keep objects compressed, where a name can hide: inflate each and look inside.
    let mut budget: u64 = 64 * 1024 * 1024;
    let mut at = 0;
    while let Some(s) = find(data, b"stream", at) {
        at = s + 6;
        if s >= 3 && &data[s - 3..s] == b"end" {
            continue;
        }
        let dict_start = data[..s]
            .windows(3)
            .rposition(|w| w == b"obj")
            .map_or(s.saturating_sub(2048), |p| p + 3);
        let dict = pdf_names(&data[dict_start..s]);
        if !dict.iter().any(|n| n == "ObjStm") {
            continue;
        }
        if dict.iter().any(|n| OPAQUE_FILTERS.contains(&n.as_str())) {
            return refuse("compressed parts Safety Net cannot check");
        }
        let mut body = s + 6;
        body += match data.get(body..body + 2) {
            Some(b"\r\n") => 2,
            Some([b'\n', _]) | Some([b'\r', _]) => 1,
            _ => 0,
        };
        let end = find(data, b"endstream", body).unwrap_or(data.len());
        let raw = &data[body.min(end)..end];
        let inflated = if dict.iter().any(|n| n == "FlateDecode" || n == "Fl") {
            let mut out = Vec::new();
            let mut z = flate2::read::ZlibDecoder::new(raw).take(budget + 1);
            if z.read_to_end(&mut out).is_err() && out.is_empty() {
                return refuse("compressed parts Safety Net cannot check");
            }
            budget = budget.saturating_sub(out.len() as u64);
            if budget == 0 {
                return refuse("more compressed data than Safety Net will check");
            }
            out
        } else {
            raw.to_vec()
        };
        if let Some(what) = live(&pdf_names(&inflated)) {
            return refuse(what);
        }
        at = end;
    }
    Ok(())
}

/// Part names, content types and relationship types that mean code or
/// another program inside, and what to call them.
const OFFICE_LIVE: [(&str, &str); 5] = [
    ("vbaproject", "macros (a VBA project)"),
    ("macroenabled", "macros"),
    (
        "oleobject",
        "an embedded OLE object (another program's file)",
    ),
    ("activex", "an ActiveX control"),
    (
        "vnd.ms-excel.sheet.binary",
        "a binary workbook part that can carry macros",
    ),
];

fn office_live(text: &str) -> Option<&'static str> {
    OFFICE_LIVE
        .iter()
        .find(|(k, _)| text.contains(k))
        .map(|(_, what)| *what)
}

/// Decodes XML's numeric character references, so `&#120;` reads as `x`.
fn xml_text(bytes: &[u8]) -> String {
    decode_references(&String::from_utf8_lossy(bytes)).to_ascii_lowercase()
}

/// The attributes of each element in an XML part, lower-cased, namespace prefixes dropped.
fn xml_elements(xml: &str) -> Vec<Vec<(String, String)>> {
    let attr = regex_lite::Regex::new(r#"([a-z0-9_.:-]+)\s*=\s*("([^"]*)"|'([^']*)')"#)
        .expect("valid pattern");
    xml.split('<')
        .skip(1)
        .map(|tag| {
            let tag = tag.split('>').next().unwrap_or("");
            attr.captures_iter(tag)
                .map(|c| {
                    let name = c[1].rsplit(':').next().unwrap_or("").to_string();
                    let value = c.get(3).or(c.get(4)).map_or("", |m| m.as_str()).to_string();
                    (name, value)
                })
                .collect()
        })
        .collect()
}

/// Refuses a .docx, .xlsx or .pptx that carries code or fetches anything when opened.
pub fn ooxml(data: &[u8]) -> Result<(), String> {
    const PART_LIMIT: u64 = 4 * 1024 * 1024;
    let refuse = |what: &str| {
        Err(format!(
            "This Office file contains {what}, so Safety Net will not send it. Save a copy without it (File → Save As, choosing the plain .docx, .xlsx or .pptx type), or as a PDF."
        ))
    };
    let unreadable = || {
        Err("This Office file could not be opened to check it. Save it again in Office and upload the new copy.".to_string())
    };
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(data)) else {
        return unreadable();
    };
    let Ok(names) = zip
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<Vec<String>, _>>()
    else {
        return unreadable();
    };
    for n in &names {
        let lower = n.to_ascii_lowercase();
        if let Some(what) = office_live(&lower) {
            return refuse(what);
        }
        if lower.contains("embeddings/") {
            return refuse("another file embedded inside it");
        }
    }
    if !names.iter().any(|n| n == "[Content_Types].xml") {
        return unreadable();
    }
    for n in names
        .iter()
        .filter(|n| *n == "[Content_Types].xml" || n.to_ascii_lowercase().ends_with(".rels"))
    {
        let mut bytes = Vec::new();
        let read = zip
            .by_name(n)
            .map_err(|_| ())
            .and_then(|f| f.take(PART_LIMIT).read_to_end(&mut bytes).map_err(|_| ()));
        if read.is_err() {
            return unreadable();
        }
        let xml = xml_text(&bytes);
        if let Some(what) = office_live(&xml) {
            return refuse(what);
        }
        for attrs in xml_elements(&xml) {
            let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim());
            let kind = get("type").unwrap_or("");
            if kind.ends_with("/control") {
                return refuse("an ActiveX control");
            }
            if kind.ends_with("/package") {
                return refuse("an embedded package (another file inside it)");
            }
            if get("targetmode") == Some("external") && !kind.ends_with("/hyperlink") {
                return refuse("a link that makes Office fetch something from elsewhere when the file opens (such as a remote template)");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disguised_script_addresses_are_seen_through() {
        for v in [
            "javascript:alert(1)",
            " JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "&#106;avascript:alert(1)",
            "&#x6A;avascript&colon;alert(1)",
            "javascript&#58alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "&unknownref;javascript:x",
        ] {
            assert!(live_address(v).is_some(), "{v}");
        }
        for v in [
            "https://example.org/a?b=1&c=2",
            "{{ link }}",
            "mailto:x@example.org",
            "#top",
        ] {
            assert_eq!(live_address(v), None, "{v}");
        }
    }

    #[test]
    fn pdf_names_are_read_with_their_escapes() {
        assert_eq!(
            pdf_names(b"<</S/J#61vaScript /JS (x)>>"),
            ["S", "JavaScript", "JS"]
        );
        assert!(pdf(b"%PDF-1.4\n1 0 obj <</Type/Catalog/OpenAction 2 0 R>> endobj\n2 0 obj <</S/GoTo/D[3 0 R/Fit]>> endobj").is_ok());
        assert!(
            pdf(b"%PDF-1.4\n1 0 obj <</OpenAction<</S/L#61unch/F(cmd.exe)>>>> endobj")
                .unwrap_err()
                .contains("starts a program")
        );
    }
}
