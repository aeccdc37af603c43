//! Public lessons for patients, by age, under `/learn`: no account, no cookies,
//! no tracking; each printable as an A4 leaflet and a waiting-room poster with a
//! QR code back to the lesson. Content: `content/learn/` (format in its README).
//!
//! Easy Read puts a picture beside each idea. A lesson writes
//! `![what it shows](symbol:name)`; the named line drawing from
//! `content/learn/symbols.toml` is drawn inline as accessible SVG on the page
//! and as lines on the leaflet, with the words beside it.

use std::collections::HashMap;
use std::sync::LazyLock;

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::content::{sections, split_front_matter, Source};
use crate::pdf::{Align, Document, Weight};
use crate::shared::AppState;
use crate::web::{render, AppError, Page, Path};

#[derive(rust_embed::RustEmbed)]
#[folder = "content/learn/"]
struct LearnFiles;

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

/// One stroke of a symbol, in its 64 by 64 box.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Line(f32, f32, f32, f32),
    Rect(f32, f32, f32, f32),
    Circle(f32, f32, f32),
    Poly(Vec<(f32, f32)>),
}

impl Shape {
    fn parse(text: &str) -> Result<Shape, String> {
        let mut parts = text.split_whitespace();
        let kind = parts.next().unwrap_or_default();
        let n: Vec<f32> = parts
            .map(|p| {
                p.parse::<f32>()
                    .map_err(|_| format!("{text:?}: {p} is not a number"))
            })
            .collect::<Result<_, _>>()?;
        if n.iter().any(|v| !(0.0..=64.0).contains(v)) {
            return Err(format!("{text:?}: numbers must be 0 to 64"));
        }
        match (kind, n.len()) {
            ("line", 4) => Ok(Shape::Line(n[0], n[1], n[2], n[3])),
            ("rect", 4) => Ok(Shape::Rect(n[0], n[1], n[2], n[3])),
            ("circle", 3) => Ok(Shape::Circle(n[0], n[1], n[2])),
            ("poly", k) if k >= 4 && k % 2 == 0 => {
                Ok(Shape::Poly(n.chunks(2).map(|c| (c[0], c[1])).collect()))
            }
            _ => Err(format!(
                "{text:?} is not line, rect, circle or poly with the right numbers"
            )),
        }
    }

    fn svg(&self) -> String {
        match self {
            Shape::Line(a, b, c, d) => format!(r#"<line x1="{a}" y1="{b}" x2="{c}" y2="{d}"/>"#),
            Shape::Rect(x, y, w, h) => {
                format!(r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="3"/>"#)
            }
            Shape::Circle(x, y, r) => format!(r#"<circle cx="{x}" cy="{y}" r="{r}"/>"#),
            Shape::Poly(points) => {
                let p: Vec<String> = points.iter().map(|(x, y)| format!("{x},{y}")).collect();
                format!(r#"<polyline points="{}"/>"#, p.join(" "))
            }
        }
    }

    /// The shape as straight segments (circles as 24-sided polygons), for print.
    pub fn segments(&self) -> Vec<[f32; 4]> {
        let join = |pts: &[(f32, f32)]| {
            pts.windows(2)
                .map(|w| [w[0].0, w[0].1, w[1].0, w[1].1])
                .collect::<Vec<_>>()
        };
        match self {
            Shape::Line(a, b, c, d) => vec![[*a, *b, *c, *d]],
            Shape::Rect(x, y, w, h) => {
                join(&[(*x, *y), (x + w, *y), (x + w, y + h), (*x, y + h), (*x, *y)])
            }
            Shape::Circle(cx, cy, r) => {
                let pts: Vec<(f32, f32)> = (0..=24)
                    .map(|i| {
                        let a = i as f32 * std::f32::consts::TAU / 24.0;
                        (cx + r * a.cos(), cy + r * a.sin())
                    })
                    .collect();
                join(&pts)
            }
            Shape::Poly(points) => join(points),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SymbolFile {
    symbols: Vec<RawSymbol>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSymbol {
    name: String,
    shapes: Vec<String>,
}

fn load_symbols() -> Result<HashMap<String, Vec<Shape>>, String> {
    let f = LearnFiles::get("symbols.toml").ok_or("symbols.toml is missing")?;
    let text = std::str::from_utf8(&f.data).map_err(|_| "symbols.toml is not UTF-8")?;
    let file: SymbolFile = toml::from_str(text).map_err(|e| format!("symbols.toml: {e}"))?;
    file.symbols
        .into_iter()
        .map(|s| {
            let shapes = s
                .shapes
                .iter()
                .map(|t| Shape::parse(t))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("symbol {}: {e}", s.name))?;
            Ok((s.name, shapes))
        })
        .collect()
}

/// The Easy Read pictures, by name.
pub fn symbols() -> &'static HashMap<String, Vec<Shape>> {
    static S: LazyLock<HashMap<String, Vec<Shape>>> =
        LazyLock::new(|| load_symbols().unwrap_or_else(|e| panic!("built-in symbols: {e}")));
    &S
}

/// A symbol as inline SVG that screen readers announce as an image with `alt`.
pub fn symbol_svg(name: &str, alt: &str) -> Option<String> {
    let shapes = symbols().get(name)?;
    let alt = crate::simulation::render::html_escape(alt);
    let body: String = shapes.iter().map(Shape::svg).collect();
    Some(format!(
        r#"<svg class="sn-symbol" viewBox="0 0 64 64" width="64" height="64" role="img" aria-label="{alt}" focusable="false"><title>{alt}</title><g fill="none" stroke="currentColor" stroke-width="3" stroke-linecap="round" stroke-linejoin="round">{body}</g></svg>"#
    ))
}

/// A picture written `![alt](symbol:name)`: (name, alt), or None for anything else.
fn picture(line: &str) -> Option<(&str, &str, &str)> {
    let rest = line.trim_start().strip_prefix("![")?;
    let (alt, rest) = rest.split_once("](symbol:")?;
    let (name, after) = rest.split_once(')')?;
    Some((name.trim(), alt.trim(), after.trim_start()))
}

/// Lesson Markdown to HTML, as [`markdown_to_html`] does for staff modules,
/// with `![alt](symbol:name)` drawn as the named symbol. Any other image is
/// shown as its text.
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
            let f = LearnFiles::get(&path).ok_or_else(|| format!("{path} is missing"))?;
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

fn lesson(slug: &str) -> Result<&'static Lesson, AppError> {
    lessons()
        .iter()
        .find(|l| l.slug == slug)
        .ok_or(AppError::NotFound)
}

/// Public pages may be cached (they hold nothing personal) so they load fast on a phone.
fn public(body: impl IntoResponse, content_type: &'static str) -> Response {
    (
        [
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::CONTENT_TYPE, content_type),
        ],
        body,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "learn/index.html")]
struct IndexPage {
    page: Page,
    lessons: &'static [Lesson],
}

pub async fn index() -> Result<Response, AppError> {
    let html = render(IndexPage {
        page: Page::bare("Staying safe online: lessons for patients"),
        lessons: lessons(),
    })?;
    Ok(public(html.0, "text/html; charset=utf-8"))
}

#[derive(Template)]
#[template(path = "learn/lesson.html")]
struct LessonPage {
    page: Page,
    l: &'static Lesson,
}

pub async fn show(Path(slug): Path<String>) -> Result<Response, AppError> {
    let l = lesson(&slug)?;
    let html = render(LessonPage {
        page: Page::bare(l.title.clone()),
        l,
    })?;
    Ok(public(html.0, "text/html; charset=utf-8"))
}

fn lesson_url(state: &AppState, l: &Lesson) -> String {
    format!(
        "{}/learn/{}",
        state.public_url().trim_end_matches('/'),
        l.slug
    )
}

/// Lays out our Markdown subset (headings, lists, paragraphs) for print.
fn markdown_into(doc: &mut Document, md: &str) {
    let clean = |s: &str| s.replace("**", "").replace('*', "");
    let mut para = String::new();
    let flush = |doc: &mut Document, para: &mut String| {
        if !para.trim().is_empty() {
            doc.paragraph(&clean(para.trim()));
        }
        para.clear();
    };
    for line in md.lines() {
        let t = line.trim();
        if t.is_empty() {
            flush(doc, &mut para);
        } else if let Some((name, _alt, words)) = picture(t) {
            // Easy Read: the picture on the left, its words beside it.
            flush(doc, &mut para);
            let segments: Vec<[f32; 4]> = symbols()
                .get(name)
                .map(|shapes| shapes.iter().flat_map(Shape::segments).collect())
                .unwrap_or_default();
            doc.picture_with_text(&segments, &clean(words));
        } else if let Some(h) = t.strip_prefix("### ") {
            flush(doc, &mut para);
            doc.subheading(&clean(h));
        } else if let Some(item) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            flush(doc, &mut para);
            doc.bullet(&clean(item));
        } else if let Some((n, item)) = t
            .split_once(". ")
            .filter(|(n, _)| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty())
        {
            flush(doc, &mut para);
            doc.bullet_with(&format!("{n}."), &clean(item));
        } else {
            para.push(' ');
            para.push_str(t.trim_start_matches("> "));
        }
    }
    flush(doc, &mut para);
}

pub async fn leaflet(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let l = lesson(&slug)?;
    let url = lesson_url(&state, l);
    let mut doc = Document::new(&l.title, &format!("Read it online: {url}"));
    doc.title(&l.title);
    doc.paragraph(&l.summary);
    for (heading, md, _) in &l.sections {
        doc.heading(heading);
        markdown_into(&mut doc, md);
    }
    doc.heading("Read this online");
    doc.paragraph("Scan the code with your phone's camera to open this lesson.");
    doc.qr(&url, 110.0);
    doc.gap(6.0);
    doc.text_with(&url, 10.0, Weight::Regular, Align::Centre, 0.0);
    doc.subheading("Where this advice comes from");
    for s in &l.sources {
        doc.bullet(&format!("{}: {}", s.publisher, s.title));
    }
    Ok(public(doc.finish(), "application/pdf"))
}

pub async fn poster(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let l = lesson(&slug)?;
    let url = lesson_url(&state, l);
    let mut doc = Document::new(&l.title, &url);
    doc.gap(10.0);
    doc.text_with("Stay safe online", 40.0, Weight::Bold, Align::Centre, 0.0);
    doc.gap(4.0);
    doc.text_with(&l.audience, 20.0, Weight::Regular, Align::Centre, 0.0);
    doc.gap(20.0);
    for msg in &l.key_messages {
        doc.text_with(msg, 17.0, Weight::Bold, Align::Left, 0.0);
        doc.gap(9.0);
    }
    doc.gap(12.0);
    doc.text_with(
        "Scan to learn more",
        16.0,
        Weight::Regular,
        Align::Centre,
        0.0,
    );
    doc.gap(6.0);
    doc.qr(&url, 170.0);
    doc.gap(4.0);
    doc.text_with(&url, 11.0, Weight::Regular, Align::Centre, 0.0);
    Ok(public(doc.finish(), "application/pdf"))
}

/// Flesch–Kincaid grade, measured as `content/learn/README.md` defines it.
pub fn reading_grade(md: &str) -> f64 {
    let mut sentences = 0usize;
    let mut words = 0usize;
    let mut syllables = 0usize;
    for raw in md.lines() {
        // A picture's description is read by screen readers, not by the reader.
        let raw = picture(raw).map_or(raw, |(_, _, words)| words);
        let mut line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let structural = line.starts_with('#')
            || line.starts_with("- ")
            || line.starts_with("* ")
            || line
                .split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        line = line.trim_start_matches(['#', '*', '-', '>', ' ']);
        if let Some((n, rest)) = line.split_once(". ") {
            if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) {
                line = rest;
            }
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let mut ended = false;
        for (i, tok) in tokens.iter().enumerate() {
            if tok.chars().any(|c| c.is_alphanumeric()) {
                words += 1;
                syllables += syllable_count(tok);
            }
            let t = tok.trim_end_matches(['*', '"', '\'', ')', '”', '’']);
            ended = t.ends_with(['.', '!', '?']);
            if ended && i + 1 < tokens.len() {
                sentences += 1;
            }
        }
        if ended || structural {
            sentences += 1;
        }
    }
    if words == 0 {
        return 0.0;
    }
    let sentences = sentences.max(1) as f64;
    0.39 * words as f64 / sentences + 11.8 * syllables as f64 / words as f64 - 15.59
}

fn syllable_count(word: &str) -> usize {
    let w: String = word
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut count = 0;
    let mut prev_vowel = false;
    for c in w.chars() {
        let v = "aeiouy".contains(c);
        if v && !prev_vowel {
            count += 1;
        }
        prev_vowel = v;
    }
    if w.ends_with('e') && !w.ends_with("le") && count > 1 {
        count -= 1;
    }
    count.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_follow_the_documented_rule() {
        assert_eq!(syllable_count("password"), 2);
        assert_eq!(syllable_count("make"), 1);
        assert_eq!(syllable_count("little"), 2);
        assert_eq!(syllable_count("NHS"), 1);
        assert_eq!(syllable_count("surgery"), 3);
    }

    #[test]
    fn short_words_in_short_sentences_read_easily_and_long_ones_do_not() {
        let easy = "Do not share it. Tell a grown-up. Stop and think.";
        let hard = "Organisational cybersecurity considerations necessitate comprehensive authentication infrastructure deployment across heterogeneous environments.";
        assert!(reading_grade(easy) < 2.0, "{}", reading_grade(easy));
        assert!(reading_grade(hard) > 12.0, "{}", reading_grade(hard));
    }

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
        // Pictures don't count towards the reading level.
        assert_eq!(
            reading_grade("![A very complicated organisational diagram](symbol:phone) Stop."),
            reading_grade("Stop.")
        );
    }

    #[test]
    fn symbols_draw_on_the_page_and_in_print() {
        for (name, shapes) in symbols() {
            assert!(!shapes.is_empty(), "{name}");
            assert!(shapes.iter().all(|s| !s.segments().is_empty()), "{name}");
        }
        let svg = symbol_svg("phone", "A <mobile> phone").unwrap();
        assert!(svg.contains(r#"aria-label="A &lt;mobile&gt; phone""#) && svg.contains("<title>"));
        assert!(symbol_svg("no-such-symbol", "x").is_none());
        assert!(Shape::parse("circle 1 2").is_err() && Shape::parse("line 0 0 99 0").is_err());
        let html = lesson_html(
            "![A phone](symbol:phone) Call us.\n\n![x](https://example.org/a.png) <b>hi</b>",
        );
        assert!(html.contains("<svg class=\"sn-symbol\""));
        assert!(
            !html.contains("<img") && !html.contains("<b>"),
            "only our symbols, no raw HTML"
        );
        let mut doc = crate::pdf::Document::new("t", "f");
        markdown_into(&mut doc, "![A phone](symbol:phone) Call us.");
        assert!(!String::from_utf8_lossy(&doc.finish()).contains("symbol:"));
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
