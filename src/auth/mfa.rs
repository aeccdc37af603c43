//! Two-step verification with an authenticator app (TOTP, RFC 6238) and
//! one-time recovery codes for when the phone is lost.

use rand::Rng;
use totp_rs::{Algorithm, Secret, TOTP};

use super::repo;
use super::tokens::digest;
use crate::db::{Db, Tx};
use crate::shared::UserId;

pub const ISSUER: &str = "Safety Net";
const STEP: u64 = 30;
pub const RECOVERY_CODES: usize = 10;

pub fn new_secret() -> String {
    Secret::generate_secret().to_encoded().to_string()
}

fn totp(secret_b32: &str, account: &str) -> anyhow::Result<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_string())
        .to_bytes()
        .map_err(|e| anyhow::anyhow!("stored TOTP secret is not base32: {e:?}"))?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        bytes,
        Some(ISSUER.to_string()),
        account.to_string(),
    )
    .map_err(|e| anyhow::anyhow!("building TOTP: {e}"))
}

/// The `otpauth://` address an authenticator app reads from the QR code.
pub fn provisioning_url(secret_b32: &str, account: &str) -> anyhow::Result<String> {
    Ok(totp(secret_b32, account)?.get_url())
}

/// The QR code as inline SVG (no image request, so the CSP stays `'self'`).
pub fn qr_svg(url: &str) -> anyhow::Result<String> {
    let code = qrcode::QrCode::new(url.as_bytes())?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build())
}

/// The code an authenticator shows at `unix_time` (used by tests and the demo).
pub fn code_at(secret_b32: &str, unix_time: i64) -> anyhow::Result<String> {
    Ok(totp(secret_b32, "x")?.generate(unix_time.max(0) as u64))
}

/// Checks a code, allowing one step of clock drift either way. Returns the
/// time step it matched so the caller can refuse the same code twice.
pub fn verify(secret_b32: &str, code: &str, now: i64, last_step: Option<i64>) -> Option<i64> {
    let code: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret_b32, "x").ok()?;
    for drift in [0i64, -1, 1] {
        let at = now + drift * STEP as i64;
        if at < 0 {
            continue;
        }
        let step = at / STEP as i64;
        if last_step.is_some_and(|last| step <= last) {
            continue;
        }
        if t.generate(at as u64) == code {
            return Some(step);
        }
    }
    None
}

/// Ten fresh recovery codes like `k7dm-2xq9`, replacing any old ones, in
/// the caller's transaction. Only their digests are kept.
pub async fn replace_recovery_codes(
    tx: &mut Tx,
    user_id: UserId,
) -> Result<Vec<String>, sqlx::Error> {
    let codes = fresh_codes();
    let hashes: Vec<String> = codes.iter().map(|c| digest(&normalise(c))).collect();
    repo::replace_recovery_codes(tx, user_id, &hashes).await?;
    Ok(codes)
}

/// [`replace_recovery_codes`] in a transaction of its own, for the demo
/// seeding, which changes nothing else with them.
pub async fn regenerate_recovery_codes(
    db: &Db,
    user_id: UserId,
) -> Result<Vec<String>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let codes = replace_recovery_codes(&mut tx, user_id).await?;
    tx.commit().await?;
    Ok(codes)
}

fn fresh_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut s: String = (0..8)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect();
            s.insert(4, '-');
            s
        })
        .collect()
}

fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Uses up a recovery code; true if it was valid and unused.
pub async fn use_recovery_code(
    tx: &mut Tx,
    user_id: UserId,
    code: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    repo::use_recovery_code(tx, user_id, &digest(&normalise(code)), now).await
}

pub async fn unused_recovery_codes(db: &Db, user_id: UserId) -> Result<i64, sqlx::Error> {
    repo::unused_recovery_codes(db, user_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_from_the_secret_verifies_once_per_step() {
        let s = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&s, now).unwrap();
        let step = verify(&s, &code, now, None).expect("current code accepted");
        assert_eq!(
            verify(&s, &code, now, Some(step)),
            None,
            "the same code cannot be replayed"
        );
    }

    #[test]
    fn a_code_from_thirty_seconds_ago_is_still_accepted_but_not_two_minutes() {
        let s = new_secret();
        let now = 1_800_000_000;
        assert!(verify(&s, &code_at(&s, now - 30).unwrap(), now, None).is_some());
        assert!(verify(&s, &code_at(&s, now - 120).unwrap(), now, None).is_none());
    }

    #[test]
    fn codes_with_spaces_are_accepted_and_junk_is_not() {
        let s = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&s, now).unwrap();
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(verify(&s, &spaced, now, None).is_some());
        assert!(verify(&s, "12345", now, None).is_none());
        assert!(verify(&s, "abcdef", now, None).is_none());
    }
}
