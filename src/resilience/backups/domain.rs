//! The backup register's values and its forms' checks, with no storage or
//! pages.

use serde::Deserialize;
use time::Date;

use crate::resilience::dates;
use crate::resilience::fields::clean;
use crate::resilience::ids::BackupId;
use crate::resilience::sql::{from_row, text_enum};
use crate::web::FieldErrors;

text_enum! {
    /// What kind of thing is backed up.
    pub enum Category {
        ClinicalSystem = "clinical_system", "Clinical system (EMIS Web, SystmOne, …)";
        SharedDrive = "shared_drive", "Shared drive or file server";
        Documents = "documents", "Practice documents (policies, HR, finance)";
        Email = "email", "Email";
        SafetyNet = "safety_net", "Safety Net";
        Other = "other", "Something else";
    }
}

text_enum! {
    /// Who makes the backups.
    pub enum Responsible {
        Practice = "practice", "The practice";
        Supplier = "supplier", "The system's supplier";
        Icb = "icb", "ICB GP IT";
    }
}

text_enum! {
    /// Where the copies go.
    pub enum Destination {
        ExternalDrive = "external_drive", "External drive";
        Cloud = "cloud", "Cloud storage";
        Nas = "nas", "Network storage in the building";
        Supplier = "supplier", "The supplier's own systems";
        Other = "other", "Somewhere else";
    }
}

text_enum! {
    /// How a restore test went.
    pub enum RestoreResult {
        Worked = "worked", "Everything came back";
        Partly = "partly", "Some things came back";
        Failed = "failed", "It did not work";
    }
}

text_enum! {
    /// What a line of a backup's log records.
    pub enum LogKind {
        Backup = "backup", "Backup made";
        RestoreTest = "restore_test", "Restore test";
    }
}

/// How often a backup is made, in days, as the form offers it.
pub const FREQUENCIES: [(i64, &str); 4] = [
    (1, "Every day"),
    (7, "Every week"),
    (30, "Every month"),
    (90, "Every three months"),
];

/// How often a restore is tested, in days, as the form offers it.
pub const RESTORE_EVERY: [(i64, &str); 3] = [
    (91, "Every 3 months"),
    (182, "Every 6 months"),
    (365, "Every year"),
];

/// A line of the register as stored.
#[derive(Debug, Clone)]
pub struct Backup {
    pub id: BackupId,
    pub what: String,
    pub category: Category,
    pub responsible: Responsible,
    pub responsible_name: String,
    pub destination: Destination,
    pub destination_detail: String,
    pub offline_copy: bool,
    pub frequency_days: i64,
    pub restore_every_days: i64,
    pub last_backup_on: Option<String>,
    pub last_restore_on: Option<String>,
    pub last_restore_result: Option<RestoreResult>,
    pub notes: String,
}

from_row!(Backup, r => Ok(Backup {
    id: r.try_get("id")?,
    what: r.try_get("what")?,
    category: r.try_get("category")?,
    responsible: r.try_get("responsible")?,
    responsible_name: r.try_get("responsible_name")?,
    destination: r.try_get("destination")?,
    destination_detail: r.try_get("destination_detail")?,
    offline_copy: r.try_get("offline_copy")?,
    frequency_days: r.try_get("frequency_days")?,
    restore_every_days: r.try_get("restore_every_days")?,
    last_backup_on: r.try_get("last_backup_on")?,
    last_restore_on: r.try_get("last_restore_on")?,
    last_restore_result: r.try_get("last_restore_result")?,
    notes: r.try_get("notes")?,
}));

/// A line of a backup's log as stored.
pub struct LogEntry {
    pub kind: LogKind,
    pub on_date: String,
    pub result: Option<RestoreResult>,
    pub note: String,
    pub recorded_by: String,
}

from_row!(LogEntry, r => Ok(LogEntry {
    kind: r.try_get("kind")?,
    on_date: r.try_get("on_date")?,
    result: r.try_get("result")?,
    note: r.try_get("note")?,
    recorded_by: r.try_get("recorded_by")?,
}));

/// The last `safetynet backup` of Safety Net's own database.
pub struct OwnBackup {
    pub at: i64,
    pub tables: i64,
    pub rows: i64,
}

from_row!(OwnBackup, r => Ok(OwnBackup {
    at: r.try_get("at")?,
    tables: r.try_get("table_count")?,
    rows: r.try_get("row_count")?,
}));

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct BackupForm {
    pub what: String,
    pub category: String,
    pub responsible: String,
    pub responsible_name: String,
    pub destination: String,
    pub destination_detail: String,
    /// "yes" when ticked.
    pub offline_copy: String,
    pub frequency_days: String,
    pub restore_every_days: String,
    pub notes: String,
}

/// A checked line of the register, from the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInput {
    pub what: String,
    pub category: Category,
    pub responsible: Responsible,
    pub responsible_name: String,
    pub destination: Destination,
    pub destination_detail: String,
    pub offline_copy: bool,
    pub frequency_days: i64,
    pub restore_every_days: i64,
    pub notes: String,
}

impl BackupForm {
    /// A new line's form: a shared drive the practice copies to an external
    /// drive every day, restored in a test once a year.
    pub fn new_backup() -> Self {
        Self {
            category: Category::SharedDrive.as_str().into(),
            responsible: Responsible::Practice.as_str().into(),
            destination: Destination::ExternalDrive.as_str().into(),
            frequency_days: "1".into(),
            restore_every_days: "365".into(),
            ..Default::default()
        }
    }

    pub fn from_backup(b: &Backup) -> Self {
        Self {
            what: b.what.clone(),
            category: b.category.as_str().into(),
            responsible: b.responsible.as_str().into(),
            responsible_name: b.responsible_name.clone(),
            destination: b.destination.as_str().into(),
            destination_detail: b.destination_detail.clone(),
            offline_copy: if b.offline_copy {
                "yes".into()
            } else {
                String::new()
            },
            frequency_days: b.frequency_days.to_string(),
            restore_every_days: b.restore_every_days.to_string(),
            notes: b.notes.clone(),
        }
    }

    /// Every problem at once, by field.
    pub fn parse(&self) -> Result<BackupInput, FieldErrors> {
        let mut e = FieldErrors::default();
        let what = e
            .take(clean(&self.what, "what", "What is backed up", 200))
            .unwrap_or_default();
        if what.is_empty() && !e.has("what") {
            e.add(
                "what",
                "Say what is backed up, like \"Shared drive (S:)\" or \"EMIS Web\"",
            );
        }
        let category = Category::from_key(&self.category);
        if category.is_none() {
            e.add("category", "Choose what kind of thing is backed up");
        }
        let responsible = Responsible::from_key(&self.responsible);
        if responsible.is_none() {
            e.add("responsible", "Choose who is responsible for these backups");
        }
        let responsible_name = e
            .take(clean(
                &self.responsible_name,
                "responsible_name",
                "The name",
                200,
            ))
            .unwrap_or_default();
        let destination = Destination::from_key(&self.destination);
        if destination.is_none() {
            e.add("destination", "Choose where the copies go");
        }
        let destination_detail = e
            .take(clean(
                &self.destination_detail,
                "destination_detail",
                "Where exactly",
                200,
            ))
            .unwrap_or_default();
        let frequency_days = self
            .frequency_days
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=366).contains(d));
        if frequency_days.is_none() {
            e.add("frequency_days", "Choose how often a backup is made");
        }
        let restore_every_days = self
            .restore_every_days
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=731).contains(d));
        if restore_every_days.is_none() {
            e.add(
                "restore_every_days",
                "Choose how often you test restoring from it",
            );
        }
        let notes = e
            .take(clean(&self.notes, "notes", "The notes", 2000))
            .unwrap_or_default();
        let (
            Some(category),
            Some(responsible),
            Some(destination),
            Some(frequency_days),
            Some(restore_every_days),
            true,
        ) = (
            category,
            responsible,
            destination,
            frequency_days,
            restore_every_days,
            e.is_empty(),
        )
        else {
            return Err(e);
        };
        Ok(BackupInput {
            what,
            category,
            responsible,
            responsible_name,
            destination,
            destination_detail,
            offline_copy: self.offline_copy == "yes",
            frequency_days,
            restore_every_days,
            notes,
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RecordForm {
    /// "backup" or "restore_test".
    pub kind: String,
    pub on_date: String,
    /// For a restore test: worked, partly or failed.
    pub result: String,
    pub note: String,
}

/// A checked backup or restore test to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub kind: LogKind,
    pub on: Date,
    /// For a restore test.
    pub result: Option<RestoreResult>,
    pub note: String,
}

impl RecordForm {
    /// What to record, or the problems by field (`None`: the form did not
    /// say whether it is a backup or a restore test). Fields are named after
    /// the form they came from (`backup_on_date`, `restore_on_date`).
    pub fn parse(&self, today: Date) -> Option<Result<Record, FieldErrors>> {
        let kind = LogKind::from_key(&self.kind)?;
        let prefix = match kind {
            LogKind::Backup => "backup",
            LogKind::RestoreTest => "restore",
        };
        let mut errors = FieldErrors::default();
        let on = match dates::parse_date(&self.on_date) {
            Ok(Some(d)) if d > today => {
                errors.add(
                    &format!("{prefix}_on_date"),
                    "The date cannot be in the future",
                );
                None
            }
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                errors.add(
                    &format!("{prefix}_on_date"),
                    "Enter the date, like 23/11/2026",
                );
                None
            }
            Err(msg) => {
                errors.add(&format!("{prefix}_on_date"), msg);
                None
            }
        };
        let result = match kind {
            LogKind::Backup => None,
            LogKind::RestoreTest => {
                let r = RestoreResult::from_key(&self.result);
                if r.is_none() {
                    errors.add("result", "Choose whether the restore worked");
                }
                r
            }
        };
        let note = errors
            .take(clean(
                &self.note,
                &format!("{prefix}_note"),
                "The note",
                1000,
            ))
            .unwrap_or_default();
        Some(match on {
            Some(on) if errors.is_empty() => Ok(Record {
                kind,
                on,
                result,
                note,
            }),
            _ => Err(errors),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn recording_a_restore_test_needs_a_past_date_and_a_result() {
        let today = date!(2026 - 11 - 23);
        let form = |kind: &str, on: &str, result: &str| RecordForm {
            kind: kind.into(),
            on_date: on.into(),
            result: result.into(),
            note: String::new(),
        };
        assert!(form("holiday", "23/11/2026", "").parse(today).is_none());
        let errors = form("restore_test", "24/11/2026", "")
            .parse(today)
            .unwrap()
            .unwrap_err();
        let fields: Vec<&str> = errors.all().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["restore_on_date", "result"]);
        assert_eq!(
            form("backup", "22/11/2026", "failed")
                .parse(today)
                .unwrap()
                .unwrap(),
            Record {
                kind: LogKind::Backup,
                on: date!(2026 - 11 - 22),
                result: None,
                note: String::new()
            }
        );
    }

    #[test]
    fn a_backup_form_needs_its_choices() {
        let errors = BackupForm::default().parse().unwrap_err();
        let fields: Vec<&str> = errors.all().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "what",
                "category",
                "responsible",
                "destination",
                "frequency_days",
                "restore_every_days"
            ]
        );
        let good = BackupForm {
            what: "Shared drive (S:)".into(),
            offline_copy: "yes".into(),
            ..BackupForm::new_backup()
        };
        let b = good.parse().unwrap();
        assert_eq!(
            (b.category, b.responsible, b.frequency_days),
            (Category::SharedDrive, Responsible::Practice, 1)
        );
        assert!(b.offline_copy);
    }
}
