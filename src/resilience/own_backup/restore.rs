//! `safetynet restore`: a backup file into an empty (or, with `--force`,
//! emptied) database of either kind, checked table by table.

use std::collections::{BTreeSet, HashMap};
use std::io::BufRead;
use std::path::Path;

use anyhow::{bail, Context};
use base64::Engine;
use serde_json::Value;
use sqlx::Row;

use super::{
    dependency_order, pg_kind, quote, sqlite_kind, Column, Kind, Summary, Table, FORMAT,
    MAX_PARAMS, VERSION,
};
use crate::db::{migrate, Db, Pool};
use crate::with_db;

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
