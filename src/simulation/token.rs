//! The token that identifies one recipient of one simulated email. It sits
//! in every tracked link, so it must be unguessable, short enough for a URL,
//! and recognisable again in a forwarded email after Safe Links or
//! quoted-printable encoding has mangled the text around it.
//!
//! Format: 22 characters of lower-case base32 (`a-z`, `2-7`): 20 random
//! (100 bits) then 2 check characters, so stray words in an email almost
//! never pass as a token before the database is even asked.

use rand::Rng;

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const RANDOM_LEN: usize = 20;
pub const LEN: usize = RANDOM_LEN + 2;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecipientToken(String);

fn check(random: &[u8]) -> [u8; 2] {
    // FNV-1a folded to 10 bits: cheap, and catches typos and random words.
    let mut h: u32 = 0x811c_9dc5;
    for b in random {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    let v = (h ^ (h >> 10) ^ (h >> 20)) & 0x3ff;
    [ALPHABET[(v >> 5) as usize], ALPHABET[(v & 31) as usize]]
}

impl RecipientToken {
    pub fn generate() -> Self {
        let mut rng = rand::rngs::OsRng;
        let mut s: Vec<u8> = (0..RANDOM_LEN)
            .map(|_| ALPHABET[rng.gen_range(0..32)])
            .collect();
        let c = check(&s);
        s.extend_from_slice(&c);
        Self(String::from_utf8(s).expect("ASCII"))
    }

    /// Accepts exactly a well-formed token (lower case, right length, right check).
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != LEN || !b.iter().all(|c| ALPHABET.contains(c)) {
            return None;
        }
        (check(&b[..RANDOM_LEN]) == [b[RANDOM_LEN], b[RANDOM_LEN + 1]]).then(|| Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Every well-formed token in a piece of text, in order, without repeats.
    /// Candidates are maximal runs of token characters of exactly the right
    /// length, so a token inside a longer run of letters is not matched.
    pub fn find_all(text: &str) -> Vec<Self> {
        let mut found: Vec<Self> = Vec::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !ALPHABET.contains(&bytes[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && ALPHABET.contains(&bytes[i]) {
                i += 1;
            }
            if i - start == LEN {
                if let Some(t) = Self::parse(&text[start..i]) {
                    if !found.contains(&t) {
                        found.push(t);
                    }
                }
            }
        }
        found
    }
}

impl std::fmt::Display for RecipientToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_and_are_distinct() {
        let a = RecipientToken::generate();
        let b = RecipientToken::generate();
        assert_ne!(a, b);
        assert_eq!(RecipientToken::parse(a.as_str()), Some(a.clone()));
        assert_eq!(a.as_str().len(), LEN);
    }

    #[test]
    fn a_changed_character_fails_the_check() {
        let t = RecipientToken::generate();
        let mut s = t.as_str().to_string().into_bytes();
        s[3] = if s[3] == b'a' { b'b' } else { b'a' };
        assert_eq!(
            RecipientToken::parse(std::str::from_utf8(&s).unwrap()),
            None
        );
        assert_eq!(RecipientToken::parse(&t.as_str().to_uppercase()), None);
    }

    #[test]
    fn tokens_are_found_inside_urls_and_mangled_links() {
        let t = RecipientToken::generate();
        let safelinks = format!("https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fportal.example%2Fc%2F{t}&data=05%7C01");
        assert_eq!(RecipientToken::find_all(&safelinks), vec![t.clone()]);
        let prose = "please review the attached document before friday thanks";
        assert!(RecipientToken::find_all(prose).is_empty());
    }
}
