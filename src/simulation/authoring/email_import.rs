//! A pasted raw email (.eml / MIME source) turned into a template form, not
//! yet saved: sender, subject and bodies kept, every web link pointed at the
//! tracked link, the attacker's live content removed, the open pixel and a
//! report footer added. Braces in the original stay text, so nothing in a
//! real email is run as template code. GoPhish's converter uses the same
//! brace handling ([`braces_as_text`]).

use super::templates::TemplateForm;
use crate::simulation::render;
use crate::simulation::sanitise;

/// Stands for a brace of an imported email while template markers are added around it.
pub(crate) const BRACE: char = '\u{1}';

/// Writes each set-aside brace back so the template shows it as text: as a
/// plain `{` where the template language cannot read it as the start of a
/// marker, and as `{{ "{" }}` where the next character would make it one
/// (`{`, `%` or `#`, including the start of a marker added beside it).
pub(crate) fn braces_as_text(s: &str) -> String {
    let mut out: Vec<char> = Vec::with_capacity(s.len());
    for c in s.chars().rev() {
        if c == BRACE {
            if matches!(out.last(), Some('{' | '%' | '#')) {
                out.extend(r#"{{ "{" }}"#.chars().rev());
            } else {
                out.push('{');
            }
        } else {
            out.push(c);
        }
    }
    out.into_iter().rev().collect()
}

/// Turns a pasted raw email (.eml / MIME source) into a template: sender,
/// subject and bodies kept, every web link pointed at the tracked link, the
/// open pixel and a report footer added. Braces in the original are kept as
/// text, so nothing in a real email is run as template code.
pub fn from_raw_email(raw: &[u8]) -> Option<Imported> {
    // Whatever is pasted, a failure inside the MIME parser (it has debug
    // assertions that odd structures trip) means "not an email", not a crash.
    std::panic::catch_unwind(|| import_raw_email(raw))
        .ok()
        .flatten()
}

/// An imported email as a template form, and how many of its pictures were
/// taken out because they load from the sender's server.
pub struct Imported {
    pub form: TemplateForm,
    pub pictures_removed: usize,
}

fn import_raw_email(raw: &[u8]) -> Option<Imported> {
    let msg = mail_parser::MessageParser::default().parse(raw)?;
    let (from_name, from_address) = msg
        .from()
        .and_then(|a| a.first())
        .map(|a| {
            (
                a.name().unwrap_or("").to_string(),
                a.address().unwrap_or("").to_string(),
            )
        })
        .unwrap_or_default();
    let subject = msg.subject().unwrap_or("").to_string();
    let html = msg.body_html(0).map(|h| h.into_owned());
    let text = msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    let html = match html {
        Some(h) => h,
        None => format!(
            "<p>{}</p>",
            render::html_escape(&text)
                .replace("\n\n", "</p><p>")
                .replace('\n', "<br>")
        ),
    };
    let url = regex_lite::Regex::new(r#"https?://[^\s"'<>)]+"#).expect("valid pattern");
    let href = regex_lite::Regex::new(r#"(?i)href\s*=\s*(["'])\s*https?://[^"']*(["'])"#)
        .expect("valid pattern");
    // Every brace of the original is set aside while links and the footer
    // are added, then written back as text (see `braces_as_text`).
    let protect = |s: &str| s.replace(BRACE, "").replace('{', &BRACE.to_string());
    let restore = |s: String| braces_as_text(&s);
    let html = href
        .replace_all(&protect(&html), "href=\"{{ link }}\"")
        .into_owned();
    // A picture loaded from the sender's server would tell the sender who
    // opened the email, so every one goes; the first (usually the logo)
    // leaves `{{ picture }}` in its place, where a picture the manager
    // attaches to the template is shown from inside the email.
    let img = regex_lite::Regex::new(r"(?is)<img\b[^>]*>").expect("valid pattern");
    let pictures_removed = img.find_iter(&html).count();
    let html = img.replace(&html, "{{ picture }}").into_owned();
    // The attacker's live content goes: pixels, scripts, forms, frames, stylesheets, url()s.
    let mut html = sanitise::template_source(&html).ok()?;
    let footer = "{{ tracker }}<p style=\"font-size:12px;color:#666\">Not expecting this email? <a href=\"{{ report_link }}\">Report it</a></p>";
    html = match html.to_ascii_lowercase().rfind("</body>") {
        Some(i) => format!("{}{footer}{}", &html[..i], &html[i..]),
        None => format!("{html}{footer}"),
    };
    let text = format!(
        "{}\n\nNot expecting this email? Report it: {{{{ report_link }}}}\n",
        url.replace_all(&protect(&text), "{{ link }}")
    );
    let form = TemplateForm {
        name: if subject.is_empty() {
            "Imported email".into()
        } else {
            format!("Imported: {subject}")
        },
        from_name: restore(protect(&from_name)),
        from_address,
        subject: restore(protect(&subject)),
        html: restore(html),
        text: restore(text),
        landing: "credentials".into(),
        training_module: "phishing".into(),
        cues: "0".into(),
        premise: "medium".into(),
        ..Default::default()
    };
    Some(Imported {
        form,
        pictures_removed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulation::fuzz;
    use crate::simulation::render::{Content, Picture, Vars};
    use proptest::prelude::*;

    fn content(f: &TemplateForm) -> Content {
        Content {
            from_name: f.from_name.clone(),
            from_address: f.from_address.clone(),
            subject: f.subject.clone(),
            html: f.html.clone(),
            text: f.text.clone(),
        }
    }

    /// The sender's pictures go; the first leaves `{{ picture }}`, which shows
    /// an attached picture from inside the email and nothing otherwise.
    #[test]
    fn the_senders_pictures_go_and_the_first_can_be_kept() {
        let raw = "From: DocuSign <dse@docusign.example>\r\nSubject: Please sign\r\nContent-Type: text/html\r\n\r\n\
            <p><IMG SRC=\"https://evil.example/logo.png\" alt=\"DocuSign\"></p><p>Review <a href=\"https://evil.example/d\">the document</a></p>\
            <img src=\"https://evil.example/pixel.gif\" width=\"1\">";
        let imported = from_raw_email(raw.as_bytes()).unwrap();
        assert_eq!(imported.pictures_removed, 2);
        let f = imported.form;
        assert!(!f.html.contains("evil.example"), "{}", f.html);
        assert_eq!(f.html.matches("{{ picture }}").count(), 1, "{}", f.html);
        let mut v = Vars::sample("X");
        v.picture = Picture::Inline;
        let sent = render::render(&content(&f), &v).unwrap().html;
        assert!(sent.contains(r#"<img src="cid:picture" alt="">"#), "{sent}");
        assert!(!sent.contains("evil.example"), "{sent}");
        v.picture = Picture::None;
        let plain = render::render(&content(&f), &v).unwrap().html;
        assert!(!plain.contains("<img"), "{plain}");
    }

    #[test]
    fn braces_next_to_the_added_parts_stay_text() {
        for body in ["{", "x{", "{{", "{%", "{#", "{ {{ }}", "a{\r\n"] {
            for ctype in ["text/html", "text/plain"] {
                let raw = format!(
                    "From: A <a@b.example>\r\nSubject: S{body}\r\nContent-Type: {ctype}\r\n\r\n{body}https://evil.example/x {body}"
                );
                let f = from_raw_email(raw.as_bytes()).unwrap().form;
                let r = render::render(&content(&f), &Vars::sample("X"));
                assert!(
                    r.is_ok(),
                    "{body:?} as {ctype}: {r:?}\n{}\n{}",
                    f.html,
                    f.text
                );
            }
        }
    }

    /// Found by `any_email_imports_to_a_template_that_renders`: a digest with a
    /// uuencoded part and a boundary of "--" trips an assertion inside mail-parser.
    #[test]
    fn a_tangled_digest_is_refused_or_imported_not_a_crash() {
        let raw = b"MIME-Version: 1.0\r\nContent-Type: multipart/digest; boundary=\"--\"\r\n\r\n\r\n----\r\n\
            Content-Transfer-Encoding: x-uuencode\r\n\r\n{{\r\n----\r\nContent-Type: message/rfc822\r\n\r\n\
            From: Original Sender <orig@example.org>\r\nSubject: Original\r\nContent-Type: text/plain; charset=utf-8\r\n\
            Content-Transfer-Encoding: 7bit\r\n\r\n\r\n------\r\n";
        if let Some(f) = from_raw_email(raw).map(|i| i.form) {
            assert!(render::render(&content(&f), &Vars::sample("X")).is_ok());
        }
    }

    mod fuzz_import {
        use super::*;

        proptest! {
            #![proptest_config(crate::simulation::fuzz::config(192))]

            /// Any pasted email either is refused or becomes a template that
            /// renders: nothing in it is run as template code.
            #[test]
            fn any_email_imports_to_a_template_that_renders(raw in fuzz::email()) {
                if let Some(f) = from_raw_email(&raw).map(|i| i.form) {
                    let r = render::render(&content(&f), &Vars::sample("Riverside Surgery"));
                    prop_assert!(r.is_ok(), "{:?}\nhtml: {}\ntext: {}", r.err(), f.html, f.text);
                }
            }

            /// Braces and markers in an imported email come out exactly as they went in.
            #[test]
            fn imported_braces_render_as_themselves(body in "[a-zA-Z{}%# -]{1,60}") {
                let raw = format!("From: A <a@b.example>\r\nSubject: {body}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n");
                let f = from_raw_email(raw.as_bytes()).unwrap().form;
                let r = render::render(&content(&f), &Vars::sample("X")).unwrap();
                prop_assert_eq!(r.subject.trim(), body.trim());
                prop_assert!(r.text.starts_with(body.trim_end()), "{:?} from {:?}", r.text, f.text);
            }
        }
    }
}
