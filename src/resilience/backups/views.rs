//! The backup register's pages: the list and the form that adds, shows and
//! changes a line, with its log and the forms that record a backup or a
//! restore test.

use askama::Template;

use super::domain::{
    Backup, BackupForm, Category, Destination, LogEntry, LogKind, Responsible, RestoreResult,
    FREQUENCIES, RESTORE_EVERY,
};
use crate::auth::{PracticeScope, Role};
use crate::resilience::dates::{self, uk_date};
use crate::resilience::rules::{self, BackupStatus, RestoreStatus};
use crate::web::{FieldErrors, Page};

pub const LIST_NOTICES: &[(&str, &str)] = &[
    ("added", "Added to the backup register."),
    ("saved", "Changes saved."),
];

pub const BACKUP_NOTICES: &[(&str, &str)] = &[("recorded", "Recorded.")];

/// A line of the register with its clocks today.
pub struct Listed {
    pub b: Backup,
    pub backup: BackupStatus,
    pub restore: RestoreStatus,
}

impl Listed {
    pub fn new(b: Backup, today: time::Date) -> Self {
        let backup = rules::backup_status(
            b.responsible == Responsible::Practice,
            b.last_backup_on.as_deref().and_then(dates::parse_iso),
            b.frequency_days,
            today,
        );
        let restore = rules::restore_status(
            b.last_restore_on.as_deref().and_then(dates::parse_iso),
            b.last_restore_result,
            b.restore_every_days,
            today,
        );
        Self { b, backup, restore }
    }
    pub fn category(&self) -> &'static str {
        self.b.category.label()
    }
    pub fn responsible(&self) -> String {
        let who = self.b.responsible.label();
        if self.b.responsible_name.is_empty() {
            who.to_string()
        } else {
            format!("{who}: {}", self.b.responsible_name)
        }
    }
    pub fn destination(&self) -> String {
        let to = self.b.destination.label();
        if self.b.destination_detail.is_empty() {
            to.to_string()
        } else {
            format!("{to}: {}", self.b.destination_detail)
        }
    }
    pub fn frequency(&self) -> String {
        match FREQUENCIES
            .iter()
            .find(|(d, _)| *d == self.b.frequency_days)
        {
            Some((_, l)) => l.to_string(),
            None => format!("Every {}", dates::days(self.b.frequency_days)),
        }
    }
    pub fn last_backup(&self) -> String {
        date_label(self.b.last_backup_on.as_deref())
    }
    pub fn last_restore(&self) -> String {
        date_label(self.b.last_restore_on.as_deref())
    }
}

/// "14 October 2025", or "Not recorded".
fn date_label(d: Option<&str>) -> String {
    d.and_then(dates::parse_iso)
        .map(dates::long_date)
        .unwrap_or_else(|| "Not recorded".into())
}

/// The register's figures for the overview.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Backups the practice has listed at all: none means nothing is known.
    pub listed: i64,
    /// Backups overdue or never recorded.
    pub overdue: i64,
    /// Restore tests due, failed or never done.
    pub restores_due: i64,
}

impl Counts {
    pub fn of(listed: &[Listed]) -> Self {
        let count = |f: &dyn Fn(&Listed) -> bool| listed.iter().filter(|l| f(l)).count() as i64;
        Self {
            listed: listed.len() as i64,
            overdue: count(&|l| l.backup.needs_attention()),
            restores_due: count(&|l| l.restore.needs_attention()),
        }
    }
}

/// A line of a backup's log as the page shows it.
pub struct LogLine {
    pub on: String,
    pub what: String,
    pub note: String,
    pub by: String,
}

impl LogLine {
    pub fn new(e: LogEntry) -> Self {
        let what = match (e.kind, e.result) {
            (LogKind::Backup, _) => "Backup made".to_string(),
            (LogKind::RestoreTest, Some(r)) => {
                format!("Restore test: {}", r.label().to_lowercase())
            }
            (LogKind::RestoreTest, None) => "Restore test".to_string(),
        };
        Self {
            on: date_label(Some(&e.on_date)),
            what,
            note: e.note,
            by: e.recorded_by,
        }
    }
}

#[derive(Template)]
#[template(path = "resilience/backups.html")]
pub struct ListPage {
    pub page: Page,
    pub manager: bool,
    pub backups: Vec<Listed>,
    /// When Safety Net's own database was last backed up, in a sentence.
    pub own: Option<String>,
}

#[derive(Template)]
#[template(path = "resilience/backup_form.html")]
pub struct FormPage {
    page: Page,
    action: String,
    form: BackupForm,
    errors: FieldErrors,
    existing: Option<Listed>,
    log: Vec<LogLine>,
    manager: bool,
    today: String,
    categories: &'static [Category],
    responsibles: &'static [Responsible],
    destinations: &'static [Destination],
    frequencies: [(i64, &'static str); 4],
    restore_everies: [(i64, &'static str); 3],
    results: &'static [RestoreResult],
}

impl FormPage {
    pub fn new(
        scope: &PracticeScope,
        existing: Option<(Backup, Vec<LogEntry>)>,
        form: BackupForm,
        errors: FieldErrors,
        notice: Option<String>,
        now: i64,
    ) -> Self {
        let today = uk_date(now);
        let (existing, log) = match existing {
            Some((b, log)) => (
                Some(Listed::new(b, today)),
                log.into_iter().map(LogLine::new).collect(),
            ),
            None => (None, Vec::new()),
        };
        let title = match &existing {
            Some(l) => format!("Backup: {}", l.b.what),
            None => "Add a backup".to_string(),
        };
        Self {
            page: Page::for_user(title, scope.user()).with_notice(notice),
            action: existing
                .as_ref()
                .map(|l| format!("/resilience/backups/{}", l.b.id))
                .unwrap_or_else(|| "/resilience/backups/new".into()),
            form,
            errors,
            existing,
            log,
            manager: scope.role() == Role::Manager,
            today: dates::numeric(today),
            categories: Category::ALL,
            responsibles: Responsible::ALL,
            destinations: Destination::ALL,
            frequencies: FREQUENCIES,
            restore_everies: RESTORE_EVERY,
            results: RestoreResult::ALL,
        }
    }
}
