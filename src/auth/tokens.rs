//! Random secrets handed to people (session cookies, emailed links). Only
//! their SHA-256 is stored, so a copy of the database cannot be replayed.

use crate::shared::UserId;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh 256-bit secret, URL-safe.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Emailed link tokens: an invitation to choose a password, or a reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Invite,
    Reset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invite => "invite",
            Self::Reset => "reset",
        }
    }
    /// Invitations wait a week for a busy clinician; a reset link is short-lived.
    pub fn lifetime_secs(self) -> i64 {
        match self {
            Self::Invite => 7 * 24 * 3600,
            Self::Reset => 3600,
        }
    }
}

/// Creates a link token for a user and returns the secret to put in the link.
/// In the caller's transaction, with the email that carries the link.
pub async fn issue(
    tx: &mut crate::db::Tx,
    user_id: UserId,
    purpose: Purpose,
    now: i64,
) -> Result<String, sqlx::Error> {
    let secret = new_secret();
    let hash = digest(&secret);
    crate::with_tx!(tx, c => {
        // One live link per purpose: a new invitation or reset supersedes the old one.
        sqlx::query("UPDATE auth_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL")
            .bind(now).bind(user_id).bind(purpose.as_str()).execute(&mut *c).await?;
        sqlx::query("INSERT INTO auth_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&hash).bind(user_id).bind(purpose.as_str()).bind(now).bind(now + purpose.lifetime_secs())
            .execute(&mut *c).await?;
    });
    Ok(secret)
}

/// The user a live (unused, unexpired) link belongs to.
pub async fn lookup(
    db: &crate::db::Db,
    secret: &str,
    purpose: Purpose,
    now: i64,
) -> Result<Option<crate::shared::UserId>, sqlx::Error> {
    let hash = digest(secret);
    let row: Option<(crate::shared::UserId,)> = crate::with_db!(db, p => sqlx::query_as(
        "SELECT user_id FROM auth_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3")
        .bind(&hash).bind(purpose.as_str()).bind(now).fetch_optional(p).await)?;
    Ok(row.map(|r| r.0))
}

/// Marks a link used; false if someone else used it first.
pub async fn consume(
    db: &crate::db::Db,
    secret: &str,
    purpose: Purpose,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let hash = digest(secret);
    let done = crate::with_db!(db, p => sqlx::query(
        "UPDATE auth_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1")
        .bind(now).bind(&hash).bind(purpose.as_str()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}
