//! Finding the exercise tokens in a message someone forwarded to the
//! reporting mailbox. Forwarding mangles links in many ways (quoted-printable,
//! HTML entities, percent-encoding, Safe Links, Proofpoint, forward-as-
//! attachment), so [`tokens_in_message`] looks at every decoded layer of
//! every part, and at the raw message as a fallback. A token only counts
//! once the caller finds it in the database, so looking too widely costs
//! nothing but a lookup.

use std::borrow::Cow;

use base64::Engine as _;
use mail_parser::{Message, MessageParser, MimeHeaders as _, PartType};

use crate::simulation::token::RecipientToken;

/// Headers the original simulated email carries its token in; they survive
/// forwarding as an attachment, and replies keep it in References.
const TOKEN_HEADERS: [&str; 4] = [
    "Message-ID",
    "X-Safety-Net-Simulation",
    "References",
    "In-Reply-To",
];
/// Nested forwarded-as-attachment messages deeper than this are not opened.
const MAX_NESTING: usize = 8;
/// The raw fallback looks at no more than this much of a message; the parsed
/// walk has already seen everything decoded.
const MAX_RAW_SCAN: usize = 16 << 20;
/// Rounds of decoding (entities, percent, Proofpoint) applied to each text:
/// a Safe Links wrapper around a Proofpoint link is three layers deep.
const DECODE_ROUNDS: usize = 4;

/// What one message says: its tokens, who forwarded it, and when they wrote it.
pub struct Analysis {
    pub tokens: Vec<RecipientToken>,
    pub reporter: Option<String>,
    pub date: Option<i64>,
}

/// Tokens in one raw RFC 5322 message, whatever encoding and wrapping it went
/// through, without repeats (in the order found, which depends on how deeply
/// each was wrapped). Never panics.
pub fn tokens_in_message(raw: &[u8]) -> Vec<RecipientToken> {
    match analyse(raw) {
        Some(a) => a.tokens,
        None => {
            let mut found = Found::default();
            found.scan_raw(raw);
            found.tokens
        }
    }
}

/// None when the bytes are not a message at all.
pub fn analyse(raw: &[u8]) -> Option<Analysis> {
    // mail-parser is careful, but this runs on whatever arrives in a mailbox:
    // a panic in it must cost one message's structure, not the poll.
    let parsed = std::panic::catch_unwind(|| {
        let message = MessageParser::default().parse(raw)?;
        let mut found = Found::default();
        found.walk(&message, 0);
        let reporter = message
            .from()
            .or_else(|| message.sender())
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty());
        let date = message.date().map(|d| d.to_timestamp());
        Some((found, reporter, date))
    });
    let (mut found, reporter, date) = match parsed {
        Ok(Some(p)) => p,
        Ok(None) | Err(_) => return None,
    };
    found.scan_raw(raw);
    Some(Analysis {
        tokens: found.tokens,
        reporter,
        date,
    })
}

#[derive(Default)]
struct Found {
    tokens: Vec<RecipientToken>,
}

impl Found {
    fn add(&mut self, text: &str) {
        for t in RecipientToken::find_all(text) {
            if !self.tokens.contains(&t) {
                self.tokens.push(t);
            }
        }
    }

    fn walk(&mut self, message: &Message<'_>, depth: usize) {
        for (name, value) in message.headers_raw() {
            if TOKEN_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)) {
                self.scan(value, Layers::All);
            }
        }
        for part in &message.parts {
            match &part.body {
                PartType::Text(text) | PartType::Html(text) => self.scan(text, Layers::All),
                PartType::Message(inner) if depth < MAX_NESTING => self.walk(inner, depth + 1),
                PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                    self.binary(part, bytes, depth)
                }
                PartType::Message(_) | PartType::Multipart(_) => {}
            }
        }
    }

    /// Attachments that can hold a forwarded email: an .eml not labelled
    /// message/rfc822, an Outlook .msg (whose text is UTF-16), or text
    /// labelled as something else. Pictures, PDFs and the like are skipped.
    fn binary(&mut self, part: &mail_parser::MessagePart<'_>, bytes: &[u8], depth: usize) {
        let (main_type, sub_type) = part
            .content_type()
            .map(|c| {
                (
                    c.ctype().to_ascii_lowercase(),
                    c.subtype().unwrap_or("").to_ascii_lowercase(),
                )
            })
            .unwrap_or_default();
        let name = part.attachment_name().unwrap_or("").to_ascii_lowercase();
        let has_ext = |exts: &[&str]| exts.iter().any(|e| name.ends_with(e));
        let is_message = main_type == "message" || has_ext(&[".eml"]);
        let is_outlook = sub_type == "vnd.ms-outlook" || has_ext(&[".msg"]);
        let is_text =
            main_type == "text" || sub_type.contains("html") || has_ext(&[".txt", ".htm", ".html"]);
        if !(is_message || is_outlook || is_text) || bytes.len() > MAX_RAW_SCAN {
            return;
        }
        if is_message && depth < MAX_NESTING {
            if let Some(inner) = MessageParser::default().parse(bytes) {
                self.walk(&inner, depth + 1);
            }
        }
        self.scan(&String::from_utf8_lossy(bytes), Layers::Some);
        if is_outlook {
            let without_nuls: Vec<u8> = bytes.iter().copied().filter(|b| *b != 0).collect();
            self.scan(&String::from_utf8_lossy(&without_nuls), Layers::Some);
        }
    }

    /// The whole message as text, for anything the parsed walk missed
    /// (a malformed MIME structure, a mislabelled transfer encoding).
    fn scan_raw(&mut self, raw: &[u8]) {
        let raw = &raw[..raw.len().min(MAX_RAW_SCAN)];
        // Base64 lines of attachments are most of a big message and cannot
        // show a token; leaving them out keeps this pass cheap.
        let mut text = Vec::with_capacity(raw.len().min(1 << 20));
        for line in raw.split_inclusive(|b| *b == b'\n') {
            if !looks_like_base64_line(line) {
                text.extend_from_slice(line);
            }
        }
        self.scan(&String::from_utf8_lossy(&text), Layers::Some);
    }

    /// Scans the text and every decoded form of it. Decoding only turns
    /// escapes into characters, so each round's text keeps every token the
    /// round before could see, except where a decoded character glues onto a
    /// token; scanning every round covers that.
    fn scan(&mut self, text: &str, layers: Layers) {
        self.add(text);
        let mut current: Cow<'_, str> = Cow::Borrowed(text);
        for _ in 0..DECODE_ROUNDS {
            let mut changed = false;
            for decode in [decode_entities, decode_percent, decode_proofpoint_v2] {
                if let Some(decoded) = decode(&current) {
                    self.add(&decoded);
                    current = Cow::Owned(decoded);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        // These can join text that was apart, so they are scanned beside the
        // decoded text, never instead of it.
        let joined = [
            strip_markup(&current),
            unwrap_lines(&current),
            decode_qp(text),
        ];
        for variant in joined.into_iter().flatten() {
            if layers == Layers::Decode {
                self.add(&variant);
            } else {
                self.scan(&variant, Layers::Decode);
            }
        }
        if layers == Layers::All {
            for decoded in base64_runs(&current) {
                self.scan(&decoded, Layers::Decode);
            }
        }
    }
}

/// How far [`Found::scan`] goes. `All` for decoded text parts and headers;
/// `Some` (no base64 guessing) for raw bytes, where every line of every
/// attachment would look like base64; `Decode` for text already derived.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layers {
    All,
    Some,
    Decode,
}

/// A line of a base64 body: long, only base64 characters, and mixed case
/// with digits as encoded data always is. Quoted-printable lines that end in
/// a soft break (`=`) and links (`:`, `.`) never match.
fn looks_like_base64_line(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line
        .strip_suffix(b"==")
        .or_else(|| line.strip_suffix(b"="))
        .unwrap_or(line);
    line.len() >= 60
        && line
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
        && line.iter().any(|c| c.is_ascii_uppercase())
        && line
            .iter()
            .any(|c| c.is_ascii_digit() || *c == b'+' || *c == b'/')
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `%2F` and `%2f` alike. None if there was nothing to decode.
fn decode_percent(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut changed = false;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                changed = true;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    changed.then(|| String::from_utf8_lossy(&out).into_owned())
}

/// Quoted-printable: soft line breaks (which can split a token in two) and
/// `=XX` escapes. None if there was nothing to decode.
fn decode_qp(s: &str) -> Option<String> {
    if !(s.contains("=\n") || s.contains("=\r\n") || s.contains("=3D") || s.contains("=3d")) {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            // A soft break may have trailing blanks before the line end.
            let mut j = i + 1;
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            if b.get(j) == Some(&b'\n') {
                i = j + 1;
                continue;
            }
            if b.get(j) == Some(&b'\r') && b.get(j + 1) == Some(&b'\n') {
                i = j + 2;
                continue;
            }
            if let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|c| hex_val(*c)),
                b.get(i + 2).and_then(|c| hex_val(*c)),
            ) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    let out = String::from_utf8_lossy(&out).into_owned();
    (out != s).then_some(out)
}

/// HTML character references: numeric, and the named ones that turn up in
/// links. None if there was nothing to decode.
fn decode_entities(s: &str) -> Option<String> {
    if !s.contains('&') {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut changed = false;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match entity_at(rest) {
            Some((decoded, used)) => {
                out.push_str(decoded.as_str());
                rest = &rest[used..];
                changed = true;
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// The entity at the start of `s` (which begins with `&`): its text and how
/// many bytes it used.
fn entity_at(s: &str) -> Option<(String, usize)> {
    let body_end = s[1..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
        .map(|i| i + 1)
        .unwrap_or(s.len());
    let body = &s[1..body_end];
    let used = if s[body_end..].starts_with(';') {
        body_end + 1
    } else {
        body_end
    };
    if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        return Some((char::from_u32(code).unwrap_or('\u{FFFD}').to_string(), used));
    }
    let text = match body {
        "amp" | "AMP" => "&",
        "lt" | "LT" => "<",
        "gt" | "GT" => ">",
        "quot" | "QUOT" => "\"",
        "apos" => "'",
        "sol" => "/",
        "colon" => ":",
        "period" => ".",
        "equals" => "=",
        "quest" => "?",
        "percnt" => "%",
        "num" => "#",
        "excl" => "!",
        "lowbar" => "_",
        "hyphen" | "dash" => "-",
        "commat" => "@",
        "nbsp" => " ",
        "shy" | "ZeroWidthSpace" => "",
        _ => return None,
    };
    // Without a semicolon only the old core entities count (`&amp` in hrefs).
    if used == body_end && !matches!(body, "amp" | "lt" | "gt" | "quot") {
        return None;
    }
    Some((text.to_string(), used))
}

/// Proofpoint URL Defense v2 (`/v2/url?u=https-3A__host_c_token`): `-XX` is a
/// hex escape and `_` a slash. v1 percent-encodes, and v3 (`/v3/__url__;…`)
/// keeps letters and digits as they are, so both need nothing of their own.
fn decode_proofpoint_v2(s: &str) -> Option<String> {
    if !(s.contains("-3A__") || s.contains("urldefense")) {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut changed = false;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'-' {
            let hi = b
                .get(i + 1)
                .filter(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(*c));
            let lo = b
                .get(i + 2)
                .filter(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(*c));
            if let (Some(h), Some(l)) = (hi, lo) {
                out.push(hex_val(*h)? * 16 + hex_val(*l)?);
                i += 3;
                changed = true;
                continue;
            }
        }
        if b[i] == b'_' {
            out.push(b'/');
            changed = true;
        } else {
            out.push(b[i]);
        }
        i += 1;
    }
    changed.then(|| String::from_utf8_lossy(&out).into_owned())
}

/// Text with HTML tags removed and the invisible characters mail programs
/// put into long links (soft hyphens, zero-width spaces) taken out, so a
/// link split by `<wbr>` joins up again.
fn strip_markup(s: &str) -> Option<String> {
    const INVISIBLE: [char; 6] = [
        '\u{AD}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}',
    ];
    if !(s.contains('<') || s.contains(INVISIBLE)) {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if in_tag || INVISIBLE.contains(&c) => {}
            _ => out.push(c),
        }
    }
    (out != s).then_some(out)
}

/// Lines joined, dropping reply quote markers (`> `), for a link that a mail
/// program wrapped in the middle.
fn unwrap_lines(s: &str) -> Option<String> {
    if !s.contains('\n') {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        out.push_str(if i == 0 {
            line
        } else {
            line.trim_start_matches(['>', ' ', '\t'])
        });
    }
    Some(out)
}

/// Long base64 runs decoded, for link wrappers that base64 the original
/// address (Sophos's `u=` parameter, for one).
fn base64_runs(s: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    // A 22-character token in a link is at least ~35 characters of base64.
    const MIN_RUN: usize = 32;
    let is_b64 = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_');
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !is_b64(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_b64(b[i]) {
            i += 1;
        }
        let run = &b[start..i];
        if run.len() < MIN_RUN || !run.iter().any(|c| c.is_ascii_uppercase()) {
            continue; // plain lower-case words and tokens themselves
        }
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            if let Ok(bytes) = engine.decode(run) {
                if let Ok(text) = String::from_utf8(bytes) {
                    out.push(text);
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
