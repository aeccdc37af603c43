//! The lessons on paper: an A4 leaflet with the whole lesson, and a
//! waiting-room poster with its key messages, each with a QR code back to the
//! lesson online.

use super::easy_read::{picture, symbols, Shape};
use super::lessons::Lesson;
use crate::pdf::{Align, Document, Weight};

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

/// The whole lesson as a leaflet; `url` is its address online.
pub fn leaflet(l: &Lesson, url: &str) -> Vec<u8> {
    let mut doc = Document::new(&l.title, &format!("Read it online: {url}"));
    doc.title(&l.title);
    doc.paragraph(&l.summary);
    for (heading, md, _) in &l.sections {
        doc.heading(heading);
        markdown_into(&mut doc, md);
    }
    doc.heading("Read this online");
    doc.paragraph("Scan the code with your phone's camera to open this lesson.");
    doc.qr(url, 110.0);
    doc.gap(6.0);
    doc.text_with(url, 10.0, Weight::Regular, Align::Centre, 0.0);
    doc.subheading("Where this advice comes from");
    for s in &l.sources {
        doc.bullet(&format!("{}: {}", s.publisher, s.title));
    }
    doc.finish()
}

/// The key messages as a poster; `url` is the lesson's address online.
pub fn poster(l: &Lesson, url: &str) -> Vec<u8> {
    let mut doc = Document::new(&l.title, url);
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
    doc.qr(url, 170.0);
    doc.gap(4.0);
    doc.text_with(url, 11.0, Weight::Regular, Align::Centre, 0.0);
    doc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easy_read_pictures_print_as_drawings_not_as_their_markdown() {
        let mut doc = Document::new("t", "f");
        markdown_into(&mut doc, "![A phone](symbol:phone) Call us.");
        assert!(!String::from_utf8_lossy(&doc.finish()).contains("symbol:"));
    }
}
