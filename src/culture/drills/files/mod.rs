//! The USB stick's file and the QR poster. Each is made for one place
//! ("staff room noticeboard") and leads to its own address on the simulation
//! site, where a visit is counted (never who, from where or on what) and the
//! drill's debrief page is shown.
//!
//! By job: `repo` (`drill_links`), `routes` (the practice's page, the
//! downloads), `views`, `print` (the USB file and the poster PDF). The
//! simulation site calls [`visit`].

pub mod print;
pub mod repo;
pub mod routes;
mod views;

pub use repo::{visit, Visited};

/// How long a place's name may be: it is printed small on the poster.
pub const PLACE_MAX: usize = 80;

/// A new address: 20 random letters and digits, hard to guess, short enough
/// to type from a poster.
pub fn new_token() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Whether `s` could be one of our addresses (checked before touching the database).
pub fn looks_like_token(s: &str) -> bool {
    s.len() == 20
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_new_each_time_and_recognised() {
        let a = new_token();
        assert!(looks_like_token(&a));
        assert_ne!(a, new_token());
        assert!(!looks_like_token("not-a-real-token"));
        assert!(!looks_like_token(&a.to_uppercase()));
    }
}
