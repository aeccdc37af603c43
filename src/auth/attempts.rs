//! Guesses at a password or security code, limited per account and per
//! network address (Cyber Essentials: no more than 10 guesses in 5 minutes).
//!
//! An attempt is reserved, counted as a failure, BEFORE the password is
//! checked, in one transaction that first locks the account's and the
//! address's rows in `sign_in_gates`. So a burst of 30 guesses sent at once,
//! to one node or spread over several on the same database, checks at most
//! the limit: each reservation waits for the one before it and sees it. A
//! guess that turns out right is then marked as a success.

use sha2::{Digest, Sha256};

use super::audit::{self, Action, Actor};
use super::{password, repo};
use crate::db::Tx;
use crate::shared::{AppState, PracticeId};
use crate::web::AppError;

/// Buckets per kind (account, address); see the migration `0012_sign_in_gates`.
const BUCKETS: u64 = 4096;

/// A reserved attempt, counted as a failure until [`succeeded`] says otherwise.
#[derive(Debug)]
pub struct Reservation {
    id: i64,
}

/// The same bucket on every node, so every node takes turns on it.
fn bucket(kind: u64, key: &str) -> i64 {
    let d = Sha256::digest(key.as_bytes());
    let n = u64::from_be_bytes(d[..8].try_into().expect("a SHA-256 digest has 8 bytes"));
    (kind * BUCKETS + n % BUCKETS) as i64
}

/// Reserves one guess for `email` from `ip`, or refuses (429, audited) once
/// either has used up its failures in the window.
pub async fn reserve(
    state: &AppState,
    email: &str,
    ip: &str,
    practice_id: Option<PracticeId>,
) -> Result<Reservation, AppError> {
    let now = state.clock.now();
    let limits = &state.settings.sign_in;
    let since = now - limits.window_minutes * 60;
    // Ascending bucket order (accounts' below addresses'), so two reservations never wait on each other in a circle.
    let gates = [bucket(0, email), bucket(1, ip)];
    let mut tx = state.db.begin().await?;
    for g in gates {
        repo::lock_gate(&mut tx, g).await?;
    }
    let failures = repo::failures_since(&mut tx, email, ip, since).await?;
    if failures.by_email < limits.max_failures_per_account
        && failures.by_ip < limits.max_failures_per_ip
    {
        let id = repo::insert_failed_attempt(&mut tx, email, ip, now).await?;
        tx.commit().await?;
        return Ok(Reservation { id });
    }
    let actor = Actor {
        user_id: None,
        email: Some(email.to_string()),
        ip: Some(ip.to_string()),
    };
    let why = "too many failed attempts";
    audit::record(
        &mut tx,
        practice_id,
        &actor,
        Action::SignInBlocked,
        why,
        now,
    )
    .await?;
    tx.commit().await?;
    Err(AppError::TooManyRequests(format!(
        "There have been too many attempts to sign in. For your security, wait {} minutes and try again. If you have forgotten your password, use \"Forgotten your password?\" on the sign-in page.",
        limits.window_minutes
    )))
}

/// The guess was right: it no longer counts against the limit. In the
/// transaction of what the right guess lets happen (the new session).
pub async fn succeeded(tx: &mut Tx, r: Reservation) -> Result<(), sqlx::Error> {
    repo::attempt_succeeded(tx, r.id).await
}

/// Nothing was checked (the server was too busy): the reservation is given back.
pub async fn cancel(state: &AppState, r: Reservation) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    repo::delete_attempt(&mut tx, r.id).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks a guess with the password gate: the reservation back if it was
/// right (for [`succeeded`], in the change it allows), None if wrong (the
/// reservation stays a failure). Given back if the server was too busy to
/// check it.
pub async fn verify_password(
    state: &AppState,
    r: Reservation,
    password: String,
    stored: Option<String>,
) -> Result<Option<Reservation>, AppError> {
    match password::verify_gated(&state.hashing, password, stored).await {
        Ok(right) => Ok(right.then_some(r)),
        Err(e) => {
            cancel(state, r).await?;
            Err(e)
        }
    }
}
