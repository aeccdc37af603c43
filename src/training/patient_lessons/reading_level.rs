//! How hard a lesson is to read: the Flesch–Kincaid grade, measured as
//! `content/learn/README.md` defines it. Patient lessons are held to a grade
//! each (the tests in `lessons`); other content (`culture`, `dspt`) uses it too.

use super::easy_read::picture;

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
    fn pictures_do_not_count_towards_the_reading_level() {
        assert_eq!(
            reading_grade("![A very complicated organisational diagram](symbol:phone) Stop."),
            reading_grade("Stop.")
        );
    }
}
