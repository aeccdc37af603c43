//! The asset register (DSPT 7.1.1): the practice's devices and software, who
//! manages each, whether its disk is encrypted, when support ends and when it
//! last installed updates. Pages by (name, id) through an index, so a large
//! register costs the same per page as a small one.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::Date;

use super::rules::{self, long_date, PatchStatus};
use super::support_dates::{self, EolStatus};
use super::ViewScope;
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::Db;
use crate::shared::{AppState, FieldError, PracticeId};
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};
use crate::with_db;

pub const PER_PAGE: i64 = 50;

// ---------- kinds of value ----------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetKind {
    Desktop,
    Laptop,
    Server,
    Tablet,
    Phone,
    Network,
    Printer,
    Software,
    Other,
}

impl AssetKind {
    pub const ALL: [AssetKind; 9] = [
        Self::Desktop,
        Self::Laptop,
        Self::Server,
        Self::Tablet,
        Self::Phone,
        Self::Network,
        Self::Printer,
        Self::Software,
        Self::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desktop => "desktop",
            Self::Laptop => "laptop",
            Self::Server => "server",
            Self::Tablet => "tablet",
            Self::Phone => "phone",
            Self::Network => "network",
            Self::Printer => "printer",
            Self::Software => "software",
            Self::Other => "other",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Desktop => "Desktop computer",
            Self::Laptop => "Laptop",
            Self::Server => "Server",
            Self::Tablet => "Tablet",
            Self::Phone => "Mobile phone",
            Self::Network => "Network device (router, firewall, Wi-Fi)",
            Self::Printer => "Printer or scanner",
            Self::Software => "Software",
            Self::Other => "Other device",
        }
    }
    pub fn from_db(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or(Self::Other)
    }
    /// What people write in a spreadsheet's "Type" column.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let key: String = raw
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        let kind = match key.as_str() {
            "desktop" | "desktopcomputer" | "pc" | "computer" | "workstation" | "desktoppc"
            | "thinclient" | "allinone" => Self::Desktop,
            "laptop" | "notebook" | "laptopcomputer" => Self::Laptop,
            "server" => Self::Server,
            "tablet" | "ipad" => Self::Tablet,
            "phone" | "mobile" | "mobilephone" | "smartphone" | "iphone" => Self::Phone,
            "network" | "networkdevice" | "router" | "firewall" | "switch" | "wifi"
            | "accesspoint" => Self::Network,
            "printer" | "scanner" | "printerorscanner" | "mfd" => Self::Printer,
            "software" | "application" | "app" | "program" => Self::Software,
            "other" | "otherdevice" => Self::Other,
            "" => {
                return Err(FieldError::new(
                    "kind",
                    "Choose the type: desktop, laptop, server, tablet, phone, network, printer, software or other",
                ))
            }
            _ => {
                return Err(FieldError::new(
                    "kind",
                    format!(
                        "\"{}\" is not a type Safety Net knows: use desktop, laptop, server, tablet, phone, network, printer, software or other",
                        raw.trim().chars().take(40).collect::<String>()
                    ),
                ))
            }
        };
        Ok(kind)
    }
    pub fn is_software(self) -> bool {
        self == Self::Software
    }
    /// Devices that can run the check-in script.
    pub fn is_computer(self) -> bool {
        matches!(self, Self::Desktop | Self::Laptop | Self::Server)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encryption {
    Yes,
    No,
    Unknown,
    NotApplicable,
}

impl Encryption {
    pub const ALL: [Encryption; 4] = [Self::Yes, Self::No, Self::Unknown, Self::NotApplicable];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Unknown => "unknown",
            Self::NotApplicable => "not_applicable",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Yes => "Encrypted",
            Self::No => "Not encrypted",
            Self::Unknown => "Not known",
            Self::NotApplicable => "Does not apply",
        }
    }
    pub fn from_db(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or(Self::Unknown)
    }
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let key = raw.trim().to_lowercase();
        Ok(match key.as_str() {
            "" | "unknown" | "not known" | "?" | "don't know" | "dont know" => Self::Unknown,
            "yes" | "y" | "true" | "encrypted" | "on" | "bitlocker" | "filevault" => Self::Yes,
            "no" | "n" | "false" | "not encrypted" | "off" => Self::No,
            "n/a" | "na" | "not applicable" | "does not apply" | "not_applicable" => {
                Self::NotApplicable
            }
            _ => {
                return Err(FieldError::new(
                    "encryption",
                    "Disk encryption must be yes, no, unknown or n/a",
                ))
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagedBy {
    Practice,
    Icb,
    Supplier,
    Unknown,
}

impl ManagedBy {
    pub const ALL: [ManagedBy; 4] = [Self::Practice, Self::Icb, Self::Supplier, Self::Unknown];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Practice => "practice",
            Self::Icb => "icb",
            Self::Supplier => "supplier",
            Self::Unknown => "unknown",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Practice => "The practice",
            Self::Icb => "ICB GP IT",
            Self::Supplier => "A supplier",
            Self::Unknown => "Not known",
        }
    }
    pub fn from_db(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or(Self::Unknown)
    }
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let key: String = raw
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        Ok(match key.as_str() {
            "" | "unknown" | "notknown" => Self::Unknown,
            "practice" | "thepractice" | "us" | "inhouse" | "self" => Self::Practice,
            "icb" | "icbgpit" | "gpit" | "icbit" | "csu" | "ccg" => Self::Icb,
            "supplier" | "asupplier" | "thirdparty" | "vendor" | "contractor" => Self::Supplier,
            _ => {
                return Err(FieldError::new(
                    "managed_by",
                    "Who manages it must be practice, ICB (GP IT), supplier or unknown",
                ))
            }
        })
    }
}

/// Serial numbers that BIOS makers leave in place of a real one.
pub fn normal_serial(raw: &str) -> Option<String> {
    let s = raw.trim().to_uppercase();
    let junk = [
        "",
        "0",
        "NONE",
        "N/A",
        "NA",
        "DEFAULT STRING",
        "TO BE FILLED BY O.E.M.",
        "SYSTEM SERIAL NUMBER",
        "123456789",
        "0123456789",
        "NOT SPECIFIED",
        "UNKNOWN",
    ];
    (!junk.contains(&s.as_str()) && s.chars().all(|c| !c.is_control()) && s.len() <= 100)
        .then_some(s)
}

pub fn normal_hostname(raw: &str) -> Option<String> {
    let s = raw.trim().trim_end_matches('.').to_lowercase();
    (!s.is_empty() && s.len() <= 255 && !s.contains(char::is_whitespace)).then_some(s)
}

// ---------- storage ----------

#[derive(Debug, Clone)]
pub struct Asset {
    pub id: i64,
    pub kind: AssetKind,
    pub name: String,
    pub hostname: Option<String>,
    pub serial: Option<String>,
    pub make_model: String,
    pub os: String,
    pub os_build: String,
    pub owner: String,
    pub location: String,
    pub encryption: Encryption,
    pub managed_by: ManagedBy,
    pub supported_until: Option<String>,
    pub eol_on: Option<String>,
    pub eol_source: String,
    pub last_updated_at: Option<i64>,
    pub last_checkin_at: Option<i64>,
    pub notes: String,
    pub added_by: String,
    pub active: bool,
    pub retired_on: Option<String>,
}

pub const COLUMNS: &str = "id, kind, name, hostname, serial, make_model, os, os_build, owner, location, encryption, \
     managed_by, supported_until, eol_on, eol_source, last_updated_at, last_checkin_at, notes, added_by, active, retired_on";

macro_rules! asset_from_row {
    ($r:expr) => {{
        use sqlx::Row;
        let r = $r;
        Asset {
            id: r.try_get(0)?,
            kind: AssetKind::from_db(&r.try_get::<String, _>(1)?),
            name: r.try_get(2)?,
            hostname: r.try_get(3)?,
            serial: r.try_get(4)?,
            make_model: r.try_get(5)?,
            os: r.try_get(6)?,
            os_build: r.try_get(7)?,
            owner: r.try_get(8)?,
            location: r.try_get(9)?,
            encryption: Encryption::from_db(&r.try_get::<String, _>(10)?),
            managed_by: ManagedBy::from_db(&r.try_get::<String, _>(11)?),
            supported_until: r.try_get(12)?,
            eol_on: r.try_get(13)?,
            eol_source: r.try_get(14)?,
            last_updated_at: r.try_get(15)?,
            last_checkin_at: r.try_get(16)?,
            notes: r.try_get(17)?,
            added_by: r.try_get(18)?,
            active: r.try_get(19)?,
            retired_on: r.try_get(20)?,
        }
    }};
}

/// Runs a query for assets with the given binds (all i64 or String).
pub enum Bind {
    I(i64),
    B(bool),
    S(String),
}

pub async fn query_assets(db: &Db, sql: &str, binds: &[Bind]) -> Result<Vec<Asset>, sqlx::Error> {
    with_db!(db, p => {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = match b {
                Bind::I(i) => q.bind(*i),
                Bind::B(b) => q.bind(*b),
                Bind::S(s) => q.bind(s.clone()),
            };
        }
        let rows = q.fetch_all(p).await?;
        rows.iter().map(|r| Ok(asset_from_row!(r))).collect()
    })
}

pub async fn find(db: &Db, scope: &PracticeScope, id: i64) -> Result<Option<Asset>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM assets WHERE id = $1 AND practice_id = $2");
    Ok(
        query_assets(db, &sql, &[Bind::I(id), Bind::I(scope.practice_id().get())])
            .await?
            .pop(),
    )
}

// ---------- what the register shows ----------

pub struct Counts {
    pub total: i64,
    pub unsupported: i64,
    pub ending_soon: i64,
    pub overdue: i64,
    pub unknown_updates: i64,
    pub unencrypted: i64,
}

/// The register's figures, counted in SQL with the same rules as each row.
pub async fn counts(db: &Db, scope: &PracticeScope, now: i64) -> Result<Counts, sqlx::Error> {
    support_dates::refresh(db, scope.practice_id()).await?;
    let today = rules::uk_date(now);
    let row: (i64, i64, i64, i64, i64, i64) = with_db!(db, p => sqlx::query_as(
        "SELECT COUNT(*), \
                COALESCE(SUM(CASE WHEN eol_on < $2 THEN 1 ELSE 0 END), 0), \
                COALESCE(SUM(CASE WHEN eol_on >= $2 AND eol_on < $3 THEN 1 ELSE 0 END), 0), \
                COALESCE(SUM(CASE WHEN last_updated_at < $4 THEN 1 ELSE 0 END), 0), \
                COALESCE(SUM(CASE WHEN last_updated_at IS NULL THEN 1 ELSE 0 END), 0), \
                COALESCE(SUM(CASE WHEN encryption = 'no' THEN 1 ELSE 0 END), 0) \
         FROM assets WHERE practice_id = $1 AND active")
        .bind(scope.practice_id())
        .bind(support_dates::unsupported_if_before(today))
        .bind(support_dates::ending_soon_before(today))
        .bind(rules::overdue_before(now))
        .fetch_one(p).await)?;
    Ok(Counts {
        total: row.0,
        unsupported: row.1,
        ending_soon: row.2,
        overdue: row.3,
        unknown_updates: row.4,
        unencrypted: row.5,
    })
}

/// Needs attention: unsupported, updates overdue or never recorded, or not encrypted.
const ATTENTION: &str =
    "(eol_on < $3 OR last_updated_at IS NULL OR last_updated_at < $4 OR encryption = 'no')";

pub async fn review_status(
    db: &Db,
    scope: &PracticeScope,
    now: i64,
) -> Result<rules::ReviewStatus, sqlx::Error> {
    let last: Option<(String,)> = with_db!(db, p => sqlx::query_as(
        "SELECT reviewed_on FROM register_reviews WHERE practice_id = $1 AND register = 'assets' ORDER BY id DESC LIMIT 1")
        .bind(scope.practice_id()).fetch_optional(p).await)?;
    Ok(rules::review_status(
        last.and_then(|l| rules::parse_iso(&l.0)),
        rules::uk_date(now),
    ))
}

pub struct Row {
    pub asset: Asset,
    pub eol: EolStatus,
    pub patch: PatchStatus,
}

impl Row {
    pub fn new(asset: Asset, now: i64) -> Self {
        let today = rules::uk_date(now);
        let eol =
            support_dates::eol_status(asset.eol_on.as_deref().and_then(rules::parse_iso), today);
        let patch = rules::patch_status(asset.last_updated_at, now);
        Self { asset, eol, patch }
    }
    pub fn owner_location(&self) -> String {
        match (self.asset.owner.is_empty(), self.asset.location.is_empty()) {
            (false, false) => format!("{}, {}", self.asset.owner, self.asset.location),
            (false, true) => self.asset.owner.clone(),
            (true, false) => self.asset.location.clone(),
            (true, true) => String::new(),
        }
    }
    pub fn os_label(&self) -> String {
        if self.asset.os_build.is_empty() {
            self.asset.os.clone()
        } else {
            format!("{} (build {})", self.asset.os, self.asset.os_build)
        }
    }
    pub fn last_updated(&self) -> String {
        self.asset
            .last_updated_at
            .map(|t| long_date(rules::uk_date(t)))
            .unwrap_or_else(|| "Not recorded".into())
    }
    pub fn last_checkin(&self) -> String {
        self.asset
            .last_checkin_at
            .map(crate::ukclock::format)
            .unwrap_or_else(|| "Never".into())
    }
    pub fn encryption_bad(&self) -> bool {
        self.asset.encryption == Encryption::No
    }
    pub fn eol_source_label(&self) -> String {
        match self.asset.eol_source.as_str() {
            "" => String::new(),
            "typed" => "entered by the practice".into(),
            name => format!("{name}, from the support-dates table"),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    /// "attention", "retired" or empty for every active asset.
    pub show: String,
    /// Carry on after this asset (keyset paging).
    pub after: String,
    pub done: String,
}

#[derive(Template)]
#[template(path = "resilience/assets.html")]
struct ListPage {
    page: Page,
    manager: bool,
    rows: Vec<Row>,
    show: String,
    next: Option<i64>,
    first_page: bool,
    counts: Counts,
    review: rules::ReviewStatus,
    today_iso: String,
}

/// One page of the register: 50 assets after `after`, by name.
pub async fn page_of(
    db: &Db,
    practice_id: PracticeId,
    show: &str,
    after: Option<i64>,
    now: i64,
) -> Result<(Vec<Asset>, Option<i64>), sqlx::Error> {
    let today = rules::uk_date(now);
    let mut sql = format!("SELECT {COLUMNS} FROM assets WHERE practice_id = $1 AND active = $2");
    let mut binds = vec![Bind::I(practice_id.get()), Bind::B(show != "retired")];
    if show == "attention" {
        sql.push_str(" AND ");
        sql.push_str(ATTENTION);
        binds.push(Bind::S(support_dates::unsupported_if_before(today)));
        binds.push(Bind::I(rules::overdue_before(now)));
    }
    if let Some(after) = after {
        let cursor: Option<(String,)> = with_db!(db, p => sqlx::query_as(
            "SELECT name FROM assets WHERE id = $1 AND practice_id = $2")
            .bind(after).bind(practice_id).fetch_optional(p).await)?;
        if let Some((name,)) = cursor {
            let (a, b) = (binds.len() + 1, binds.len() + 2);
            // A row comparison: both databases walk the index from there.
            sql.push_str(&format!(" AND (name, id) > (${a}, ${b})"));
            binds.push(Bind::S(name));
            binds.push(Bind::I(after));
        }
    }
    sql.push_str(&format!(" ORDER BY name, id LIMIT {}", PER_PAGE + 1));
    let mut assets = query_assets(db, &sql, &binds).await?;
    let next = if assets.len() as i64 > PER_PAGE {
        assets.truncate(PER_PAGE as usize);
        assets.last().map(|a| a.id)
    } else {
        None
    };
    Ok((assets, next))
}

pub async fn list(
    State(state): State<AppState>,
    scope: ViewScope,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let now = state.clock.now();
    let counts = counts(&state.db, &scope, now).await?;
    let show = match q.show.as_str() {
        "attention" | "retired" => q.show.clone(),
        _ => String::new(),
    };
    let after = q.after.trim().parse::<i64>().ok();
    let (assets, next) = page_of(&state.db, scope.practice_id(), &show, after, now).await?;
    let notice = match q.done.as_str() {
        "added" => Some("Added to the register.".to_string()),
        "saved" => Some("Changes saved.".to_string()),
        "reviewed" => Some("The register is marked as reviewed today.".to_string()),
        d if d.starts_with("imported-") => Some(format!(
            "{} imported into the register.",
            d.trim_start_matches("imported-")
        )),
        _ => None,
    };
    render(ListPage {
        page: Page::for_user("Asset register", scope.user()).with_notice(notice),
        manager: scope.is_manager(),
        rows: assets.into_iter().map(|a| Row::new(a, now)).collect(),
        show,
        next,
        first_page: after.is_none(),
        counts,
        review: review_status(&state.db, &scope, now).await?,
        today_iso: rules::iso(rules::uk_date(now)),
    })
}

// ---------- adding and changing ----------

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AssetForm {
    pub kind: String,
    pub name: String,
    pub hostname: String,
    pub serial: String,
    pub make_model: String,
    pub os: String,
    pub owner: String,
    pub location: String,
    pub encryption: String,
    pub managed_by: String,
    pub supported_until: String,
    pub last_updated: String,
    pub notes: String,
}

/// A checked asset, from the form or a spreadsheet row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AssetInput {
    pub kind: String,
    pub name: String,
    pub hostname: Option<String>,
    pub serial: Option<String>,
    pub make_model: String,
    pub os: String,
    pub owner: String,
    pub location: String,
    pub encryption: String,
    pub managed_by: String,
    pub supported_until: Option<String>,
    pub last_updated: Option<String>,
    pub notes: String,
}

/// Trims, joins runs of spaces, and refuses hidden characters and overlong text.
pub fn clean(raw: &str, field: &str, what: &str, max: usize) -> Result<String, FieldError> {
    if raw.chars().any(|c| {
        (c.is_control() && !c.is_whitespace())
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    }) {
        return Err(FieldError::new(
            field,
            format!("{what} contains a hidden formatting character, probably from copying and pasting. Type it in again."),
        ));
    }
    let s = raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('\u{FEFF}', "");
    let n = s.chars().count();
    if n > max {
        return Err(FieldError::new(
            field,
            format!("{what} must be {max} characters or fewer (it has {n})"),
        ));
    }
    Ok(s)
}

impl AssetForm {
    pub fn from_asset(a: &Asset) -> Self {
        Self {
            kind: a.kind.as_str().into(),
            name: a.name.clone(),
            hostname: a.hostname.clone().unwrap_or_default(),
            serial: a.serial.clone().unwrap_or_default(),
            make_model: a.make_model.clone(),
            os: a.os.clone(),
            owner: a.owner.clone(),
            location: a.location.clone(),
            encryption: a.encryption.as_str().into(),
            managed_by: a.managed_by.as_str().into(),
            supported_until: a
                .supported_until
                .as_deref()
                .and_then(rules::parse_iso)
                .map(|d| format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year()))
                .unwrap_or_default(),
            last_updated: a
                .last_updated_at
                .map(|t| {
                    let d = rules::uk_date(t);
                    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
                })
                .unwrap_or_default(),
            notes: a.notes.clone(),
        }
    }

    /// Every problem at once, by field.
    pub fn parse(&self, today: Date) -> Result<AssetInput, Vec<FieldError>> {
        let mut e = Vec::new();
        fn keep_in(e: &mut Vec<FieldError>, r: Result<String, FieldError>) -> String {
            r.unwrap_or_else(|err| {
                e.push(err);
                String::new()
            })
        }
        macro_rules! keep {
            ($r:expr) => {
                keep_in(&mut e, $r)
            };
        }
        let kind = match AssetKind::parse(&self.kind) {
            Ok(k) => k.as_str().to_string(),
            Err(err) => {
                e.push(err);
                String::new()
            }
        };
        let name = keep!(clean(&self.name, "name", "The name", 100));
        if name.is_empty() && !e.iter().any(|x| x.field == "name") {
            e.push(FieldError::new(
                "name",
                "Enter a name, like the computer name (RECEPTION-PC1) or the software's name",
            ));
        }
        let hostname_raw = keep!(clean(&self.hostname, "hostname", "The computer name", 255));
        let hostname = if hostname_raw.is_empty() {
            None
        } else {
            match normal_hostname(&hostname_raw) {
                Some(h) => Some(h),
                None => {
                    e.push(FieldError::new(
                        "hostname",
                        "A computer name has no spaces in it, like RECEPTION-PC1",
                    ));
                    None
                }
            }
        };
        let serial_raw = keep!(clean(&self.serial, "serial", "The serial number", 100));
        let serial = normal_serial(&serial_raw);
        let make_model = keep!(clean(
            &self.make_model,
            "make_model",
            "The make and model",
            200
        ));
        let os = keep!(clean(
            &self.os,
            "os",
            "The operating system and version",
            200
        ));
        let owner = keep!(clean(&self.owner, "owner", "Who uses it", 200));
        let location = keep!(clean(&self.location, "location", "The location", 200));
        let notes = keep!(clean(&self.notes, "notes", "The notes", 2000));
        let encryption = match Encryption::parse(&self.encryption) {
            Ok(v) => v.as_str().to_string(),
            Err(err) => {
                e.push(err);
                String::new()
            }
        };
        let managed_by = match ManagedBy::parse(&self.managed_by) {
            Ok(v) => v.as_str().to_string(),
            Err(err) => {
                e.push(err);
                String::new()
            }
        };
        let supported_until = match rules::parse_date(&self.supported_until) {
            Ok(d) => d.map(rules::iso),
            Err(msg) => {
                e.push(FieldError::new("supported_until", msg));
                None
            }
        };
        let last_updated = match rules::parse_date(&self.last_updated) {
            Ok(Some(d)) if d > today => {
                e.push(FieldError::new(
                    "last_updated",
                    "The date updates were last installed cannot be in the future",
                ));
                None
            }
            Ok(d) => d.map(rules::iso),
            Err(msg) => {
                e.push(FieldError::new("last_updated", msg));
                None
            }
        };
        if !e.is_empty() {
            return Err(e);
        }
        Ok(AssetInput {
            kind,
            name,
            hostname,
            serial,
            make_model,
            os,
            owner,
            location,
            encryption,
            managed_by,
            supported_until,
            last_updated,
            notes,
        })
    }
}

/// A typed "last updated" date as a moment: midday UK time that day, unless
/// the stored moment is already on that day (a check-in's exact time is kept).
pub fn last_updated_at(date: Option<&str>, stored: Option<i64>) -> Option<i64> {
    let d = date.and_then(rules::parse_iso)?;
    match stored {
        Some(t) if rules::uk_date(t) == d => Some(t),
        _ => Some(rules::uk_midnight(d) + 12 * 3600),
    }
}

/// Another active asset with the same serial number or computer name.
pub async fn duplicate(
    db: &Db,
    practice_id: PracticeId,
    input: &AssetInput,
    except: Option<i64>,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let except = except.unwrap_or(0);
    if let Some(serial) = &input.serial {
        let row: Option<(String,)> = with_db!(db, p => sqlx::query_as(
            "SELECT name FROM assets WHERE practice_id = $1 AND serial = $2 AND active AND id <> $3 LIMIT 1")
            .bind(practice_id).bind(serial).bind(except).fetch_optional(p).await)?;
        if let Some((name,)) = row {
            return Ok(Some((
                "serial".into(),
                format!("{name} already has serial number {serial}"),
            )));
        }
    }
    if let Some(host) = &input.hostname {
        let row: Option<(String,)> = with_db!(db, p => sqlx::query_as(
            "SELECT name FROM assets WHERE practice_id = $1 AND hostname = $2 AND active AND id <> $3 LIMIT 1")
            .bind(practice_id).bind(host).bind(except).fetch_optional(p).await)?;
        if let Some((name,)) = row {
            return Ok(Some((
                "hostname".into(),
                format!("{name} already has the computer name {host}"),
            )));
        }
    }
    Ok(None)
}

pub async fn insert(
    db: &Db,
    practice_id: PracticeId,
    a: &AssetInput,
    added_by: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = with_db!(db, p => sqlx::query_as(
        "INSERT INTO assets (practice_id, kind, name, hostname, serial, make_model, os, owner, location, encryption, managed_by, \
                             supported_until, last_updated_at, notes, added_by, eol_stale, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, TRUE, $16, $16) RETURNING id")
        .bind(practice_id).bind(&a.kind).bind(&a.name).bind(&a.hostname).bind(&a.serial).bind(&a.make_model)
        .bind(&a.os).bind(&a.owner).bind(&a.location).bind(&a.encryption).bind(&a.managed_by)
        .bind(&a.supported_until).bind(last_updated_at(a.last_updated.as_deref(), None)).bind(&a.notes)
        .bind(added_by).bind(now).fetch_one(p).await)?;
    Ok(id)
}

#[derive(Template)]
#[template(path = "resilience/asset_form.html")]
struct FormPage {
    page: Page,
    action: String,
    form: AssetForm,
    errors: FieldErrors,
    existing: Option<Row>,
    manager: bool,
    kinds: [AssetKind; 9],
    encryptions: [Encryption; 4],
    managers: [ManagedBy; 4],
}

fn form_page(
    scope: &PracticeScope,
    existing: Option<Row>,
    form: AssetForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> FormPage {
    let title = match &existing {
        Some(r) => r.asset.name.clone(),
        None => "Add a device or software".to_string(),
    };
    FormPage {
        page: Page::for_user(title, scope.user()).with_notice(notice),
        action: existing
            .as_ref()
            .map(|r| format!("/resilience/assets/{}", r.asset.id))
            .unwrap_or_else(|| "/resilience/assets/new".into()),
        form,
        errors,
        existing,
        manager: scope.role() == crate::auth::Role::Manager,
        kinds: AssetKind::ALL,
        encryptions: Encryption::ALL,
        managers: ManagedBy::ALL,
    }
}

pub async fn new_page(scope: ManagerScope) -> Result<Html<String>, AppError> {
    let form = AssetForm {
        kind: "desktop".into(),
        encryption: "unknown".into(),
        managed_by: "unknown".into(),
        ..Default::default()
    };
    render(form_page(&scope, None, form, FieldErrors::default(), None))
}

fn describe(a: &AssetInput) -> String {
    let kind = AssetKind::from_db(&a.kind).label().to_lowercase();
    if a.os.is_empty() {
        format!("{kind} \"{}\"", a.name)
    } else {
        format!("{kind} \"{}\" ({})", a.name, a.os)
    }
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<AssetForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let input = match form.parse(rules::uk_date(now)) {
        Ok(i) => i,
        Err(errs) => {
            return Ok(
                render(form_page(&scope, None, form, FieldErrors(errs), None))?.into_response(),
            )
        }
    };
    if let Some((field, msg)) = duplicate(&state.db, scope.practice_id(), &input, None).await? {
        let mut errors = FieldErrors::default();
        errors.add(&field, msg);
        return Ok(render(form_page(&scope, None, form, errors, None))?.into_response());
    }
    insert(&state.db, scope.practice_id(), &input, "manager", now).await?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::AssetChanged,
        &format!("added {}", describe(&input)),
        now,
    )
    .await?;
    Ok(Redirect::to("/resilience/assets?done=added").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    done: String,
}

pub async fn show(
    State(state): State<AppState>,
    scope: ViewScope,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    support_dates::refresh(&state.db, scope.practice_id()).await?;
    let asset = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = AssetForm::from_asset(&asset);
    let notice = match q.done.as_str() {
        "updated" => Some("Recorded: updates installed today.".to_string()),
        "retired" => Some("Marked as no longer in use.".to_string()),
        "reinstated" => Some("Back in the register.".to_string()),
        _ => None,
    };
    render(form_page(
        &scope,
        Some(Row::new(asset, state.clock.now())),
        form,
        FieldErrors::default(),
        notice,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<AssetForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let existing = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let input = match form.parse(rules::uk_date(now)) {
        Ok(i) => i,
        Err(errs) => {
            return Ok(render(form_page(
                &scope,
                Some(Row::new(existing, now)),
                form,
                FieldErrors(errs),
                None,
            ))?
            .into_response())
        }
    };
    if let Some((field, msg)) = duplicate(&state.db, scope.practice_id(), &input, Some(id)).await? {
        let mut errors = FieldErrors::default();
        errors.add(&field, msg);
        return Ok(render(form_page(
            &scope,
            Some(Row::new(existing, now)),
            form,
            errors,
            None,
        ))?
        .into_response());
    }
    let last = last_updated_at(input.last_updated.as_deref(), existing.last_updated_at);
    with_db!(&state.db, p => sqlx::query(
        "UPDATE assets SET kind = $1, name = $2, hostname = $3, serial = $4, make_model = $5, os = $6, owner = $7, location = $8, \
                encryption = $9, managed_by = $10, supported_until = $11, last_updated_at = $12, notes = $13, eol_stale = TRUE, updated_at = $14 \
         WHERE id = $15 AND practice_id = $16")
        .bind(&input.kind).bind(&input.name).bind(&input.hostname).bind(&input.serial).bind(&input.make_model)
        .bind(&input.os).bind(&input.owner).bind(&input.location).bind(&input.encryption).bind(&input.managed_by)
        .bind(&input.supported_until).bind(last).bind(&input.notes).bind(now).bind(id).bind(scope.practice_id())
        .execute(p).await.map(|r| r.rows_affected()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::AssetChanged,
        &format!("changed {}", describe(&input)),
        now,
    )
    .await?;
    Ok(Redirect::to("/resilience/assets?done=saved").into_response())
}

pub async fn mark_updated(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let asset = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    with_db!(&state.db, p => sqlx::query("UPDATE assets SET last_updated_at = $1, updated_at = $1 WHERE id = $2 AND practice_id = $3")
        .bind(now).bind(id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::AssetChanged,
        &format!("recorded updates installed today on \"{}\"", asset.name),
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/resilience/assets/{id}?done=updated")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RetireForm {
    /// "retire" or "reinstate".
    action: String,
}

pub async fn retire(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<RetireForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let asset = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let retiring = match form.action.as_str() {
        "retire" => true,
        "reinstate" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Choose whether the device is no longer in use, or back in use.".into(),
            ))
        }
    };
    let retired_on = retiring.then(|| rules::iso(rules::uk_date(now)));
    with_db!(&state.db, p => sqlx::query("UPDATE assets SET active = $1, retired_on = $2, updated_at = $3 WHERE id = $4 AND practice_id = $5")
        .bind(!retiring).bind(&retired_on).bind(now).bind(id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::AssetChanged,
        &if retiring {
            format!("marked \"{}\" as no longer in use", asset.name)
        } else {
            format!("put \"{}\" back in use", asset.name)
        },
        now,
    )
    .await?;
    let done = if retiring { "retired" } else { "reinstated" };
    Ok(Redirect::to(&format!("/resilience/assets/{id}?done={done}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewForm {
    note: String,
}

pub async fn review(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<ReviewForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let note =
        clean(&form.note, "note", "The note", 1000).map_err(|e| AppError::BadRequest(e.message))?;
    let today = rules::iso(rules::uk_date(now));
    with_db!(&state.db, p => sqlx::query(
        "INSERT INTO register_reviews (practice_id, register, reviewed_on, reviewed_by, note, at) VALUES ($1, 'assets', $2, $3, $4, $5)")
        .bind(scope.practice_id()).bind(&today).bind(&scope.user().full_name).bind(&note).bind(now)
        .execute(p).await.map(|r| r.rows_affected()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::RegisterReviewed,
        &format!(
            "reviewed the asset register{}",
            if note.is_empty() {
                String::new()
            } else {
                format!(": {note}")
            }
        ),
        now,
    )
    .await?;
    Ok(Redirect::to("/resilience/assets?done=reviewed").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn spreadsheet_words_are_understood() {
        assert_eq!(AssetKind::parse("Laptop").unwrap(), AssetKind::Laptop);
        assert_eq!(AssetKind::parse(" PC ").unwrap(), AssetKind::Desktop);
        assert_eq!(AssetKind::parse("Wi-Fi").unwrap(), AssetKind::Network);
        assert!(AssetKind::parse("toaster")
            .unwrap_err()
            .message
            .contains("\"toaster\""));
        assert_eq!(ManagedBy::parse("ICB GP IT").unwrap(), ManagedBy::Icb);
        assert_eq!(ManagedBy::parse("").unwrap(), ManagedBy::Unknown);
        assert_eq!(Encryption::parse("BitLocker").unwrap(), Encryption::Yes);
        assert_eq!(Encryption::parse("N/A").unwrap(), Encryption::NotApplicable);
        assert!(Encryption::parse("maybe").is_err());
        assert_eq!(normal_serial(" abc123 "), Some("ABC123".into()));
        assert_eq!(normal_serial("To Be Filled By O.E.M."), None);
        assert_eq!(
            normal_hostname("Reception-PC1."),
            Some("reception-pc1".into())
        );
        assert_eq!(normal_hostname("two words"), None);
    }

    #[test]
    fn a_form_reports_every_problem() {
        let form = AssetForm {
            kind: "spaceship".into(),
            name: "".into(),
            hostname: "has space".into(),
            encryption: "perhaps".into(),
            managed_by: "aliens".into(),
            supported_until: "31/02/2026".into(),
            last_updated: "01/01/2030".into(),
            ..Default::default()
        };
        let errs = form.parse(date!(2026 - 11 - 23)).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "kind",
                "name",
                "hostname",
                "encryption",
                "managed_by",
                "supported_until",
                "last_updated"
            ]
        );
    }

    #[test]
    fn typed_update_dates_keep_a_check_in_time_on_the_same_day() {
        let checked_in = time::macros::datetime!(2026-11-12 08:15 UTC).unix_timestamp();
        assert_eq!(
            last_updated_at(Some("2026-11-12"), Some(checked_in)),
            Some(checked_in)
        );
        let midday = time::macros::datetime!(2026-11-11 12:00 UTC).unix_timestamp();
        assert_eq!(
            last_updated_at(Some("2026-11-11"), Some(checked_in)),
            Some(midday)
        );
        assert_eq!(last_updated_at(None, Some(checked_in)), None);
    }
}
