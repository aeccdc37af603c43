//! End-of-life detection: a table of the dates vendors stop security updates
//! for operating systems and software, each with its source.
//!
//! The table shipped in the binary is `content/resilience/support-dates.toml`
//! (format in `content/resilience/README.md`). A practice manager can load a
//! newer file for their practice (Resilience → Support dates), and an operator
//! for every practice (`safetynet support-dates load FILE`). Whichever table
//! was checked most recently (its `updated` date) is used, so a newer
//! Safety Net release with a fresher table takes over from an old upload.
//!
//! Each asset keeps the end date it was last given (`eol_on`) so the register
//! can count and filter in SQL; [`refresh`] works it out again for assets
//! whose operating system changed, or for all of them when the table in use
//! changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::{Date, Duration};

use super::rules::{iso, long_date, parse_iso};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::Db;
use crate::shared::{AppState, PracticeId};
use crate::web::{render, AppError, ClientIp, Page};
use crate::with_db;

pub const SHIPPED_TEXT: &str = include_str!("../../content/resilience/support-dates.toml");
/// A table file larger than this is not a support-dates table.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Support ending within this many days is flagged as ending soon.
pub const SOON_DAYS: i64 = 183;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductKind {
    Os,
    Software,
    Firmware,
}

impl ProductKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Os => "Operating system",
            Self::Software => "Software",
            Self::Firmware => "Firmware",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub name: String,
    pub kind: ProductKind,
    /// Lower-case fragments that must all appear, each as whole words and
    /// numbers (see [`contains_term`]).
    pub fragments: Vec<String>,
    pub ends: Date,
    pub note: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Shipped,
    Operator { filename: String, loaded_at: i64 },
    Practice { filename: String, loaded_at: i64 },
}

#[derive(Debug, Clone)]
pub struct SupportTable {
    pub updated: Date,
    pub products: Vec<Product>,
    pub origin: Origin,
    /// SHA-256 of the file text: which table an asset's date came from.
    pub fingerprint: String,
}

#[derive(Deserialize)]
struct RawTable {
    updated: Option<toml::Value>,
    #[serde(default)]
    products: Vec<RawProduct>,
}

#[derive(Deserialize)]
struct RawProduct {
    name: Option<String>,
    kind: Option<String>,
    #[serde(rename = "match")]
    fragments: Option<Vec<String>>,
    ends: Option<toml::Value>,
    note: Option<String>,
    source: Option<String>,
}

/// A TOML date (`2025-10-14`, bare or quoted).
fn toml_date(v: &toml::Value) -> Option<Date> {
    match v {
        toml::Value::String(s) => parse_iso(s),
        toml::Value::Datetime(d) => parse_iso(&d.to_string()),
        _ => None,
    }
}

fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether `term` appears in `text` as whole words and numbers: not inside a
/// longer word or a longer dotted version number. Matching digit runs inside
/// build numbers would make "office 2021" match Microsoft 365 Apps build
/// 16.0.17928.20216, and "windows 10" match Windows 11's kernel version
/// 10.0.22631. A term that is itself a dotted version ("20.04") still matches
/// a more precise one ("20.04.6").
pub fn contains_term(text: &str, term: &str) -> bool {
    if term.is_empty() {
        return false;
    }
    let dotted = term.contains('.');
    text.match_indices(term).any(|(start, _)| {
        let before = text[..start].chars().rev();
        let after = text[start + term.len()..].chars();
        edge_is_clear(before, false) && edge_is_clear(after, dotted)
    })
}

/// The characters beside a match, nearest first: clear when the match does
/// not continue a word or number.
fn edge_is_clear(mut beside: impl Iterator<Item = char>, allow_finer_version: bool) -> bool {
    match beside.next() {
        None => true,
        Some(c) if c.is_alphanumeric() => false,
        // "16.0.17928.2021…": a dot with a digit beyond it continues the number.
        Some('.') => allow_finer_version || !beside.next().is_some_and(|c| c.is_ascii_digit()),
        Some(_) => true,
    }
}

/// Reads a table file, or says what is wrong with it in words a practice
/// manager can pass on.
pub fn parse(text: &str) -> Result<SupportTable, String> {
    let raw: RawTable = toml::from_str(text).map_err(|e| {
        let msg = e.message().to_string();
        match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("The file is not a valid support-dates table: line {line}: {msg}")
            }
            None => format!("The file is not a valid support-dates table: {msg}"),
        }
    })?;
    let updated = raw.updated.as_ref().and_then(toml_date).ok_or(
        "The file must say when it was last checked, like: updated = \"2026-11-01\"".to_string(),
    )?;
    if raw.products.is_empty() {
        return Err("The file has no [[products]] in it.".into());
    }
    let mut products = Vec::with_capacity(raw.products.len());
    for (i, p) in raw.products.into_iter().enumerate() {
        let n = i + 1;
        let name = p.name.map(|s| s.trim().to_string()).unwrap_or_default();
        let which = if name.is_empty() {
            format!("Product {n}")
        } else {
            format!("Product {n} ({name})")
        };
        if name.is_empty() {
            return Err(format!("{which} has no name."));
        }
        let kind = match p.kind.as_deref().map(str::trim) {
            Some("os") => ProductKind::Os,
            Some("software") => ProductKind::Software,
            Some("firmware") => ProductKind::Firmware,
            _ => {
                return Err(format!(
                    "{which}: kind must be \"os\", \"software\" or \"firmware\"."
                ))
            }
        };
        let fragments: Vec<String> = p
            .fragments
            .unwrap_or_default()
            .iter()
            .map(|f| normalise(f))
            .filter(|f| !f.is_empty())
            .collect();
        if fragments.is_empty() {
            return Err(format!(
                "{which}: match must list at least one piece of text, like match = [\"windows 10\"]."
            ));
        }
        let ends = p.ends.as_ref().and_then(toml_date).ok_or(format!(
            "{which}: ends must be a date, like ends = \"2025-10-14\"."
        ))?;
        let source = p.source.map(|s| s.trim().to_string()).unwrap_or_default();
        if !source.starts_with("https://") {
            return Err(format!(
                "{which}: source must be the vendor's web page, starting with https://."
            ));
        }
        products.push(Product {
            name,
            kind,
            fragments,
            ends,
            note: p.note.map(|s| s.trim().to_string()).unwrap_or_default(),
            source,
        });
    }
    Ok(SupportTable {
        updated,
        products,
        origin: Origin::Shipped,
        fingerprint: hex::encode(Sha256::digest(text.as_bytes())),
    })
}

/// The table built into this copy of Safety Net.
pub fn shipped() -> Arc<SupportTable> {
    static SHIPPED: OnceLock<Arc<SupportTable>> = OnceLock::new();
    SHIPPED
        .get_or_init(|| {
            Arc::new(
                parse(SHIPPED_TEXT).expect("the shipped support-dates table is checked by tests"),
            )
        })
        .clone()
}

impl SupportTable {
    /// The first product (most specific first, as the file orders them) whose
    /// every fragment is in the asset's operating system and version — or,
    /// for software, its name and version.
    pub fn find(&self, software: bool, name: &str, os: &str) -> Option<&Product> {
        let text = if software {
            normalise(&format!("{name} {os}"))
        } else {
            normalise(os)
        };
        if text.is_empty() {
            return None;
        }
        self.products.iter().find(|p| {
            (p.kind == ProductKind::Software) == software
                && p.fragments.iter().all(|f| contains_term(&text, f))
        })
    }

    pub fn product(&self, name: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.name == name)
    }

    pub fn describe_origin(&self) -> String {
        match &self.origin {
            Origin::Shipped => "Shipped with Safety Net".into(),
            Origin::Operator {
                filename,
                loaded_at,
            } => format!(
                "Loaded by your Safety Net operator from {filename} on {}",
                crate::ukclock::format(*loaded_at)
            ),
            Origin::Practice {
                filename,
                loaded_at,
            } => format!(
                "Loaded by your practice from {filename} on {}",
                crate::ukclock::format(*loaded_at)
            ),
        }
    }

    pub fn updated_label(&self) -> String {
        long_date(self.updated)
    }
}

/// Where an asset's end-of-life date stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EolStatus {
    Unknown,
    Supported { until: Date },
    EndingSoon { until: Date, days_left: i64 },
    Unsupported { since: Date },
}

impl EolStatus {
    pub fn tag_class(&self) -> &'static str {
        match self {
            Self::Unknown => "nhsuk-tag--grey",
            Self::Supported { .. } => "nhsuk-tag--green",
            Self::EndingSoon { .. } => "nhsuk-tag--yellow",
            Self::Unsupported { .. } => "nhsuk-tag--red",
        }
    }
    pub fn tag(&self) -> &'static str {
        match self {
            Self::Unknown => "Support date not known",
            Self::Supported { .. } => "Supported",
            Self::EndingSoon { .. } => "Support ending soon",
            Self::Unsupported { .. } => "Unsupported",
        }
    }
    pub fn explain(&self) -> String {
        match self {
            Self::Unknown => "Not in the support-dates table: enter the date yourself if you know it".into(),
            Self::Supported { until } => format!("Security updates until {}", long_date(*until)),
            Self::EndingSoon { until, days_left } => format!(
                "Security updates end {} (in {}): plan to replace or upgrade it",
                long_date(*until),
                super::rules::days(*days_left)
            ),
            Self::Unsupported { since } => format!(
                "No security updates since {}: replace or upgrade it, or agree the risk with your SIRO",
                long_date(*since)
            ),
        }
    }
    pub fn is_unsupported(&self) -> bool {
        matches!(self, Self::Unsupported { .. })
    }
}

/// Support "ends" on the last day of updates: unsupported from the next day.
pub fn eol_status(eol_on: Option<Date>, today: Date) -> EolStatus {
    match eol_on {
        None => EolStatus::Unknown,
        Some(until) if today > until => EolStatus::Unsupported { since: until },
        Some(until) if (until - today).whole_days() <= SOON_DAYS => EolStatus::EndingSoon {
            until,
            days_left: (until - today).whole_days(),
        },
        Some(until) => EolStatus::Supported { until },
    }
}

/// The first day an asset with this end date counts as unsupported, for SQL
/// (`eol_on < today`).
pub fn unsupported_if_before(today: Date) -> String {
    iso(today)
}

pub fn ending_soon_before(today: Date) -> String {
    iso(today + Duration::days(SOON_DAYS + 1))
}

// ---------- the table in use ----------

fn cached(text: &str, origin: Origin) -> Option<Arc<SupportTable>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<SupportTable>>>> = OnceLock::new();
    let key = hex::encode(Sha256::digest(text.as_bytes()));
    let cache = CACHE.get_or_init(Default::default);
    {
        let map = cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = map.get(&key) {
            if t.origin == origin {
                return Some(t.clone());
            }
        }
    }
    match parse(text) {
        Ok(mut t) => {
            t.origin = origin;
            let t = Arc::new(t);
            let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
            if map.len() > 1000 {
                map.clear();
            }
            map.insert(key, t.clone());
            Some(t)
        }
        Err(e) => {
            tracing::error!(error = %e, "a stored support-dates table no longer reads");
            None
        }
    }
}

/// The table a practice uses: the most recently checked of the shipped
/// table, the operator's latest and the practice's latest.
pub async fn effective(db: &Db, practice_id: PracticeId) -> Result<Arc<SupportTable>, sqlx::Error> {
    let rows: Vec<(Option<i64>, String, String, i64)> = with_db!(db, p => sqlx::query_as(
        "SELECT practice_id, toml, filename, loaded_at FROM support_date_tables WHERE id IN \
         (SELECT MAX(id) FROM support_date_tables WHERE practice_id = $1 \
          UNION SELECT MAX(id) FROM support_date_tables WHERE practice_id IS NULL)")
        .bind(practice_id).fetch_all(p).await)?;
    let mut best = shipped();
    // Operator before practice, so a practice's table wins a tie.
    let mut loaded: Vec<Arc<SupportTable>> = rows
        .into_iter()
        .filter_map(|(pid, text, filename, loaded_at)| {
            let origin = match pid {
                Some(_) => Origin::Practice {
                    filename,
                    loaded_at,
                },
                None => Origin::Operator {
                    filename,
                    loaded_at,
                },
            };
            cached(&text, origin)
        })
        .collect();
    loaded.sort_by_key(|t| matches!(t.origin, Origin::Practice { .. }));
    for t in loaded {
        if t.updated >= best.updated {
            best = t;
        }
    }
    Ok(best)
}

/// The end date for an asset and where it came from: the date the practice
/// typed, or the table's.
pub fn work_out(
    table: &SupportTable,
    software: bool,
    name: &str,
    os: &str,
    typed: Option<&str>,
) -> (Option<String>, String) {
    if let Some(d) = typed.and_then(parse_iso) {
        return (Some(iso(d)), "typed".into());
    }
    match table.find(software, name, os) {
        Some(p) => (Some(iso(p.ends)), p.name.clone()),
        None => (None, String::new()),
    }
}

/// Brings the practice's stored end-of-life dates up to date with the table
/// in use: every asset when the table changed, otherwise those marked stale.
pub async fn refresh(db: &Db, practice_id: PracticeId) -> Result<Arc<SupportTable>, sqlx::Error> {
    let table = effective(db, practice_id).await?;
    let stored: Option<(String,)> = with_db!(db, p => sqlx::query_as(
        "SELECT eol_fingerprint FROM resilience_state WHERE practice_id = $1")
        .bind(practice_id).fetch_optional(p).await)?;
    let all = stored.map(|s| s.0) != Some(table.fingerprint.clone());
    let sql = if all {
        "SELECT id, kind, name, os, supported_until FROM assets WHERE practice_id = $1"
    } else {
        "SELECT id, kind, name, os, supported_until FROM assets WHERE practice_id = $1 AND eol_stale"
    };
    let rows: Vec<(i64, String, String, String, Option<String>)> =
        with_db!(db, p => sqlx::query_as(sql).bind(practice_id).fetch_all(p).await)?;
    if rows.is_empty() && !all {
        return Ok(table);
    }
    // One UPDATE per distinct (operating system, typed date) rather than per
    // asset: a practice's devices share a handful of operating systems.
    let mut groups: HashMap<(bool, String, String, String), Vec<i64>> = HashMap::new();
    for (id, kind, name, os, typed) in &rows {
        let software = kind == "software";
        let key_name = if software {
            name.clone()
        } else {
            String::new()
        };
        groups
            .entry((
                software,
                key_name,
                os.clone(),
                typed.clone().unwrap_or_default(),
            ))
            .or_default()
            .push(*id);
    }
    with_db!(db, p => {
        let mut tx = p.begin().await?;
        for ((software, name, os, typed), ids) in &groups {
            let (eol_on, source) = work_out(&table, *software, name, os, Some(typed.as_str()).filter(|t| !t.is_empty()));
            for chunk in ids.chunks(500) {
                // Only if nothing changed meanwhile; a newer change stays stale for next time.
                let mut qb = sqlx::QueryBuilder::new("UPDATE assets SET eol_on = ");
                qb.push_bind(eol_on.clone()).push(", eol_source = ").push_bind(source.clone())
                    .push(", eol_stale = FALSE WHERE practice_id = ").push_bind(practice_id)
                    .push(" AND os = ").push_bind(os.clone())
                    .push(" AND COALESCE(supported_until, '') = ").push_bind(typed.clone());
                if *software {
                    qb.push(" AND name = ").push_bind(name.clone());
                }
                qb.push(" AND id IN (");
                let mut list = qb.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                qb.push(")");
                qb.build().execute(&mut *tx).await?;
            }
        }
        if all {
            sqlx::query("INSERT INTO resilience_state (practice_id, eol_fingerprint) VALUES ($1, $2) \
                         ON CONFLICT (practice_id) DO UPDATE SET eol_fingerprint = excluded.eol_fingerprint")
                .bind(practice_id).bind(&table.fingerprint).execute(&mut *tx).await?;
        }
        tx.commit().await?;
    });
    Ok(table)
}

/// Stores a table for a practice, or (with `None`) for every practice.
/// Refuses a table older than the one in use, which would never be used.
pub async fn load(
    db: &Db,
    practice_id: Option<PracticeId>,
    filename: &str,
    text: &str,
    loaded_by: &str,
    now: i64,
) -> Result<Result<SupportTable, String>, sqlx::Error> {
    if text.len() > MAX_FILE_BYTES {
        return Ok(Err(
            "The file is larger than 1 MB, so it is not a support-dates table.".into(),
        ));
    }
    let table = match parse(text) {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let current = match practice_id {
        Some(pid) => effective(db, pid).await?,
        None => {
            let rows: Vec<(String,)> = with_db!(db, p => sqlx::query_as(
                "SELECT toml FROM support_date_tables WHERE practice_id IS NULL ORDER BY id DESC LIMIT 1")
                .fetch_all(p).await)?;
            let mut best = shipped();
            if let Some(t) = rows.first().and_then(|r| parse(&r.0).ok()) {
                if t.updated >= best.updated {
                    best = Arc::new(t);
                }
            }
            best
        }
    };
    if table.updated < current.updated {
        return Ok(Err(format!(
            "This table was last checked on {}, before the one already in use ({}), so it would never be used. Nothing was loaded.",
            long_date(table.updated),
            long_date(current.updated)
        )));
    }
    with_db!(db, p => sqlx::query(
        "INSERT INTO support_date_tables (practice_id, updated, filename, toml, loaded_by, loaded_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(practice_id).bind(iso(table.updated)).bind(filename).bind(text).bind(loaded_by).bind(now)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(Ok(table))
}

// ---------- the page ----------

pub struct ProductRow {
    pub name: String,
    pub kind: &'static str,
    pub ends: String,
    pub ended: bool,
    pub note: String,
    pub source: String,
}

#[derive(Template)]
#[template(path = "resilience/support_dates.html")]
struct SupportDatesPage {
    page: Page,
    origin: String,
    updated: String,
    products: Vec<ProductRow>,
    manager: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

async fn page_for(
    state: &AppState,
    scope: &PracticeScope,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Html<String>, AppError> {
    let table = effective(&state.db, scope.practice_id()).await?;
    let today = super::rules::uk_date(state.clock.now());
    render(SupportDatesPage {
        page: Page::for_user("Support dates", scope.user()).with_notice(notice),
        origin: table.describe_origin(),
        updated: table.updated_label(),
        products: table
            .products
            .iter()
            .map(|p| ProductRow {
                name: p.name.clone(),
                kind: p.kind.label(),
                ends: long_date(p.ends),
                ended: p.ends < today,
                note: p.note.clone(),
                source: p.source.clone(),
            })
            .collect(),
        manager: scope.role() == crate::auth::Role::Manager,
        error,
    })
}

pub async fn page(
    State(state): State<AppState>,
    scope: super::ViewScope,
    Query(q): Query<Done>,
) -> Result<Html<String>, AppError> {
    let notice = (q.done == "loaded").then(|| "The new support-dates table is in use.".to_string());
    page_for(&state, &scope, None, notice).await
}

pub async fn upload(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (filename, bytes) = match crate::web::upload::read_upload(
        multipart,
        "file",
        MAX_FILE_BYTES,
        "support-dates.toml",
    )
    .await?
    {
        Ok(f) => f,
        Err(problem) => {
            return Ok(page_for(&state, &scope, Some(problem), None)
                .await?
                .into_response())
        }
    };
    let text = crate::web::import::csv::decode(&bytes);
    let now = state.clock.now();
    match load(
        &state.db,
        Some(scope.practice_id()),
        &filename,
        &text,
        &scope.user().email,
        now,
    )
    .await?
    {
        Err(problem) => Ok(page_for(&state, &scope, Some(problem), None)
            .await?
            .into_response()),
        Ok(table) => {
            audit::record_alone(
                &state.db,
                Some(scope.practice_id()),
                &Actor::user(scope.user(), &ip),
                Action::SupportDatesLoaded,
                &format!(
                    "loaded a support-dates table checked on {} ({} products) from {filename}",
                    long_date(table.updated),
                    table.products.len()
                ),
                now,
            )
            .await?;
            refresh(&state.db, scope.practice_id()).await?;
            Ok(Redirect::to("/resilience/support-dates?done=loaded").into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const FIXTURE: &str = r#"
updated = "2026-11-01"

[[products]]
name = "Windows 11 23H2"
kind = "os"
match = ["windows 11", "23h2"]
ends = "2026-11-10"
source = "https://learn.microsoft.com/lifecycle/products/windows-11-home-and-pro"

[[products]]
name = "Windows 11"
kind = "os"
match = ["windows 11"]
ends = 2031-10-14
source = "https://learn.microsoft.com/lifecycle/products/windows-11-home-and-pro"

[[products]]
name = "Office 2016"
kind = "software"
match = ["office", "2016"]
ends = "2025-10-14"
note = "Includes Outlook 2016."
source = "https://learn.microsoft.com/lifecycle/products/microsoft-office-2016"
"#;

    #[test]
    fn reads_the_format_and_matches_most_specific_first() {
        let t = parse(FIXTURE).unwrap();
        assert_eq!(t.updated, date!(2026 - 11 - 01));
        assert_eq!(t.products.len(), 3);
        assert_eq!(
            t.find(false, "RECEPTION-PC1", "Windows 11 Pro  23H2")
                .unwrap()
                .name,
            "Windows 11 23H2"
        );
        assert_eq!(
            t.find(false, "x", "Windows 11 Pro 24H2").unwrap().ends,
            date!(2031 - 10 - 14)
        );
        // Software matches on its name and version, and only software does.
        assert_eq!(
            t.find(true, "Microsoft Office", "2016").unwrap().note,
            "Includes Outlook 2016."
        );
        assert!(t.find(false, "Microsoft Office", "2016").is_none());
        assert!(t.find(false, "x", "").is_none());
        assert!(t.find(false, "x", "macOS 15").is_none());
    }

    #[test]
    fn problems_are_explained() {
        assert!(parse("updated = \"2026-11-01\"\n[[products]\n")
            .unwrap_err()
            .contains("line 2"));
        assert!(parse("[[products]]\nname = \"X\"")
            .unwrap_err()
            .contains("when it was last checked"));
        assert!(parse("updated = \"2026-11-01\"")
            .unwrap_err()
            .contains("no [[products]]"));
        let bad = |extra: &str| {
            parse(&format!(
                "updated = \"2026-11-01\"\n[[products]]\nname = \"Thing\"\n{extra}"
            ))
            .unwrap_err()
        };
        assert!(bad("kind = \"car\"").contains("Product 1 (Thing): kind must be"));
        assert!(bad("kind = \"os\"\nmatch = []").contains("match must list"));
        assert!(bad("kind = \"os\"\nmatch = [\"thing\"]\nends = \"soon\"")
            .contains("ends must be a date"));
        assert!(bad(
            "kind = \"os\"\nmatch = [\"thing\"]\nends = \"2026-01-01\"\nsource = \"http://x\""
        )
        .contains("starting with https://"));
    }

    #[test]
    fn the_shipped_table_reads_and_knows_windows_10_and_server_2012_r2() {
        let t = shipped();
        assert!(!t.products.is_empty());
        let w10 = t.find(false, "PC", "Windows 10 Pro 22H2").unwrap();
        assert_eq!(w10.ends, date!(2025 - 10 - 14));
        assert!(w10.source.starts_with("https://learn.microsoft.com/"));
        let server = t
            .find(false, "SRV", "Microsoft Windows Server 2012 R2 Standard")
            .unwrap();
        assert_eq!(server.ends, date!(2023 - 10 - 10));
        for p in &t.products {
            assert!(p.source.starts_with("https://"), "{} has a source", p.name);
        }
    }

    /// Real Microsoft 365 Apps builds (Microsoft's "Update history for
    /// Microsoft 365 Apps (listed by date)",
    /// https://learn.microsoft.com/en-us/officeupdates/update-history-microsoft365-apps-by-date)
    /// whose digits contain an Office year: none of them is a one-off Office.
    #[test]
    fn microsoft_365_build_numbers_are_not_office_years() {
        let t = shipped();
        for (build, year_inside) in [
            ("16.0.17928.20216", "2021"), // Version 2408, Monthly Enterprise, 8 Oct 2024
            ("16.0.17126.20216", "2021"), // Version 2312, Monthly Enterprise, 12 Mar 2024
            ("16.0.17328.20162", "2016"), // Version 2402, Current Channel, 4 Mar 2024
            ("16.0.17531.20190", "2019"), // Version 2404, Monthly Enterprise, 11 Jun 2024
            ("16.0.18025.20242", "2024"), // Version 2409, Monthly Enterprise, 10 Dec 2024
        ] {
            assert!(
                build.contains(year_inside),
                "{build} is a test of {year_inside}"
            );
            for name in [
                "Microsoft Office",
                "Microsoft 365 Apps for enterprise",
                "Office 365 ProPlus",
            ] {
                assert_eq!(
                    t.find(true, name, build).map(|p| p.name.as_str()),
                    None,
                    "{name} {build} is Microsoft 365, updated continuously"
                );
            }
        }
        // The one-off versions are still recognised by name, with or without a build.
        let office = |name: &str, version: &str| t.find(true, name, version).map(|p| p.ends);
        assert_eq!(
            office("Microsoft Office Professional Plus 2021", "16.0"),
            Some(date!(2026 - 10 - 13))
        );
        assert_eq!(
            office("Microsoft Office LTSC Standard 2021", ""),
            Some(date!(2026 - 10 - 13))
        );
        assert_eq!(
            office("Microsoft Office 2013", "15.0"),
            Some(date!(2023 - 04 - 11))
        );
        assert_eq!(
            office("Microsoft Office 2010", "14.0"),
            Some(date!(2020 - 10 - 13))
        );
        assert_eq!(
            office("Microsoft SQL Server 2016", "13.0"),
            Some(date!(2026 - 07 - 14))
        );
        assert_eq!(
            office("Microsoft SQL Server 2014 Express", ""),
            Some(date!(2024 - 07 - 09))
        );
    }

    #[test]
    fn older_systems_a_practice_may_still_run_are_known() {
        let t = shipped();
        let os = |text: &str| t.find(false, "PC", text).map(|p| p.ends);
        assert_eq!(
            os("Windows 7 Professional SP1"),
            Some(date!(2020 - 01 - 14))
        );
        assert_eq!(os("Windows 8.1 Pro"), Some(date!(2023 - 01 - 10)));
        assert_eq!(
            os("Windows Server 2008 R2 Standard"),
            Some(date!(2020 - 01 - 14))
        );
        assert_eq!(
            os("Windows Server 2012 R2 Datacenter"),
            Some(date!(2023 - 10 - 10))
        );
        // Whole words and numbers only: Windows 11 reports kernel version 10.0.x,
        // and "windows 10" is not Windows 100.
        assert_eq!(os("Windows 10.0.22631"), None);
        assert_eq!(os("Windows 100"), None);
        assert_eq!(os("Windows 10 Pro 22H2"), Some(date!(2025 - 10 - 14)));
        // A dotted version still matches a more precise one.
        assert_eq!(os("Ubuntu 20.04.6 LTS"), Some(date!(2025 - 05 - 29)));
    }

    #[test]
    fn terms_match_whole_words_and_numbers() {
        assert!(contains_term("microsoft office 2021", "2021"));
        assert!(contains_term("office 2016.", "2016"));
        assert!(contains_term("office (2019)", "2019"));
        assert!(!contains_term("16.0.17928.20216", "2021"));
        assert!(!contains_term("16.0.2021.100", "2021"));
        assert!(!contains_term("office2021", "2021"));
        assert!(!contains_term("windows 8.1", "windows 8"));
        assert!(contains_term("ubuntu 20.04.6", "20.04"));
        assert!(!contains_term("anything", ""));
    }

    #[test]
    fn end_of_life_status_at_fixed_dates() {
        let ends = Some(date!(2025 - 10 - 14));
        assert_eq!(
            eol_status(ends, date!(2025 - 10 - 14)),
            EolStatus::EndingSoon {
                until: date!(2025 - 10 - 14),
                days_left: 0
            }
        );
        assert_eq!(
            eol_status(ends, date!(2025 - 10 - 15)),
            EolStatus::Unsupported {
                since: date!(2025 - 10 - 14)
            }
        );
        assert!(matches!(
            eol_status(ends, date!(2024 - 01 - 01)),
            EolStatus::Supported { .. }
        ));
        assert_eq!(eol_status(None, date!(2026 - 11 - 23)), EolStatus::Unknown);
        // The SQL bounds agree: unsupported when eol_on < today.
        assert!(iso(date!(2025 - 10 - 14)) < unsupported_if_before(date!(2025 - 10 - 15)));
        assert!(iso(date!(2025 - 10 - 14)) >= unsupported_if_before(date!(2025 - 10 - 14)));
    }

    #[test]
    fn a_typed_date_wins_over_the_table() {
        let t = parse(FIXTURE).unwrap();
        assert_eq!(
            work_out(&t, false, "PC", "Windows 11 Pro 24H2", Some("2027-01-01")),
            (Some("2027-01-01".into()), "typed".into())
        );
        assert_eq!(
            work_out(&t, false, "PC", "Windows 11 Pro 24H2", None),
            (Some("2031-10-14".into()), "Windows 11".into())
        );
        assert_eq!(
            work_out(&t, false, "PC", "Linux Mint 22", None),
            (None, String::new())
        );
    }
}
