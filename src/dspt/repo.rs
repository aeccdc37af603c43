//! Where the DSPT's own choices and figures are stored: toolkit files an
//! operator loaded (`dspt_toolkits`), the practice's choices per item
//! (`dspt_items`) and each practice's readiness figures (`dspt_readiness`).
//! Documents, the administrator register and packs have their own repos.

use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::resilience::sql::from_row;
use crate::shared::PracticeId;
use crate::{with_db, with_tx};

use super::status::Counts;

// ---------- toolkit files ----------

/// The newest toolkit file an operator loaded, without its text.
pub struct LoadedToolkit {
    pub id: i64,
    pub fingerprint: String,
}

from_row!(LoadedToolkit, r => Ok(LoadedToolkit { id: r.try_get("id")?, fingerprint: r.try_get("fingerprint")? }));

pub async fn newest_loaded(db: &Db) -> Result<Option<LoadedToolkit>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, fingerprint FROM dspt_toolkits ORDER BY published DESC, id DESC LIMIT 1")
        .fetch_optional(p).await)
}

pub async fn toolkit_text(db: &Db, id: i64) -> Result<Option<String>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar("SELECT toml FROM dspt_toolkits WHERE id = $1")
        .bind(id).fetch_optional(p).await)
}

pub async fn toolkit_loaded(tx: &mut Tx, fingerprint: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = with_tx!(tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM dspt_toolkits WHERE fingerprint = $1")
        .bind(fingerprint).fetch_one(&mut *c).await)?;
    Ok(n > 0)
}

pub struct NewToolkit<'a> {
    pub year: &'a str,
    pub version: &'a str,
    pub published: &'a str,
    pub fingerprint: &'a str,
    pub file_name: &'a str,
    pub toml: &'a str,
    pub loaded_by: &'a str,
}

pub async fn insert_toolkit(tx: &mut Tx, t: &NewToolkit<'_>, now: i64) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO dspt_toolkits (year, version, published, fingerprint, file_name, toml, loaded_by, loaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(t.year).bind(t.version).bind(t.published).bind(t.fingerprint).bind(t.file_name)
        .bind(t.toml).bind(t.loaded_by).bind(now).execute(&mut *c).await.map(|_| ()))
}

// ---------- the practice's choices per item ----------

/// Who is responsible for an item, and the reason it does not apply if the manager said so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemChoice {
    pub item_id: String,
    pub responsible: String,
    pub not_applicable: Option<String>,
    pub updated_by: String,
    pub updated_at: i64,
}

from_row!(ItemChoice, r => Ok(ItemChoice {
    item_id: r.try_get("item_id")?,
    responsible: r.try_get("responsible")?,
    not_applicable: r.try_get("not_applicable")?,
    updated_by: r.try_get("updated_by")?,
    updated_at: r.try_get("updated_at")?,
}));

pub async fn choices(db: &Db, scope: &PracticeScope) -> Result<Vec<ItemChoice>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT item_id, responsible, not_applicable, updated_by, updated_at FROM dspt_items WHERE practice_id = $1")
        .bind(scope.practice_id()).fetch_all(p).await)
}

/// Sets who is responsible for an item and whether it applies, by the scope's user.
pub async fn save_choice(
    tx: &mut Tx,
    scope: &PracticeScope,
    item_id: &str,
    responsible: &str,
    not_applicable: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO dspt_items (practice_id, item_id, responsible, not_applicable, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (practice_id, item_id) DO UPDATE SET responsible = excluded.responsible, \
           not_applicable = excluded.not_applicable, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
        .bind(scope.practice_id()).bind(item_id).bind(responsible).bind(not_applicable)
        .bind(&scope.user().full_name).bind(now).execute(&mut *c).await.map(|_| ()))
}

// ---------- readiness figures ----------

/// A practice's figures as the operator's list shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub practice_id: PracticeId,
    pub toolkit: String,
    pub ready: i64,
    pub out_of_date: i64,
    pub missing: i64,
    pub not_applicable: i64,
    pub mandatory_missing: i64,
    pub mandatory_items: String,
    pub worked_out_at: i64,
}

from_row!(Readiness, r => Ok(Readiness {
    practice_id: r.try_get("practice_id")?,
    toolkit: r.try_get("toolkit")?,
    ready: r.try_get("ready")?,
    out_of_date: r.try_get("out_of_date")?,
    missing: r.try_get("missing")?,
    not_applicable: r.try_get("not_applicable")?,
    mandatory_missing: r.try_get("mandatory_missing")?,
    mandatory_items: r.try_get("mandatory_items")?,
    worked_out_at: r.try_get("worked_out_at")?,
}));

/// Stores the practice's figures; one statement with nothing beside it, so
/// it runs outside a `Tx` (a page view records it on the way).
pub async fn save_readiness(
    db: &Db,
    practice_id: PracticeId,
    toolkit: &str,
    c: &Counts,
    now: i64,
) -> Result<(), sqlx::Error> {
    let items = c.mandatory_not_ready.join(", ");
    with_db!(db, p => sqlx::query(
        "INSERT INTO dspt_readiness (practice_id, toolkit, ready, out_of_date, missing, not_applicable, mandatory_missing, mandatory_items, worked_out_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (practice_id) DO UPDATE SET toolkit = excluded.toolkit, ready = excluded.ready, out_of_date = excluded.out_of_date, \
           missing = excluded.missing, not_applicable = excluded.not_applicable, mandatory_missing = excluded.mandatory_missing, \
           mandatory_items = excluded.mandatory_items, worked_out_at = excluded.worked_out_at")
        .bind(practice_id).bind(toolkit).bind(c.ready).bind(c.out_of_date).bind(c.missing).bind(c.not_applicable)
        .bind(c.mandatory_not_ready.len() as i64).bind(&items).bind(now)
        .execute(p).await.map(|_| ()))
}

/// Every practice's figures, for operators.
pub async fn all_readiness(db: &Db) -> Result<Vec<Readiness>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT practice_id, toolkit, ready, out_of_date, missing, not_applicable, mandatory_missing, mandatory_items, worked_out_at \
         FROM dspt_readiness")
        .fetch_all(p).await)
}

/// Practices whose figures are older than `before` (or missing), oldest first.
pub async fn stale_practices(
    db: &Db,
    before: i64,
    limit: i64,
) -> Result<Vec<PracticeId>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT pr.id FROM practices pr LEFT JOIN dspt_readiness r ON r.practice_id = pr.id \
         WHERE r.worked_out_at IS NULL OR r.worked_out_at < $1 ORDER BY COALESCE(r.worked_out_at, 0), pr.id LIMIT $2")
        .bind(before).bind(limit).fetch_all(p).await)
}
