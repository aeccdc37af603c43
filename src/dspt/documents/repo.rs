//! Where evidence documents are stored: `dspt_documents` (what and until
//! when), `dspt_document_files` (the file, read only to download or pack),
//! `dspt_document_items` (the items each covers) and
//! `dspt_document_practices` (the practices each covers: the uploading
//! practice, or every practice an operator chose).

use std::collections::HashMap;

use super::domain::{DocKind, Document};
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::dspt::ids::DocumentId;
use crate::resilience::dates::iso;
use crate::resilience::sql::from_row;
use crate::shared::PracticeId;
use crate::{with_db, with_tx};

/// A checked document to store.
pub struct NewDocument<'a> {
    pub title: &'a str,
    pub file_name: &'a str,
    pub kind: DocKind,
    pub sha256: &'a str,
    pub data: &'a [u8],
    pub expires_on: time::Date,
    pub items: &'a [String],
    pub uploaded_by: &'a str,
}

/// Stores a document for `practices`, uploaded by `owner` (a practice, or
/// None for an operator). All of it or none, in the caller's transaction.
pub async fn insert(
    tx: &mut Tx,
    owner: Option<PracticeId>,
    d: &NewDocument<'_>,
    practices: &[PracticeId],
    now: i64,
) -> Result<DocumentId, sqlx::Error> {
    let id: DocumentId = with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO dspt_documents (practice_id, title, file_name, kind, size_bytes, sha256, expires_on, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(owner).bind(d.title).bind(d.file_name).bind(d.kind).bind(d.data.len() as i64).bind(d.sha256)
        .bind(iso(d.expires_on)).bind(d.uploaded_by).bind(now).fetch_one(&mut *c).await)?;
    with_tx!(tx, c => {
        sqlx::query("INSERT INTO dspt_document_files (document_id, data) VALUES ($1, $2)")
            .bind(id).bind(d.data).execute(&mut *c).await?;
        for item in d.items {
            sqlx::query("INSERT INTO dspt_document_items (document_id, item_id) VALUES ($1, $2)")
                .bind(id).bind(item).execute(&mut *c).await?;
        }
        for chunk in practices.chunks(500) {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO dspt_document_practices (document_id, practice_id) ");
            qb.push_values(chunk, |mut b, p| {
                b.push_bind(id).push_bind(*p);
            });
            qb.build().execute(&mut *c).await?;
        }
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(id)
}

struct ItemRow {
    document_id: DocumentId,
    item_id: String,
}

from_row!(ItemRow, r => Ok(ItemRow { document_id: r.try_get("document_id")?, item_id: r.try_get("item_id")? }));

fn with_items(mut docs: Vec<Document>, rows: Vec<ItemRow>) -> Vec<Document> {
    let mut by_doc: HashMap<DocumentId, Vec<String>> = HashMap::new();
    for r in rows {
        by_doc.entry(r.document_id).or_default().push(r.item_id);
    }
    for d in &mut docs {
        d.items = by_doc.remove(&d.id).unwrap_or_default();
        d.items
            .sort_by(|a, b| crate::dspt::toolkit::item_order(a, b));
    }
    docs
}

/// The documents covering the practice (its own and the ICB's), not
/// withdrawn, newest first, with their items.
pub async fn for_practice(db: &Db, scope: &PracticeScope) -> Result<Vec<Document>, sqlx::Error> {
    let docs: Vec<Document> = with_db!(db, p => sqlx::query_as(
        "SELECT d.id, d.title, d.file_name, d.kind, d.size_bytes, d.expires_on, d.uploaded_by, d.uploaded_at, \
                (d.practice_id IS NULL) AS from_operator, CAST(1 AS BIGINT) AS practices \
         FROM dspt_documents d JOIN dspt_document_practices dp ON dp.document_id = d.id AND dp.practice_id = $1 \
         WHERE d.withdrawn_at IS NULL ORDER BY d.uploaded_at DESC, d.id DESC")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    let items: Vec<ItemRow> = with_db!(db, p => sqlx::query_as(
        "SELECT di.document_id, di.item_id FROM dspt_document_items di \
         JOIN dspt_document_practices dp ON dp.document_id = di.document_id AND dp.practice_id = $1 \
         JOIN dspt_documents d ON d.id = di.document_id AND d.withdrawn_at IS NULL")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(with_items(docs, items))
}

/// A document's file: (name, kind, bytes).
pub struct File {
    pub file_name: String,
    pub kind: DocKind,
    pub data: Vec<u8>,
}

/// The file of a document covering the practice, if there is one.
pub async fn file_for_practice(
    db: &Db,
    scope: &PracticeScope,
    id: DocumentId,
) -> Result<Option<File>, sqlx::Error> {
    let meta: Option<(String, DocKind)> = with_db!(db, p => sqlx::query_as(
        "SELECT d.file_name, d.kind FROM dspt_documents d JOIN dspt_document_practices dp ON dp.document_id = d.id AND dp.practice_id = $2 \
         WHERE d.id = $1 AND d.withdrawn_at IS NULL")
        .bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    read_file(db, id, meta).await
}

async fn read_file(
    db: &Db,
    id: DocumentId,
    meta: Option<(String, DocKind)>,
) -> Result<Option<File>, sqlx::Error> {
    let Some((file_name, kind)) = meta else {
        return Ok(None);
    };
    let data: Vec<u8> = with_db!(db, p => sqlx::query_scalar("SELECT data FROM dspt_document_files WHERE document_id = $1")
        .bind(id).fetch_one(p).await)?;
    Ok(Some(File {
        file_name,
        kind,
        data,
    }))
}

/// Withdraws one of the practice's own documents (not the ICB's); false if
/// it has no such document.
pub async fn withdraw(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: DocumentId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, c => sqlx::query(
        "UPDATE dspt_documents SET withdrawn_at = $1 WHERE id = $2 AND practice_id = $3 AND withdrawn_at IS NULL")
        .bind(now).bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

// ---------- operators' documents ----------

/// Documents operators uploaded, not withdrawn, newest first.
pub async fn operator_documents(db: &Db) -> Result<Vec<Document>, sqlx::Error> {
    let docs: Vec<Document> = with_db!(db, p => sqlx::query_as(
        "SELECT d.id, d.title, d.file_name, d.kind, d.size_bytes, d.expires_on, d.uploaded_by, d.uploaded_at, \
                (d.practice_id IS NULL) AS from_operator, \
                (SELECT COUNT(*) FROM dspt_document_practices dp WHERE dp.document_id = d.id) AS practices \
         FROM dspt_documents d WHERE d.practice_id IS NULL AND d.withdrawn_at IS NULL ORDER BY d.uploaded_at DESC, d.id DESC")
        .fetch_all(p).await)?;
    let items: Vec<ItemRow> = with_db!(db, p => sqlx::query_as(
        "SELECT di.document_id, di.item_id FROM dspt_document_items di \
         JOIN dspt_documents d ON d.id = di.document_id AND d.practice_id IS NULL AND d.withdrawn_at IS NULL")
        .fetch_all(p).await)?;
    Ok(with_items(docs, items))
}

pub async fn operator_file(db: &Db, id: DocumentId) -> Result<Option<File>, sqlx::Error> {
    let meta: Option<(String, DocKind)> = with_db!(db, p => sqlx::query_as(
        "SELECT file_name, kind FROM dspt_documents WHERE id = $1 AND practice_id IS NULL AND withdrawn_at IS NULL")
        .bind(id).fetch_optional(p).await)?;
    read_file(db, id, meta).await
}

/// Withdraws an operator's document from every practice; false if there is none.
pub async fn withdraw_operator(tx: &mut Tx, id: DocumentId, now: i64) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, c => sqlx::query(
        "UPDATE dspt_documents SET withdrawn_at = $1 WHERE id = $2 AND practice_id IS NULL AND withdrawn_at IS NULL")
        .bind(now).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Every practice, by name: (id, name), for the operator's upload form.
pub async fn practices(db: &Db) -> Result<Vec<(PracticeId, String)>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as("SELECT id, name FROM practices ORDER BY name, id")
        .fetch_all(p).await)
}
