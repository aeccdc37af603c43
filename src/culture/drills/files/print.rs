//! What goes on the stick and on the wall. Both carry only the drill's own
//! words and one address; the USB file has no script and loads nothing
//! (checked when the library loads, `culture::library::checks`).

use crate::culture::library::Drill;
use crate::pdf::{Align, Document, Weight};

/// The file for the stick, with its tracked address; None for a drill with no USB part.
pub fn usb_file(drill: &Drill, link: &str) -> Option<(String, Vec<u8>)> {
    let name = drill.usb.as_ref()?.file_name.clone();
    Some((name, drill.usb_file_html(link)?.into_bytes()))
}

/// The poster as a one-page A4 PDF: the drill's notice with the QR code in
/// its place, and the place it was made for in small print at the foot, so
/// each poster goes up where its scans will be counted.
pub fn poster(drill: &Drill, link: &str, place: &str) -> Option<Vec<u8>> {
    let p = drill.poster.as_ref()?;
    let (before, after) = p.around_qr();
    let mut doc = Document::new(&p.headline, "");
    let mut paragraphs = before
        .split("\n\n")
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let mut first = paragraphs.next();
    // The notice's own first line is its headline: printed once, large.
    if first == Some(p.headline.trim()) {
        first = paragraphs.next();
    }
    doc.text_with(&p.headline, 34.0, Weight::Bold, Align::Centre, 0.0);
    doc.gap(16.0);
    for para in first.into_iter().chain(paragraphs) {
        doc.text_with(
            &para.replace('\n', " "),
            17.0,
            Weight::Regular,
            Align::Centre,
            0.0,
        );
        doc.gap(10.0);
    }
    doc.gap(4.0);
    doc.qr(link, 190.0);
    doc.gap(12.0);
    for para in after.split("\n\n").map(str::trim).filter(|s| !s.is_empty()) {
        doc.text_with(
            &para.replace('\n', " "),
            15.0,
            Weight::Regular,
            Align::Centre,
            0.0,
        );
        doc.gap(8.0);
    }
    doc.gap(18.0);
    doc.text_with(place, 8.0, Weight::Regular, Align::Centre, 0.0);
    Some(doc.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::culture::library::{self, DrillKind};

    #[test]
    fn the_poster_is_one_page_with_the_qr_in_place_of_the_placeholder() {
        let drill = library::library()
            .drills_of(DrillKind::QrPoster)
            .next()
            .unwrap();
        let pdf = poster(
            drill,
            "https://sim.example/d/abcdefghjkmnpqrstuvw",
            "staff kitchen",
        )
        .unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 1"), "one page");
        assert!(!text.contains("{{"), "no placeholder printed");
    }

    #[test]
    fn the_usb_file_carries_the_link_and_the_library_file_name() {
        let drill = library::library()
            .drills_of(DrillKind::UsbDrop)
            .next()
            .unwrap();
        let (name, bytes) = usb_file(drill, "https://sim.example/d/abcdefghjkmnpqrstuvw").unwrap();
        let html = String::from_utf8(bytes).unwrap();
        assert_eq!(name, drill.usb.as_ref().unwrap().file_name);
        assert!(html.contains("href=\"https://sim.example/d/abcdefghjkmnpqrstuvw\""));
        assert!(!html.to_lowercase().contains("<script"));
    }
}
