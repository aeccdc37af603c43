//! Keys for the GoPhish-compatible API: making one, the practice scope a
//! presented key gives, listing and revoking them. A key is 160 random
//! bits, shown once when it is made; only its SHA-256 hash is stored (a key
//! is not a password a person chose, so a fast hash is enough: guessing one
//! is hopeless). A key acts as the manager who made it, only while that
//! person is still an active manager of the practice. The page where keys
//! are made and revoked is `simulation::gophish::keys`.

use rand::Rng;
use sha2::{Digest, Sha256};

use super::repo::{self, NewKey};
use super::session::{Sealed, SessionUser, Stage};
use super::{PracticeScope, Role};
use crate::db::{Db, Tx};
use crate::shared::{PracticeId, UserId};

pub use repo::KeyListing;

pub const PREFIX: &str = "snk_";

pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Makes a key for a practice manager in the caller's transaction (with
/// its audit entry); returns the key itself (shown once).
pub async fn issue_key(
    tx: &mut Tx,
    practice_id: PracticeId,
    user_id: UserId,
    name: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let body: String = {
        let mut rng = rand::rngs::OsRng;
        (0..32)
            .map(|_| ALPHABET[rng.gen_range(0..32)] as char)
            .collect()
    };
    let key = format!("{PREFIX}{body}");
    let hint = format!("{}…", &key[..PREFIX.len() + 6]);
    let new = NewKey {
        practice_id,
        user_id,
        name,
        hash: &hash(&key),
        hint: &hint,
    };
    repo::insert_key(tx, &new, now).await?;
    Ok(key)
}

/// [`issue_key`] in a transaction of its own.
pub async fn create_key(
    db: &Db,
    practice_id: PracticeId,
    user_id: UserId,
    name: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    let mut tx = db.begin().await?;
    let key = issue_key(&mut tx, practice_id, user_id, name, now).await?;
    tx.commit().await?;
    Ok(key)
}

/// The practice's live keys, oldest first.
pub async fn live_keys(db: &Db, scope: &PracticeScope) -> Result<Vec<KeyListing>, sqlx::Error> {
    repo::live_keys(db, scope.practice_id()).await
}

/// Revokes one of the practice's live keys; its name, or None if the
/// practice has no such key.
pub async fn revoke(
    tx: &mut Tx,
    scope: &PracticeScope,
    key_id: i64,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    repo::revoke_key(tx, scope.practice_id(), key_id, now).await
}

/// Revokes the account's live keys called `name` (the demo's, made again
/// on every run).
pub async fn revoke_named(
    tx: &mut Tx,
    user_id: UserId,
    name: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    repo::revoke_keys_named(tx, user_id, name, now)
        .await
        .map(|_| ())
}

/// The practice scope a key gives, if it is a live key of an active manager.
pub async fn authenticate(
    db: &Db,
    key: &str,
    now: i64,
) -> Result<Option<(i64, PracticeScope)>, sqlx::Error> {
    if !key.starts_with(PREFIX) || key.len() > 100 {
        return Ok(None);
    }
    let Some(owner) = repo::live_key(db, &hash(key)).await? else {
        return Ok(None);
    };
    // A minute's precision is plenty, and spares a write on every call.
    if owner.last_used_at.is_none_or(|t| now - t >= 60) {
        let mut tx = db.begin().await?;
        repo::touch_key(&mut tx, owner.key_id, now).await?;
        tx.commit().await?;
    }
    let user = SessionUser {
        user_id: owner.user_id,
        email: owner.email,
        full_name: owner.full_name,
        role: Role::Manager,
        practice_id: Some(owner.practice_id),
        staff_id: owner.staff_id,
        mfa_enabled: true,
        stage: Stage::Full,
        signed_in_with: String::new(),
        provider_second_factor: false,
        session_hash: String::new(),
        _sealed: Sealed(()),
    };
    Ok(Some((
        owner.key_id,
        PracticeScope::new(owner.practice_id, user),
    )))
}
