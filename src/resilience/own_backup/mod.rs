//! `safetynet backup` and `safetynet restore`: Safety Net's own database.
//!
//! The backup is a portable export of every table, made through sqlx inside
//! one read-only snapshot (SQLite: one read transaction, which in WAL mode sees
//! a single moment while writers carry on; PostgreSQL: a REPEATABLE READ, READ
//! ONLY transaction). So it is consistent while Safety Net runs, needs no
//! `pg_dump` or `sqlite3` on the machine, and the same file restores into
//! either database (which is also how a practice moves from SQLite to
//! PostgreSQL).
//!
//! Format: JSON Lines. A header (format, version, the database's applied
//! migrations), then each table in dependency order — `{"table":…,"columns":[…]}`,
//! one JSON array per row, `{"end_table":…,"rows":N}` — and a closing
//! `{"end":true,…}` line, so a cut-short file is noticed. Byte values are
//! `{"base64":"…"}`.
//!
//! Restore refuses a database that has data unless told `--force`. It brings
//! an empty database to the backup's migrations, loads every table in one
//! transaction, checks every table's row count, and then applies any newer
//! migrations, so a backup from an older Safety Net restores into a newer one.
//!
//! - this file: the format, and reading a database's tables and migrations;
//! - `write`: `safetynet backup`;
//! - `restore`: `safetynet restore`.
//!
//! It reads and writes every table of every capability, by design: its SQL
//! is built from the database's own catalogue, not from any capability's.

use std::collections::BTreeSet;

use crate::db::Backend;

pub const FORMAT: &str = "safetynet-backup";
pub const VERSION: i64 = 1;
/// Values per INSERT, under both databases' limits on bound parameters.
const MAX_PARAMS: usize = 30_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Int4,
    Int2,
    Real,
    Bool,
    Text,
    Bytes,
    /// PostgreSQL types without a Rust counterpart here: read as text, cast back.
    Other,
    /// SQLite columns with no declared type: whatever each value is.
    Any,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
    /// The PostgreSQL type name, for casting `Other` values.
    pub type_name: String,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub parents: Vec<String>,
    /// A PostgreSQL identity column whose sequence must follow the restored ids.
    pub identity: Option<String>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub tables: usize,
    pub rows: u64,
    pub per_table: Vec<(String, u64)>,
    pub bytes: u64,
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn sqlite_kind(declared: &str) -> Kind {
    let t = declared.to_uppercase();
    if t.contains("BOOL") {
        Kind::Bool
    } else if t.contains("INT") {
        Kind::Int
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        Kind::Text
    } else if t.contains("BLOB") {
        Kind::Bytes
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        Kind::Real
    } else {
        Kind::Any
    }
}

fn pg_kind(data_type: &str) -> Kind {
    match data_type {
        "bigint" => Kind::Int,
        "integer" => Kind::Int4,
        "smallint" => Kind::Int2,
        "boolean" => Kind::Bool,
        "text" | "character varying" | "character" => Kind::Text,
        "double precision" => Kind::Real,
        "bytea" => Kind::Bytes,
        _ => Kind::Other,
    }
}

/// Parents before children; tables in a cycle (none today) keep name order at the end.
fn dependency_order(mut tables: Vec<Table>) -> Vec<Table> {
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(tables.len());
    while !tables.is_empty() {
        let ready = tables.iter().position(|t| {
            t.parents
                .iter()
                .all(|p| p == &t.name || done.contains(p) || !tables.iter().any(|o| &o.name == p))
        });
        let t = tables.remove(ready.unwrap_or(0));
        done.insert(t.name.clone());
        out.push(t);
    }
    out
}

macro_rules! introspect_sqlite {
    ($conn:expr) => {{
        let conn = $conn;
        let names: Vec<(String,)> = sqlx::query_as(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
             AND name NOT LIKE '\\_sqlx%' ESCAPE '\\' ORDER BY name",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut tables = Vec::new();
        for (name,) in names {
            let cols = sqlx::query(&format!("PRAGMA table_info({})", quote(&name)))
                .fetch_all(&mut *conn)
                .await?;
            let columns = cols
                .iter()
                .map(|r| {
                    let declared: String = r.try_get(2)?;
                    Ok(Column {
                        name: r.try_get(1)?,
                        kind: sqlite_kind(&declared),
                        type_name: declared,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?;
            let fks = sqlx::query(&format!("PRAGMA foreign_key_list({})", quote(&name)))
                .fetch_all(&mut *conn)
                .await?;
            let parents = fks
                .iter()
                .map(|r| r.try_get::<String, _>(2))
                .collect::<Result<Vec<_>, sqlx::Error>>()?;
            tables.push(Table {
                name,
                columns,
                parents,
                identity: None,
            });
        }
        dependency_order(tables)
    }};
}

macro_rules! introspect_pg {
    ($conn:expr) => {{
        let conn = $conn;
        let names: Vec<(String,)> = sqlx::query_as(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_type = 'BASE TABLE' AND table_name::text NOT LIKE '\\_sqlx%' ORDER BY 1",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut tables = Vec::new();
        for (name,) in names {
            let cols: Vec<(String, String, String, String)> = sqlx::query_as(
                "SELECT column_name::text, data_type::text, udt_name::text, is_identity::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(&name)
            .fetch_all(&mut *conn)
            .await?;
            let identity = cols.iter().find(|c| c.3 == "YES").map(|c| c.0.clone());
            let columns = cols
                .into_iter()
                .map(|(name, data_type, udt, _)| Column {
                    kind: pg_kind(&data_type),
                    type_name: udt,
                    name,
                })
                .collect();
            let parents: Vec<(String,)> = sqlx::query_as(
                "SELECT DISTINCT ref.relname::text FROM pg_constraint c \
                 JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class ref ON ref.oid = c.confrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace \
                 WHERE c.contype = 'f' AND t.relname = $1 AND n.nspname = current_schema()",
            )
            .bind(&name)
            .fetch_all(&mut *conn)
            .await?;
            tables.push(Table {
                name,
                columns,
                parents: parents.into_iter().map(|p| p.0).collect(),
                identity,
            });
        }
        dependency_order(tables)
    }};
}

/// Migration versions applied to a database (none if it has never been migrated).
macro_rules! applied {
    ($conn:expr, $pg:expr) => {{
        let conn = $conn;
        let exists = if $pg {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
        } else {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        };
        let (n,): (i64,) = sqlx::query_as(exists).fetch_one(&mut *conn).await?;
        if n == 0 {
            Vec::new()
        } else {
            let rows: Vec<(i64,)> =
                sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
                    .fetch_all(&mut *conn)
                    .await?;
            rows.into_iter().map(|r| r.0).collect::<Vec<i64>>()
        }
    }};
}

pub fn describe(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

mod restore;
mod write;

pub use restore::{restore, Header};
pub use write::backup;

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, parents: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: Vec::new(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            identity: None,
        }
    }

    #[test]
    fn parents_come_before_children() {
        let order: Vec<String> = dependency_order(vec![
            t("staff", &["practices", "departments"]),
            t("departments", &["practices"]),
            t("practices", &[]),
            t("users", &["staff", "practices"]),
            t("tree", &["tree"]),
        ])
        .into_iter()
        .map(|t| t.name)
        .collect();
        assert_eq!(
            order,
            ["practices", "departments", "staff", "tree", "users"]
        );
    }
}
