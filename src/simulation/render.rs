//! Renders a simulated email for one recipient. Templates are written by
//! practice managers, so they run in minijinja's sandbox: no file or network
//! access, HTML auto-escaped, a fuel limit against runaway loops, and only
//! the variables listed here.

use minijinja::{context, AutoEscape, Environment, UndefinedBehavior, Value};

/// The parts of a template that are rendered.
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub from_name: String,
    pub from_address: String,
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// What a template may use, per recipient.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub job_role: String,
    pub practice_name: String,
    /// The tracked link.
    pub link: String,
    /// The open-tracking pixel's address (empty: no pixel, as in previews).
    pub tracker_url: String,
    /// The one-click "report this email" link. Empty: the practice has it
    /// switched off, and the link (with the line or paragraph it sits in)
    /// is taken out of the email.
    pub report_link: String,
    /// A link no person can see: only scanners that fetch every URL follow it.
    pub honeypot_url: String,
    /// What `{{ picture }}` shows.
    pub picture: Picture,
}

/// What `{{ picture }}` becomes: the picture the manager attached to the
/// template, carried inside the email (an imported email's own pictures
/// load from the sender's server, which would tell the sender who opened it,
/// so they are removed and this is how one is kept).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Picture {
    /// The template has no picture attached: nothing is shown.
    #[default]
    None,
    /// A preview: a box saying where the picture will be.
    Placeholder,
    /// A sent email: the attached picture, shown from inside the email.
    Inline,
}

/// What `{{ report_link }}` renders as while the practice has the link
/// switched off: found again after rendering and taken out with what
/// surrounds it (letters and dashes only: HTML escaping leaves it as it is).
const NO_REPORT_LINK: &str = "safety-net-no-report-link-9f3c1a";

/// Takes the switched-off report link out of an HTML body: the paragraph it
/// sits in goes (keeping any picture there, such as the open-tracking
/// pixel), or, outside a paragraph, just the link.
fn without_report_link_html(html: &str) -> String {
    let mut out = html.to_string();
    while let Some(at) = out.find(NO_REPORT_LINK) {
        let lower = out.to_ascii_lowercase();
        let a_start = lower[..at].rfind("<a").unwrap_or(at);
        let a_end = lower[at..]
            .find("</a>")
            .map(|i| at + i + "</a>".len())
            .unwrap_or(at + NO_REPORT_LINK.len());
        let p_start = lower[..a_start].rfind("<p").filter(|&p| {
            matches!(
                lower.as_bytes().get(p + 2),
                Some(b'>' | b' ' | b'\t' | b'\n')
            ) && !lower[p..a_start].contains("</p>")
        });
        let p_end = lower[a_end..]
            .find("</p>")
            .map(|i| a_end + i + "</p>".len());
        let (from, to) = match (p_start, p_end) {
            (Some(s), Some(e)) if !lower[a_end..e].contains("<p") => (s, e),
            _ if a_start < at => (a_start, a_end),
            _ => (at, at + NO_REPORT_LINK.len()),
        };
        let kept: String = images_in(&out[from..to]).concat();
        out.replace_range(from..to, &kept);
    }
    out
}

/// The `<img …>` tags in a piece of HTML.
fn images_in(html: &str) -> Vec<&str> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find("<img") {
        let start = from + i;
        let end = lower[start..]
            .find('>')
            .map(|j| start + j + 1)
            .unwrap_or(html.len());
        found.push(&html[start..end]);
        from = end;
    }
    found
}

/// Takes the switched-off report link out of a plain-text part: each line
/// that carries it goes, and a blank line left doubled goes too.
fn without_report_link_text(text: &str) -> String {
    if !text.contains(NO_REPORT_LINK) {
        return text.to_string();
    }
    let mut lines: Vec<&str> = Vec::new();
    for line in text.split('\n') {
        if line.contains(NO_REPORT_LINK) {
            if lines.last().is_some_and(|l| l.trim().is_empty()) {
                lines.pop();
            }
            continue;
        }
        lines.push(line);
    }
    lines.join("\n")
}

/// The Content-ID of the inline picture (`cid:picture` in the HTML).
pub const PICTURE_CID: &str = "picture";
const PICTURE_SRC: &str = "cid:picture";

pub const VARIABLES: [&str; 9] = [
    "first_name",
    "last_name",
    "email",
    "job_role",
    "practice_name",
    "link",
    "tracker",
    "report_link",
    "picture",
];

#[derive(Debug, Clone)]
pub struct Rendered {
    pub from_name: String,
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// Which part failed, and why, in words for the manager editing the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    pub field: &'static str,
    pub message: String,
}

fn env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    // A misspelt variable is an error the manager sees, not a silent blank in 500 emails.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(50_000));
    env
}

impl Vars {
    fn context(&self, with_qr: bool) -> Value {
        let tracker = if self.tracker_url.is_empty() {
            String::new()
        } else {
            format!(
                r#"<img src="{}" width="1" height="1" alt="" style="display:none;border:0">"#,
                html_escape(&self.tracker_url)
            )
        };
        let picture = match self.picture {
            Picture::None => String::new(),
            Picture::Placeholder => "<p style=\"border:1px dashed #768692;padding:8px;color:#4c6272\">[The picture attached to this template appears here]</p>".to_string(),
            Picture::Inline => format!(r#"<img src="{PICTURE_SRC}" alt="">"#),
        };
        context! {
            picture => Value::from_safe_string(picture),
            first_name => self.first_name.clone(),
            last_name => self.last_name.clone(),
            email => self.email.clone(),
            job_role => self.job_role.clone(),
            practice_name => self.practice_name.clone(),
            link => self.link.clone(),
            tracker => Value::from_safe_string(tracker),
            report_link => if self.report_link.is_empty() { NO_REPORT_LINK.to_string() } else { self.report_link.clone() },
            // A QR code of the tracked link, as an HTML table (mail clients strip SVG).
            qr_code => if with_qr { Value::from_safe_string(super::library::qr_code_html(&self.link).unwrap_or_default()) } else { Value::UNDEFINED },
        }
    }

    /// Plausible values for previews and for checking a template as it is saved.
    pub fn sample(practice_name: &str) -> Self {
        Self {
            first_name: "Amelia".into(),
            last_name: "Hughes".into(),
            email: "amelia.hughes@example.nhs.uk".into(),
            job_role: "Receptionist".into(),
            practice_name: practice_name.into(),
            link: "#".into(),
            tracker_url: String::new(),
            report_link: "#".into(),
            honeypot_url: String::new(),
            picture: Picture::Placeholder,
        }
    }
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn explain(e: &minijinja::Error) -> String {
    use minijinja::ErrorKind::*;
    let line = e.line().map(|l| format!(" (line {l})")).unwrap_or_default();
    match e.kind() {
        UndefinedError => format!(
            "This uses a name Safety Net does not know{line}. You can use: {}.",
            VARIABLES
                .iter()
                .map(|v| format!("{{{{ {v} }}}}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        SyntaxError => format!(
            "There is a mistake in the {{{{ … }}}} or {{% … %}} markers{line}: {}",
            e.detail().unwrap_or("check they are closed")
        ),
        OutOfFuel => {
            "This template does too much work (a loop that never ends?). Simplify it.".to_string()
        }
        _ => format!(
            "This part could not be prepared{line}: {}",
            e.detail().unwrap_or("check the {{ … }} markers")
        ),
    }
}

/// A template compiled once, to render for many recipients (a campaign's sends).
pub struct Prepared {
    env: Environment<'static>,
    with_qr: bool,
    /// The name of a text attachment's template, if the email has one.
    attachment: Option<&'static str>,
}

const PARTS: [(&str, &str); 4] = [
    ("from.txt", "from_name"),
    ("subject.txt", "subject"),
    ("body.html", "html"),
    ("body.txt", "text"),
];

impl Prepared {
    pub fn new(c: &Content) -> Result<Self, RenderError> {
        let mut env = env();
        for ((name, field), src) in PARTS
            .iter()
            .zip([&c.from_name, &c.subject, &c.html, &c.text])
        {
            env.add_template_owned(*name, src.clone())
                .map_err(|e| RenderError {
                    field,
                    message: explain(&e),
                })?;
        }
        // The QR code is drawn only for templates that show one: it is the costliest part.
        let with_qr = [&c.html, &c.text].iter().any(|s| s.contains("qr_code"));
        Ok(Self {
            env,
            with_qr,
            attachment: None,
        })
    }

    /// Adds a text attachment (web page, text or calendar file), filled in
    /// per person like the body; a web page is HTML-escaped.
    pub fn with_attachment(mut self, source: &str, html: bool) -> Result<Self, RenderError> {
        let name = if html {
            "attachment.html"
        } else {
            "attachment.txt"
        };
        self.env
            .add_template_owned(name, source.to_string())
            .map_err(|e| RenderError {
                field: "attachment",
                message: explain(&e),
            })?;
        self.with_qr |= source.contains("qr_code");
        self.attachment = Some(name);
        Ok(self)
    }

    /// The attachment for one person, if the email has a text attachment.
    pub fn render_attachment(&self, v: &Vars) -> Option<Result<String, RenderError>> {
        let name = self.attachment?;
        Some(
            self.env
                .get_template(name)
                .and_then(|t| t.render(v.context(self.with_qr)))
                .map(|a| a.replace(NO_REPORT_LINK, ""))
                .map_err(|e| RenderError {
                    field: "attachment",
                    message: explain(&e),
                }),
        )
    }

    pub fn render(&self, v: &Vars) -> Result<Rendered, RenderError> {
        let ctx = v.context(self.with_qr);
        let part = |i: usize| {
            let (name, field) = PARTS[i];
            self.env
                .get_template(name)
                .and_then(|t| t.render(ctx.clone()))
                .map_err(|e| RenderError {
                    field,
                    message: explain(&e),
                })
        };
        let mut html = without_report_link_html(&part(2)?);
        if !v.honeypot_url.is_empty() {
            // Hidden from people and screen readers; link scanners follow every URL.
            let trap = format!(
                r#"<a href="{}" style="display:none" aria-hidden="true" tabindex="-1"></a>"#,
                html_escape(&v.honeypot_url)
            );
            html = match html.rfind("</body>") {
                Some(i) => format!("{}{trap}{}", &html[..i], &html[i..]),
                None => format!("{html}{trap}"),
            };
        }
        // Whatever the template's code produced, nothing live leaves in the email (see `sanitise`).
        let html = super::sanitise::sanitise(
            &html,
            &super::sanitise::Links {
                click: &v.link,
                keep: &[&v.report_link, &v.honeypot_url],
                images: &[
                    &v.tracker_url,
                    if v.picture == Picture::Inline {
                        PICTURE_SRC
                    } else {
                        ""
                    },
                ],
            },
        )
        .map_err(|message| RenderError {
            field: "html",
            message,
        })?;
        Ok(Rendered {
            from_name: part(0)?.replace(NO_REPORT_LINK, ""),
            subject: part(1)?.replace(NO_REPORT_LINK, ""),
            html,
            text: without_report_link_text(&part(3)?),
        })
    }
}

/// Renders every part for one recipient.
pub fn render(c: &Content, v: &Vars) -> Result<Rendered, RenderError> {
    Prepared::new(c)?.render(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(html: &str) -> Content {
        Content {
            from_name: "IT Support".into(),
            from_address: "it@nhs-mail.example".into(),
            subject: "Hello {{ first_name }}".into(),
            html: html.into(),
            text: "Go to {{ link }}".into(),
        }
    }

    #[test]
    fn variables_are_filled_and_html_is_escaped() {
        let mut v = Vars::sample("Riverside Surgery");
        v.first_name = "<script>alert(1)</script>".into();
        v.link = "https://sim.example/c/abc".into();
        v.tracker_url = "https://sim.example/o/abc".into();
        let r = render(
            &content("<p>Hi {{ first_name }}</p><a href=\"{{ link }}\">x</a>{{ tracker }}"),
            &v,
        )
        .unwrap();
        assert!(r.html.contains("&lt;script&gt;"), "{}", r.html);
        assert!(r.html.contains(r#"<img src="https://sim.example/o/abc""#));
        assert_eq!(
            r.subject, "Hello <script>alert(1)</script>",
            "plain-text parts are not HTML-escaped"
        );
        assert_eq!(r.text, "Go to https://sim.example/c/abc");
    }

    #[test]
    fn unknown_variables_and_broken_markers_are_explained() {
        let e = render(&content("{{ frist_name }}"), &Vars::sample("X")).unwrap_err();
        assert_eq!(e.field, "html");
        assert!(e.message.contains("does not know"), "{}", e.message);
        let e = render(&content("{{ first_name "), &Vars::sample("X")).unwrap_err();
        assert!(e.message.contains("mistake"), "{}", e.message);
    }

    #[test]
    fn runaway_templates_run_out_of_fuel() {
        let e = render(
            &content(
                "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
            ),
            &Vars::sample("X"),
        );
        assert!(e.is_err());
    }

    #[test]
    fn the_honeypot_link_is_hidden_inside_the_body() {
        let mut v = Vars::sample("X");
        v.honeypot_url = "https://sim.example/h/abc".into();
        let r = render(&content("<html><body><p>Hi</p></body></html>"), &v).unwrap();
        assert!(r
            .html
            .contains(r#"href="https://sim.example/h/abc" style="display:none""#));
        assert!(r.html.ends_with("</body></html>"));
    }

    #[test]
    fn a_switched_off_report_link_leaves_with_its_paragraph_or_line() {
        let mut v = Vars::sample("X");
        v.report_link = String::new();
        v.tracker_url = "https://sim.example/o/abc".into();
        let mut c = content(
            "<p>Hi</p><p style=\"font-size:11px\">Not expecting this email? <a href=\"{{ report_link }}\">Report it</a>.{{ tracker }}</p><p>Bye</p>",
        );
        c.text = "Hi\n\nNot expecting this email? Report it: {{ report_link }}\n".into();
        let r = render(&c, &v).unwrap();
        assert!(
            !r.html.contains("Report it") && !r.html.contains("no-report-link"),
            "{}",
            r.html
        );
        assert!(
            r.html.contains("<p>Hi</p>") && r.html.contains("<p>Bye</p>"),
            "{}",
            r.html
        );
        assert!(
            r.html.contains("https://sim.example/o/abc"),
            "the pixel stays: {}",
            r.html
        );
        assert_eq!(r.text, "Hi");
        // Outside a paragraph only the link goes.
        let r = render(
            &content("<div>A <a href=\"{{ report_link }}\">Report</a> B</div>"),
            &v,
        )
        .unwrap();
        assert_eq!(r.html, "<div>A  B</div>");
        // Switched on, it stays.
        v.report_link = "https://sim.example/r/abc".into();
        let r = render(&c, &v).unwrap();
        assert!(r.html.contains("Report it") && r.text.contains("https://sim.example/r/abc"));
    }

    mod fuzz {
        use super::super::*;
        use crate::simulation::fuzz;
        use proptest::prelude::*;

        fn vars(first_name: String) -> Vars {
            let mut v = Vars::sample("Riverside Surgery");
            v.first_name = first_name;
            v.link = "https://sim.example/c/abc".into();
            v.tracker_url = "https://sim.example/o/abc".into();
            v.report_link = "https://sim.example/r/abc".into();
            v.honeypot_url = "https://sim.example/h/abc".into();
            v
        }

        proptest! {
            #![proptest_config(crate::simulation::fuzz::config(128))]

            /// Whatever a manager types, the renderer answers with an email or an explanation.
            #[test]
            fn any_template_renders_or_is_explained(
                from_name in fuzz::text(),
                subject in fuzz::text(),
                html in fuzz::text(),
                text in fuzz::text(),
                first_name in any::<String>(),
            ) {
                let c = Content { from_name, from_address: "it@nhs-mail.example".into(), subject, html, text };
                match render(&c, &vars(first_name)) {
                    Ok(r) => prop_assert!(r.html.contains("https://sim.example/h/abc")),
                    Err(e) => prop_assert!(!e.message.is_empty()),
                }
            }

            /// A recipient's details can never add markup to the email.
            #[test]
            fn values_never_break_out_of_the_html(first_name in any::<String>()) {
                let c = Content {
                    from_name: "IT".into(),
                    from_address: "it@nhs-mail.example".into(),
                    subject: "{{ first_name }}".into(),
                    html: "<p>{{ first_name }}</p>".into(),
                    text: "{{ first_name }}".into(),
                };
                let r = render(&c, &vars(first_name.clone())).unwrap();
                let inside = r.html.strip_prefix("<p>").unwrap();
                let inside = &inside[..inside.find("</p>").unwrap()];
                prop_assert!(!inside.contains(['<', '>', '"', '\'']), "{}", inside);
                prop_assert_eq!(r.text, first_name);
            }
        }
    }
}
