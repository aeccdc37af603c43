//! Input generators for the property tests ("fuzzing") of the template
//! renderer, the raw-email importer and the reporting-mailbox parser. They
//! build structurally interesting inputs — template markers, MIME trees with
//! odd boundaries, quoted-printable and base64 bodies (correct and broken),
//! encoded words, nested forwarded messages — as well as plain noise, so the
//! parsers' deeper paths are reached, not only their first checks.

use base64::Engine as _;
use proptest::prelude::*;

/// `cases` runs per property, or `SAFETYNET_FUZZ_CASES` for a longer hunt
/// (`SAFETYNET_FUZZ_CASES=20000 cargo test --lib fuzz`).
pub fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("SAFETYNET_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig::with_cases(cases)
}

/// Pieces of text that mean something to one of the parsers.
const FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "{",
    "}",
    "{{-",
    "-}}",
    "{% raw %}",
    "{% endraw %}",
    "{% for x in range(3) %}",
    "{% endfor %}",
    "{% if true %}",
    "{% endif %}",
    "{{ first_name }}",
    "{{ link }}",
    "{{ tracker }}",
    "{{ qr_code }}",
    "{{ report_link|upper }}",
    "{{ email|safe }}",
    "{{ nosuchthing }}",
    "{{ 1 / 0 }}",
    "{{ \"a\" ~ first_name }}",
    "{{.FirstName}}",
    "{{.URL}}",
    "{{ .Tracker }}",
    "<html>",
    "<body>",
    "</body>",
    "</html>",
    "<a href=\"https://evil.example/login?u=1\">",
    "<a href='http://x.example/{{'>",
    "</a>",
    "<p>",
    "<br>",
    "<wbr>",
    "https://example.org/path?x=1&y=2",
    "http://sim.example/c/",
    "&amp;",
    "&#x2f;",
    "&lt;",
    "&",
    "%2F",
    "%",
    "=",
    "=3D",
    "=\r\n",
    "=\n",
    "=ZZ",
    "=?utf-8?B?",
    "?=",
    "--",
    "--b1",
    "--b1--",
    "\r\n",
    "\n",
    "\r",
    " ",
    "\t",
    ".",
    "\u{0}",
    "\u{1}",
    "\u{1}A",
    "é",
    "€",
    "😀",
    "\u{AD}",
    "\u{200B}",
    "\u{FEFF}",
    "Dear colleague,",
    "password",
];

/// Text made of meaningful fragments, words and a little noise.
pub fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => proptest::sample::select(FRAGMENTS).prop_map(str::to_string),
        2 => "[a-zA-Z0-9 ]{1,12}",
        1 => any::<String>().prop_map(|s| s.chars().take(8).collect()),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// A header value: plain, RFC 2047 encoded words (right and wrong), or noise.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 .@<>\"-]{0,30}",
        text().prop_map(|t| t.replace(['\r', '\n'], " ")),
        text().prop_map(|t| format!(
            "=?utf-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(t)
        )),
        "[a-zA-Z0-9_=?]{0,30}".prop_map(|t| format!("=?iso-8859-1?Q?{t}?=")),
        "[a-zA-Z0-9=?]{0,20}".prop_map(|t| format!("=?x-unknown?X?{t}?=")),
        Just("=?utf-8?B?broken".to_string()),
        (text(), "[a-z0-9.]{1,10}").prop_map(|(n, d)| format!(
            "\"{}\" <{d}@{d}.example>",
            n.replace(['\r', '\n', '"'], " ")
        )),
    ]
}

/// Quoted-printable as an encoder writes it (soft breaks every so often).
pub fn qp(s: &str) -> String {
    let mut out = String::new();
    let mut line = 0;
    for b in s.bytes() {
        let piece = if (b.is_ascii_graphic() && b != b'=') || b == b' ' {
            (b as char).to_string()
        } else if b == b'\n' {
            line = 0;
            out.push_str("\r\n");
            continue;
        } else {
            format!("={b:02X}")
        };
        if line + piece.len() > 72 {
            out.push_str("=\r\n");
            line = 0;
        }
        line += piece.len();
        out.push_str(&piece);
    }
    out
}

pub fn base64_lines(s: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(s)
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[derive(Debug, Clone)]
enum Part {
    Leaf {
        content_type: String,
        encoding: String,
        filename: Option<String>,
        body: String,
    },
    Multipart {
        subtype: String,
        boundary: String,
        parts: Vec<Part>,
        preamble: String,
        closed: bool,
    },
    Message(Box<Part>),
}

fn leaf() -> impl Strategy<Value = Part> {
    (
        prop_oneof![
            Just("text/plain; charset=utf-8"),
            Just("text/html; charset=\"iso-8859-1\""),
            Just("text/html"),
            Just("application/octet-stream"),
            Just("application/vnd.ms-outlook"),
            Just("image/png"),
            Just("text/plain; charset=x-nonsense"),
            Just(""),
        ],
        prop_oneof![
            Just("7bit"),
            Just("8bit"),
            Just("quoted-printable"),
            Just("base64"),
            Just("x-uuencode"),
            Just(""),
        ],
        proptest::option::of(prop_oneof![
            Just("forwarded.eml"),
            Just("report.msg"),
            Just("notes.txt"),
            Just("=?utf-8?B?w6k=?=.html"),
        ]),
        text(),
        any::<bool>(),
    )
        .prop_map(|(ct, enc, filename, body, honest)| {
            // Usually encoded as labelled; sometimes labelled one way and written another.
            let body = match (enc, honest) {
                ("quoted-printable", true) => qp(&body),
                ("base64", true) => base64_lines(&body),
                _ => body,
            };
            Part::Leaf {
                content_type: ct.to_string(),
                encoding: enc.to_string(),
                filename: filename.map(str::to_string),
                body,
            }
        })
}

fn part() -> impl Strategy<Value = Part> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            (
                prop_oneof![
                    Just("mixed"),
                    Just("alternative"),
                    Just("related"),
                    Just("digest")
                ],
                prop_oneof![
                    "[a-zA-Z0-9'()+_,./:=? -]{1,20}",
                    Just("b1".to_string()),
                    Just(String::new()),
                    Just("--".to_string()),
                ],
                proptest::collection::vec(inner.clone(), 0..4),
                text(),
                any::<bool>(),
            )
                .prop_map(|(subtype, boundary, parts, preamble, closed)| {
                    Part::Multipart {
                        subtype: subtype.to_string(),
                        boundary,
                        parts,
                        preamble,
                        closed,
                    }
                }),
            inner.prop_map(|p| Part::Message(Box::new(p))),
        ]
    })
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(
        (
            prop_oneof![
                Just("From"),
                Just("To"),
                Just("Subject"),
                Just("Date"),
                Just("Message-ID"),
                Just("References"),
                Just("X-Safety-Net-Simulation"),
                Just("Sender"),
                Just("Reply-To"),
            ],
            header_value(),
        )
            .prop_map(|(k, v)| (k.to_string(), v)),
        0..6,
    )
}

fn write(part: &Part, headers: &[(String, String)], out: &mut String) {
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    match part {
        Part::Leaf {
            content_type,
            encoding,
            filename,
            body,
        } => {
            if !content_type.is_empty() {
                out.push_str(&format!("Content-Type: {content_type}\r\n"));
            }
            if !encoding.is_empty() {
                out.push_str(&format!("Content-Transfer-Encoding: {encoding}\r\n"));
            }
            if let Some(f) = filename {
                out.push_str(&format!(
                    "Content-Disposition: attachment; filename=\"{f}\"\r\n"
                ));
            }
            out.push_str("\r\n");
            out.push_str(body);
            out.push_str("\r\n");
        }
        Part::Multipart {
            subtype,
            boundary,
            parts,
            preamble,
            closed,
        } => {
            out.push_str(&format!(
                "Content-Type: multipart/{subtype}; boundary=\"{boundary}\"\r\n\r\n{preamble}\r\n"
            ));
            for p in parts {
                out.push_str(&format!("--{boundary}\r\n"));
                write(p, &[], out);
            }
            if *closed {
                out.push_str(&format!("--{boundary}--\r\n"));
            }
        }
        Part::Message(inner) => {
            out.push_str("Content-Type: message/rfc822\r\n\r\n");
            write(
                inner,
                &[
                    ("From".into(), "Original Sender <orig@example.org>".into()),
                    ("Subject".into(), "Original".into()),
                ],
                out,
            );
        }
    }
}

/// A whole email: headers, then a MIME tree, sometimes with bare LF line
/// endings, sometimes cut short, occasionally pure noise.
pub fn email() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => (headers(), part(), any::<bool>(), any::<u16>()).prop_map(|(h, p, lf, cut)| {
            let mut out = String::from("MIME-Version: 1.0\r\n");
            write(&p, &h, &mut out);
            if lf {
                out = out.replace("\r\n", "\n");
            }
            let mut bytes = out.into_bytes();
            // Cut short now and then, as a truncated download would be.
            if cut % 7 == 0 && !bytes.is_empty() {
                let at = usize::from(cut) % bytes.len();
                bytes.truncate(at);
            }
            bytes
        }),
        1 => proptest::collection::vec(any::<u8>(), 0..400),
    ]
}
