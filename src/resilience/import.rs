//! Importing the asset register from a spreadsheet, the same way as the staff
//! list (`people::import`): upload a CSV (Excel's "CSV UTF-8" or plain "CSV",
//! up to 5 MB), see every row with everything wrong on each, then import all
//! of them, or only the good rows if the manager chooses. Nothing is added
//! while any row is bad unless they do.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::assets::{AssetForm, AssetInput};
use super::rules;
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::Db;
use crate::people::csv_import::{
    decode, has_content, header_key, pick_delimiter, record_line, unclosed_quote_line,
    MAX_FILE_BYTES,
};
use crate::shared::{AppState, FieldError};
use crate::web::{render, AppError, ClientIp, Page, Path, ValidForm};
use crate::with_db;

pub const MAX_ROWS: usize = 20_000;
const SHOW_ROWS: usize = 500;
pub const EXAMPLE_HEADER: &str =
    "Name,Type,Make and model,Operating system,Owner,Location,Encrypted,Managed by,Supported until,Last updated,Serial number";

/// The raw cells of one row, kept between preview and confirmation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RowCells {
    pub line: usize,
    pub name: String,
    pub hostname: String,
    pub kind: String,
    pub make_model: String,
    pub os: String,
    pub owner: String,
    pub location: String,
    pub encryption: String,
    pub managed_by: String,
    pub supported_until: String,
    pub last_updated: String,
    pub serial: String,
    pub notes: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Col {
    Name,
    Hostname,
    Kind,
    MakeModel,
    Make,
    Model,
    Os,
    Owner,
    Location,
    Encryption,
    ManagedBy,
    SupportedUntil,
    LastUpdated,
    Serial,
    Notes,
}

const HEADERS: &[(Col, &[&str])] = &[
    (
        Col::Name,
        &[
            "name",
            "assetname",
            "devicename",
            "device",
            "asset",
            "softwarename",
            "software",
            "item",
        ],
    ),
    (
        Col::Hostname,
        &["hostname", "computername", "host", "machinename", "pcname"],
    ),
    (
        Col::Kind,
        &["type", "assettype", "devicetype", "kind", "category"],
    ),
    (
        Col::MakeModel,
        &["makeandmodel", "makemodel", "makeormodel"],
    ),
    (Col::Make, &["make", "manufacturer", "vendor", "brand"]),
    (Col::Model, &["model", "modelname"]),
    (
        Col::Os,
        &[
            "operatingsystem",
            "operatingsystemandversion",
            "os",
            "osversion",
            "osandversion",
            "version",
            "softwareversion",
        ],
    ),
    (
        Col::Owner,
        &[
            "owner",
            "user",
            "usedby",
            "assignedto",
            "ownerorlocation",
            "owneruser",
        ],
    ),
    (Col::Location, &["location", "room", "site", "place"]),
    (
        Col::Encryption,
        &[
            "encrypted",
            "encryption",
            "diskencryption",
            "bitlocker",
            "diskencrypted",
        ],
    ),
    (
        Col::ManagedBy,
        &[
            "managedby",
            "whomanagesit",
            "managed",
            "supportedby",
            "management",
        ],
    ),
    (
        Col::SupportedUntil,
        &[
            "supporteduntil",
            "endofsupport",
            "endoflife",
            "eol",
            "supportends",
        ],
    ),
    (
        Col::LastUpdated,
        &[
            "lastupdated",
            "lastupdate",
            "updated",
            "lastpatched",
            "patched",
            "updatesinstalled",
            "lastupdatesinstalled",
        ],
    ),
    (
        Col::Serial,
        &["serialnumber", "serial", "servicetag", "sn", "serialno"],
    ),
    (Col::Notes, &["notes", "note", "comments", "comment"]),
];

fn problem(s: impl Into<String>) -> String {
    s.into()
}

/// Reads the file into rows, or one problem with the file as a whole.
pub fn read_rows(bytes: &[u8]) -> Result<Vec<RowCells>, String> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(problem("The file is larger than 5 MB. Split it into smaller files and import them one at a time."));
    }
    let mut text = decode(bytes);
    if text.contains('\r') && !text.contains('\n') {
        text = text.replace('\r', "\n");
    }
    let Some(header_line) = text.lines().find(|l| has_content(l)) else {
        return Err(problem("The file is empty. Save the register from Excel again as CSV, with the column names in the first row."));
    };
    let delimiter = pick_delimiter(header_line);
    if let Some(line) = unclosed_quote_line(&text, delimiter) {
        return Err(format!(
            "Line {line} has a quotation mark (\") that is never closed, so the rest of the file cannot be read. Remove it or add the closing one, save the file and try again."
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut columns: Option<HashMap<Col, usize>> = None;
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line());
                return Err(format!("Line {line} of the file could not be read. Check that line, save the file as CSV again and try again."));
            }
        }
        if !record.iter().any(has_content) {
            continue;
        }
        let Some(cols) = &columns else {
            columns = Some(find_columns(&record)?);
            continue;
        };
        let cell = |c: Col| {
            cols.get(&c)
                .and_then(|i| record.get(*i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let make_model = match cols.get(&Col::MakeModel) {
            Some(_) => cell(Col::MakeModel),
            None => format!("{} {}", cell(Col::Make), cell(Col::Model))
                .trim()
                .to_string(),
        };
        let hostname = cell(Col::Hostname);
        let mut name = cell(Col::Name);
        if name.is_empty() && !cols.contains_key(&Col::Name) {
            name = hostname.clone();
        }
        let row = RowCells {
            line: record_line(&record, &text),
            name,
            hostname,
            kind: cell(Col::Kind),
            make_model,
            os: cell(Col::Os),
            owner: cell(Col::Owner),
            location: cell(Col::Location),
            encryption: cell(Col::Encryption),
            managed_by: cell(Col::ManagedBy),
            supported_until: cell(Col::SupportedUntil),
            last_updated: cell(Col::LastUpdated),
            serial: cell(Col::Serial),
            notes: cell(Col::Notes),
        };
        if rows.len() == MAX_ROWS {
            return Err(problem("The file has more than 20,000 rows. Split it into smaller files and import them one at a time."));
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(problem("The file has column names but no devices or software in it. Add one row for each below the column names."));
    }
    Ok(rows)
}

fn find_columns(header: &csv::StringRecord) -> Result<HashMap<Col, usize>, String> {
    let keys: Vec<String> = header.iter().map(header_key).collect();
    let mut found = HashMap::new();
    let mut used = HashSet::new();
    for (col, names) in HEADERS {
        if let Some(i) = names.iter().find_map(|n| {
            keys.iter()
                .enumerate()
                .position(|(i, k)| k == n && !used.contains(&i))
        }) {
            found.insert(*col, i);
            used.insert(i);
        }
    }
    let mut missing = Vec::new();
    if !found.contains_key(&Col::Name) && !found.contains_key(&Col::Hostname) {
        missing.push("Name");
    }
    if !found.contains_key(&Col::Kind) {
        missing.push("Type");
    }
    if missing.is_empty() {
        return Ok(found);
    }
    let seen: Vec<String> = header
        .iter()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .take(12)
        .map(|c| format!("\"{}\"", c.chars().take(40).collect::<String>()))
        .collect();
    Err(format!(
        "The file has no column for: {}. The first row must name the columns, for example: {EXAMPLE_HEADER}. The first row of your file has: {}.",
        missing.join(", "),
        seen.join(", ")
    ))
}

pub enum Outcome {
    Ready(Box<AssetInput>),
    Rejected(Vec<FieldError>),
}

pub struct Checked {
    pub cells: RowCells,
    pub outcome: Outcome,
}

/// Checks every row: its values, and repeats within the file or of what is
/// already in the register (by serial number and computer name).
pub fn check_rows(
    rows: &[RowCells],
    existing_serials: &HashMap<String, String>,
    existing_hosts: &HashMap<String, String>,
    today: time::Date,
) -> Vec<Checked> {
    let mut first_serial: HashMap<String, usize> = HashMap::new();
    let mut first_host: HashMap<String, usize> = HashMap::new();
    rows.iter()
        .map(|c| {
            let form = AssetForm {
                kind: c.kind.clone(),
                name: c.name.clone(),
                hostname: c.hostname.clone(),
                serial: c.serial.clone(),
                make_model: c.make_model.clone(),
                os: c.os.clone(),
                owner: c.owner.clone(),
                location: c.location.clone(),
                encryption: c.encryption.clone(),
                managed_by: c.managed_by.clone(),
                supported_until: c.supported_until.clone(),
                last_updated: c.last_updated.clone(),
                notes: c.notes.clone(),
            };
            let outcome = match form.parse(today) {
                Err(errs) => Outcome::Rejected(errs),
                Ok(input) => {
                    let mut errs = Vec::new();
                    if let Some(s) = &input.serial {
                        if let Some(name) = existing_serials.get(s) {
                            errs.push(FieldError::new(
                                "serial",
                                format!("{name} in the register already has serial number {s}"),
                            ));
                        } else if let Some(line) = first_serial.get(s) {
                            errs.push(FieldError::new(
                                "serial",
                                format!("Serial number {s} is also on line {line}"),
                            ));
                        } else {
                            first_serial.insert(s.clone(), c.line);
                        }
                    }
                    if let Some(h) = &input.hostname {
                        if let Some(name) = existing_hosts.get(h) {
                            errs.push(FieldError::new(
                                "hostname",
                                format!("{name} in the register already has the computer name {h}"),
                            ));
                        } else if let Some(line) = first_host.get(h) {
                            errs.push(FieldError::new(
                                "hostname",
                                format!("Computer name {h} is also on line {line}"),
                            ));
                        } else {
                            first_host.insert(h.clone(), c.line);
                        }
                    }
                    if errs.is_empty() {
                        Outcome::Ready(Box::new(input))
                    } else {
                        Outcome::Rejected(errs)
                    }
                }
            };
            Checked {
                cells: c.clone(),
                outcome,
            }
        })
        .collect()
}

// ---------- pages ----------

#[derive(Template)]
#[template(path = "resilience/import_upload.html")]
struct UploadPage {
    page: Page,
    error: Option<String>,
    example: &'static str,
}

fn upload_form(scope: &ManagerScope, error: Option<String>) -> Result<Html<String>, AppError> {
    render(UploadPage {
        page: Page::for_user(
            "Import devices and software from a spreadsheet",
            scope.user(),
        ),
        error,
        example: EXAMPLE_HEADER,
    })
}

pub async fn upload_page(scope: ManagerScope) -> Result<Html<String>, AppError> {
    upload_form(&scope, None)
}

pub async fn upload(
    State(state): State<AppState>,
    scope: ManagerScope,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (filename, bytes) = match crate::web::upload::read_upload(multipart, "file", MAX_FILE_BYTES, "assets.csv").await {
        Ok(Ok(f)) => f,
        Ok(Err(problem)) => return Ok(upload_form(&scope, Some(problem))?.into_response()),
        Err(AppError::TooLarge(_)) => {
            return Err(AppError::TooLarge(
                "The file is larger than 5 MB. Split it into smaller files and import them one at a time.".into(),
            ))
        }
        Err(e) => return Err(e),
    };
    let rows = match read_rows(&bytes) {
        Ok(r) => r,
        Err(problem) => return Ok(upload_form(&scope, Some(problem))?.into_response()),
    };
    let json = serde_json::to_string(&rows).map_err(anyhow::Error::from)?;
    let (id,): (i64,) = with_db!(&state.db, p => sqlx::query_as(
        "INSERT INTO asset_imports (practice_id, created_by, created_at, filename, rows_json, status) VALUES ($1, $2, $3, $4, $5, 'preview') RETURNING id")
        .bind(scope.practice_id()).bind(scope.user().user_id).bind(state.clock.now()).bind(&filename).bind(&json)
        .fetch_one(p).await)?;
    Ok(Redirect::to(&format!("/resilience/assets/import/{id}")).into_response())
}

async fn load(
    db: &Db,
    scope: &PracticeScope,
    id: i64,
) -> Result<(String, Vec<RowCells>), AppError> {
    let row: Option<(String, String, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT filename, rows_json, status FROM asset_imports WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    let (filename, json, status) = row.ok_or(AppError::NotFound)?;
    if status != "preview" {
        return Err(AppError::BadRequest(
            "This import has already been finished or cancelled. To import more, upload the file again.".into(),
        ));
    }
    Ok((
        filename,
        serde_json::from_str(&json).map_err(anyhow::Error::from)?,
    ))
}

async fn check(
    db: &Db,
    scope: &PracticeScope,
    rows: &[RowCells],
    now: i64,
) -> Result<Vec<Checked>, AppError> {
    let existing: Vec<(String, Option<String>, Option<String>)> = with_db!(db, p => sqlx::query_as(
        "SELECT name, serial, hostname FROM assets WHERE practice_id = $1 AND active")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    let mut serials = HashMap::new();
    let mut hosts = HashMap::new();
    for (name, serial, host) in existing {
        if let Some(s) = serial {
            serials.insert(s, name.clone());
        }
        if let Some(h) = host {
            hosts.insert(h, name);
        }
    }
    Ok(check_rows(rows, &serials, &hosts, rules::uk_date(now)))
}

pub struct PreviewRow {
    pub cells: RowCells,
    pub problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "resilience/import_preview.html")]
struct PreviewPage {
    page: Page,
    id: i64,
    filename: String,
    ready: usize,
    rejected: usize,
    rejected_rows: Vec<PreviewRow>,
    ready_rows: Vec<PreviewRow>,
    shown_limit: usize,
    error: Option<String>,
}

fn preview_page(
    scope: &ManagerScope,
    id: i64,
    filename: String,
    checked: &[Checked],
    error: Option<String>,
) -> PreviewPage {
    let mut rejected_rows = Vec::new();
    let mut ready_rows = Vec::new();
    let (mut ready, mut rejected) = (0, 0);
    for c in checked {
        match &c.outcome {
            Outcome::Ready(_) => {
                ready += 1;
                if ready_rows.len() < SHOW_ROWS {
                    ready_rows.push(PreviewRow {
                        cells: c.cells.clone(),
                        problems: Vec::new(),
                    });
                }
            }
            Outcome::Rejected(errs) => {
                rejected += 1;
                if rejected_rows.len() < SHOW_ROWS {
                    rejected_rows.push(PreviewRow {
                        cells: c.cells.clone(),
                        problems: errs.iter().map(|e| e.message.clone()).collect(),
                    });
                }
            }
        }
    }
    PreviewPage {
        page: Page::for_user(
            "Check the devices and software before importing",
            scope.user(),
        ),
        id,
        filename,
        ready,
        rejected,
        rejected_rows,
        ready_rows,
        shown_limit: SHOW_ROWS,
        error,
    }
}

pub async fn preview(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let (filename, rows) = load(&state.db, &scope, id).await?;
    let checked = check(&state.db, &scope, &rows, state.clock.now()).await?;
    render(preview_page(&scope, id, filename, &checked, None))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    /// "all", "good" or "cancel".
    action: String,
}

pub async fn confirm(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<ConfirmForm>,
) -> Result<Response, AppError> {
    let (filename, rows) = load(&state.db, &scope, id).await?;
    if form.action == "cancel" {
        with_db!(&state.db, p => sqlx::query("UPDATE asset_imports SET status = 'cancelled' WHERE id = $1 AND practice_id = $2")
            .bind(id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
        return Ok(Redirect::to("/resilience/assets").into_response());
    }
    let now = state.clock.now();
    let checked = check(&state.db, &scope, &rows, now).await?;
    let ready: Vec<&AssetInput> = checked
        .iter()
        .filter_map(|c| match &c.outcome {
            Outcome::Ready(a) => Some(a.as_ref()),
            Outcome::Rejected(_) => None,
        })
        .collect();
    let rejected = checked.len() - ready.len();
    let error = match form.action.as_str() {
        "all" if rejected > 0 => Some(format!(
            "{rejected} rows have problems, so nothing has been imported. Correct the file and upload it again, or choose to import only the {} good rows.",
            ready.len()
        )),
        "all" | "good" if ready.is_empty() => Some("There are no rows without problems to import.".to_string()),
        "all" | "good" => None,
        _ => Some("Choose whether to import all the rows or only the good ones.".to_string()),
    };
    if error.is_some() {
        return Ok(render(preview_page(&scope, id, filename, &checked, error))?.into_response());
    }
    let practice_id = scope.practice_id();
    // All or nothing: a failure part-way leaves the register as it was.
    with_db!(&state.db, p => {
        let mut tx = p.begin().await?;
        for chunk in ready.chunks(500) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO assets (practice_id, kind, name, hostname, serial, make_model, os, owner, location, encryption, managed_by, \
                                     supported_until, last_updated_at, notes, added_by, eol_stale, created_at, updated_at) ");
            qb.push_values(chunk, |mut b, a| {
                b.push_bind(practice_id).push_bind(a.kind.clone()).push_bind(a.name.clone()).push_bind(a.hostname.clone())
                    .push_bind(a.serial.clone()).push_bind(a.make_model.clone()).push_bind(a.os.clone()).push_bind(a.owner.clone())
                    .push_bind(a.location.clone()).push_bind(a.encryption.clone()).push_bind(a.managed_by.clone())
                    .push_bind(a.supported_until.clone())
                    .push_bind(super::assets::last_updated_at(a.last_updated.as_deref(), None))
                    .push_bind(a.notes.clone()).push_bind("import").push_bind(true).push_bind(now).push_bind(now);
            });
            qb.build().execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE asset_imports SET status = 'imported' WHERE id = $1 AND practice_id = $2")
            .bind(id).bind(practice_id).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    audit::record_alone(
        &state.db,
        Some(practice_id),
        &Actor::user(scope.user(), &ip),
        Action::AssetsImported,
        &format!(
            "{} imported, {rejected} skipped, from {filename}",
            ready.len()
        ),
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/resilience/assets?done=imported-{}", ready.len())).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn check(text: &str) -> Vec<Checked> {
        let rows = read_rows(text.as_bytes()).unwrap();
        let serials = HashMap::from([("OLD123".to_string(), "Old PC".to_string())]);
        check_rows(&rows, &serials, &HashMap::new(), date!(2026 - 11 - 23))
    }

    fn problems(c: &Checked) -> Vec<String> {
        match &c.outcome {
            Outcome::Rejected(e) => e.iter().map(|e| e.field.clone()).collect(),
            Outcome::Ready(_) => Vec::new(),
        }
    }

    #[test]
    fn columns_are_recognised_and_rows_checked() {
        let checked = check(
            "\u{feff}Computer name,Type,Manufacturer,Model,OS,Owner,Room,BitLocker,Managed by,Last updated,Serial number\r\n\
             RECEPTION-PC1,Desktop,Dell,OptiPlex 7090,Windows 11 Pro 23H2,Reception,Front desk,Yes,ICB GP IT,12/11/2026,ABC1\r\n\
             NURSE-LT1,Laptop,HP,EliteBook,Windows 10 Pro,Nurse team,Room 3,No,Practice,01/09/2026,OLD123\r\n\
             ,Fridge,,,,,,maybe,aliens,31/02/2026,\r\n\
             RECEPTION-PC1,Desktop,,,,,,,,,ABC1\r\n",
        );
        assert_eq!(checked.len(), 4);
        assert_eq!(checked[0].cells.line, 2);
        let Outcome::Ready(a) = &checked[0].outcome else {
            panic!("first row is good")
        };
        assert_eq!(a.name, "RECEPTION-PC1");
        assert_eq!(a.hostname.as_deref(), Some("reception-pc1"));
        assert_eq!(a.make_model, "Dell OptiPlex 7090");
        assert_eq!(a.managed_by, "icb");
        assert_eq!(a.encryption, "yes");
        assert_eq!(a.last_updated.as_deref(), Some("2026-11-12"));
        assert_eq!(problems(&checked[1]), ["serial"]);
        assert_eq!(
            problems(&checked[2]),
            ["kind", "name", "encryption", "managed_by", "last_updated"]
        );
        assert_eq!(problems(&checked[3]), ["serial", "hostname"]);
    }

    #[test]
    fn file_problems() {
        assert!(read_rows(b"").unwrap_err().starts_with("The file is empty"));
        assert!(read_rows(b"Owner,Notes\nx,y\n")
            .unwrap_err()
            .contains("no column for: Name, Type"));
        assert!(read_rows(b"Name,Type\n")
            .unwrap_err()
            .contains("no devices or software"));
        assert!(read_rows(&vec![b'a'; MAX_FILE_BYTES + 1])
            .unwrap_err()
            .contains("larger than 5 MB"));
        // Windows-1252 from plain "CSV" in UK Excel: the pound sign and curly quotes survive.
        let rows = read_rows(b"Name,Type,Notes\nSage,Software,\x93Payroll\x94 \xa3\n").unwrap();
        assert_eq!(rows[0].notes, "\u{201c}Payroll\u{201d} \u{a3}");
    }
}
