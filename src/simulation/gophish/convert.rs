//! GoPhish template text (Go templates: `{{.FirstName}}`) to ours
//! (`{{ first_name }}`) and back. Everything else in a GoPhish template is
//! text, so its braces are kept as text.

use crate::simulation::authoring::email_import::{braces_as_text, BRACE};

/// GoPhish's fields and ours.
const FIELDS: [(&str, &str); 6] = [
    ("FirstName", "first_name"),
    ("LastName", "last_name"),
    ("Email", "email"),
    ("Position", "job_role"),
    ("URL", "link"),
    ("Tracker", "tracker"),
];

pub fn supported() -> String {
    FIELDS
        .iter()
        .map(|(g, _)| format!("{{{{.{g}}}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Our template text for a GoPhish one, or what in it we cannot do.
pub fn from_gophish(text: &str) -> Result<String, String> {
    let action = regex_lite::Regex::new(r"\{\{-?\s*\.([A-Za-z]+)\s*-?\}\}").expect("valid pattern");
    let protect = |s: &str| s.replace(BRACE, "").replace('{', &BRACE.to_string());
    let mut out = String::with_capacity(text.len() + 32);
    let mut last = 0;
    for m in action.captures_iter(text) {
        let whole = m.get(0).expect("match");
        let name = &m[1];
        let ours = FIELDS
            .iter()
            .find(|(g, _)| *g == name)
            .map(|(_, o)| *o)
            .ok_or_else(|| {
                format!(
                    "Safety Net has no {{{{.{name}}}}}: it understands {}",
                    supported()
                )
            })?;
        out.push_str(&protect(&text[last..whole.start()]));
        out.push_str(&format!("{{{{ {ours} }}}}"));
        last = whole.end();
    }
    let rest = &text[last..];
    out.push_str(&protect(rest));
    if text.contains("{{") && action.replace_all(text, "").contains("{{") {
        return Err(format!(
            "This template uses GoPhish instructions Safety Net cannot follow (only fields can be filled in: {})",
            supported()
        ));
    }
    Ok(braces_as_text(&out))
}

/// GoPhish template text for ours, as near as it goes (for showing back).
pub fn to_gophish(text: &str) -> String {
    let mut out = text
        .replace("{{ \"{\" }}", "\u{1}")
        .replace("{{ \"{{\" }}", "\u{1}\u{1}")
        .replace("{{ \"{%\" }}", "\u{1}%")
        .replace("{{ \"{#\" }}", "\u{1}#");
    for (g, o) in FIELDS {
        out = out.replace(&format!("{{{{ {o} }}}}"), &format!("{{{{.{g}}}}}"));
    }
    out.replace('\u{1}', "{")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulation::render::{self, Content, Vars};

    #[test]
    fn gophish_fields_become_ours_and_other_braces_stay_text() {
        let ours =
            from_gophish("Hi {{.FirstName}}, <a href=\"{{.URL}}\">x</a>{{ .Tracker }} css{a{}}")
                .unwrap();
        assert!(ours.contains("{{ first_name }}") && ours.contains("{{ link }}"));
        let mut v = Vars::sample("X");
        v.link = "https://sim.example/c/abc".into();
        let r = render::render(
            &Content {
                from_name: "IT".into(),
                from_address: "it@x.example".into(),
                subject: "s".into(),
                html: ours.clone(),
                text: String::new(),
            },
            &v,
        )
        .unwrap();
        assert!(r.html.starts_with("Hi Amelia, <a href=\"https:"));
        assert!(r.html.contains("css{a{}}"), "{}", r.html);
        assert_eq!(
            to_gophish(&ours),
            "Hi {{.FirstName}}, <a href=\"{{.URL}}\">x</a>{{.Tracker}} css{a{}}"
        );
    }

    #[test]
    fn what_we_cannot_do_is_explained() {
        assert!(from_gophish("{{.RId}}")
            .unwrap_err()
            .contains("no {{.RId}}"));
        assert!(from_gophish("{{if .FirstName}}x{{end}}").is_err());
    }
}
