//! Printable documents (certificates, CPD summaries, leaflets, posters, plans) as
//! plain A4 PDFs. Text is set in Helvetica, one of the fonts every PDF reader
//! must have, so nothing is embedded and files stay small; `pdftotext` reads
//! them back, which is how the tests check them.

mod structure;

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
pub use structure::Role;

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const FOOTER_SPACE: f32 = 40.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

impl Weight {
    fn font_name(self) -> Name<'static> {
        match self {
            Weight::Regular => Name(b"F1"),
            Weight::Bold => Name(b"F2"),
        }
    }
}

/// Adobe's published advance widths (1/1000 em) for ASCII 32..=126.
#[rustfmt::skip]
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// The WinAnsi byte for a character, or `?` when the font cannot show it.
fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '\t' | '\n' | '\r' => b' ',
        _ => b'?',
    }
}

fn byte_width(b: u8, weight: Weight) -> u16 {
    let table = match weight {
        Weight::Regular => &HELVETICA,
        Weight::Bold => &HELVETICA_BOLD,
    };
    match b {
        32..=126 => table[(b - 32) as usize],
        0x91 | 0x92 => 278,
        0x93 | 0x94 => 500,
        0x95 => 350,
        0x96 => 556,
        0x97 | 0x85 => 1000,
        0xa0 => 278,
        _ => 556,
    }
}

fn encode(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi).collect()
}

pub fn text_width(text: &str, weight: Weight, size: f32) -> f32 {
    encode(text)
        .iter()
        .map(|&b| f32::from(byte_width(b, weight)))
        .sum::<f32>()
        * size
        / 1000.0
}

/// Breaks text into lines no wider than `width`; a word longer than a line is
/// split rather than overflowing the page.
pub fn wrap(text: &str, weight: Weight, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, weight, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let mut piece = String::new();
            for c in word.chars() {
                piece.push(c);
                if text_width(&piece, weight, size) > width && piece.chars().count() > 1 {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    piece.push(c);
                }
            }
            line = piece;
        }
        lines.push(line);
    }
    lines
}

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        text: String,
        /// The heading or paragraph this line belongs to; None for page
        /// furniture (the footer), which readers skip.
        block: Option<usize>,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        grey: f32,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
    },
}

/// Lays out a document top to bottom, starting new pages as needed.
pub struct Document {
    title: String,
    footer: String,
    pages: Vec<Vec<Op>>,
    /// What each block of text is (heading, paragraph), in reading order.
    blocks: Vec<Role>,
    y: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Centre,
}

impl Document {
    /// `footer` is printed at the foot of every page beside "Page n of m".
    pub fn new(title: &str, footer: &str) -> Self {
        Self {
            title: title.to_string(),
            footer: footer.to_string(),
            pages: vec![Vec::new()],
            blocks: Vec::new(),
            y: PAGE_H - MARGIN,
        }
    }

    fn width() -> f32 {
        PAGE_W - 2.0 * MARGIN
    }

    fn ensure(&mut self, height: f32) {
        if self.y - height < MARGIN + FOOTER_SPACE {
            self.page_break();
        }
    }

    pub fn page_break(&mut self) {
        if self.pages.last().is_some_and(|p| p.is_empty()) {
            return;
        }
        self.pages.push(Vec::new());
        self.y = PAGE_H - MARGIN;
    }

    fn push(&mut self, op: Op) {
        self.pages.last_mut().expect("a page").push(op);
    }

    /// Text wrapped to the page width, `indent` points from the margin: a paragraph.
    pub fn text_with(&mut self, text: &str, size: f32, weight: Weight, align: Align, indent: f32) {
        self.block(Role::P, text, size, weight, align, indent);
    }

    /// Text as one block of the document's structure, so a screen reader
    /// reads it as a heading or a paragraph, in this order.
    fn block(
        &mut self,
        role: Role,
        text: &str,
        size: f32,
        weight: Weight,
        align: Align,
        indent: f32,
    ) {
        self.blocks.push(role);
        let block = Some(self.blocks.len() - 1);
        let leading = size * 1.35;
        let width = Self::width() - indent;
        for line in wrap(text, weight, size, width) {
            self.ensure(leading);
            self.y -= leading;
            let x = match align {
                Align::Left => MARGIN + indent,
                Align::Centre => {
                    MARGIN + indent + (width - text_width(&line, weight, size)).max(0.0) / 2.0
                }
            };
            self.push(Op::Text {
                x,
                y: self.y + size * 0.25,
                size,
                weight,
                text: line,
                block,
            });
        }
    }

    pub fn title(&mut self, text: &str) {
        self.block(Role::H1, text, 22.0, Weight::Bold, Align::Left, 0.0);
        self.gap(8.0);
    }

    pub fn heading(&mut self, text: &str) {
        self.ensure(60.0);
        self.gap(10.0);
        self.block(Role::H2, text, 15.0, Weight::Bold, Align::Left, 0.0);
        self.gap(4.0);
    }

    pub fn subheading(&mut self, text: &str) {
        self.ensure(40.0);
        self.gap(6.0);
        self.block(Role::H3, text, 12.0, Weight::Bold, Align::Left, 0.0);
        self.gap(2.0);
    }

    pub fn paragraph(&mut self, text: &str) {
        self.text_with(text, 11.0, Weight::Regular, Align::Left, 0.0);
        self.gap(6.0);
    }

    /// A bold label followed by its value on the same line (wrapped under the label).
    pub fn field(&mut self, label: &str, value: &str) {
        self.text_with(label, 10.0, Weight::Bold, Align::Left, 0.0);
        self.text_with(value, 12.0, Weight::Regular, Align::Left, 0.0);
        self.gap(6.0);
    }

    pub fn bullet(&mut self, text: &str) {
        self.bullet_with("•", text);
    }

    /// A list item with its own marker ("1.", "[ ]").
    pub fn bullet_with(&mut self, marker: &str, text: &str) {
        let size = 11.0;
        let leading = size * 1.35;
        self.ensure(leading);
        let top = self.y;
        let first_page = self.pages.len() - 1;
        self.block(Role::LI, text, size, Weight::Regular, Align::Left, 22.0);
        let block = Some(self.blocks.len() - 1);
        // The marker sits on the item's first line, which may have moved to a
        // new page, and is read before the item's words.
        let (page, at) = (first_page..self.pages.len())
            .find_map(|p| {
                let i = self.pages[p]
                    .iter()
                    .position(|op| matches!(op, Op::Text { block: b, .. } if *b == block))?;
                Some((p, i))
            })
            .expect("the item's first line");
        let first_line_y = if page > first_page {
            PAGE_H - MARGIN
        } else {
            top
        } - leading;
        self.pages[page].insert(
            at,
            Op::Text {
                x: MARGIN + 4.0,
                y: first_line_y + size * 0.25,
                size,
                weight: Weight::Regular,
                text: marker.to_string(),
                block,
            },
        );
        self.gap(3.0);
    }

    pub fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    pub fn rule(&mut self) {
        self.ensure(12.0);
        self.gap(6.0);
        let y = self.y;
        self.push(Op::Line {
            x1: MARGIN,
            y1: y,
            x2: PAGE_W - MARGIN,
            y2: y,
            width: 0.6,
        });
        self.gap(6.0);
    }

    /// A QR code for `url`, `size` points square, centred, drawn as vector squares.
    pub fn qr(&mut self, url: &str, size: f32) {
        let Ok(code) = qrcode::QrCode::new(url.as_bytes()) else {
            return;
        };
        let modules = code.width();
        let quiet = 2usize;
        let cell = size / (modules + 2 * quiet) as f32;
        self.ensure(size);
        let left = (PAGE_W - size) / 2.0;
        let top = self.y;
        let colors = code.to_colors();
        for (i, color) in colors.iter().enumerate() {
            if *color == qrcode::Color::Dark {
                let (col, row) = (i % modules, i / modules);
                self.push(Op::Rect {
                    x: left + (col + quiet) as f32 * cell,
                    y: top - (row + quiet + 1) as f32 * cell,
                    w: cell,
                    h: cell,
                    grey: 0.0,
                });
            }
        }
        self.y -= size;
    }

    /// A small line drawing beside its words, as Easy Read lays out a picture
    /// and its idea: `segments` are lines in a 64 by 64 box, 0 0 at top left.
    pub fn picture_with_text(&mut self, segments: &[[f32; 4]], text: &str) {
        const SIZE: f32 = 40.0;
        self.ensure(SIZE + 6.0);
        let top = self.y;
        let at = |x: f32, y: f32| (MARGIN + x * SIZE / 64.0, top - y * SIZE / 64.0);
        for [x1, y1, x2, y2] in segments {
            let ((x1, y1), (x2, y2)) = (at(*x1, *y1), at(*x2, *y2));
            self.push(Op::Line {
                x1,
                y1,
                x2,
                y2,
                width: 1.8,
            });
        }
        // Easy Read asks for 14pt or larger.
        self.gap(SIZE / 2.0 - 10.0);
        self.text_with(text, 14.0, Weight::Regular, Align::Left, SIZE + 14.0);
        self.y = self.y.min(top - SIZE) - 8.0;
    }

    /// A shaded band behind the next block, for posters and certificate headers.
    pub fn band(&mut self, height: f32, grey: f32) {
        self.ensure(height);
        let y = self.y - height;
        self.push(Op::Rect {
            x: MARGIN - 8.0,
            y,
            w: Self::width() + 16.0,
            h: height,
            grey,
        });
    }

    /// The finished PDF file.
    pub fn finish(mut self) -> Vec<u8> {
        if self.pages.len() > 1 && self.pages.last().is_some_and(|p| p.is_empty()) {
            self.pages.pop();
        }
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let first = 6;
        let count = self.pages.len();
        let page_ids: Vec<Ref> = (0..count).map(|i| Ref::new(first + 2 * i as i32)).collect();

        // The structure tree (tagged PDF): a Document element holding each
        // heading and paragraph in reading order, after the pages.
        let tags = structure::Refs::after(first + 2 * count as i32, self.blocks.len());

        // Screen readers announce the title, read the text as British English
        // and follow the tags.
        let mut cat = pdf.catalog(catalog);
        cat.pages(tree).lang(TextStr("en-GB"));
        cat.viewer_preferences().display_doc_title(true);
        cat.mark_info().marked(true);
        cat.pair(Name(b"StructTreeRoot"), tags.root);
        cat.finish();
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(count as i32);
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.document_info(info)
            .title(TextStr(&self.title))
            .creator(TextStr("Safety Net"));

        let mut marked = structure::Marked::new(self.blocks.len(), count);
        for (i, ops) in self.pages.iter().enumerate() {
            let page_id = page_ids[i];
            let content_id = Ref::new(page_id.get() + 1);
            let mut content = Content::new();
            let furniture = footer(&self.footer, i + 1, count);
            for op in ops.iter().chain(&furniture) {
                let block = match op {
                    Op::Text { block, .. } => *block,
                    _ => None,
                };
                marked.open(&mut content, i, block.map(|b| (b, self.blocks[b])));
                draw(&mut content, op);
            }
            marked.close(&mut content);
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
                .parent(tree)
                .contents(content_id)
                .struct_parents(i as i32);
            let mut resources = page.resources();
            let mut fonts = resources.fonts();
            fonts.pair(Name(b"F1"), regular).pair(Name(b"F2"), bold);
            fonts.finish();
            resources.finish();
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        marked.write(&mut pdf, &tags, &self.blocks, &page_ids);
        pdf.finish()
    }
}

/// The foot of page `page` of `count`: "Page n of m" on the right when there
/// is more than one page, and the footer's words wrapped (two lines at most)
/// in the space left of it, never printed over it.
fn footer(words: &str, page: usize, count: usize) -> Vec<Op> {
    const SIZE: f32 = 8.0;
    let y = MARGIN - 18.0;
    let number = (count > 1).then(|| format!("Page {page} of {count}"));
    let number_width = number
        .as_deref()
        .map_or(0.0, |n| text_width(n, Weight::Regular, SIZE) + 12.0);
    let mut ops: Vec<Op> = wrap(
        words,
        Weight::Regular,
        SIZE,
        Document::width() - number_width,
    )
    .into_iter()
    .take(2)
    .enumerate()
    .map(|(n, line)| Op::Text {
        x: MARGIN,
        y: y - 10.0 * n as f32,
        size: SIZE,
        weight: Weight::Regular,
        text: line,
        block: None,
    })
    .collect();
    if let Some(number) = number {
        ops.push(Op::Text {
            x: PAGE_W - MARGIN - text_width(&number, Weight::Regular, SIZE),
            y,
            size: SIZE,
            weight: Weight::Regular,
            text: number,
            block: None,
        });
    }
    ops
}

fn draw(content: &mut Content, op: &Op) {
    match op {
        Op::Text {
            x,
            y,
            size,
            weight,
            text,
            ..
        } => {
            content.set_fill_rgb(0.0, 0.0, 0.0);
            content.begin_text();
            content.set_font(weight.font_name(), *size);
            content.next_line(*x, *y);
            content.show(Str(&encode(text)));
            content.end_text();
        }
        Op::Rect { x, y, w, h, grey } => {
            content.set_fill_rgb(*grey, *grey, *grey);
            content.rect(*x, *y, *w, *h);
            content.fill_nonzero();
        }
        Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
        } => {
            content.set_line_width(*width);
            content.move_to(*x1, *y1);
            content.line_to(*x2, *y2);
            content.stroke();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_inside_the_margins_and_flows_onto_new_pages() {
        let mut doc = Document::new("Test", "footer");
        let para = "Three random words make a strong password. ".repeat(40);
        for _ in 0..8 {
            doc.paragraph(&para);
        }
        assert!(
            doc.pages.len() > 1,
            "eight long paragraphs need more than one page"
        );
        for page in &doc.pages {
            for op in page {
                if let Op::Text {
                    x,
                    y,
                    size,
                    weight,
                    text,
                    ..
                } = op
                {
                    assert!(*y >= MARGIN + FOOTER_SPACE - 1.0, "text above the footer");
                    assert!(x + text_width(text, *weight, *size) <= PAGE_W - MARGIN + 0.5);
                }
            }
        }
        let bytes = doc.finish();
        assert!(bytes.starts_with(b"%PDF-"));
    }

    #[test]
    fn typographic_characters_map_to_win_ansi_and_unknown_ones_to_a_question_mark() {
        assert_eq!(encode("’£—é"), vec![0x92, 0xa3, 0x97, 0xe9]);
        assert_eq!(encode("✓"), b"?".to_vec());
    }

    #[test]
    fn the_footer_never_runs_under_the_page_number_and_one_page_has_no_number() {
        let long = "Training compliance for Riverside Surgery, printed on 4 December 2026 by Priya Shah, practice manager, for the practice meeting";
        let ops = footer(long, 1, 6);
        let texts: Vec<(f32, String)> = ops
            .iter()
            .filter_map(|op| match op {
                Op::Text { x, text, .. } => Some((*x, text.clone())),
                _ => None,
            })
            .collect();
        let (number_x, number) = texts.last().unwrap().clone();
        assert_eq!(number, "Page 1 of 6");
        for (x, line) in &texts[..texts.len() - 1] {
            let right = x + text_width(line, Weight::Regular, 8.0);
            assert!(
                right < number_x,
                "{line:?} ends at {right}, the number starts at {number_x}"
            );
        }
        assert!(texts.len() >= 3, "the long footer wraps onto a second line");
        let single = footer("A poster", 1, 1);
        assert_eq!(single.len(), 1, "no \"Page 1 of 1\"");

        let pdf = Document::new("Cyber alert log", "f").finish();
        let raw = String::from_utf8_lossy(&pdf);
        assert!(raw.contains("/Lang (en-GB)"), "language");
        assert!(
            raw.contains("/DisplayDocTitle true"),
            "title shown, not the file name"
        );
        assert!(raw.contains("/Title (Cyber alert log)"));
    }

    /// What `pdfinfo -struct-text` (poppler) reads of the tags; None where it is missing.
    fn structure_text(pdf: &[u8]) -> Option<String> {
        let tool = "/usr/bin/pdfinfo";
        if !std::path::Path::new(tool).exists() {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "CI checks PDF tags with pdfinfo (poppler-utils)"
            );
            return None;
        }
        let dir = std::env::temp_dir().join(format!("sn-pdf-tags-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tags.pdf");
        std::fs::write(&file, pdf).unwrap();
        let out = std::process::Command::new(tool)
            .arg("-struct-text")
            .arg(&file)
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(out.status.success());
        Some(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    #[test]
    fn headings_paragraphs_and_list_items_are_tagged_in_reading_order() {
        let mut doc = Document::new("Tagged", "A footer readers skip");
        doc.title("Incident plan");
        doc.heading("Who to call");
        doc.paragraph("Call the practice manager first.");
        for n in 0..60 {
            doc.bullet_with(
                &format!("{}.", n + 1),
                &format!("Step number {} of the plan", n + 1),
            );
        }
        doc.qr("https://example.org/", 80.0);
        let pdf = doc.finish();
        let raw = String::from_utf8_lossy(&pdf);
        assert!(raw.contains("/Marked true"));
        let Some(tree) = structure_text(&pdf) else {
            return;
        };
        let order = [
            "Document",
            "H1",
            "Incident plan",
            "H2",
            "Who to call",
            "P",
            "Call the practice manager first.",
            "L",
            "LI",
            "1.",
            "Step number 1 of the plan",
        ];
        let mut at = 0;
        for want in order {
            let found = tree[at..]
                .find(want)
                .unwrap_or_else(|| panic!("{want:?} after byte {at} in:\n{tree}"));
            at += found + want.len();
        }
        // The list runs onto a second page and stays in order; the footer and page numbers are not content.
        let last = tree
            .find("Step number 60 of the plan")
            .expect("the last item");
        assert!(tree.find("Step number 59 of the plan").unwrap() < last);
        assert!(!tree.contains("A footer readers skip"), "{tree}");
        assert!(!tree.contains("Page 1 of"), "{tree}");
    }

    #[test]
    fn a_word_longer_than_the_line_is_split() {
        let lines = wrap(&"x".repeat(500), Weight::Regular, 11.0, 100.0);
        assert!(lines.len() > 5);
        assert!(lines
            .iter()
            .all(|l| text_width(l, Weight::Regular, 11.0) <= 100.0));
    }
}
