//! The accountability agreement everyone with administrator access signs
//! (DSPT item 4.3.1): `content/agreements/it-administrator.md`, TOML front
//! matter between `+++` lines and the text in Markdown.
//!
//! The text may use `{{ practice_name }}` only. What a person agrees to is
//! the text with the practice's name filled in; [`Agreement::digest`] fixes
//! that exact text, so a record of agreement can say which words were agreed
//! even after the wording changes (and `version` goes up).

use std::sync::LazyLock;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::Date;

use crate::simulation::render::html_escape;
pub use crate::training::content::Source;
use crate::training::content::{markdown_to_html, split_front_matter};

#[derive(rust_embed::RustEmbed)]
#[folder = "content/agreements/"]
struct AgreementFiles;

pub const PRACTICE_PLACEHOLDER: &str = "{{ practice_name }}";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    version: u32,
    title: String,
    updated: toml::value::Datetime,
    summary: String,
    sources: Vec<Source>,
}

#[derive(Debug, Clone)]
pub struct Agreement {
    /// Same as the file name: `it-administrator`.
    pub id: String,
    /// Goes up whenever the wording changes; agreements are renewed then.
    pub version: u32,
    pub title: String,
    pub updated: Date,
    pub summary: String,
    pub sources: Vec<Source>,
    /// The Markdown text, with the placeholder.
    pub markdown: String,
}

impl Agreement {
    /// The exact Markdown text a person at `practice_name` agrees to.
    pub fn text_for(&self, practice_name: &str) -> String {
        self.markdown
            .replace(PRACTICE_PLACEHOLDER, practice_name.trim())
    }

    /// The text as HTML, with the practice's name escaped.
    pub fn html_for(&self, practice_name: &str) -> String {
        markdown_to_html(&self.markdown)
            .replace(PRACTICE_PLACEHOLDER, &html_escape(practice_name.trim()))
    }

    /// SHA-256 (hex) of [`Agreement::text_for`]: store it with each
    /// acknowledgement as the exact version of the text agreed.
    pub fn digest(&self, practice_name: &str) -> String {
        hex::encode(Sha256::digest(self.text_for(practice_name).as_bytes()))
    }

    /// The `## ` headings, in order.
    pub fn headings(&self) -> Vec<String> {
        crate::training::content::sections(&self.markdown)
            .into_iter()
            .map(|(h, _)| h)
            .collect()
    }
}

fn parse(file: &str, text: &str) -> Result<Agreement, String> {
    let (fm, body) =
        split_front_matter(text).ok_or_else(|| format!("{file}: no +++ front matter"))?;
    let fm: FrontMatter = toml::from_str(fm).map_err(|e| format!("{file}: {e}"))?;
    let updated = crate::resilience::dates::parse_iso(&fm.updated.to_string())
        .ok_or_else(|| format!("{file}: updated must be a date like 2026-12-04"))?;
    Ok(Agreement {
        id: fm.id,
        version: fm.version,
        title: fm.title,
        updated,
        summary: fm.summary,
        sources: fm.sources,
        markdown: body.trim().to_string() + "\n",
    })
}

fn load(id: &str) -> Result<Agreement, String> {
    let file = format!("{id}.md");
    let f = AgreementFiles::get(&file).ok_or_else(|| format!("{file} is missing"))?;
    let text = std::str::from_utf8(&f.data).map_err(|_| format!("{file} is not UTF-8"))?;
    let a = parse(&file, text)?;
    if a.id != id {
        return Err(format!("{file}: id is {}", a.id));
    }
    Ok(a)
}

/// The agreement for IT administrators, including external suppliers and
/// the ICB's GP IT staff. Checked by the tests below.
pub fn it_administrator() -> &'static Agreement {
    static A: LazyLock<Agreement> = LazyLock::new(|| {
        load("it-administrator").unwrap_or_else(|e| panic!("built-in agreement: {e}"))
    });
    &A
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_administrator_agreement_covers_what_the_toolkit_asks() {
        let a = load("it-administrator").unwrap();
        assert!(a.version >= 1);
        let headings = a.headings().join(" | ").to_lowercase();
        for needed in [
            "what you may do",
            "what you must not do",
            "confidentiality",
            "logging",
            "reporting problems at once",
            "when your access ends",
        ] {
            assert!(
                headings.contains(needed),
                "no section on {needed}: {headings}"
            );
        }
        let words = a.markdown.split_whitespace().count();
        assert!(
            (400..=900).contains(&words),
            "about one page: {words} words"
        );
        assert!(a.sources.len() >= 2);
        for s in &a.sources {
            assert_eq!(
                url::Url::parse(&s.url).unwrap().scheme(),
                "https",
                "{}",
                s.url
            );
        }
        let without = a.markdown.replace(PRACTICE_PLACEHOLDER, "");
        assert!(
            !without.contains("{{"),
            "only {PRACTICE_PLACEHOLDER} may be used"
        );
        assert!(
            !markdown_to_html(&a.markdown).contains("&lt;"),
            "no raw HTML"
        );
        // Plain English: Flesch–Kincaid grade as content/learn/README.md defines it.
        let grade = crate::training::patient_lessons::reading_grade(&a.markdown);
        assert!(grade <= 11.0, "reading grade {grade:.1}");
    }

    #[test]
    fn the_text_agreed_names_the_practice_and_its_digest_pins_it() {
        let a = it_administrator();
        let text = a.text_for("Riverside Surgery");
        assert!(text.contains("Riverside Surgery's IT systems"));
        assert!(!text.contains("{{"));
        let html = a.html_for("Smith & <Jones> Practice");
        assert!(html.contains("Smith &amp; &lt;Jones&gt; Practice"));
        assert!(!html.contains("<Jones>"));
        assert_eq!(a.digest("Riverside Surgery"), a.digest("Riverside Surgery"));
        assert_ne!(a.digest("Riverside Surgery"), a.digest("Hillside Surgery"));
        assert_eq!(a.digest("x").len(), 64);
    }

    #[test]
    fn broken_agreement_files_are_refused() {
        assert!(parse("x.md", "no front matter")
            .unwrap_err()
            .contains("front matter"));
        let e = parse("x.md", "+++\nid = \"x\"\n+++\n\n## Hi\n").unwrap_err();
        assert!(e.contains("missing field"), "{e}");
    }
}
