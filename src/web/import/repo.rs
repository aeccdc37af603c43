//! The stored imports: a file's rows kept (as JSON) between the preview and
//! the manager's choice, keyed by id and practice. Each kind of import has
//! its own table of the same shape, owned by its capability and named by
//! its [`CsvImport::TABLE`](super::CsvImport::TABLE) (`staff_imports`,
//! `asset_imports`); these statements are the only ones on them.

use crate::auth::PracticeScope;
use crate::db::row::{named_row, text_state};
use crate::db::{Db, Tx};
use crate::{with_db, with_tx};

/// Where a stored import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for the manager's choice.
    Preview,
    Imported,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Preview => "preview",
            Self::Imported => "imported",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn from_sql(s: &str) -> Option<Self> {
        [Self::Preview, Self::Imported, Self::Cancelled]
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

text_state!(Status);

/// A stored import as read back.
pub struct Stored {
    pub filename: String,
    pub rows_json: String,
    pub status: Status,
    /// Once imported: rows added and rows skipped.
    pub imported: Option<i64>,
    pub skipped: Option<i64>,
    pub finished_at: Option<i64>,
}
named_row!(Stored {
    filename,
    rows_json,
    status,
    imported,
    skipped,
    finished_at
});

/// Keeps a file's rows for the preview; returns the import's id.
pub async fn insert(
    tx: &mut Tx,
    table: &'static str,
    scope: &PracticeScope,
    filename: &str,
    rows_json: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let sql = format!(
        "INSERT INTO {table} (practice_id, created_by, created_at, filename, rows_json, status) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
    );
    with_tx!(tx, c => sqlx::query_scalar(&sql)
        .bind(scope.practice_id()).bind(scope.user().user_id).bind(now).bind(filename).bind(rows_json)
        .bind(Status::Preview).fetch_one(&mut *c).await)
}

/// The practice's import with this id (another practice's is None).
pub async fn find(
    db: &Db,
    table: &'static str,
    scope: &PracticeScope,
    id: i64,
) -> Result<Option<Stored>, sqlx::Error> {
    let sql = format!(
        "SELECT filename, rows_json, status, imported, skipped, finished_at FROM {table} WHERE id = $1 AND practice_id = $2"
    );
    with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)
}

/// How a previewed import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Imported { added: i64, skipped: i64 },
    Cancelled,
}

/// Ends a previewed import; false if it was no longer waiting (a second
/// confirmation, perhaps at the same moment, finds it finished).
pub async fn finish(
    tx: &mut Tx,
    table: &'static str,
    scope: &PracticeScope,
    id: i64,
    ending: Ending,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let (to, added, skipped) = match ending {
        Ending::Imported { added, skipped } => (Status::Imported, Some(added), Some(skipped)),
        Ending::Cancelled => (Status::Cancelled, None, None),
    };
    let sql = format!(
        "UPDATE {table} SET status = $1, imported = $2, skipped = $3, finished_at = $4 \
         WHERE id = $5 AND practice_id = $6 AND status = $7"
    );
    let n = with_tx!(tx, c => sqlx::query(&sql)
        .bind(to).bind(added).bind(skipped).bind(now).bind(id).bind(scope.practice_id())
        .bind(Status::Preview).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
