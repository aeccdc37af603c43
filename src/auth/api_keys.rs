//! Keys for the GoPhish-compatible API: making one, and the practice scope a
//! presented key gives. A key is 160 random bits, shown once when it is made;
//! only its SHA-256 hash is stored (a key is not a password a person chose,
//! so a fast hash is enough: guessing one is hopeless). A key acts as the
//! manager who made it, only while that person is still an active manager of
//! the practice. The page where keys are made and revoked is
//! `simulation::gophish::keys`.

use rand::Rng;
use sha2::{Digest, Sha256};

use super::session::{Sealed, SessionUser, Stage};
use super::{PracticeScope, Role};
use crate::db::Db;
use crate::shared::{PracticeId, StaffId, UserId};
use crate::with_db;

pub const PREFIX: &str = "snk_";

pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Makes a key for a practice manager; returns the key itself (shown once).
pub async fn create_key(
    db: &Db,
    practice_id: PracticeId,
    user_id: UserId,
    name: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut rng = rand::rngs::OsRng;
    let body: String = (0..32)
        .map(|_| ALPHABET[rng.gen_range(0..32)] as char)
        .collect();
    let key = format!("{PREFIX}{body}");
    let hint = format!("{}…", &key[..PREFIX.len() + 6]);
    with_db!(db, p => sqlx::query(
        "INSERT INTO api_keys (practice_id, user_id, name, key_hash, key_hint, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(practice_id).bind(user_id).bind(name).bind(hash(&key)).bind(&hint).bind(now)
        .execute(p).await.map(|_| ()))?;
    Ok(key)
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
    type Row = (
        i64,
        PracticeId,
        UserId,
        String,
        String,
        Option<StaffId>,
        Option<i64>,
    );
    let row: Option<Row> = with_db!(db, p => sqlx::query_as(
        "SELECT k.id, k.practice_id, u.id, u.email, u.full_name, u.staff_id, k.last_used_at FROM api_keys k JOIN users u ON u.id = k.user_id \
         WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.active AND u.role = 'manager' AND u.practice_id = k.practice_id")
        .bind(hash(key)).fetch_optional(p).await)?;
    let Some((key_id, practice_id, user_id, email, full_name, staff_id, last_used)) = row else {
        return Ok(None);
    };
    if last_used.is_none_or(|t| now - t >= 60) {
        with_db!(db, p => sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(now).bind(key_id).execute(p).await.map(|_| ()))?;
    }
    let user = SessionUser {
        user_id,
        email,
        full_name,
        role: Role::Manager,
        practice_id: Some(practice_id),
        staff_id,
        mfa_enabled: true,
        stage: Stage::Full,
        session_hash: String::new(),
        _sealed: Sealed(()),
    };
    Ok(Some((key_id, PracticeScope::new(practice_id, user))))
}
