//! Every SQL statement on the tables `auth` owns: `users`, `sessions`,
//! `auth_tokens`, `recovery_codes`, `sign_in_attempts` (with the
//! `sign_in_gates` that order them), `api_keys` and `audit_log`.
//!
//! Reads take `&Db`; writes, and reads that decide a write, take the
//! caller's `&mut Tx`. Rows come back as the named structs below. Other
//! capabilities reach these tables through `auth::accounts`, `auth::audit`
//! and `auth::api_keys`, never here.

use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{PracticeId, StaffId, UserId};
use crate::{with_db, with_tx};

use super::domain::{Role, Stage};
use super::tokens::Purpose;

// ---------- accounts (`users`) ----------

/// An account as signing in needs it.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: UserId,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub practice_id: Option<PracticeId>,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub active: bool,
}
named_row!(Account {
    id,
    email,
    full_name,
    role,
    practice_id,
    password_hash,
    totp_secret,
    totp_last_step,
    active
});

const ACCOUNT: &str = "SELECT id, email, full_name, role, practice_id, password_hash, totp_secret, totp_last_step, active FROM users";

pub async fn account_by_email(db: &Db, email: &str) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("{ACCOUNT} WHERE email = $1");
    with_db!(db, p => sqlx::query_as(&sql).bind(email).fetch_optional(p).await)
}

pub async fn account_by_id(db: &Db, id: UserId) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("{ACCOUNT} WHERE id = $1");
    with_db!(db, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)
}

/// A new account, with no password yet.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub full_name: &'a str,
    pub role: Role,
    pub practice_id: Option<PracticeId>,
    pub staff_id: Option<StaffId>,
}

/// Adds an account; None if the email address already has one (anywhere).
pub async fn insert_account(
    tx: &mut Tx,
    a: &NewAccount<'_>,
    now: i64,
) -> Result<Option<UserId>, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO users (email, full_name, role, practice_id, staff_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT DO NOTHING RETURNING id")
        .bind(a.email).bind(a.full_name).bind(a.role).bind(a.practice_id).bind(a.staff_id).bind(now)
        .fetch_optional(&mut *c).await)
}

pub async fn set_password_hash(tx: &mut Tx, user: UserId, hash: &str) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash).bind(user).execute(&mut *c).await.map(|_| ()))
}

/// Sets the password and authenticator secret together and opens the account.
pub async fn set_sign_in(
    tx: &mut Tx,
    user: UserId,
    password_hash: &str,
    totp_secret: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("UPDATE users SET password_hash = $1, totp_secret = $2, active = TRUE WHERE id = $3")
        .bind(password_hash).bind(totp_secret).bind(user).execute(&mut *c).await.map(|_| ()))
}

/// Claims a code's time step: of several sessions sending the same code at
/// once, one wins (true); the rest, and any older step, lose.
pub async fn claim_totp_step(tx: &mut Tx, user: UserId, step: i64) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, c => sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)")
        .bind(step).bind(user).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The authenticator secret shown while setting up two-step verification.
pub async fn pending_totp_secret(db: &Db, user: UserId) -> Result<Option<String>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar("SELECT totp_pending_secret FROM users WHERE id = $1")
        .bind(user).fetch_one(p).await)
}

/// Keeps a new secret to show until it is confirmed, unless one is kept
/// already (two tabs show the same); returns the one kept.
pub async fn keep_pending_totp_secret(
    tx: &mut Tx,
    user: UserId,
    secret: &str,
) -> Result<String, sqlx::Error> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE users SET totp_pending_secret = $1 WHERE id = $2 AND totp_pending_secret IS NULL")
            .bind(secret).bind(user).execute(&mut *c).await?;
        sqlx::query_scalar::<_, Option<String>>("SELECT totp_pending_secret FROM users WHERE id = $1")
            .bind(user).fetch_one(&mut *c).await
    })
    .map(|s| s.unwrap_or_else(|| secret.to_string()))
}

/// The pending secret becomes the account's; `step` was just used.
pub async fn enable_totp(tx: &mut Tx, user: UserId, step: i64) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_last_step = $1 WHERE id = $2")
        .bind(step).bind(user).execute(&mut *c).await.map(|_| ()))
}

/// Turns two-step verification off and throws away the recovery codes.
pub async fn disable_totp(tx: &mut Tx, user: UserId) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1")
            .bind(user).execute(&mut *c).await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user).execute(&mut *c).await.map(|_| ())
    })
}

/// The account of a member of staff, if they have one.
#[derive(Debug, Clone, Copy)]
pub struct StaffAccount {
    pub id: UserId,
    pub set_up: bool,
}
named_row!(StaffAccount { id, set_up });

pub async fn account_of_staff(
    tx: &mut Tx,
    practice: PracticeId,
    staff: StaffId,
) -> Result<Option<StaffAccount>, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_as(
        "SELECT id, (password_hash IS NOT NULL OR joined_with_provider_at IS NOT NULL) AS set_up FROM users WHERE staff_id = $1 AND practice_id = $2")
        .bind(staff).bind(practice).fetch_optional(&mut *c).await)
}

pub async fn count_active_managers(tx: &mut Tx, practice: PracticeId) -> Result<i64, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE practice_id = $1 AND role = $2 AND active")
        .bind(practice).bind(Role::Manager).fetch_one(&mut *c).await)
}

/// Sets the role of a member of staff's account; `keep_managers` leaves a
/// manager's alone.
pub async fn set_role_of_staff(
    tx: &mut Tx,
    practice: PracticeId,
    staff: StaffId,
    role: Role,
    keep_managers: bool,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE users SET role = $1 WHERE staff_id = $2 AND practice_id = $3 AND (NOT $4 OR role <> $5)")
        .bind(role).bind(staff).bind(practice).bind(keep_managers).bind(Role::Manager)
        .execute(&mut *c).await.map(|_| ()))
}

/// The account follows the staff record's name, and its email when no other
/// account has that address (the email is what they sign in with).
pub async fn follow_staff_details(
    tx: &mut Tx,
    practice: PracticeId,
    staff: StaffId,
    full_name: &str,
    email: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE users SET full_name = $1 WHERE staff_id = $2 AND practice_id = $3")
            .bind(full_name).bind(staff).bind(practice).execute(&mut *c).await?;
        sqlx::query(
            "UPDATE users SET email = $1 WHERE staff_id = $2 AND practice_id = $3 AND email <> $1 \
             AND NOT EXISTS (SELECT 1 FROM users other WHERE other.email = $1)")
            .bind(email).bind(staff).bind(practice).execute(&mut *c).await.map(|_| ())
    })
}

pub async fn set_active_for_staff(
    tx: &mut Tx,
    practice: PracticeId,
    staff: StaffId,
    active: bool,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("UPDATE users SET active = $1 WHERE staff_id = $2 AND practice_id = $3")
        .bind(active).bind(staff).bind(practice).execute(&mut *c).await.map(|_| ()))
}

/// A practice manager as an operator sees them.
#[derive(Debug, Clone)]
pub struct Manager {
    pub full_name: String,
    pub email: String,
    pub set_up: bool,
}
named_row!(Manager {
    full_name,
    email,
    set_up
});

pub async fn active_managers(db: &Db, practice: PracticeId) -> Result<Vec<Manager>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT full_name, email, (password_hash IS NOT NULL OR joined_with_provider_at IS NOT NULL) AS set_up FROM users \
         WHERE practice_id = $1 AND role = $2 AND active ORDER BY full_name")
        .bind(practice).bind(Role::Manager).fetch_all(p).await)
}

// ---------- sessions ----------

/// A session with its account, as every signed-in request loads it.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user_id: UserId,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub practice_id: Option<PracticeId>,
    pub staff_id: Option<StaffId>,
    pub mfa_enabled: bool,
    pub stage: Stage,
    pub signed_in_with: String,
    pub provider_second_factor: bool,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub active: bool,
}
named_row!(SessionRow {
    user_id,
    email,
    full_name,
    role,
    practice_id,
    staff_id,
    mfa_enabled,
    stage,
    signed_in_with,
    provider_second_factor,
    created_at,
    last_seen_at,
    active
});

pub async fn session_by_hash(db: &Db, hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT u.id AS user_id, u.email, u.full_name, u.role, u.practice_id, u.staff_id, \
                u.totp_secret IS NOT NULL AS mfa_enabled, s.stage, s.signed_in_with, s.provider_second_factor, s.created_at, s.last_seen_at, u.active \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1")
        .bind(hash).fetch_optional(p).await)
}

pub async fn insert_session(
    tx: &mut Tx,
    hash: &str,
    user: UserId,
    stage: Stage,
    origin: &SessionOrigin,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, stage, signed_in_with, provider_second_factor, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)")
        .bind(hash).bind(user).bind(stage).bind(&origin.signed_in_with)
        .bind(origin.provider_second_factor).bind(now).execute(&mut *c).await.map(|_| ()))
}

/// How a session began: `signed_in_with` is "" for a password, otherwise
/// the provider's id; `provider_second_factor` when that provider said it
/// checked a second factor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionOrigin {
    pub signed_in_with: String,
    pub provider_second_factor: bool,
}

/// Records a person's first sign-in with the organisation's account; true
/// the first time only. Outstanding invitation links are used up with it
/// (the account is set up: there is no password to choose).
pub async fn joined_with_provider(
    tx: &mut Tx,
    user: UserId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_tx!(tx, c => {
        let n = sqlx::query("UPDATE users SET joined_with_provider_at = $1 WHERE id = $2 AND joined_with_provider_at IS NULL")
            .bind(now).bind(user).execute(&mut *c).await?.rows_affected();
        if n == 1 {
            sqlx::query("UPDATE auth_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = 'invite' AND used_at IS NULL")
                .bind(now).bind(user).execute(&mut *c).await?;
        }
        Ok(n == 1)
    })
}

// ---------- sign-ins on their way through a provider (`oidc_logins`) ----------

pub struct OidcLogin {
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub browser_hash: String,
    pub created_at: i64,
}
named_row!(OidcLogin {
    provider,
    nonce,
    pkce_verifier,
    browser_hash,
    created_at
});

/// Remembers a sign-in sent to a provider; forgets those too old to finish.
#[allow(clippy::too_many_arguments)]
pub async fn insert_oidc_login(
    tx: &mut Tx,
    state_hash: &str,
    provider: &str,
    nonce: &str,
    pkce_verifier: &str,
    browser_hash: &str,
    now: i64,
    lifetime: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => {
        sqlx::query("DELETE FROM oidc_logins WHERE created_at < $1")
            .bind(now - lifetime).execute(&mut *c).await?;
        sqlx::query(
            "INSERT INTO oidc_logins (state_hash, provider, nonce, pkce_verifier, browser_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(state_hash).bind(provider).bind(nonce).bind(pkce_verifier)
            .bind(browser_hash).bind(now).execute(&mut *c).await.map(|_| ())
    })
}

/// Takes the sign-in with this state: one caller gets it, once, whichever node it reaches.
pub async fn take_oidc_login(
    tx: &mut Tx,
    state_hash: &str,
) -> Result<Option<OidcLogin>, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_as(
        "DELETE FROM oidc_logins WHERE state_hash = $1 \
         RETURNING provider, nonce, pkce_verifier, browser_hash, created_at")
        .bind(state_hash).fetch_optional(&mut *c).await)
}

/// The provider a practice requires, if any.
pub async fn practice_sign_in_provider(
    db: &Db,
    practice: PracticeId,
) -> Result<Option<String>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT sign_in_provider FROM practices WHERE id = $1")
        .bind(practice).fetch_optional(p).await)
    .map(Option::flatten)
}

pub async fn set_practice_sign_in_provider(
    tx: &mut Tx,
    practice: PracticeId,
    provider: Option<&str>,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("UPDATE practices SET sign_in_provider = $1 WHERE id = $2")
        .bind(provider).bind(practice).execute(&mut *c).await.map(|_| ()))
}

pub async fn delete_session(tx: &mut Tx, hash: &str) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(hash).execute(&mut *c).await.map(|_| ()))
}

/// Ends every session of the account except the one whose digest is `keep` ("" keeps none).
pub async fn delete_sessions_of(tx: &mut Tx, user: UserId, keep: &str) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user).bind(keep).execute(&mut *c).await.map(|_| ()))
}

/// Ends the sessions of a member of staff's account (a leaver's).
pub async fn delete_sessions_of_staff(
    tx: &mut Tx,
    practice: PracticeId,
    staff: StaffId,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE staff_id = $1 AND practice_id = $2)")
        .bind(staff).bind(practice).execute(&mut *c).await.map(|_| ()))
}

pub async fn touch_session(tx: &mut Tx, hash: &str, now: i64) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now).bind(hash).execute(&mut *c).await.map(|_| ()))
}

// ---------- emailed links (`auth_tokens`) ----------

/// Stores a link's digest, first retiring any live link of the same
/// purpose: a new invitation or reset supersedes the old one.
pub async fn replace_link(
    tx: &mut Tx,
    hash: &str,
    user: UserId,
    purpose: Purpose,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE auth_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL")
            .bind(now).bind(user).bind(purpose).execute(&mut *c).await?;
        sqlx::query("INSERT INTO auth_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(hash).bind(user).bind(purpose).bind(now).bind(expires_at)
            .execute(&mut *c).await.map(|_| ())
    })
}

/// The account a live (unused, unexpired) link belongs to.
pub async fn live_link(
    db: &Db,
    hash: &str,
    purpose: Purpose,
    now: i64,
) -> Result<Option<UserId>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT user_id FROM auth_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3")
        .bind(hash).bind(purpose).bind(now).fetch_optional(p).await)
}

/// Marks a live link used; false if someone used it first or it has expired.
pub async fn use_link(
    tx: &mut Tx,
    hash: &str,
    purpose: Purpose,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, c => sqlx::query(
        "UPDATE auth_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1")
        .bind(now).bind(hash).bind(purpose).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

// ---------- recovery codes ----------

pub async fn replace_recovery_codes(
    tx: &mut Tx,
    user: UserId,
    hashes: &[String],
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user).execute(&mut *c).await?;
        for h in hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user).bind(h).execute(&mut *c).await?;
        }
        Ok::<_, sqlx::Error>(())
    })
}

/// Uses up a code; true if it was the account's and unused.
pub async fn use_recovery_code(
    tx: &mut Tx,
    user: UserId,
    hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, c => sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
        .bind(now).bind(user).bind(hash).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn unused_recovery_codes(db: &Db, user: UserId) -> Result<i64, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user).fetch_one(p).await)
}

// ---------- sign-in attempts ----------

/// Takes the row lock on a gate (see `auth::attempts`): whoever holds it
/// counts and reserves; the next waits its turn.
pub async fn lock_gate(tx: &mut Tx, bucket: i64) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO sign_in_gates (bucket) VALUES ($1) ON CONFLICT (bucket) DO UPDATE SET bucket = excluded.bucket")
        .bind(bucket).execute(&mut *c).await.map(|_| ()))
}

/// Failed attempts since a time, for an account and for an address.
#[derive(Debug, Clone, Copy)]
pub struct Failures {
    pub by_email: i64,
    pub by_ip: i64,
}
named_row!(Failures { by_email, by_ip });

pub async fn failures_since(
    tx: &mut Tx,
    email: &str,
    ip: &str,
    since: i64,
) -> Result<Failures, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM sign_in_attempts WHERE email = $1 AND at > $3 AND NOT succeeded) AS by_email, \
                (SELECT COUNT(*) FROM sign_in_attempts WHERE ip = $2 AND at > $3 AND NOT succeeded) AS by_ip")
        .bind(email).bind(ip).bind(since).fetch_one(&mut *c).await)
}

/// Records an attempt as failed (until [`attempt_succeeded`]); returns its id.
pub async fn insert_failed_attempt(
    tx: &mut Tx,
    email: &str,
    ip: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO sign_in_attempts (email, ip, at, succeeded) VALUES ($1, $2, $3, FALSE) RETURNING id")
        .bind(email).bind(ip).bind(now).fetch_one(&mut *c).await)
}

pub async fn attempt_succeeded(tx: &mut Tx, id: i64) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("UPDATE sign_in_attempts SET succeeded = TRUE WHERE id = $1")
        .bind(id).execute(&mut *c).await.map(|_| ()))
}

pub async fn delete_attempt(tx: &mut Tx, id: i64) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("DELETE FROM sign_in_attempts WHERE id = $1")
        .bind(id).execute(&mut *c).await.map(|_| ()))
}

// ---------- API keys ----------

pub struct NewKey<'a> {
    pub practice_id: PracticeId,
    pub user_id: UserId,
    pub name: &'a str,
    pub hash: &'a str,
    pub hint: &'a str,
}

pub async fn insert_key(tx: &mut Tx, k: &NewKey<'_>, now: i64) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO api_keys (practice_id, user_id, name, key_hash, key_hint, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(k.practice_id).bind(k.user_id).bind(k.name).bind(k.hash).bind(k.hint).bind(now)
        .execute(&mut *c).await.map(|_| ()))
}

/// A live key and the active manager it acts as.
#[derive(Debug, Clone)]
pub struct KeyOwner {
    pub key_id: i64,
    pub practice_id: PracticeId,
    pub user_id: UserId,
    pub email: String,
    pub full_name: String,
    pub staff_id: Option<StaffId>,
    pub last_used_at: Option<i64>,
}
named_row!(KeyOwner {
    key_id,
    practice_id,
    user_id,
    email,
    full_name,
    staff_id,
    last_used_at
});

pub async fn live_key(db: &Db, hash: &str) -> Result<Option<KeyOwner>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT k.id AS key_id, k.practice_id, u.id AS user_id, u.email, u.full_name, u.staff_id, k.last_used_at \
         FROM api_keys k JOIN users u ON u.id = k.user_id \
         WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.active AND u.role = $2 AND u.practice_id = k.practice_id")
        .bind(hash).bind(Role::Manager).fetch_optional(p).await)
}

pub async fn touch_key(tx: &mut Tx, key_id: i64, now: i64) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
        .bind(now).bind(key_id).execute(&mut *c).await.map(|_| ()))
}

/// A practice's key as its list shows it (never the key itself).
#[derive(Debug, Clone)]
pub struct KeyListing {
    pub id: i64,
    pub name: String,
    pub key_hint: String,
    pub made_by: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}
named_row!(KeyListing {
    id,
    name,
    key_hint,
    made_by,
    created_at,
    last_used_at
});

pub async fn live_keys(db: &Db, practice: PracticeId) -> Result<Vec<KeyListing>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT k.id, k.name, k.key_hint, u.full_name AS made_by, k.created_at, k.last_used_at \
         FROM api_keys k JOIN users u ON u.id = k.user_id \
         WHERE k.practice_id = $1 AND k.revoked_at IS NULL ORDER BY k.id")
        .bind(practice).fetch_all(p).await)
}

/// Revokes a live key of the practice; its name, or None if there is no such key.
pub async fn revoke_key(
    tx: &mut Tx,
    practice: PracticeId,
    key_id: i64,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND practice_id = $3 AND revoked_at IS NULL RETURNING name")
        .bind(now).bind(key_id).bind(practice).fetch_optional(&mut *c).await)
}

/// Revokes an account's live keys with this name; how many.
pub async fn revoke_keys_named(
    tx: &mut Tx,
    user: UserId,
    name: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 WHERE user_id = $2 AND name = $3 AND revoked_at IS NULL")
        .bind(now).bind(user).bind(name).execute(&mut *c).await.map(|r| r.rows_affected()))
}

// ---------- audit log ----------

pub struct NewEntry<'a> {
    pub practice_id: Option<PracticeId>,
    pub at: i64,
    pub actor_user_id: Option<UserId>,
    pub actor_email: Option<&'a str>,
    pub action: &'static str,
    pub detail: &'a str,
    pub ip: Option<&'a str>,
}

pub async fn insert_entry(tx: &mut Tx, e: &NewEntry<'_>) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO audit_log (practice_id, at, actor_user_id, actor_email, action, detail, ip) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(e.practice_id).bind(e.at).bind(e.actor_user_id).bind(e.actor_email)
        .bind(e.action).bind(e.detail).bind(e.ip).execute(&mut *c).await.map(|_| ()))
}

/// An entry as the audit page shows it.
#[derive(Debug, Clone)]
pub struct EntryRow {
    pub at: i64,
    pub actor_email: Option<String>,
    pub action: String,
    pub detail: String,
    pub ip: Option<String>,
}
named_row!(EntryRow {
    at,
    actor_email,
    action,
    detail,
    ip
});

/// What the audit page asks for: a window `[from, to)`, an action key ("" for
/// any), a `%…%` pattern matched against the email or detail, and a page.
pub struct EntryQuery<'a> {
    pub from: i64,
    pub to: i64,
    pub action: &'a str,
    pub like: &'a str,
    pub limit: i64,
    pub offset: i64,
}

pub async fn entries(
    db: &Db,
    practice: PracticeId,
    q: &EntryQuery<'_>,
) -> Result<Vec<EntryRow>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT at, actor_email, action, detail, ip FROM audit_log \
         WHERE practice_id = $1 AND at >= $2 AND at < $3 AND ($4 = '' OR action = $4) \
           AND (LOWER(COALESCE(actor_email, '')) LIKE $5 OR LOWER(detail) LIKE $5) \
         ORDER BY at DESC, id DESC LIMIT $6 OFFSET $7")
        .bind(practice).bind(q.from).bind(q.to).bind(q.action).bind(q.like).bind(q.limit).bind(q.offset)
        .fetch_all(p).await)
}

/// Entries of the practice since `since`: (how many, the newest's time).
pub async fn activity_since(
    db: &Db,
    practice: PracticeId,
    since: i64,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT COUNT(*), MAX(at) FROM audit_log WHERE practice_id = $1 AND at >= $2")
        .bind(practice).bind(since).fetch_one(p).await)
}
