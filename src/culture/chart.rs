//! Server-rendered SVG bar charts for the culture pages and the dashboard.
//! No JavaScript; each chart is an image with a text title, and the page
//! shows the same figures in a table beside it (the text alternative).

use std::fmt::Write;

/// A bar chart of `bars` (label, value) as an SVG string, titled `title`
/// (read out by screen readers). Values below zero count as zero.
pub fn bars(title: &str, bars: &[(String, i64)]) -> String {
    let (w, h, pad_bottom, pad_top) = (640i64, 200i64, 28i64, 16i64);
    let n = bars.len().max(1) as i64;
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let slot = w / n;
    let bar_w = (slot * 2 / 3).max(2);
    let plot = h - pad_bottom - pad_top;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="sn-chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="chart-{id}" xmlns="http://www.w3.org/2000/svg"><title id="chart-{id}">{t}</title>"#,
        id = slug(title),
        t = escape(title)
    );
    for (i, (label, value)) in bars.iter().enumerate() {
        let v = (*value).max(0);
        let bh = v * plot / max;
        let x = i as i64 * slot + (slot - bar_w) / 2;
        let y = pad_top + plot - bh;
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="{y}" width="{bar_w}" height="{bh}" fill="#005eb8"></rect><text x="{cx}" y="{ty}" font-size="11" text-anchor="middle" fill="#212b32">{v}</text><text x="{cx}" y="{ly}" font-size="11" text-anchor="middle" fill="#4c6272">{l}</text>"##,
            cx = x + bar_w / 2,
            ty = (y - 3).max(11),
            ly = h - 10,
            l = escape(short(label)),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// "Dec 2026" → "Dec" under a bar, to fit twelve.
fn short(label: &str) -> &str {
    label.split(' ').next().unwrap_or(label)
}

fn slug(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_titled_escaped_and_scaled_to_its_largest_bar() {
        let svg = bars(
            "Reports <per> month",
            &[("Nov 2026".into(), 4), ("Dec 2026".into(), 8)],
        );
        assert!(
            svg.contains("<title id=\"chart-reportspermonth\">Reports &lt;per&gt; month</title>")
        );
        assert!(
            svg.contains(r#"height="156""#),
            "the largest bar fills the plot: {svg}"
        );
        assert!(svg.contains(r#"height="78""#));
        assert!(svg.contains(">Dec</text>"));
    }
}
