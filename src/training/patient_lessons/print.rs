//! The lessons on paper: an A4 leaflet with the whole lesson, and a
//! waiting-room poster with its key messages, each with a QR code back to the
//! lesson online.

use super::easy_read::{picture, symbols, Shape};
use super::lessons::Lesson;
use crate::pdf::{Align, Document, Weight};

/// Who the paper is from: the surgery that printed it, when a signed-in
/// member of staff asked for it.
fn from(surgery: Option<&str>) -> String {
    surgery.map_or_else(|| "your GP surgery".to_string(), str::to_string)
}

/// The phone numbers the lessons print, and whose they are: a patient reading
/// a poster in the waiting room must not take one for the surgery's.
const NUMBERS: &[(&str, &str)] = &[
    (
        "7726",
        "the free number every UK mobile network uses for scam texts",
    ),
    ("0300 123 2040", "Report Fraud, run by the police"),
    ("0800 1111", "Childline"),
];

/// "Phone numbers on this poster: …" for the numbers these lines print.
pub fn whose_numbers(lines: &[String]) -> Option<String> {
    let named: Vec<String> = NUMBERS
        .iter()
        .filter(|(n, _)| lines.iter().any(|l| l.contains(n)))
        .map(|(n, whose)| format!("{n} is {whose}"))
        .collect();
    (!named.is_empty()).then(|| {
        format!(
            "Phone numbers here: {}. None of them is the surgery's.",
            named.join("; ")
        )
    })
}

/// A short leaflet (one sheet of A4, both sides at most): the lesson's key
/// messages (Easy Read: each section's first pictures and words, in 14pt),
/// what the whole lesson covers, and a QR code to read all of it online.
pub fn leaflet(l: &Lesson, url: &str, surgery: Option<&str>) -> Vec<u8> {
    let footer = format!(
        "From {}. Read the whole lesson online: {url}",
        from(surgery)
    );
    let mut doc = Document::new(&l.title, &footer);
    doc.title(&l.title);
    if l.is_easy_read() {
        doc.text_with(&l.summary, 14.0, Weight::Regular, Align::Left, 0.0);
        for (heading, md, _) in &l.sections {
            doc.heading(heading);
            for (name, _alt, words) in md.lines().filter_map(picture).take(2) {
                let segments: Vec<[f32; 4]> = symbols()
                    .get(name)
                    .map(|shapes| shapes.iter().flat_map(Shape::segments).collect())
                    .unwrap_or_default();
                doc.picture_with_text(&segments, &words.replace("**", ""));
            }
        }
    } else {
        doc.paragraph(&l.summary);
        doc.heading("Remember");
        for msg in &l.key_messages {
            doc.bullet(msg);
        }
        doc.heading("The whole lesson covers");
        for (heading, _, _) in &l.sections {
            doc.bullet(heading);
        }
    }
    doc.heading("Read it all online");
    doc.paragraph("Scan the code with your phone's camera to open the whole lesson.");
    doc.qr(url, 90.0);
    doc.gap(4.0);
    doc.text_with(url, 10.0, Weight::Regular, Align::Centre, 0.0);
    if let Some(numbers) = whose_numbers(&l.key_messages) {
        doc.gap(6.0);
        doc.text_with(&numbers, 9.0, Weight::Regular, Align::Left, 0.0);
    }
    let mut publishers: Vec<&str> = l.sources.iter().map(|s| s.publisher.as_str()).collect();
    publishers.dedup();
    doc.gap(6.0);
    doc.text_with(
        &format!("This advice comes from: {}.", publishers.join(", ")),
        9.0,
        Weight::Regular,
        Align::Left,
        0.0,
    );
    doc.finish()
}

/// The key messages as a waiting-room poster, with the surgery's name and
/// whose each printed phone number is; `url` is the lesson's address online.
pub fn poster(l: &Lesson, url: &str, surgery: Option<&str>) -> Vec<u8> {
    let footer = whose_numbers(&l.key_messages).unwrap_or_default();
    let mut doc = Document::new(&l.title, &footer);
    doc.text_with(
        &format!("From {}", from(surgery)),
        14.0,
        Weight::Regular,
        Align::Centre,
        0.0,
    );
    doc.gap(4.0);
    doc.text_with("Stay safe online", 40.0, Weight::Bold, Align::Centre, 0.0);
    doc.gap(4.0);
    doc.text_with(&l.audience, 20.0, Weight::Regular, Align::Centre, 0.0);
    doc.gap(18.0);
    for msg in &l.key_messages {
        doc.text_with(msg, 17.0, Weight::Bold, Align::Left, 0.0);
        doc.gap(9.0);
    }
    doc.gap(8.0);
    doc.text_with(
        "Scan to learn more",
        16.0,
        Weight::Regular,
        Align::Centre,
        0.0,
    );
    doc.gap(6.0);
    doc.qr(url, 160.0);
    doc.gap(4.0);
    doc.text_with(url, 11.0, Weight::Regular, Align::Centre, 0.0);
    doc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_easy_read_leaflet_draws_its_pictures_not_their_markdown() {
        let easy = super::super::lessons()
            .iter()
            .find(|l| l.is_easy_read())
            .unwrap();
        let pdf = String::from_utf8_lossy(&leaflet(easy, "https://example.org/learn/x", None))
            .into_owned();
        assert!(!pdf.contains("symbol:"));
        assert!(pdf.contains("1.8 w"), "line drawings for the pictures");
    }

    #[test]
    fn every_phone_number_a_lesson_prints_says_whose_it_is() {
        for l in super::super::lessons() {
            for msg in &l.key_messages {
                let digits: String = msg.chars().filter(|c| c.is_ascii_digit()).collect();
                if digits.len() >= 4 {
                    assert!(
                        NUMBERS.iter().any(|(n, _)| msg.contains(n)),
                        "{}: {msg:?} prints a number nobody is named for",
                        l.slug
                    );
                }
            }
            let pdf = poster(l, "https://example.org/learn/x", Some("Riverside Surgery"));
            assert!(String::from_utf8_lossy(&pdf).contains("Riverside Surgery"));
        }
    }
}
