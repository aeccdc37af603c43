//! Where support-dates tables are stored: `support_date_tables` (a
//! practice's uploads, and with no practice the operator's) and
//! `resilience_state` (which table a practice's stored end-of-life dates
//! were worked out with).

use super::in_use::For;
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::resilience::sql::from_row;
use crate::shared::PracticeId;
use crate::{with_db, with_tx};

/// A stored table file.
pub struct Stored {
    /// None for the operator's table, for every practice.
    pub practice_id: Option<PracticeId>,
    pub toml: String,
    pub filename: String,
    pub loaded_at: i64,
}

from_row!(Stored, r => Ok(Stored {
    practice_id: r.try_get("practice_id")?,
    toml: r.try_get("toml")?,
    filename: r.try_get("filename")?,
    loaded_at: r.try_get("loaded_at")?,
}));

/// The practice's latest table and the operator's latest, those there are.
pub async fn latest(db: &Db, scope: &PracticeScope) -> Result<Vec<Stored>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT practice_id, toml, filename, loaded_at FROM support_date_tables WHERE id IN \
         (SELECT MAX(id) FROM support_date_tables WHERE practice_id = $1 \
          UNION SELECT MAX(id) FROM support_date_tables WHERE practice_id IS NULL)")
        .bind(scope.practice_id()).fetch_all(p).await)
}

/// The text of the operator's latest table, if one was loaded.
pub async fn operators_latest(db: &Db) -> Result<Option<String>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT toml FROM support_date_tables WHERE practice_id IS NULL ORDER BY id DESC LIMIT 1")
        .fetch_optional(p).await)
}

/// Stores a table file (`updated` is the date it says it was checked).
pub async fn insert(
    tx: &mut Tx,
    owner: &For<'_>,
    updated: &str,
    filename: &str,
    text: &str,
    loaded_by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO support_date_tables (practice_id, updated, filename, toml, loaded_by, loaded_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(owner.practice_id()).bind(updated).bind(filename).bind(text).bind(loaded_by).bind(now)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The fingerprint of the table the practice's stored dates came from.
pub async fn fingerprint(db: &Db, scope: &PracticeScope) -> Result<Option<String>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT eol_fingerprint FROM resilience_state WHERE practice_id = $1")
        .bind(scope.practice_id()).fetch_optional(p).await)
}

pub async fn set_fingerprint(
    tx: &mut Tx,
    scope: &PracticeScope,
    fingerprint: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO resilience_state (practice_id, eol_fingerprint) VALUES ($1, $2) \
         ON CONFLICT (practice_id) DO UPDATE SET eol_fingerprint = excluded.eol_fingerprint")
        .bind(scope.practice_id()).bind(fingerprint).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
