//! The teachable moment: the kind lesson a click or a submitted form
//! opens. It shows the exact email this person received with each red flag
//! highlighted where it is (sender, subject, body or attachment name) and
//! explained, and the short training they have been given.

use axum::response::Response;

use super::hit::{not_found, Hit};
use super::state::SimState;
pub use super::views::Flag as RedFlagNote;
use super::views::{first_name, page, Flag, HowToReport, TeachablePage};
use crate::simulation::authoring::{module_title, SimTemplate};
use crate::simulation::library::FlagPlace;
use crate::simulation::render::{self, html_escape, Vars};

/// Wraps each occurrence of `marker` in text (not inside tags) with a numbered highlight.
fn highlight_html(html: &str, marker: &str, n: usize) -> String {
    let escaped = html_escape(marker);
    let mut out = String::with_capacity(html.len() + 64);
    let mut in_tag = false;
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < html.len() {
        let c = bytes[i];
        if c == b'<' {
            in_tag = true;
        } else if c == b'>' {
            in_tag = false;
        }
        if !in_tag {
            for m in [escaped.as_str(), marker] {
                if !m.is_empty() && html[i..].starts_with(m) {
                    out.push_str(&format!(
                        r#"<mark title="Red flag {n}">{m}<sup>{n}</sup></mark>"#
                    ));
                    i += m.len();
                    break;
                }
            }
            if i < html.len() && (bytes[i] == b'<') {
                in_tag = true;
            }
        }
        if i < html.len() {
            let ch = html[i..].chars().next().expect("in bounds");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn highlight_text(text: &str, marker: &str, n: usize) -> String {
    let escaped = html_escape(text);
    let m = html_escape(marker);
    if m.is_empty() {
        return escaped;
    }
    escaped.replace(
        &m,
        &format!(r#"<mark title="Red flag {n}">{m}<sup>{n}</sup></mark>"#),
    )
}

/// An email with its red flags highlighted where they are, and their
/// explanations numbered to match: what the lesson shows, and what the
/// manager sees before choosing an email.
pub struct Highlighted {
    pub from_line: String,
    pub subject_line: String,
    pub attachment_line: Option<String>,
    /// The body with its highlights, for an `<iframe srcdoc>`.
    pub body_srcdoc: String,
    pub flags: Vec<Flag>,
}

/// `t` rendered for `vars` with each red flag highlighted; None if it cannot be rendered.
pub fn highlighted(t: &SimTemplate, vars: &Vars) -> Option<Highlighted> {
    let r = render::render(&t.content, vars).ok()?;
    let mut from_line = html_escape(&format!("{} <{}>", r.from_name, t.content.from_address));
    let mut subject_line = html_escape(&r.subject);
    let mut body = r.html;
    let mut attachment_line = t.attachment.as_ref().map(|a| html_escape(&a.file_name));
    for (i, f) in t.red_flags.iter().enumerate() {
        let n = i + 1;
        match f.r#where {
            FlagPlace::From => {
                from_line = highlight_text(
                    &format!("{} <{}>", r.from_name, t.content.from_address),
                    &f.marker,
                    n,
                )
            }
            FlagPlace::Subject => subject_line = highlight_text(&r.subject, &f.marker, n),
            FlagPlace::Body => body = highlight_html(&body, &f.marker, n),
            FlagPlace::Attachment => {
                if let Some(a) = &t.attachment {
                    attachment_line = Some(highlight_text(&a.file_name, &f.marker, n));
                }
            }
        }
    }
    let style = "<style>mark{background:#ffeb3b;outline:2px solid #d5281b;padding:0 2px}mark sup{font-weight:bold;color:#d5281b}</style>";
    Some(Highlighted {
        from_line,
        subject_line,
        attachment_line,
        body_srcdoc: format!("{style}{body}"),
        flags: t
            .red_flags
            .iter()
            .enumerate()
            .map(|(i, f)| Flag {
                n: i + 1,
                explanation: f.explanation.clone(),
            })
            .collect(),
    })
}

/// The lesson page for `vars`' person.
fn lesson(
    t: &SimTemplate,
    vars: &Vars,
    practice: String,
    submitted: bool,
    public_url: &str,
    token: String,
    how_to_report: HowToReport,
) -> Option<TeachablePage> {
    let h = highlighted(t, vars)?;
    Some(TeachablePage {
        practice,
        first_name: vars.first_name.clone(),
        submitted,
        from_line: h.from_line,
        subject_line: h.subject_line,
        attachment_line: h.attachment_line,
        body_srcdoc: h.body_srcdoc,
        flags: h.flags,
        module_title: module_title(&t.training_module).to_string(),
        module_link: format!(
            "{}/training/modules/{}",
            public_url.trim_end_matches('/'),
            t.training_module
        ),
        token,
        how_to_report,
    })
}

/// The kind lesson: the exact email this person received, its red flags
/// highlighted and explained, and the short training they have been given.
pub fn teachable_moment(
    state: &SimState,
    hit: &Hit,
    t: &SimTemplate,
    token: &str,
    submitted: bool,
) -> Response {
    let practice = hit.campaign.practice_name.clone();
    let mut vars = Vars::sample(&practice);
    vars.first_name = first_name(&hit.full_name);
    vars.last_name = hit.full_name.rsplit(' ').next().unwrap_or("").to_string();
    vars.email = hit.email.clone();
    vars.job_role = hit.job_role.clone();
    if !hit.campaign.report_link {
        // The email as it was sent: without the link when the practice has it off.
        vars.report_link = String::new();
    }
    match lesson(
        t,
        &vars,
        practice,
        submitted,
        &state.app.settings.public_url,
        token.to_string(),
        HowToReport::new(state, &hit.campaign),
    ) {
        Some(p) => page(p),
        None => not_found(),
    }
}

/// The lesson as a member of staff would see it after clicking, for the
/// manager to read before choosing the email (a sample person's name).
pub fn preview(
    t: &SimTemplate,
    practice: &str,
    public_url: &str,
    report_link: bool,
) -> Option<String> {
    use askama::Template as _;
    let mut vars = Vars::sample(practice);
    if !report_link {
        vars.report_link = String::new();
    }
    let how = HowToReport {
        report_form: format!("{}/culture/reports/new", public_url.trim_end_matches('/')),
        report_link,
    };
    lesson(
        t,
        &vars,
        practice.to_string(),
        false,
        public_url,
        "preview".into(),
        how,
    )?
    .render()
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_highlighted_in_text_but_not_inside_tags() {
        let html = r#"<a href="https://nhs-mail.example/x">Visit nhs-mail.example now</a>"#;
        let out = highlight_html(html, "nhs-mail.example", 1);
        assert!(
            out.starts_with(r#"<a href="https://nhs-mail.example/x">"#),
            "{out}"
        );
        assert!(
            out.contains(
                r#"Visit <mark title="Red flag 1">nhs-mail.example<sup>1</sup></mark> now"#
            ),
            "{out}"
        );
    }

    #[test]
    fn markers_in_plain_lines_are_escaped_then_highlighted() {
        let out = highlight_text("IT <it@nhs-mail.example>", "nhs-mail.example", 2);
        assert_eq!(
            out,
            r#"IT &lt;it@<mark title="Red flag 2">nhs-mail.example<sup>2</sup></mark>&gt;"#
        );
    }
}
