//! Easy Read pictures: a lesson writes `![what it shows](symbol:name)` and
//! the named line drawing from `content/learn/symbols.toml` is drawn beside
//! the words, inline as accessible SVG on the page and as lines on the
//! leaflet (`print`).

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::lessons::LessonFiles;

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
    let f = LessonFiles::get("symbols.toml").ok_or("symbols.toml is missing")?;
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

/// A picture written `![alt](symbol:name)`, with the words after it on the
/// line: (name, alt, words), or None for any other line.
pub fn picture(line: &str) -> Option<(&str, &str, &str)> {
    let rest = line.trim_start().strip_prefix("![")?;
    let (alt, rest) = rest.split_once("](symbol:")?;
    let (name, after) = rest.split_once(')')?;
    Some((name.trim(), alt.trim(), after.trim_start()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            picture("![A phone](symbol:phone) Call us."),
            Some(("phone", "A phone", "Call us."))
        );
        assert_eq!(picture("![x](https://example.org/a.png)"), None);
    }
}
