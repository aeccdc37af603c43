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

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use base64::Engine;
use futures_util::TryStreamExt;
use serde_json::{json, Value};
use sqlx::{Connection, Row};

use crate::db::{migrate, Backend, Db, Pool};
use crate::with_db;

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
    let _ = with_db!(db, p => sqlx::query(
        "INSERT INTO system_backups (at, file, table_count, row_count, bytes) VALUES ($1, $2, $3, $4, $5)")
        .bind(now).bind(path.display().to_string()).bind(summary.tables as i64).bind(summary.rows as i64)
        .bind(summary.bytes as i64).execute(p).await.map(|r| r.rows_affected()));
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

// ---------- restore ----------

struct Reader {
    lines: std::io::Lines<std::io::BufReader<std::fs::File>>,
    line_no: usize,
}

impl Reader {
    fn next(&mut self) -> anyhow::Result<Option<Value>> {
        match self.lines.next() {
            None => Ok(None),
            Some(line) => {
                self.line_no += 1;
                let line = line.context("reading the backup file")?;
                serde_json::from_str(&line).map(Some).with_context(|| {
                    format!(
                        "line {} of the backup file is not valid: the file may be damaged",
                        self.line_no
                    )
                })
            }
        }
    }
}

pub struct Header {
    pub backend: String,
    pub migrations: Vec<i64>,
    pub created_at: i64,
}

fn open(path: &Path) -> anyhow::Result<(Reader, Header)> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("opening the backup file {}", path.display()))?;
    let mut r = Reader {
        lines: std::io::BufReader::new(file).lines(),
        line_no: 0,
    };
    let head = r.next()?.unwrap_or(Value::Null);
    if head["format"] != FORMAT {
        bail!(
            "{} is not a Safety Net backup (made by `safetynet backup`)",
            path.display()
        );
    }
    if head["version"].as_i64() != Some(VERSION) {
        bail!("{} was made by a newer Safety Net (backup format {}); restore it with that version or newer", path.display(), head["version"]);
    }
    let migrations: Vec<i64> = head["migrations"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    Ok((
        r,
        Header {
            backend: head["backend"].as_str().unwrap_or("").to_string(),
            migrations,
            created_at: head["created_at"].as_i64().unwrap_or(0),
        },
    ))
}

/// A value from the file, bound as the target column's type.
enum Val {
    Null(Kind),
    I(i64),
    F(f64),
    B(bool),
    S(String),
    Bytes(Vec<u8>),
}

fn convert(v: &Value, c: &Column, table: &str) -> anyhow::Result<Val> {
    let wrong = || {
        anyhow::anyhow!(
            "the backup has an unexpected value for {table}.{}: {v}",
            c.name
        )
    };
    Ok(match (c.kind, v) {
        (k, Value::Null) => Val::Null(k),
        (_, Value::Object(o)) if o.contains_key("base64") => Val::Bytes(
            base64::engine::general_purpose::STANDARD
                .decode(o["base64"].as_str().unwrap_or(""))
                .map_err(|_| wrong())?,
        ),
        (Kind::Bool, Value::Bool(b)) => Val::B(*b),
        (Kind::Bool, Value::Number(n)) => Val::B(n.as_i64().ok_or_else(wrong)? != 0),
        (Kind::Int | Kind::Int4 | Kind::Int2, Value::Number(n)) => {
            Val::I(n.as_i64().ok_or_else(wrong)?)
        }
        (Kind::Int | Kind::Int4 | Kind::Int2, Value::Bool(b)) => Val::I(i64::from(*b)),
        (Kind::Real, Value::Number(n)) => Val::F(n.as_f64().ok_or_else(wrong)?),
        (Kind::Text | Kind::Other, Value::String(s)) => Val::S(s.clone()),
        (Kind::Text | Kind::Other, Value::Number(n)) => Val::S(n.to_string()),
        (Kind::Any, Value::String(s)) => Val::S(s.clone()),
        (Kind::Any, Value::Number(n)) if n.is_i64() => Val::I(n.as_i64().unwrap_or(0)),
        (Kind::Any, Value::Number(n)) => Val::F(n.as_f64().unwrap_or(0.0)),
        (Kind::Any, Value::Bool(b)) => Val::I(i64::from(*b)),
        _ => return Err(wrong()),
    })
}

/// What is in the target database now.
struct TargetState {
    tables: Vec<Table>,
    migrations: Vec<i64>,
    rows: u64,
    practices: i64,
}

async fn inspect(db: &Db) -> anyhow::Result<TargetState> {
    let (tables, migrations) = match db.pool() {
        Pool::Sqlite(p) => {
            let mut conn = p.acquire().await?;
            (introspect_sqlite!(&mut *conn), applied!(&mut *conn, false))
        }
        Pool::Postgres(p) => {
            let mut conn = p.acquire().await?;
            (introspect_pg!(&mut *conn), applied!(&mut *conn, true))
        }
    };
    let mut rows = 0u64;
    let mut practices = 0;
    for t in &tables {
        let sql = format!("SELECT COUNT(*) FROM {}", quote(&t.name));
        let (n,): (i64,) = with_db!(db, p => sqlx::query_as(&sql).fetch_one(p).await)?;
        rows += n as u64;
        if t.name == "practices" {
            practices = n;
        }
    }
    Ok(TargetState {
        tables,
        migrations,
        rows,
        practices,
    })
}

macro_rules! load_tables {
    ($conn:expr, $reader:expr, $tables:expr, $backend:ident) => {{
        let conn = $conn;
        let reader = &mut $reader;
        let tables = &$tables;
        let mut summary = Summary::default();
        let mut finished = false;
        while let Some(v) = reader.next()? {
            if v.get("end").is_some() {
                let rows = v["rows"].as_u64().unwrap_or(u64::MAX);
                if rows != summary.rows {
                    bail!("the backup file says it has {rows} rows but {} were read: it may be damaged", summary.rows);
                }
                finished = true;
                break;
            }
            let Some(name) = v["table"].as_str() else {
                bail!("line {} of the backup file was not expected here: the file may be damaged", reader.line_no);
            };
            let table = tables.get(name).ok_or_else(|| {
                anyhow::anyhow!("the backup has a table {name} that this database does not have")
            })?;
            let names: Vec<String> = v["columns"]
                .as_array()
                .map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            let columns: Vec<Column> = names
                .iter()
                .map(|n| {
                    table.columns.iter().find(|c| &c.name == n).cloned().ok_or_else(|| {
                        anyhow::anyhow!("the backup has a column {name}.{n} that this database does not have")
                    })
                })
                .collect::<anyhow::Result<_>>()?;
            let per_insert = (MAX_PARAMS / columns.len().max(1)).clamp(1, 1000);
            let mut batch: Vec<Vec<Val>> = Vec::with_capacity(per_insert);
            let mut n = 0u64;
            loop {
                let row = reader.next()?.ok_or_else(|| anyhow::anyhow!("the backup file ends in the middle of {name}: it is incomplete"))?;
                let end = match &row {
                    Value::Array(cells) => {
                        if cells.len() != columns.len() {
                            bail!("line {} of the backup file has {} values for {} columns", reader.line_no, cells.len(), columns.len());
                        }
                        batch.push(cells.iter().zip(&columns).map(|(v, c)| convert(v, c, name)).collect::<anyhow::Result<_>>()?);
                        n += 1;
                        false
                    }
                    Value::Object(o) if o.get("end_table").and_then(Value::as_str) == Some(name) => {
                        if o.get("rows").and_then(Value::as_u64) != Some(n) {
                            bail!("the backup file says {name} has {} rows but {n} were read: it may be damaged", o["rows"]);
                        }
                        true
                    }
                    _ => bail!("line {} of the backup file was not expected in {name}: the file may be damaged", reader.line_no),
                };
                if !batch.is_empty() && (end || batch.len() == per_insert) {
                    let mut qb = sqlx::QueryBuilder::<sqlx::$backend>::new(format!(
                        "INSERT INTO {} ({}) ",
                        quote(name),
                        columns.iter().map(|c| quote(&c.name)).collect::<Vec<_>>().join(", ")
                    ));
                    qb.push_values(batch.drain(..), |mut b, vals| {
                        for (val, c) in vals.into_iter().zip(&columns) {
                            let cast = stringify!($backend) == "Postgres" && c.kind == Kind::Other;
                            if cast {
                                b.push("CAST(");
                                match val {
                                    Val::Null(_) => b.push_bind_unseparated(None::<String>),
                                    Val::S(s) => b.push_bind_unseparated(s),
                                    Val::I(i) => b.push_bind_unseparated(i.to_string()),
                                    Val::F(f) => b.push_bind_unseparated(f.to_string()),
                                    Val::B(x) => b.push_bind_unseparated(x.to_string()),
                                    Val::Bytes(x) => b.push_bind_unseparated(String::from_utf8_lossy(&x).into_owned()),
                                };
                                b.push_unseparated(format!(" AS {})", quote(&c.type_name)));
                                continue;
                            }
                            match val {
                                Val::Null(Kind::Int | Kind::Int4 | Kind::Int2 | Kind::Any) => b.push_bind(None::<i64>),
                                Val::Null(Kind::Real) => b.push_bind(None::<f64>),
                                Val::Null(Kind::Bool) => b.push_bind(None::<bool>),
                                Val::Null(Kind::Bytes) => b.push_bind(None::<Vec<u8>>),
                                Val::Null(Kind::Text | Kind::Other) => b.push_bind(None::<String>),
                                Val::I(i) => b.push_bind(i),
                                Val::F(f) => b.push_bind(f),
                                Val::B(x) => b.push_bind(x),
                                Val::S(s) => b.push_bind(s),
                                Val::Bytes(x) => b.push_bind(x),
                            };
                        }
                    });
                    qb.build().execute(&mut *conn).await?;
                }
                if end {
                    break;
                }
            }
            summary.rows += n;
            summary.per_table.push((name.to_string(), n));
        }
        if !finished {
            bail!("the backup file is incomplete (it has no closing line): it may have been cut short while it was copied");
        }
        summary.tables = summary.per_table.len();
        summary
    }};
}

/// Restores a backup into the database at `url`. With `force`, whatever is
/// there is replaced; without it, the database must be empty.
pub async fn restore(url: &str, path: &Path, force: bool) -> anyhow::Result<Summary> {
    let (mut reader, header) = open(path)?;
    let known = migrate::versions();
    if let Some(v) = header.migrations.iter().find(|v| !known.contains(v)) {
        bail!(
            "the backup was made by a newer Safety Net (it has database change {v}, which this version does not know); restore it with that version or newer"
        );
    }
    let db = Db::connect_without_migrating(url).await?;
    let target = inspect(&db).await?;
    if target.rows > 0 && !force {
        bail!(
            "the database already has data in it ({} rows, {} practices). Restoring replaces everything there: run again with --force to do that, or restore into a new, empty database",
            target.rows,
            target.practices
        );
    }
    let same_schema = !target.migrations.is_empty()
        && target.migrations.iter().copied().collect::<BTreeSet<_>>()
            == header.migrations.iter().copied().collect::<BTreeSet<_>>();
    if same_schema {
        // Children first, so no row is left pointing at a removed one.
        for t in target.tables.iter().rev() {
            let sql = format!("DELETE FROM {}", quote(&t.name));
            with_db!(&db, p => sqlx::query(&sql).execute(p).await.map(|r| r.rows_affected()))?;
        }
    } else {
        for t in target.tables.iter().rev() {
            let sql = format!("DROP TABLE IF EXISTS {}", quote(&t.name));
            with_db!(&db, p => sqlx::query(&sql).execute(p).await.map(|r| r.rows_affected()))?;
        }
        with_db!(&db, p => sqlx::query("DROP TABLE IF EXISTS _sqlx_migrations").execute(p).await.map(|r| r.rows_affected()))?;
        migrate::run_only(&db, &header.migrations).await?;
    }
    let tables: HashMap<String, Table> = inspect(&db)
        .await?
        .tables
        .into_iter()
        .map(|t| (t.name.clone(), t))
        .collect();
    let summary = match db.pool() {
        Pool::Sqlite(p) => {
            let mut tx = p.begin().await?;
            sqlx::query("PRAGMA defer_foreign_keys = ON")
                .execute(&mut *tx)
                .await?;
            let s = load_tables!(&mut *tx, reader, tables, Sqlite);
            tx.commit().await?;
            s
        }
        Pool::Postgres(p) => {
            let mut tx = p.begin().await?;
            let s = load_tables!(&mut *tx, reader, tables, Postgres);
            for t in tables.values() {
                if let Some(col) = &t.identity {
                    let sql = format!(
                        "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX({c}), 1), MAX({c}) IS NOT NULL) FROM {t}",
                        c = quote(col),
                        t = quote(&t.name)
                    );
                    sqlx::query(&sql)
                        .bind(quote(&t.name))
                        .bind(col)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            s
        }
    };
    // Every table holds what the backup said it held.
    for (name, n) in &summary.per_table {
        let sql = format!("SELECT COUNT(*) FROM {}", quote(name));
        let (have,): (i64,) = with_db!(&db, p => sqlx::query_as(&sql).fetch_one(p).await)?;
        if have as u64 != *n {
            bail!("after restoring, {name} has {have} rows but the backup has {n}");
        }
    }
    db.migrate().await?;
    db.close().await;
    Ok(summary)
}

pub fn describe(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

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

    #[test]
    fn values_take_the_target_column_type() {
        let col = |kind| Column {
            name: "c".into(),
            kind,
            type_name: String::new(),
        };
        assert!(matches!(
            convert(&json!(1), &col(Kind::Bool), "t").unwrap(),
            Val::B(true)
        ));
        assert!(matches!(
            convert(&json!(false), &col(Kind::Int), "t").unwrap(),
            Val::I(0)
        ));
        assert!(matches!(
            convert(&Value::Null, &col(Kind::Text), "t").unwrap(),
            Val::Null(Kind::Text)
        ));
        assert!(
            matches!(convert(&json!({"base64": "AAE="}), &col(Kind::Bytes), "t").unwrap(), Val::Bytes(b) if b == [0, 1])
        );
        assert!(convert(&json!("x"), &col(Kind::Int), "t").is_err());
    }
}
