//! The asset register's rules and values, with no storage or pages: the
//! kinds of device, disk encryption and who manages each (stored as their
//! keys), what a checked entry from the form or a spreadsheet row is, how
//! serial numbers and computer names are matched, and what "needs
//! attention" means.

use serde::Deserialize;
use time::Date;

use super::super::dates;
use super::super::fields::clean;
use super::super::ids::AssetId;
use super::super::sql::{from_row, text_enum};
use crate::shared::FieldError;

/// Assets on one page of the register.
pub const PER_PAGE: i64 = 50;

text_enum! {
    /// What sort of thing an asset is.
    pub enum AssetKind {
        Desktop = "desktop", "Desktop computer";
        Laptop = "laptop", "Laptop";
        Server = "server", "Server";
        Tablet = "tablet", "Tablet";
        Phone = "phone", "Mobile phone";
        Network = "network", "Network device (router, firewall, Wi-Fi)";
        Printer = "printer", "Printer or scanner";
        Software = "software", "Software";
        Other = "other", "Other device";
    }
}

impl AssetKind {
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

text_enum! {
    /// Whether a device's disk is encrypted.
    pub enum Encryption {
        Yes = "yes", "Encrypted";
        No = "no", "Not encrypted";
        Unknown = "unknown", "Not known";
        NotApplicable = "not_applicable", "Does not apply";
    }
}

impl Encryption {
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

text_enum! {
    /// Who looks after a device, or carries out an alert's actions.
    pub enum ManagedBy {
        Practice = "practice", "The practice";
        Icb = "icb", "ICB GP IT";
        Supplier = "supplier", "A supplier";
        Unknown = "unknown", "Not known";
    }
}

impl ManagedBy {
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

text_enum! {
    /// How an asset came into the register.
    pub enum AddedBy {
        Manager = "manager", "Added by the practice manager";
        Import = "import", "Imported from a spreadsheet";
        Checkin = "checkin", "Added by its first check-in";
    }
}

text_enum! {
    /// Which assets a register page lists.
    pub enum Show {
        InUse = "", "In use";
        Attention = "attention", "Needs attention";
        Retired = "retired", "No longer in use";
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

/// An asset as stored.
#[derive(Debug, Clone)]
pub struct Asset {
    pub id: AssetId,
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
    pub added_by: AddedBy,
    pub active: bool,
    pub retired_on: Option<String>,
}

from_row!(Asset, r => Ok(Asset {
    id: r.try_get("id")?,
    kind: r.try_get("kind")?,
    name: r.try_get("name")?,
    hostname: r.try_get("hostname")?,
    serial: r.try_get("serial")?,
    make_model: r.try_get("make_model")?,
    os: r.try_get("os")?,
    os_build: r.try_get("os_build")?,
    owner: r.try_get("owner")?,
    location: r.try_get("location")?,
    encryption: r.try_get("encryption")?,
    managed_by: r.try_get("managed_by")?,
    supported_until: r.try_get("supported_until")?,
    eol_on: r.try_get("eol_on")?,
    eol_source: r.try_get("eol_source")?,
    last_updated_at: r.try_get("last_updated_at")?,
    last_checkin_at: r.try_get("last_checkin_at")?,
    notes: r.try_get("notes")?,
    added_by: r.try_get("added_by")?,
    active: r.try_get("active")?,
    retired_on: r.try_get("retired_on")?,
}));

/// The register's figures (active assets only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: i64,
    pub unsupported: i64,
    pub ending_soon: i64,
    pub overdue: i64,
    pub unknown_updates: i64,
    pub unencrypted: i64,
}

from_row!(Counts, r => Ok(Counts {
    total: r.try_get("total")?,
    unsupported: r.try_get("unsupported")?,
    ending_soon: r.try_get("ending_soon")?,
    overdue: r.try_get("overdue")?,
    unknown_updates: r.try_get("unknown_updates")?,
    unencrypted: r.try_get("unencrypted")?,
}));

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

/// A checked asset, from the form or a spreadsheet row. The three choices
/// are held as their checked keys (`AssetKind::as_str` and so on), the form
/// the spreadsheet import (`import.rs`) binds and compares them in; the
/// register reads them back as the enums.
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

impl AssetInput {
    /// For the audit log: `laptop "NURSE-LT1" (Windows 11 Pro)`.
    pub fn describe(&self) -> String {
        let kind = AssetKind::from_key(&self.kind)
            .map_or("asset", AssetKind::label)
            .to_lowercase();
        if self.os.is_empty() {
            format!("{kind} \"{}\"", self.name)
        } else {
            format!("{kind} \"{}\" ({})", self.name, self.os)
        }
    }
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
                .and_then(dates::parse_iso)
                .map(dates::numeric)
                .unwrap_or_default(),
            last_updated: a
                .last_updated_at
                .map(|t| dates::numeric(dates::uk_date(t)))
                .unwrap_or_default(),
            notes: a.notes.clone(),
        }
    }

    /// Every problem at once, by field.
    pub fn parse(&self, today: Date) -> Result<AssetInput, Vec<FieldError>> {
        let mut e = Vec::new();
        fn keep_in<T>(e: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
            r.map_err(|err| e.push(err)).ok()
        }
        macro_rules! keep {
            ($r:expr) => {
                keep_in(&mut e, $r).unwrap_or_default()
            };
        }
        let kind = keep_in(&mut e, AssetKind::parse(&self.kind));
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
        let encryption = keep_in(&mut e, Encryption::parse(&self.encryption));
        let managed_by = keep_in(&mut e, ManagedBy::parse(&self.managed_by));
        let supported_until = match dates::parse_date(&self.supported_until) {
            Ok(d) => d.map(dates::iso),
            Err(msg) => {
                e.push(FieldError::new("supported_until", msg));
                None
            }
        };
        let last_updated = match dates::parse_date(&self.last_updated) {
            Ok(Some(d)) if d > today => {
                e.push(FieldError::new(
                    "last_updated",
                    "The date updates were last installed cannot be in the future",
                ));
                None
            }
            Ok(d) => d.map(dates::iso),
            Err(msg) => {
                e.push(FieldError::new("last_updated", msg));
                None
            }
        };
        let (Some(kind), Some(encryption), Some(managed_by), true) =
            (kind, encryption, managed_by, e.is_empty())
        else {
            return Err(e);
        };
        Ok(AssetInput {
            kind: kind.as_str().to_string(),
            name,
            hostname,
            serial,
            make_model,
            os,
            owner,
            location,
            encryption: encryption.as_str().to_string(),
            managed_by: managed_by.as_str().to_string(),
            supported_until,
            last_updated,
            notes,
        })
    }
}

/// A typed "last updated" date as a moment: midday UK time that day, unless
/// the stored moment is already on that day (a check-in's exact time is kept).
pub fn last_updated_at(date: Option<&str>, stored: Option<i64>) -> Option<i64> {
    let d = date.and_then(dates::parse_iso)?;
    match stored {
        Some(t) if dates::uk_date(t) == d => Some(t),
        _ => Some(dates::uk_midnight(d) + 12 * 3600),
    }
}

/// The problem when another asset in use already has this entry's serial
/// number or computer name, as (field, message); `existing` is that
/// asset's name, found by [`repo::same_identity`](super::repo::same_identity).
pub fn duplicate_problem(input: &AssetInput, existing: &Identity) -> (&'static str, String) {
    match existing {
        Identity::Serial(name) => (
            "serial",
            format!(
                "{name} already has serial number {}",
                input.serial.as_deref().unwrap_or_default()
            ),
        ),
        Identity::Hostname(name) => (
            "hostname",
            format!(
                "{name} already has the computer name {}",
                input.hostname.as_deref().unwrap_or_default()
            ),
        ),
    }
}

/// Another asset in use that a new entry would repeat, by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Serial(String),
    Hostname(String),
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
