//! The rules of accounts, with no database or web in them: roles, how far
//! a session has got, what a new password must not contain, and how a
//! secret is shown to be typed. Unit-tested here.

use crate::db::row::text_state;

/// What someone may do. Champions are staff members marked as their
/// department's cyber-security champion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// ICB / PCN / federation IT: practices and aggregates, never one person's results.
    Operator,
    Manager,
    Champion,
    Staff,
}

impl Role {
    pub const ALL: [Role; 4] = [Self::Operator, Self::Manager, Self::Champion, Self::Staff];

    /// As stored in `users.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Manager => "manager",
            Self::Champion => "champion",
            Self::Staff => "staff",
        }
    }

    /// The stored text back; see [`Role::parse`] for what a person types.
    pub fn from_sql(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// A role as a person types it (the command line): any case, spaces or
    /// dashes, "practice manager" for a manager.
    pub fn parse(s: &str) -> Option<Self> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-', '_'], "")
            .as_str()
        {
            "operator" => Some(Self::Operator),
            "manager" | "practicemanager" => Some(Self::Manager),
            "champion" => Some(Self::Champion),
            "staff" => Some(Self::Staff),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Operator => "Operator",
            Self::Manager => "Practice manager",
            Self::Champion => "Cyber champion",
            Self::Staff => "Staff",
        }
    }

    /// Practice managers and operators hold the keys to everyone's data, so
    /// two-step verification is not optional for them.
    pub fn requires_mfa(self) -> bool {
        matches!(self, Self::Operator | Self::Manager)
    }

    /// The role a member of staff's account has when they are not a
    /// manager: a champion's, or plain staff.
    pub fn for_staff(is_champion: bool) -> Self {
        if is_champion {
            Self::Champion
        } else {
            Self::Staff
        }
    }
}

text_state!(Role);

/// How far a session has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Password checked, waiting for the authenticator code.
    AwaitingMfa,
    Full,
}

impl Stage {
    /// As stored in `sessions.stage`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingMfa => "mfa",
            Self::Full => "full",
        }
    }

    pub fn from_sql(s: &str) -> Option<Self> {
        match s {
            "mfa" => Some(Self::AwaitingMfa),
            "full" => Some(Self::Full),
            _ => None,
        }
    }
}

text_state!(Stage);

/// Words a password must not be built from: the person's names, their
/// email address and its parts, and the product's own name.
pub fn personal_words(full_name: &str, email: &str) -> Vec<String> {
    let mut words: Vec<String> = full_name
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    words.push(email.to_string());
    if let Some((local, _)) = email.split_once('@') {
        words.extend(local.split(['.', '_', '-']).map(str::to_string));
    }
    words.push("safetynet".into());
    words.push("safety net".into());
    words
}

/// Groups of four make a long key easier to type into a phone.
pub fn spaced(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_stages_read_back_what_they_store() {
        for r in Role::ALL {
            assert_eq!(Role::from_sql(r.as_str()), Some(r));
        }
        assert_eq!(Role::from_sql("Practice manager"), None);
        assert_eq!(Role::parse("Practice manager"), Some(Role::Manager));
        for s in [Stage::AwaitingMfa, Stage::Full] {
            assert_eq!(Stage::from_sql(s.as_str()), Some(s));
        }
    }

    #[test]
    fn personal_words_cover_names_and_the_address() {
        let w = personal_words("Jane Smith-Jones", "jane.smith@riverside.example");
        for word in [
            "jane",
            "smith-jones",
            "jane.smith@riverside.example",
            "smith",
            "safetynet",
        ] {
            assert!(w.iter().any(|x| x == word), "{word} in {w:?}");
        }
    }

    #[test]
    fn secrets_are_shown_in_fours() {
        assert_eq!(spaced("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
