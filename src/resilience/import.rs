//! Importing the asset register from a spreadsheet on the generic import
//! flow (`web::import`, at `/resilience/assets/import`), the same way as the
//! staff list: which columns mean what, and checking each row as the
//! asset form would, plus repeats within the file or of what is already in
//! the register (by serial number and computer name).

use std::collections::{HashMap, HashSet};

use askama::Template;
use serde::{Deserialize, Serialize};

use super::assets::domain::AddedBy;
use super::assets::{self, AssetForm, AssetInput};
use super::rules;
use crate::auth::audit::Action;
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::shared::FieldError;
use crate::web::import::csv::{self as sheet, FileRules};
use crate::web::import::{Checked, CsvImport, Outcome};
use crate::web::AppError;

pub const MAX_ROWS: usize = 20_000;
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

const RULES: FileRules = FileRules {
    max_rows: MAX_ROWS,
    empty: "The file is empty. Save the register from Excel again as CSV, with the column names in the first row.",
    no_rows: "The file has column names but no devices or software in it. Add one row for each below the column names.",
    too_many_rows: "The file has more than 20,000 rows. Split it into smaller files and import them one at a time.",
};

/// Reads the file into rows, or one problem with the file as a whole.
pub fn read_rows(bytes: &[u8]) -> Result<Vec<RowCells>, String> {
    sheet::read_rows(bytes, &RULES, find_columns, |cols, record, line| {
        let cell = |c: Col| {
            cols.get(&c)
                .map(|i| sheet::cell(record, *i))
                .unwrap_or_default()
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
        Some(RowCells {
            line,
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
        })
    })
}

fn find_columns(header: &csv::StringRecord) -> Result<HashMap<Col, usize>, String> {
    let keys: Vec<String> = header.iter().map(sheet::header_key).collect();
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

/// A row as checked: ready to add, or everything wrong with it.
pub type CheckedRow = Checked<RowCells, AssetInput>;

/// Checks every row: its values, and repeats within the file or of what is
/// already in the register (by serial number and computer name).
pub fn check_rows(
    rows: &[RowCells],
    existing_serials: &HashMap<String, String>,
    existing_hosts: &HashMap<String, String>,
    today: time::Date,
) -> Vec<CheckedRow> {
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
                        Outcome::Ready(input)
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

// ---------- on the import flow ----------

/// The asset import, at `/resilience/assets/import`.
pub struct AssetImport;

/// What checking needs: the register's serial numbers and computer names
/// (each with its entry's name), and today.
pub struct KnownAssets {
    serials: HashMap<String, String>,
    hosts: HashMap<String, String>,
    today: time::Date,
}

#[derive(Template)]
#[template(path = "resilience/import_help.html")]
struct Help {
    example: &'static str,
}

impl CsvImport for AssetImport {
    type Cells = RowCells;
    type Ready = AssetInput;
    type Known = KnownAssets;

    const TABLE: &'static str = "asset_imports";
    const PATH: &'static str = "/resilience/assets/import";
    const LIST: &'static str = "/resilience/assets";
    const DEFAULT_FILENAME: &'static str = "assets.csv";
    const UPLOAD_TITLE: &'static str = "Import devices and software from a spreadsheet";
    const PREVIEW_TITLE: &'static str = "Check the devices and software before importing";
    const ALL_NOUN: &'static str = "rows";
    const REJECTED_COLUMNS: &'static [&'static str] = &["Name", "Type"];
    const READY_COLUMNS: &'static [&'static str] = &["Name", "Type", "Operating system", "Owner"];
    const AUDIT: Action = Action::AssetsImported;

    fn line(cells: &RowCells) -> usize {
        cells.line
    }

    fn rejected_cells(c: &RowCells) -> Vec<String> {
        vec![c.name.clone(), c.kind.clone()]
    }

    fn ready_cells(c: &RowCells) -> Vec<String> {
        vec![
            c.name.clone(),
            c.kind.clone(),
            c.os.clone(),
            c.owner.clone(),
        ]
    }

    fn read(bytes: &[u8]) -> Result<Vec<RowCells>, String> {
        read_rows(bytes)
    }

    async fn known(db: &Db, scope: &PracticeScope, now: i64) -> Result<KnownAssets, sqlx::Error> {
        let mut serials = HashMap::new();
        let mut hosts = HashMap::new();
        for a in assets::repo::known(db, scope).await? {
            if let Some(s) = a.serial {
                serials.insert(s, a.name.clone());
            }
            if let Some(h) = a.hostname {
                hosts.insert(h, a.name);
            }
        }
        Ok(KnownAssets {
            serials,
            hosts,
            today: rules::uk_date(now),
        })
    }

    fn check(rows: &[RowCells], known: &KnownAssets) -> Vec<CheckedRow> {
        check_rows(rows, &known.serials, &known.hosts, known.today)
    }

    async fn insert(
        tx: &mut Tx,
        scope: &PracticeScope,
        ready: &[&AssetInput],
        now: i64,
    ) -> Result<(), sqlx::Error> {
        assets::repo::insert_many(tx, scope, ready, AddedBy::Import, now).await
    }

    async fn help(_db: &Db, _scope: &PracticeScope) -> Result<String, AppError> {
        let help = Help {
            example: EXAMPLE_HEADER,
        };
        Ok(help.render().map_err(anyhow::Error::from)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::import::MAX_FILE_BYTES;
    use time::macros::date;

    fn check(text: &str) -> Vec<CheckedRow> {
        let rows = read_rows(text.as_bytes()).unwrap();
        let serials = HashMap::from([("OLD123".to_string(), "Old PC".to_string())]);
        check_rows(&rows, &serials, &HashMap::new(), date!(2026 - 11 - 23))
    }

    fn problems(c: &CheckedRow) -> Vec<String> {
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
