//! The patient lessons from `content/learn/` (format in its README), parsed
//! once: each lesson's front matter and its sections as Markdown and HTML.

use std::sync::LazyLock;

use serde::Deserialize;

use super::easy_read::symbol_svg;
use crate::training::content::{sections, split_front_matter, Source};

#[derive(rust_embed::RustEmbed)]
#[folder = "content/learn/"]
pub(super) struct LessonFiles;

/// The lessons in the order the index shows them.
pub const SLUGS: [&str; 5] = [
    "children",
    "teens",
    "adults",
    "adults-easy-read",
    "older-adults",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    slug: String,
    title: String,
    audience: String,
    summary: String,
    max_grade: f64,
    key_messages: Vec<String>,
    sources: Vec<Source>,
}

#[derive(Debug, Clone)]
pub struct Lesson {
    pub slug: &'static str,
    pub title: String,
    pub audience: String,
    pub summary: String,
    pub max_grade: f64,
    pub key_messages: Vec<String>,
    pub sources: Vec<Source>,
    /// (heading, Markdown, HTML)
    pub sections: Vec<(String, String, String)>,
}

impl Lesson {
    /// Easy Read lessons print and show in larger type, with their pictures.
    pub fn is_easy_read(&self) -> bool {
        self.slug.ends_with("easy-read")
    }
}

/// Lesson Markdown to HTML, as `content::markdown_to_html` does for staff
/// modules, with `![alt](symbol:name)` drawn as the named symbol. Any other
/// image is shown as its text.
pub fn lesson_html(md: &str) -> String {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut out = Vec::new();
    let mut image: Option<(String, String)> = None;
    for e in Parser::new(md) {
        match (&mut image, e) {
            (None, Event::Start(Tag::Image { dest_url, .. })) => {
                image = Some((dest_url.to_string(), String::new()));
            }
            (Some((_, alt)), Event::Text(t)) => alt.push_str(&t),
            (Some(_), Event::End(TagEnd::Image)) => {
                let (dest, alt) = image.take().unwrap_or_default();
                let svg = dest
                    .strip_prefix("symbol:")
                    .and_then(|name| symbol_svg(name, &alt));
                out.push(match svg {
                    Some(svg) => Event::Html(svg.into()),
                    None => Event::Text(alt.into()),
                });
            }
            (Some(_), _) => {}
            (None, Event::Html(t) | Event::InlineHtml(t)) => out.push(Event::Text(t)),
            (None, other) => out.push(other),
        }
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, out.into_iter());
    html
}

fn load() -> Result<Vec<Lesson>, String> {
    SLUGS
        .iter()
        .map(|slug| {
            let path = format!("{slug}.md");
            let f = LessonFiles::get(&path).ok_or_else(|| format!("{path} is missing"))?;
            let text = std::str::from_utf8(&f.data)
                .map_err(|_| format!("{path} is not UTF-8"))?
                .to_string();
            let (fm, body) =
                split_front_matter(&text).ok_or_else(|| format!("{path}: no +++ front matter"))?;
            let fm: FrontMatter = toml::from_str(fm).map_err(|e| format!("{path}: {e}"))?;
            if fm.slug != *slug {
                return Err(format!("{path}: slug is {}", fm.slug));
            }
            Ok(Lesson {
                slug,
                title: fm.title,
                audience: fm.audience,
                summary: fm.summary,
                max_grade: fm.max_grade,
                key_messages: fm.key_messages,
                sources: fm.sources,
                sections: sections(body)
                    .into_iter()
                    .filter(|(h, _)| h != "Sources")
                    .map(|(h, md)| {
                        let html = lesson_html(&md);
                        (h, md, html)
                    })
                    .collect(),
            })
        })
        .collect()
}

pub fn lessons() -> &'static [Lesson] {
    static LESSONS: LazyLock<Vec<Lesson>> =
        LazyLock::new(|| load().unwrap_or_else(|e| panic!("built-in patient lessons: {e}")));
    &LESSONS
}

/// A lesson named in a path (`/learn/{lesson}`): with
/// `web::Path<KnownLesson>`, a slug that is not a lesson answers "Page not found".
#[derive(Debug, Clone, Copy)]
pub struct KnownLesson(pub &'static Lesson);

impl<'de> Deserialize<'de> for KnownLesson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let slug = String::deserialize(d)?;
        lessons()
            .iter()
            .find(|l| l.slug == slug)
            .map(KnownLesson)
            .ok_or_else(|| serde::de::Error::custom("no such lesson"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::patient_lessons::easy_read::{picture, symbols};
    use crate::training::patient_lessons::reading_level::reading_grade;

    #[test]
    fn reading_levels_are_held_where_the_readme_sets_them() {
        // content/learn/README.md: these limits only ever go down.
        let lessons = load().expect("patient lessons load");
        for (slug, limit) in [
            ("children", 5.0),
            ("teens", 8.0),
            ("adults", 8.0),
            ("adults-easy-read", 5.0),
            ("older-adults", 5.0),
        ] {
            let l = lessons.iter().find(|l| l.slug == slug).expect("lesson");
            assert!(
                l.max_grade <= limit,
                "{slug}: max_grade {} is above {limit}",
                l.max_grade
            );
        }
    }

    #[test]
    fn easy_read_has_a_described_picture_for_every_part() {
        let lessons = load().expect("patient lessons load");
        let easy = lessons
            .iter()
            .find(|l| l.slug == "adults-easy-read")
            .unwrap();
        for (heading, md, html) in &easy.sections {
            // Every part of the lesson, and every ### under it, has a picture.
            for part in md.split("\n### ") {
                assert!(
                    part.lines().any(|l| picture(l).is_some()),
                    "Easy Read section {heading:?} has a part without a picture: {:?}",
                    part.lines().next()
                );
            }
            for line in md.lines().filter_map(picture) {
                let (name, alt, words) = line;
                assert!(symbols().contains_key(name), "unknown symbol {name}");
                assert!(alt.len() >= 3, "describe the picture {name}");
                assert!(!words.is_empty(), "words go beside the picture {name}");
            }
            assert!(
                html.contains(r#"role="img" aria-label=""#),
                "{heading}: pictures are accessible"
            );
            assert!(!html.contains("!["), "{heading}: no picture left as text");
        }
    }

    #[test]
    fn lesson_pictures_are_our_symbols_and_nothing_else_gets_through() {
        let html = lesson_html(
            "![A phone](symbol:phone) Call us.\n\n![x](https://example.org/a.png) <b>hi</b>",
        );
        assert!(html.contains("<svg class=\"sn-symbol\""));
        assert!(
            !html.contains("<img") && !html.contains("<b>"),
            "only our symbols, no raw HTML"
        );
    }

    #[test]
    fn every_lesson_is_complete_and_within_its_reading_level() {
        let lessons = load().expect("patient lessons load");
        for l in &lessons {
            assert!(l.sections.len() >= 5, "{}: covers all five topics", l.slug);
            assert!(
                (5..=7).contains(&l.key_messages.len()),
                "{}: 5–7 key messages",
                l.slug
            );
            assert!(
                l.key_messages.iter().all(|m| m.chars().count() < 70),
                "{}: poster lines under 70 characters",
                l.slug
            );
            assert!(
                !l.sources.is_empty() && l.sources.iter().all(|s| s.url.starts_with("https://"))
            );
            let md: String = l
                .sections
                .iter()
                .map(|(h, md, _)| format!("## {h}\n{md}\n"))
                .collect();
            let grade = reading_grade(&md);
            assert!(
                grade <= l.max_grade,
                "{}: reading grade {grade:.1} is above {}",
                l.slug,
                l.max_grade
            );
        }
        for (slug, limit) in [
            ("children", 5.0),
            ("older-adults", 5.0),
            ("adults-easy-read", 5.0),
        ] {
            let l = lessons
                .iter()
                .find(|l| l.slug == slug)
                .expect("lesson exists");
            assert!(
                l.max_grade <= limit,
                "{slug} must be held to grade {limit} or below"
            );
        }
    }
}
