//! Password rules the NCSC way: length over complexity, no composition rules,
//! no expiry, and no password that criminals try first.

use std::collections::HashSet;
use std::sync::LazyLock;
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{
    self, Output, ParamsString, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::shared::gate::{GateError, WorkGate};
use crate::web::AppError;

pub(crate) const DENY_LIST: &str = include_str!("../../content/passwords/deny-list.txt");
pub const MIN_LEN: usize = 8;
/// At this length a password is accepted unless it is on the deny-list or trivially guessable.
pub const COMFORTABLE_LEN: usize = 12;
pub const MAX_LEN: usize = 256;

static DENIED: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    DENY_LIST
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
});

/// Why a password was refused, in words for the person choosing it.
pub fn check(password: &str, personal: &[&str]) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(format!(
            "Use at least {MIN_LEN} characters ({COMFORTABLE_LEN} or more is better). Three random words, like \"kettle orbit meadow\", are long and easy to remember."
        ));
    }
    if len > MAX_LEN {
        return Err(format!("Use no more than {MAX_LEN} characters."));
    }
    if is_denied(password) {
        return Err("This is one of the most common passwords, so it is one of the first that criminals try. Choose something else: three random words work well.".into());
    }
    // zxcvbn only looks at the first 100 characters; beyond that the length alone makes it strong.
    let sample: String = password.chars().take(100).collect();
    let estimate = zxcvbn::zxcvbn(&sample, personal);
    let score = u8::from(estimate.score());
    let needed = if len >= COMFORTABLE_LEN { 2 } else { 3 };
    if score < needed {
        let mut msg = String::from("This password would be easy to guess");
        if let Some(fb) = estimate.feedback() {
            if let Some(w) = fb.warning() {
                msg.push_str(&format!(": {w}"));
            }
        }
        msg.push_str(". Try three random words together, or make it longer.");
        return Err(msg);
    }
    Ok(())
}

pub fn is_denied(password: &str) -> bool {
    DENIED.contains(password.to_lowercase().as_str())
}

/// argon2id with the crate's defaults (19 MiB, 2 passes), off the async
/// threads. Ungated: for the command line, the demo and tests; requests go
/// through [`HashGate`].
pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| anyhow::anyhow!(e))?
        .map_err(AppError::from)
}

fn hash_now(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Checks a password against a stored hash. With no hash (unknown account or
/// no password yet) it still does the same work, so timing reveals nothing.
/// Ungated, like [`hash`].
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || verify_now(&password, stored.as_deref()))
        .await
        .unwrap_or(false)
}

fn verify_now(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| hash_now("not a real password").expect("hashing works"));
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (DUMMY.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && real
}

/// argon2's working memory for one hash, kept by a hashing thread and used
/// again for its next hash. (Allocating it afresh for every hash, as argon2's
/// own `hash_password` does, is an aligned 19 MiB allocation that glibc does
/// not give back or reuse well: a burst of 20 sign-ins kept 380 MB.)
fn blocks<'a>(memory: &'a mut Vec<Block>, params: &Params) -> &'a mut [Block] {
    let n = params.block_count();
    if memory.len() < n {
        memory.resize(n, Block::default());
    }
    &mut memory[..n]
}

/// As [`hash_now`], in `memory`.
fn hash_in(memory: &mut Vec<Block>, password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::default();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut salt_arr = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_arr)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        argon
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                out,
                blocks(memory, &params),
            )
            .map_err(|_| password_hash::Error::Crypto)
    })
    .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("{e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// As [`verify_now`], in `memory`.
fn verify_in(memory: &mut Vec<Block>, password: &str, stored: Option<&str>) -> bool {
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| hash_now("not a real password").expect("hashing works"));
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (DUMMY.as_str(), false),
    };
    let mut check = || -> Option<bool> {
        let parsed = PasswordHash::new(hash).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()
            .ok()?
            .unwrap_or_default();
        let params = Params::try_from(&parsed).ok()?;
        let expected = parsed.hash?;
        let mut salt_arr = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt_arr).ok()?;
        let argon = Argon2::new(algorithm, version, params.clone());
        let computed = Output::init_with(expected.len(), |out| {
            argon
                .hash_password_into_with_memory(
                    password.as_bytes(),
                    salt,
                    out,
                    blocks(memory, &params),
                )
                .map_err(|_| password_hash::Error::Crypto)
        })
        .ok()?;
        // Output's equality takes the same time whatever the bytes.
        Some(computed == expected)
    };
    check().unwrap_or(false) && real
}

/// Bounds how many passwords are hashed at once. Each hash takes about
/// 19 MiB for its moment, so a burst of sign-ins (real or an attacker's made-up
/// accounts) would otherwise take memory without limit. The hashing threads
/// each keep their 19 MiB for the next hash (see [`WorkGate`]), so memory stays
/// at that however long the burst.
pub type HashGate = WorkGate<Vec<Block>>;

/// Builds the gate the settings ask for (`size` 0: one hash per core).
pub fn hash_gate(size: usize, wait: Duration) -> HashGate {
    WorkGate::new(size, wait, "password-hash")
}

fn gate_error(e: GateError) -> AppError {
    match e {
        GateError::Busy => AppError::Busy(BUSY.into()),
        GateError::Stopped => anyhow::anyhow!("the password-hashing threads have stopped").into(),
    }
}

/// As [`hash`], through the gate: for requests.
pub async fn hash_gated(gate: &HashGate, password: String) -> Result<String, AppError> {
    gate.run(move |memory| hash_in(memory, &password))
        .await
        .map_err(gate_error)?
        .map_err(AppError::from)
}

/// As [`verify`], through the gate; `Err` only when too busy to check now.
pub async fn verify_gated(
    gate: &HashGate,
    password: String,
    stored: Option<String>,
) -> Result<bool, AppError> {
    gate.run(move |memory| verify_in(memory, &password, stored.as_deref()))
        .await
        .map_err(gate_error)
}

const BUSY: &str = "Safety Net is busy checking other sign-ins. Wait a moment, then try again. Nothing you did caused this.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_made_in_kept_memory_are_ordinary_argon2id_hashes() {
        let mut memory = Vec::new();
        let ours = hash_in(&mut memory, "kettle orbit meadow").unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        assert!(
            verify_now("kettle orbit meadow", Some(&ours)),
            "the crate's own check agrees"
        );
        let theirs = hash_now("kettle orbit meadow").unwrap();
        assert!(verify_in(&mut memory, "kettle orbit meadow", Some(&theirs)));
        assert!(!verify_in(
            &mut memory,
            "kettle orbit meadows",
            Some(&theirs)
        ));
        assert!(
            !verify_in(&mut memory, "not a real password", None),
            "no account, no sign-in"
        );
    }

    #[test]
    fn short_passwords_are_refused_with_a_reason() {
        let e = check("kettle1", &[]).unwrap_err();
        assert!(e.contains("at least 8"), "{e}");
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_length() {
        assert!(check("password123", &[]).is_err());
        assert!(
            check("Password123", &[]).is_err(),
            "the deny-list ignores case"
        );
    }

    #[test]
    fn three_random_words_are_accepted_without_symbols_or_digits() {
        assert_eq!(check("kettle orbit meadow", &[]), Ok(()));
        assert_eq!(check("purplecactusbicycle", &[]), Ok(()));
    }

    #[test]
    fn no_composition_rules_a_long_lowercase_phrase_is_fine() {
        assert_eq!(check("my dog likes walking by the river", &[]), Ok(()));
    }

    #[test]
    fn trivially_guessable_long_passwords_are_refused() {
        assert!(check("aaaaaaaaaaaaaaaa", &[]).is_err());
    }

    #[test]
    fn the_persons_own_name_counts_against_the_password() {
        assert!(check(
            "priyashah1",
            &["priya", "shah", "priya.shah@riverside.example"]
        )
        .is_err());
    }
}
