//! Reading a spreadsheet saved as CSV, whichever way Excel or an HR system
//! saved it: the encoding (UTF-8 with or without a byte-order mark, UTF-16,
//! Windows-1252), the separator (comma, semicolon, tab), old Mac line
//! endings, blank rows before the header, quotes that never close, and the
//! line each row starts on. What the columns mean is the caller's: it is
//! handed the header row and then each data row.

use super::MAX_FILE_BYTES;

/// What a kind of spreadsheet says when the file as a whole is wrong.
pub struct FileRules {
    /// The most data rows a file may have.
    pub max_rows: usize,
    /// There is nothing in the file at all.
    pub empty: &'static str,
    /// The file has a header but no rows.
    pub no_rows: &'static str,
    /// The file has more than `max_rows` rows.
    pub too_many_rows: &'static str,
}

pub const TOO_LARGE: &str =
    "The file is larger than 5 MB. Split it into smaller files and import them one at a time.";

/// Turns the uploaded bytes into text, whichever way Excel saved them.
///
/// "CSV UTF-8" has a byte-order mark; "Unicode text" is UTF-16 with one; plain "CSV" on
/// UK Windows is Windows-1252 with no mark at all, so anything that is not valid UTF-8 is
/// read as that (it maps every byte, so decoding never fails).
pub fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding
            .decode_without_bom_handling(&bytes[bom_len..])
            .0
            .into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// Reads a file into rows. `header` is given the first row with anything in
/// it and says where the columns are (or what is missing); `row` is given
/// each later row with anything in it and the line it starts on, and gives
/// the row's cells, or None to skip it. One problem with the file as a
/// whole is the error, in words for the person who saved it.
pub fn read_rows<C, T>(
    bytes: &[u8],
    rules: &FileRules,
    header: impl Fn(&csv::StringRecord) -> Result<C, String>,
    row: impl Fn(&C, &csv::StringRecord, usize) -> Option<T>,
) -> Result<Vec<T>, String> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(TOO_LARGE.into());
    }
    let mut text = decode(bytes);
    // Old Mac Excel ends lines with a lone carriage return; the CSV reader counts lines
    // by '\n', so without this every row would be "line 1".
    if text.contains('\r') && !text.contains('\n') {
        text = text.replace('\r', "\n");
    }
    let Some(header_line) = text.lines().find(|line| has_content(line)) else {
        return Err(rules.empty.into());
    };
    let delimiter = pick_delimiter(header_line);
    // The CSV reader quietly treats an unclosed quote as running to the end of the file,
    // which would lose every row after it without a word.
    if let Some(line) = unclosed_quote_line(&text, delimiter) {
        return Err(format!(
            "Line {line} has a quotation mark (\") that is never closed, so the rest of the \
             file cannot be read. Remove the quotation mark or add the closing one, save the \
             file and try again."
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut columns: Option<C> = None;
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line());
                return Err(format!(
                    "Line {line} of the file could not be read. Check that line, save the \
                     file as CSV again and try again."
                ));
            }
        }
        if !record.iter().any(has_content) {
            continue;
        }
        let Some(cols) = &columns else {
            columns = Some(header(&record)?);
            continue;
        };
        let Some(cells) = row(cols, &record, record_line(&record, &text)) else {
            continue;
        };
        if rows.len() == rules.max_rows {
            return Err(rules.too_many_rows.into());
        }
        rows.push(cells);
    }
    if rows.is_empty() {
        return Err(rules.no_rows.into());
    }
    Ok(rows)
}

/// A line counts if it has anything besides separators, quotes and spaces; Excel writes
/// empty rows as ",,,,".
pub fn has_content(line: &str) -> bool {
    line.chars()
        .any(|c| !(c.is_whitespace() || matches!(c, ',' | ';' | '"')))
}

/// Comma unless the header clearly uses something else: European Excel saves with ';',
/// and "Unicode text" or tab-separated exports use tabs.
fn pick_delimiter(header_line: &str) -> u8 {
    if header_line.contains(',') {
        return b',';
    }
    let tabs = header_line.matches('\t').count();
    let semicolons = header_line.matches(';').count();
    match (tabs, semicolons) {
        (0, 0) => b',',
        (t, s) if t >= s => b'\t',
        _ => b';',
    }
}

/// The line on which a quoted cell opens but never closes, following the same rules as
/// the CSV reader: a quote only opens a cell at its very start, and "" inside is a quote.
fn unclosed_quote_line(text: &str, delimiter: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut line = 1;
    let mut opened_on = 0;
    let mut in_quotes = false;
    let mut at_cell_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            line += 1;
        }
        if in_quotes {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            }
        } else if b == b'"' && at_cell_start {
            in_quotes = true;
            opened_on = line;
            at_cell_start = false;
        } else {
            at_cell_start = b == delimiter || b == b'\n' || b == b'\r';
        }
        i += 1;
    }
    in_quotes.then_some(opened_on)
}

/// The file line a record starts on. The reader reports where it *began looking*, which
/// is before any blank lines it skipped, so those are counted here.
fn record_line(record: &csv::StringRecord, text: &str) -> usize {
    let Some(pos) = record.position() else {
        return 0;
    };
    let start = usize::try_from(pos.byte()).unwrap_or(usize::MAX);
    let skipped = text
        .as_bytes()
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .filter(|b| **b == b'\n')
        .count();
    usize::try_from(pos.line()).unwrap_or(usize::MAX) + skipped
}

/// Lower-case letters and digits only, with any "(...)" note removed, so "E-mail",
/// "Job_Title" and "Start date (dd/mm/yyyy)" all match.
pub fn header_key(cell: &str) -> String {
    let mut key = String::with_capacity(cell.len());
    let mut depth = 0u32;
    for c in cell.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            c if depth == 0 && c.is_alphanumeric() => key.extend(c.to_lowercase()),
            _ => {}
        }
    }
    key
}

/// The cell at `index`, trimmed; "" past the end of a short row.
pub fn cell(record: &csv::StringRecord, index: usize) -> String {
    record.get(index).unwrap_or("").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: FileRules = FileRules {
        max_rows: 3,
        empty: "empty",
        no_rows: "no rows",
        too_many_rows: "too many",
    };

    /// Rows as (line, first cell), the header's first cell checked.
    fn read(bytes: &[u8]) -> Result<Vec<(usize, String)>, String> {
        read_rows(
            bytes,
            &RULES,
            |h| {
                if header_key(h.get(0).unwrap_or("")) == "name" {
                    Ok(())
                } else {
                    Err("no name column".to_string())
                }
            },
            |_, r, line| Some((line, cell(r, 0))),
        )
    }

    #[test]
    fn headers_match_whatever_their_case_spacing_or_notes() {
        assert_eq!(header_key(" E-mail Address "), "emailaddress");
        assert_eq!(header_key("Start date (dd/mm/yyyy)"), "startdate");
        assert_eq!(header_key("Job_Title"), "jobtitle");
    }

    #[test]
    fn file_problems_use_the_callers_words() {
        assert_eq!(read(b""), Err("empty".into()));
        assert_eq!(read(b",,,\n;;\n"), Err("empty".into()));
        assert_eq!(read(b"Name\n"), Err("no rows".into()));
        assert_eq!(read(b"Name\na\nb\nc\nd\n"), Err("too many".into()));
        assert_eq!(read(b"Team\na\n"), Err("no name column".into()));
        assert_eq!(read(&vec![b'a'; MAX_FILE_BYTES + 1]), Err(TOO_LARGE.into()));
        assert!(read(b"Name\n\"a\nb\n")
            .unwrap_err()
            .starts_with("Line 2 has a quotation mark"));
    }

    #[test]
    fn encodings_separators_and_lines() {
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend("Name;Team\n\nSiân;x\n".as_bytes());
        assert_eq!(read(&bom), Ok(vec![(3, "Siân".to_string())]));
        assert_eq!(decode(b"Zo\xEB"), "Zoë", "Windows-1252");
        assert_eq!(
            read(b"Name\rA\rB\r"),
            Ok(vec![(2, "A".into()), (3, "B".into())])
        );
        assert_eq!(
            read(b"\n,,\nName\tTeam\n a \tx\n"),
            Ok(vec![(4, "a".into())])
        );
    }
}
