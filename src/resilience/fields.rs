//! Checking what people type into the registers' forms (assets, alerts,
//! backups) and their spreadsheets.

use crate::shared::FieldError;

/// Trims, joins runs of spaces, and refuses hidden characters and overlong text.
pub fn clean(raw: &str, field: &str, what: &str, max: usize) -> Result<String, FieldError> {
    if raw.chars().any(|c| {
        (c.is_control() && !c.is_whitespace())
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    }) {
        return Err(FieldError::new(
            field,
            format!("{what} contains a hidden formatting character, probably from copying and pasting. Type it in again."),
        ));
    }
    let s = raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('\u{FEFF}', "");
    let n = s.chars().count();
    if n > max {
        return Err(FieldError::new(
            field,
            format!("{what} must be {max} characters or fewer (it has {n})"),
        ));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_tidied_and_hidden_characters_refused() {
        assert_eq!(clean("  two   words ", "f", "It", 20).unwrap(), "two words");
        assert!(clean("a\u{202E}b", "f", "The name", 20)
            .unwrap_err()
            .message
            .starts_with("The name contains a hidden formatting character"));
        assert_eq!(
            clean("abcdef", "f", "The note", 5).unwrap_err().message,
            "The note must be 5 characters or fewer (it has 6)"
        );
    }
}
