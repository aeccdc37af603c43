//! Password rules the NCSC way: length over complexity, no composition rules,
//! no expiry, and no password that criminals try first.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

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

/// Bounds how many passwords are hashed at once. Each hash takes about
/// 19 MiB for its moment, so a burst of sign-ins (real or an attacker's made-up
/// accounts) would otherwise take memory without limit. Requests wait their
/// turn briefly, then are asked to try again in a moment. One per node: it
/// guards this process's memory and cores, not a shared limit.
pub struct HashGate {
    permits: Semaphore,
    wait: Duration,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

impl HashGate {
    /// `size` 0 means one hash per CPU core.
    pub fn new(size: usize, wait: Duration) -> Self {
        let size = if size == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            size
        };
        Self {
            permits: Semaphore::new(size),
            wait,
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// The most hashes that have run at the same moment.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = match tokio::time::timeout(self.wait, self.permits.acquire()).await {
            Ok(Ok(p)) => p,
            _ => return Err(AppError::Busy(BUSY.into())),
        };
        let gate = self.clone();
        let out = tokio::task::spawn_blocking(move || {
            let now = gate.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            gate.peak.fetch_max(now, Ordering::SeqCst);
            let out = work();
            gate.in_flight.fetch_sub(1, Ordering::SeqCst);
            out
        })
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
        drop(permit);
        Ok(out)
    }

    pub async fn hash(self: &Arc<Self>, password: String) -> Result<String, AppError> {
        self.run(move || hash_now(&password))
            .await?
            .map_err(AppError::from)
    }

    /// As [`verify`]; `Err` only when too busy to check now.
    pub async fn verify(
        self: &Arc<Self>,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, AppError> {
        self.run(move || verify_now(&password, stored.as_deref()))
            .await
    }
}

const BUSY: &str = "Safety Net is busy checking other sign-ins. Wait a moment, then try again. Nothing you did caused this.";

#[cfg(test)]
mod tests {
    use super::*;

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
