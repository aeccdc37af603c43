//! Random secrets handed to people (session cookies, emailed links). Only
//! their SHA-256 is stored, so a copy of the database cannot be replayed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::repo;
use crate::db::row::text_state;
use crate::db::{Db, Tx};
use crate::shared::UserId;

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
    /// As stored in `auth_tokens.purpose`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invite => "invite",
            Self::Reset => "reset",
        }
    }
    pub fn from_sql(s: &str) -> Option<Self> {
        [Self::Invite, Self::Reset]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
    /// Invitations wait a week for a busy clinician; a reset link is short-lived.
    pub fn lifetime_secs(self) -> i64 {
        match self {
            Self::Invite => 7 * 24 * 3600,
            Self::Reset => 3600,
        }
    }
}

text_state!(Purpose);

/// Creates a link token for a user and returns the secret to put in the link.
/// In the caller's transaction, with the email that carries the link.
pub async fn issue(
    tx: &mut Tx,
    user_id: UserId,
    purpose: Purpose,
    now: i64,
) -> Result<String, sqlx::Error> {
    let secret = new_secret();
    let expires = now + purpose.lifetime_secs();
    repo::replace_link(tx, &digest(&secret), user_id, purpose, now, expires).await?;
    Ok(secret)
}

/// The user a live (unused, unexpired) link belongs to.
pub async fn lookup(
    db: &Db,
    secret: &str,
    purpose: Purpose,
    now: i64,
) -> Result<Option<UserId>, sqlx::Error> {
    repo::live_link(db, &digest(secret), purpose, now).await
}

/// Marks a link used, in the transaction of what it is used for; false if
/// someone else used it first.
pub async fn consume(
    tx: &mut Tx,
    secret: &str,
    purpose: Purpose,
    now: i64,
) -> Result<bool, sqlx::Error> {
    repo::use_link(tx, &digest(secret), purpose, now).await
}
