//! Where the practice's enrolment token is stored: the `checkin_tokens`
//! table (one row per practice, found by the token's hash).

use super::domain::{hash, random_token};
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::resilience::sql::from_row;
use crate::shared::PracticeId;
use crate::{with_db, with_tx};

/// The practice's token and when it was made.
pub struct Token {
    pub token: String,
    pub created_at: i64,
}

from_row!(Token, r => Ok(Token {
    token: r.try_get("token")?,
    created_at: r.try_get("created_at")?,
}));

pub async fn token_for(db: &Db, scope: &PracticeScope) -> Result<Option<Token>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as("SELECT token, created_at FROM checkin_tokens WHERE practice_id = $1")
        .bind(scope.practice_id()).fetch_optional(p).await)
}

/// The practice whose token has this hash.
pub async fn practice_for(db: &Db, token_hash: &str) -> Result<Option<PracticeId>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar("SELECT practice_id FROM checkin_tokens WHERE token_hash = $1")
        .bind(token_hash).fetch_optional(p).await)
}

/// Makes (or replaces) the practice's token; the old one stops working at
/// once. `by` is who made it.
pub async fn set_token(
    tx: &mut Tx,
    scope: &PracticeScope,
    by: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    let token = random_token();
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO checkin_tokens (practice_id, token, token_hash, created_at, created_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (practice_id) DO UPDATE SET token = excluded.token, token_hash = excluded.token_hash, \
         created_at = excluded.created_at, created_by = excluded.created_by")
        .bind(scope.practice_id()).bind(&token).bind(hash(&token)).bind(now).bind(by)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(token)
}
