//! Where evidence packs are stored: `dspt_packs` (who asked, when, how far
//! the build has got, the lease of whoever builds it) and `dspt_pack_files`
//! (the PDF and the zip, read only to download).

use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::dspt::ids::PackId;
use crate::resilience::sql::{from_row, text_enum};
use crate::shared::PracticeId;
use crate::{with_db, with_tx};

text_enum! {
    /// Where a pack's build stands.
    pub enum PackStatus {
        Building = "building", "Being built";
        Ready = "ready", "Ready";
        Failed = "failed", "Could not be built";
    }
}

/// A pack as its pages show it.
#[derive(Debug, Clone)]
pub struct Pack {
    pub id: PackId,
    pub requested_by: String,
    pub requested_at: i64,
    pub status: PackStatus,
    pub step: i64,
    pub steps: i64,
    pub doing: String,
    pub toolkit: String,
    pub summary: String,
    pub finished_at: Option<i64>,
    pub pdf_bytes: i64,
    pub zip_bytes: i64,
}

from_row!(Pack, r => Ok(Pack {
    id: r.try_get("id")?,
    requested_by: r.try_get("requested_by")?,
    requested_at: r.try_get("requested_at")?,
    status: r.try_get("status")?,
    step: r.try_get("step")?,
    steps: r.try_get("steps")?,
    doing: r.try_get("doing")?,
    toolkit: r.try_get("toolkit")?,
    summary: r.try_get("summary")?,
    finished_at: r.try_get("finished_at")?,
    pdf_bytes: r.try_get("pdf_bytes")?,
    zip_bytes: r.try_get("zip_bytes")?,
}));

const COLUMNS: &str = "id, requested_by, requested_at, status, step, steps, doing, toolkit, summary, finished_at, pdf_bytes, zip_bytes";

/// Asks for a pack, held by its requester's node until `lease_until`.
pub async fn start(
    tx: &mut Tx,
    scope: &PracticeScope,
    steps: i64,
    now: i64,
    lease_until: i64,
) -> Result<PackId, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO dspt_packs (practice_id, requested_by, requested_at, status, steps, doing, lease_until) \
         VALUES ($1, $2, $3, $4, $5, 'Waiting to start', $6) RETURNING id")
        .bind(scope.practice_id()).bind(&scope.user().full_name).bind(now).bind(PackStatus::Building)
        .bind(steps).bind(lease_until).fetch_one(&mut *c).await)
}

/// The newest 50 packs of the practice, newest first.
pub async fn all(db: &Db, scope: &PracticeScope) -> Result<Vec<Pack>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM dspt_packs WHERE practice_id = $1 ORDER BY id DESC LIMIT 50"
    );
    with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)
}

pub async fn find(db: &Db, scope: &PracticeScope, id: PackId) -> Result<Option<Pack>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM dspt_packs WHERE id = $1 AND practice_id = $2");
    with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)
}

/// A pack of the practice being built by someone now, if any.
pub async fn building(
    db: &Db,
    scope: &PracticeScope,
    now: i64,
) -> Result<Option<PackId>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT id FROM dspt_packs WHERE practice_id = $1 AND status = $2 AND lease_until >= $3 ORDER BY id DESC LIMIT 1")
        .bind(scope.practice_id()).bind(PackStatus::Building).bind(now).fetch_optional(p).await)
}

/// Records how far the build has got and renews its lease; one statement
/// on its own, so any node can show the progress at once.
pub async fn progress(
    db: &Db,
    id: PackId,
    step: i64,
    doing: &str,
    lease_until: i64,
) -> Result<(), sqlx::Error> {
    with_db!(db, p => sqlx::query(
        "UPDATE dspt_packs SET step = $1, doing = $2, lease_until = $3 WHERE id = $4 AND status = $5")
        .bind(step).bind(doing).bind(lease_until).bind(id).bind(PackStatus::Building)
        .execute(p).await.map(|_| ()))
}

/// What a finished build stores.
pub struct Built<'a> {
    pub pdf: &'a [u8],
    pub zip: &'a [u8],
    pub toolkit: &'a str,
    pub summary: &'a str,
}

/// Stores the finished pack; false if it was no longer being built (another
/// node finished it first).
pub async fn finish(tx: &mut Tx, id: PackId, b: &Built<'_>, now: i64) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, c => sqlx::query(
        "UPDATE dspt_packs SET status = $1, step = steps, doing = '', toolkit = $2, summary = $3, finished_at = $4, \
                pdf_bytes = $5, zip_bytes = $6 WHERE id = $7 AND status = $8")
        .bind(PackStatus::Ready).bind(b.toolkit).bind(b.summary).bind(now).bind(b.pdf.len() as i64)
        .bind(b.zip.len() as i64).bind(id).bind(PackStatus::Building).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    if n != 1 {
        return Ok(false);
    }
    with_tx!(tx, c => sqlx::query("INSERT INTO dspt_pack_files (pack_id, pdf, zip) VALUES ($1, $2, $3)")
        .bind(id).bind(b.pdf).bind(b.zip).execute(&mut *c).await.map(|_| ()))?;
    Ok(true)
}

pub async fn fail(db: &Db, id: PackId, error: &str, now: i64) -> Result<(), sqlx::Error> {
    with_db!(db, p => sqlx::query(
        "UPDATE dspt_packs SET status = $1, error = $2, finished_at = $3 WHERE id = $4 AND status = $5")
        .bind(PackStatus::Failed).bind(error).bind(now).bind(id).bind(PackStatus::Building)
        .execute(p).await.map(|_| ()))
}

/// One of a ready pack's files ("pdf" or "zip").
pub async fn file(
    db: &Db,
    scope: &PracticeScope,
    id: PackId,
    which: File,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let sql = format!(
        "SELECT f.{} FROM dspt_pack_files f JOIN dspt_packs k ON k.id = f.pack_id WHERE f.pack_id = $1 AND k.practice_id = $2",
        which.column()
    );
    with_db!(db, p => sqlx::query_scalar(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)
}

#[derive(Debug, Clone, Copy)]
pub enum File {
    Pdf,
    Zip,
}

impl File {
    fn column(self) -> &'static str {
        match self {
            File::Pdf => "pdf",
            File::Zip => "zip",
        }
    }
}

/// A pack whose builder stopped (its lease ran out), claimed for this node
/// until `lease_until`: (pack, practice).
pub async fn claim_stale(
    db: &Db,
    now: i64,
    lease_until: i64,
) -> Result<Option<(PackId, PracticeId)>, sqlx::Error> {
    // The outer condition repeats the check, so two nodes cannot both claim it.
    with_db!(db, p => sqlx::query_as(
        "UPDATE dspt_packs SET lease_until = $1 \
         WHERE id = (SELECT id FROM dspt_packs WHERE status = $2 AND lease_until < $3 ORDER BY id LIMIT 1) \
           AND status = $2 AND lease_until < $3 RETURNING id, practice_id")
        .bind(lease_until).bind(PackStatus::Building).bind(now).fetch_optional(p).await)
}

/// The practice's name and ODS code, for the pack's first page (read from
/// people's `practices`).
pub async fn practice(
    db: &Db,
    scope: &PracticeScope,
) -> Result<(String, Option<String>), sqlx::Error> {
    with_db!(db, p => sqlx::query_as("SELECT name, ods_code FROM practices WHERE id = $1")
        .bind(scope.practice_id()).fetch_one(p).await)
}
