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
use super::password;
use crate::shared::{AppState, PracticeId};
use crate::web::AppError;
use crate::{with_db, with_tx};

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
    const LOCK: &str = "INSERT INTO sign_in_gates (bucket) VALUES ($1) ON CONFLICT (bucket) DO UPDATE SET bucket = excluded.bucket";
    const COUNT: &str = "SELECT (SELECT COUNT(*) FROM sign_in_attempts WHERE email = $1 AND at > $3 AND NOT succeeded), \
                (SELECT COUNT(*) FROM sign_in_attempts WHERE ip = $2 AND at > $3 AND NOT succeeded)";
    const INSERT: &str = "INSERT INTO sign_in_attempts (email, ip, at, succeeded) VALUES ($1, $2, $3, $4) RETURNING id";
    let mut tx = state.db.begin().await?;
    let reserved: Option<i64> = with_tx!(&mut tx, c => {
        for g in gates {
            sqlx::query(LOCK).bind(g).execute(&mut *c).await?;
        }
        let (by_email, by_ip): (i64, i64) = sqlx::query_as(COUNT)
            .bind(email).bind(ip).bind(since).fetch_one(&mut *c).await?;
        if by_email < limits.max_failures_per_account && by_ip < limits.max_failures_per_ip {
            let (id,): (i64,) = sqlx::query_as(INSERT)
                .bind(email).bind(ip).bind(now).bind(false).fetch_one(&mut *c).await?;
            Ok::<_, sqlx::Error>(Some(id))
        } else {
            Ok(None)
        }
    })?;
    tx.commit().await?;
    if let Some(id) = reserved {
        return Ok(Reservation { id });
    }
    let actor = Actor {
        user_id: None,
        email: Some(email.to_string()),
        ip: Some(ip.to_string()),
    };
    audit::record_alone(
        &state.db,
        practice_id,
        &actor,
        Action::SignInBlocked,
        "too many failed attempts",
        now,
    )
    .await?;
    Err(AppError::TooManyRequests(format!(
        "There have been too many attempts to sign in. For your security, wait {} minutes and try again. If you have forgotten your password, use \"Forgotten your password?\" on the sign-in page.",
        limits.window_minutes
    )))
}

/// The guess was right: it no longer counts against the limit.
pub async fn succeeded(state: &AppState, r: Reservation) -> Result<(), AppError> {
    with_db!(&state.db, p => sqlx::query("UPDATE sign_in_attempts SET succeeded = $1 WHERE id = $2")
        .bind(true).bind(r.id).execute(p).await.map(|_| ()))?;
    Ok(())
}

/// Nothing was checked (the server was too busy): the reservation is given back.
pub async fn cancel(state: &AppState, r: Reservation) -> Result<(), AppError> {
    with_db!(&state.db, p => sqlx::query("DELETE FROM sign_in_attempts WHERE id = $1")
        .bind(r.id).execute(p).await.map(|_| ()))?;
    Ok(())
}

/// Checks a guess with the password gate, giving the reservation back if
/// the server was too busy to check it.
pub async fn verify_password(
    state: &AppState,
    r: Reservation,
    password: String,
    stored: Option<String>,
) -> Result<(bool, Reservation), AppError> {
    match password::verify_gated(&state.hashing, password, stored).await {
        Ok(ok) => Ok((ok, r)),
        Err(e) => {
            cancel(state, r).await?;
            Err(e)
        }
    }
}
