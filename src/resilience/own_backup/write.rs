//! `safetynet backup`: every table, inside one read-only snapshot, to a
//! JSON Lines file (see the module's opening for the format).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine;
use futures_util::TryStreamExt;
use serde_json::{json, Value};
use sqlx::{Connection, Row};

use super::{
    dependency_order, pg_kind, quote, sqlite_kind, Column, Kind, Summary, Table, FORMAT, VERSION,
};
use crate::db::{Db, Pool};
use crate::resilience::backups::repo::record_own_backup;

fn b64(bytes: &[u8]) -> Value {
    json!({ "base64": base64::engine::general_purpose::STANDARD.encode(bytes) })
}

fn sqlite_value(row: &sqlx::sqlite::SqliteRow, i: usize) -> Result<Value, sqlx::Error> {
    use sqlx::{TypeInfo, ValueRef};
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let storage = raw.type_info().name().to_string();
    Ok(match storage.as_str() {
        "INTEGER" => json!(row.try_get_unchecked::<i64, _>(i)?),
        "REAL" => serde_json::Number::from_f64(row.try_get_unchecked::<f64, _>(i)?)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        "BLOB" => b64(&row.try_get_unchecked::<Vec<u8>, _>(i)?),
        _ => Value::String(row.try_get_unchecked::<String, _>(i)?),
    })
}

fn pg_value(row: &sqlx::postgres::PgRow, i: usize, kind: Kind) -> Result<Value, sqlx::Error> {
    Ok(match kind {
        Kind::Int => row
            .try_get::<Option<i64>, _>(i)?
            .map_or(Value::Null, |v| json!(v)),
        Kind::Int4 => row
            .try_get::<Option<i32>, _>(i)?
            .map_or(Value::Null, |v| json!(v)),
        Kind::Int2 => row
            .try_get::<Option<i16>, _>(i)?
            .map_or(Value::Null, |v| json!(v)),
        Kind::Bool => row
            .try_get::<Option<bool>, _>(i)?
            .map_or(Value::Null, |v| json!(v)),
        Kind::Real => row
            .try_get::<Option<f64>, _>(i)?
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Kind::Bytes => row
            .try_get::<Option<Vec<u8>>, _>(i)?
            .map_or(Value::Null, |v| b64(&v)),
        Kind::Text | Kind::Other | Kind::Any => row
            .try_get::<Option<String>, _>(i)?
            .map_or(Value::Null, Value::String),
    })
}

fn select_sql(t: &Table, pg: bool) -> String {
    let cols: Vec<String> = t
        .columns
        .iter()
        .map(|c| {
            if pg && c.kind == Kind::Other {
                format!("{}::text", quote(&c.name))
            } else {
                quote(&c.name)
            }
        })
        .collect();
    // A stable order, so two backups of the same data are the same file.
    let order = if pg {
        (1..=t.columns.len().min(3))
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        "rowid".to_string()
    };
    format!(
        "SELECT {} FROM {} ORDER BY {order}",
        cols.join(", "),
        quote(&t.name)
    )
}

struct Out {
    file: BufWriter<std::fs::File>,
    bytes: u64,
}

impl Out {
    fn line(&mut self, v: &Value) -> anyhow::Result<()> {
        let s = serde_json::to_string(v)?;
        self.file.write_all(s.as_bytes())?;
        self.file.write_all(b"\n")?;
        self.bytes += s.len() as u64 + 1;
        Ok(())
    }
}

/// Writes a consistent backup of the whole database to `path` (first to
/// `path.partial`, renamed once complete).
pub async fn backup(db: &Db, path: &Path, now: i64) -> anyhow::Result<Summary> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the folder {}", dir.display()))?;
    }
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    let mut out = Out {
        file: BufWriter::new(file),
        bytes: 0,
    };
    let mut summary = Summary::default();
    match db.pool() {
        Pool::Sqlite(pool) => {
            let mut conn = pool.acquire().await?;
            let mut tx = conn.begin().await?;
            let tables = introspect_sqlite!(&mut *tx);
            let migrations = applied!(&mut *tx, false);
            write_header(&mut out, "sqlite", &migrations, now)?;
            for t in &tables {
                out.line(&json!({ "table": t.name, "columns": t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>() }))?;
                let mut n = 0u64;
                let sql = select_sql(t, false);
                let mut rows = sqlx::query(&sql).fetch(&mut *tx);
                while let Some(row) = rows.try_next().await? {
                    let vals = (0..t.columns.len())
                        .map(|i| sqlite_value(&row, i))
                        .collect::<Result<Vec<_>, _>>()?;
                    out.line(&Value::Array(vals))?;
                    n += 1;
                }
                drop(rows);
                out.line(&json!({ "end_table": t.name, "rows": n }))?;
                summary.rows += n;
                summary.per_table.push((t.name.clone(), n));
            }
            tx.rollback().await?;
        }
        Pool::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *conn)
                .await?;
            let result: anyhow::Result<()> = async {
                let tables = introspect_pg!(&mut *conn);
                let migrations = applied!(&mut *conn, true);
                write_header(&mut out, "postgres", &migrations, now)?;
                for t in &tables {
                    out.line(&json!({ "table": t.name, "columns": t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>() }))?;
                    let mut n = 0u64;
                    let sql = select_sql(t, true);
                    let mut rows = sqlx::query(&sql).fetch(&mut *conn);
                    while let Some(row) = rows.try_next().await? {
                        let vals = t
                            .columns
                            .iter()
                            .enumerate()
                            .map(|(i, c)| pg_value(&row, i, c.kind))
                            .collect::<Result<Vec<_>, _>>()?;
                        out.line(&Value::Array(vals))?;
                        n += 1;
                    }
                    drop(rows);
                    out.line(&json!({ "end_table": t.name, "rows": n }))?;
                    summary.rows += n;
                    summary.per_table.push((t.name.clone(), n));
                }
                Ok(())
            }
            .await;
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            result?;
        }
    }
    summary.tables = summary.per_table.len();
    out.line(&json!({ "end": true, "tables": summary.tables, "rows": summary.rows }))?;
    summary.bytes = out.bytes;
    let file = out.file.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&partial, path)
        .with_context(|| format!("renaming {} to {}", partial.display(), path.display()))?;
    // Shown on the practices' backup pages; an older schema without the table just skips it.
    if let Ok(mut tx) = db.begin().await {
        if record_own_backup(&mut tx, now, &path.display().to_string(), &summary)
            .await
            .is_ok()
        {
            let _ = tx.commit().await;
        }
    }
    Ok(summary)
}

fn write_header(out: &mut Out, backend: &str, migrations: &[i64], now: i64) -> anyhow::Result<()> {
    out.line(&json!({
        "format": FORMAT,
        "version": VERSION,
        "app_version": env!("CARGO_PKG_VERSION"),
        "backend": backend,
        "created_at": now,
        "migrations": migrations,
    }))
}
