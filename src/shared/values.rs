//! Checked values every capability may take: an email address, a person's name,
//! and the error a form shows beside a field.
//!
//! Each type can only be built through `parse`, so code that holds one never needs to
//! re-check it. Error messages are written for practice staff, not IT people: they say
//! what is wrong and what to type instead.

use std::fmt;
/// One problem with one field, shown beside that field on a form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FieldError {}

/// Quotes what the user typed for an error message, cut short so one bad cell cannot
/// flood the page.
pub(crate) fn echo(raw: &str) -> String {
    const MAX: usize = 40;
    let mut shown: String = raw.chars().take(MAX).collect();
    if raw.chars().nth(MAX).is_some() {
        shown.push('…');
    }
    format!("\"{shown}\"")
}

/// Zero-width spaces and byte-order marks sneak in from copy and paste and from joined
/// files; they mean nothing, so they are dropped rather than reported.
fn is_invisible_junk(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{FEFF}')
}

/// Control and text-direction characters make two identical-looking values differ (or
/// disguise one as another), so they are refused.
fn is_hidden(c: char) -> bool {
    (c.is_control() && !c.is_whitespace())
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn hidden_character_error(field: &str, what: &str) -> FieldError {
    FieldError::new(
        field,
        format!(
            "{what} contains a hidden formatting character, probably from copying and pasting. \
             Delete it and type it in again."
        ),
    )
}

/// Trims, turns any run of whitespace (including tabs and non-breaking spaces) into one
/// space, and refuses hidden characters. `what` starts the error message, e.g. "The name".
pub(crate) fn clean_text(raw: &str, field: &str, what: &str) -> Result<String, FieldError> {
    if raw.chars().any(is_hidden) {
        return Err(hidden_character_error(field, what));
    }
    let mut out = String::with_capacity(raw.len());
    let mut space_pending = false;
    for c in raw.chars().filter(|c| !is_invisible_junk(*c)) {
        if c.is_whitespace() {
            space_pending = !out.is_empty();
        } else {
            if space_pending {
                out.push(' ');
                space_pending = false;
            }
            out.push(c);
        }
    }
    Ok(out)
}

pub(crate) fn check_length(
    value: &str,
    max: usize,
    field: &str,
    what: &str,
) -> Result<(), FieldError> {
    let len = value.chars().count();
    if len > max {
        return Err(FieldError::new(
            field,
            format!("{what} must be {max} characters or fewer (it has {len})"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Email address
// ---------------------------------------------------------------------------------------

/// A work email address, stored lower-cased because NHSmail (like almost all mail
/// systems) ignores case, and we use the address to spot duplicates.
///
/// The rules are stricter than the email standard allows (no quoted names, no IP
/// addresses, no non-English letters before the @) so that every address accepted here
/// can actually be sent to by ordinary mail servers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

const EMAIL_EXAMPLE: &str = "name@nhs.net";

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        const F: &str = "email";
        let err = |msg: String| Err(FieldError::new(F, msg));
        let format_msg =
            || format!("Enter an email address in the correct format, like {EMAIL_EXAMPLE}");

        let typed: String = raw
            .trim()
            .chars()
            .filter(|c| !is_invisible_junk(*c))
            .collect();
        if typed.is_empty() {
            return err("Enter an email address".into());
        }
        if typed.chars().any(char::is_whitespace) {
            return err(format!(
                "An email address cannot contain spaces. Enter it like {EMAIL_EXAMPLE}"
            ));
        }
        if typed.chars().any(|c| c.is_control() || is_hidden(c)) {
            return Err(hidden_character_error(F, "The email address"));
        }
        // Limits from the email standard (RFC 5321), counted in characters because only
        // ASCII gets past the checks below.
        if typed.chars().count() > 254 {
            return err("An email address must be 254 characters or fewer".into());
        }
        let mut parts = typed.split('@');
        let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
            (Some(local), Some(domain), None) => (local, domain),
            (_, None, _) => return err(format_msg()),
            _ => {
                return err(format!(
                    "An email address can only have one @ sign. Enter it like {EMAIL_EXAMPLE}"
                ))
            }
        };

        if local.is_empty() {
            return err(format!(
                "Enter the part of the email address before the @, like {EMAIL_EXAMPLE}"
            ));
        }
        if local.chars().count() > 64 {
            return err(
                "The part of the email address before the @ must be 64 characters or fewer".into(),
            );
        }
        // The "atext" characters of RFC 5322; also what our mail library accepts.
        if let Some(bad) = local
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(*c)))
        {
            return err(format!(
                "The email address cannot contain \"{bad}\" before the @. Enter it like {EMAIL_EXAMPLE}"
            ));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return err(
                "The part of the email address before the @ cannot start or end with a dot, \
                 or have two dots in a row"
                    .into(),
            );
        }

        if domain.is_empty() {
            return err("Enter the part of the email address after the @, like nhs.net".into());
        }
        if !domain.contains('.') {
            return err(format!(
                "Enter the whole email address, including the ending, like {EMAIL_EXAMPLE}"
            ));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.iter().any(|l| l.is_empty()) {
            return err(
                "The part of the email address after the @ cannot start or end with a dot, \
                 or have two dots in a row"
                    .into(),
            );
        }
        if let Some(bad) = domain
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
        {
            return err(format!(
                "The email address cannot contain \"{bad}\" after the @. \
                 Use only letters, numbers, dots and hyphens, like {EMAIL_EXAMPLE}"
            ));
        }
        if labels
            .iter()
            .any(|l| l.starts_with('-') || l.ends_with('-'))
        {
            return err(
                "In the part of the email address after the @, a hyphen cannot come \
                 straight before or after a dot, or at the start or end"
                    .into(),
            );
        }
        if labels.iter().any(|l| l.len() > 63) {
            return err(
                "Each part of the email address after the @, between the dots, must be 63 \
                 characters or fewer"
                    .into(),
            );
        }
        // "jane@10.0.0.1" is technically routable but never a real work address.
        if labels
            .last()
            .is_some_and(|tld| !tld.chars().any(|c| c.is_ascii_alphabetic()))
        {
            return err(format!(
                "The email address must end in a proper domain, like {EMAIL_EXAMPLE}"
            ));
        }

        Ok(Self(typed.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the @, e.g. "nhs.net".
    pub fn domain(&self) -> &str {
        // Parsing guarantees exactly one '@'.
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------------------
// Text newtypes
// ---------------------------------------------------------------------------------------

/// A person's full name as they would like it shown, e.g. "Siân O’Brien".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 120;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        const F: &str = "full_name";
        let name = clean_text(raw, F, "The name")?;
        if name.is_empty() {
            return Err(FieldError::new(F, "Enter the person's full name"));
        }
        check_length(&name, Self::MAX_CHARS, F, "The name")?;
        // Catches numbers or stray punctuation typed into the name box; any alphabet
        // counts as letters.
        if !name.chars().any(char::is_alphabetic) {
            return Err(FieldError::new(
                F,
                "Enter the person's full name using letters, like Jane Smith",
            ));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email_err(raw: &str) -> String {
        let e = EmailAddress::parse(raw).expect_err(raw);
        assert_eq!(e.field, "email");
        e.message
    }

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        let e = EmailAddress::parse("Jane.Doe@NHS.NET ").unwrap();
        assert_eq!(e.as_str(), "jane.doe@nhs.net");
        assert_eq!(e.domain(), "nhs.net");
        assert_eq!(e.to_string(), "jane.doe@nhs.net");
    }

    #[test]
    fn email_accepts_ordinary_work_addresses() {
        for ok in [
            "a@b.co",
            "jane.smith12@nhs.net",
            "j.o'brien@practice.nhs.uk",
            "first+tag@my-surgery.co.uk",
            "\u{feff}jane@nhs.net",
        ] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn email_rejects_malformed_addresses() {
        for bad in [
            "jane@@nhs.net",
            "jane@nhs",
            "jane doe@nhs.net",
            "jane",
            "@nhs.net",
            "jane@",
            "jane@nhs..net",
            "jane@.nhs.net",
            "jane@nhs.net.",
            "jane@-nhs.net",
            "jane@nhs-.net",
            "jane@nhs_net.uk",
            "jane@10.0.0.1",
            ".jane@nhs.net",
            "jane.@nhs.net",
            "ja..ne@nhs.net",
            "jane,doe@nhs.net",
            "jane\u{7}@nhs.net",
            "jane\t@nhs.net",
            "o’brien@nhs.net",
            "jane@nhs.net@nhs.net",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn email_messages_say_what_to_fix() {
        assert_eq!(email_err("   "), "Enter an email address");
        assert_eq!(
            email_err("jane"),
            "Enter an email address in the correct format, like name@nhs.net"
        );
        assert!(email_err("jane doe@nhs.net").contains("cannot contain spaces"));
        assert!(email_err("jane@@nhs.net").contains("only have one @"));
        assert!(email_err("jane@nhs").contains("like name@nhs.net"));
        assert!(email_err("jane,doe@nhs.net").contains("\",\""));
        assert!(email_err("jane\u{202E}@nhs.net").contains("hidden"));
    }

    #[test]
    fn email_length_limits() {
        let local64 = "a".repeat(64);
        assert!(EmailAddress::parse(&format!("{local64}@nhs.net")).is_ok());
        assert!(email_err(&format!("a{local64}@nhs.net")).contains("64"));
        let label = "b".repeat(60);
        let long_domain = format!("{label}.{label}.{label}.{label}.uk");
        let address = format!("{local64}@{long_domain}");
        assert!(address.len() > 254);
        assert!(email_err(&address).contains("254"));
        assert!(email_err(&format!("a@{}.net", "c".repeat(64))).contains("63"));
    }

    #[test]
    fn name_is_trimmed_and_collapsed() {
        let n = PersonName::parse("  Siân \t  O’Brien\u{a0} ").unwrap();
        assert_eq!(n.as_str(), "Siân O’Brien");
        let pasted = PersonName::parse("\u{feff}Jane\u{200b} Sm\u{200b}ith").unwrap();
        assert_eq!(pasted.as_str(), "Jane Smith");
        assert_eq!(n.to_string(), "Siân O’Brien");
    }

    #[test]
    fn name_rejections() {
        let msg = |raw: &str| {
            let e = PersonName::parse(raw).expect_err(raw);
            assert_eq!(e.field, "full_name");
            e.message
        };
        assert_eq!(msg(" \t "), "Enter the person's full name");
        assert!(msg("12345").contains("using letters"));
        assert!(msg("Jane\u{0}Smith").contains("hidden"));
        assert!(msg(&"a".repeat(121)).contains("120 characters or fewer (it has 121)"));
        assert!(PersonName::parse(&"é".repeat(120)).is_ok());
        assert!(PersonName::parse("Zoë").is_ok());
    }
    #[test]
    fn field_error_serialises_for_forms() {
        let e = FieldError::new("email", "Enter an email address");
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"field":"email","message":"Enter an email address"}"#
        );
        assert_eq!(serde_json::from_str::<FieldError>(&json).unwrap(), e);
    }
}
