//! The backup register: what is backed up (the clinical system, usually
//! hosted and backed up by its supplier; shared drives; practice documents;
//! Safety Net itself), who is responsible, where copies go, how often, the
//! last backup and the last restore test with its result. Backups overdue and
//! restore tests due stand out.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::assets::clean;
use super::rules::{self, BackupStatus, RestoreStatus};
use super::ViewScope;
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::Db;
use crate::shared::AppState;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};
use crate::with_db;

pub const CATEGORIES: [(&str, &str); 6] = [
    ("clinical_system", "Clinical system (EMIS Web, SystmOne, …)"),
    ("shared_drive", "Shared drive or file server"),
    ("documents", "Practice documents (policies, HR, finance)"),
    ("email", "Email"),
    ("safety_net", "Safety Net"),
    ("other", "Something else"),
];
pub const RESPONSIBLE: [(&str, &str); 3] = [
    ("practice", "The practice"),
    ("supplier", "The system's supplier"),
    ("icb", "ICB GP IT"),
];
pub const DESTINATIONS: [(&str, &str); 5] = [
    ("external_drive", "External drive"),
    ("cloud", "Cloud storage"),
    ("nas", "Network storage in the building"),
    ("supplier", "The supplier's own systems"),
    ("other", "Somewhere else"),
];
pub const FREQUENCIES: [(i64, &str); 4] = [
    (1, "Every day"),
    (7, "Every week"),
    (30, "Every month"),
    (90, "Every three months"),
];
pub const RESTORE_EVERY: [(i64, &str); 3] = [
    (91, "Every 3 months"),
    (182, "Every 6 months"),
    (365, "Every year"),
];
pub const RESULTS: [(&str, &str); 3] = [
    ("worked", "Everything came back"),
    ("partly", "Some things came back"),
    ("failed", "It did not work"),
];

fn label<K: PartialEq>(list: &[(K, &'static str)], key: &K) -> &'static str {
    list.iter()
        .find(|(k, _)| k == key)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

#[derive(Debug, Clone)]
pub struct Backup {
    pub id: i64,
    pub what: String,
    pub category: String,
    pub responsible: String,
    pub responsible_name: String,
    pub destination: String,
    pub destination_detail: String,
    pub offline_copy: bool,
    pub frequency_days: i64,
    pub restore_every_days: i64,
    pub last_backup_on: Option<String>,
    pub last_restore_on: Option<String>,
    pub last_restore_result: Option<String>,
    pub notes: String,
}

const COLUMNS: &str = "id, what, category, responsible, responsible_name, destination, destination_detail, offline_copy, \
    frequency_days, restore_every_days, last_backup_on, last_restore_on, last_restore_result, notes";

macro_rules! backup_from_row {
    ($r:expr) => {{
        use sqlx::Row;
        let r = $r;
        Backup {
            id: r.try_get(0)?,
            what: r.try_get(1)?,
            category: r.try_get(2)?,
            responsible: r.try_get(3)?,
            responsible_name: r.try_get(4)?,
            destination: r.try_get(5)?,
            destination_detail: r.try_get(6)?,
            offline_copy: r.try_get(7)?,
            frequency_days: r.try_get(8)?,
            restore_every_days: r.try_get(9)?,
            last_backup_on: r.try_get(10)?,
            last_restore_on: r.try_get(11)?,
            last_restore_result: r.try_get(12)?,
            notes: r.try_get(13)?,
        }
    }};
}

pub async fn all(db: &Db, scope: &PracticeScope) -> Result<Vec<Backup>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM backups WHERE practice_id = $1 AND active ORDER BY what, id"
    );
    with_db!(db, p => {
        let rows = sqlx::query(&sql).bind(scope.practice_id()).fetch_all(p).await?;
        rows.iter().map(|r| Ok(backup_from_row!(r))).collect()
    })
}

pub async fn find(db: &Db, scope: &PracticeScope, id: i64) -> Result<Option<Backup>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM backups WHERE id = $1 AND practice_id = $2 AND active");
    with_db!(db, p => {
        let row = sqlx::query(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await?;
        row.as_ref().map(|r| Ok(backup_from_row!(r))).transpose()
    })
}

pub struct Listed {
    pub b: Backup,
    pub backup: BackupStatus,
    pub restore: RestoreStatus,
}

impl Listed {
    pub fn new(b: Backup, today: time::Date) -> Self {
        let backup = rules::backup_status(
            b.responsible == "practice",
            b.last_backup_on.as_deref().and_then(rules::parse_iso),
            b.frequency_days,
            today,
        );
        let restore = rules::restore_status(
            b.last_restore_on.as_deref().and_then(rules::parse_iso),
            b.last_restore_result.as_deref(),
            b.restore_every_days,
            today,
        );
        Self { b, backup, restore }
    }
    pub fn category(&self) -> &'static str {
        label(&CATEGORIES, &self.b.category.as_str())
    }
    pub fn responsible(&self) -> String {
        let who = label(&RESPONSIBLE, &self.b.responsible.as_str());
        if self.b.responsible_name.is_empty() {
            who.to_string()
        } else {
            format!("{who}: {}", self.b.responsible_name)
        }
    }
    pub fn destination(&self) -> String {
        let to = label(&DESTINATIONS, &self.b.destination.as_str());
        if self.b.destination_detail.is_empty() {
            to.to_string()
        } else {
            format!("{to}: {}", self.b.destination_detail)
        }
    }
    pub fn frequency(&self) -> String {
        match label(&FREQUENCIES, &self.b.frequency_days) {
            "" => format!("Every {}", rules::days(self.b.frequency_days)),
            l => l.to_string(),
        }
    }
    pub fn date_label(d: &Option<String>) -> String {
        d.as_deref()
            .and_then(rules::parse_iso)
            .map(rules::long_date)
            .unwrap_or_else(|| "Not recorded".into())
    }
    pub fn last_backup(&self) -> String {
        Self::date_label(&self.b.last_backup_on)
    }
    pub fn last_restore(&self) -> String {
        Self::date_label(&self.b.last_restore_on)
    }
}

/// (backups overdue or never recorded, restore tests due, failed or never done)
pub async fn counts(db: &Db, scope: &PracticeScope, now: i64) -> Result<(i64, i64), sqlx::Error> {
    let today = rules::uk_date(now);
    let listed: Vec<Listed> = all(db, scope)
        .await?
        .into_iter()
        .map(|b| Listed::new(b, today))
        .collect();
    Ok((
        listed.iter().filter(|l| l.backup.needs_attention()).count() as i64,
        listed
            .iter()
            .filter(|l| l.restore.needs_attention())
            .count() as i64,
    ))
}

#[derive(Template)]
#[template(path = "resilience/backups.html")]
struct ListPage {
    page: Page,
    manager: bool,
    backups: Vec<Listed>,
    own: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

pub async fn list(
    State(state): State<AppState>,
    scope: ViewScope,
    Query(q): Query<Done>,
) -> Result<Html<String>, AppError> {
    let today = rules::uk_date(state.clock.now());
    let backups = all(&state.db, &scope)
        .await?
        .into_iter()
        .map(|b| Listed::new(b, today))
        .collect();
    let own: Option<(i64, i64, i64)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT at, table_count, row_count FROM system_backups ORDER BY id DESC LIMIT 1").fetch_optional(p).await)?;
    let notice = match q.done.as_str() {
        "added" => Some("Added to the backup register.".to_string()),
        "saved" => Some("Changes saved.".to_string()),
        _ => None,
    };
    render(ListPage {
        page: Page::for_user("Backups", scope.user()).with_notice(notice),
        manager: scope.is_manager(),
        backups,
        own: own.map(|(at, tables, rows)| {
            format!(
                "Safety Net's own database was last backed up with safetynet backup on {} ({tables} tables, {rows} rows).",
                crate::ukclock::format(at)
            )
        }),
    })
}

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

struct Parsed {
    what: String,
    category: String,
    responsible: String,
    responsible_name: String,
    destination: String,
    destination_detail: String,
    offline_copy: bool,
    frequency_days: i64,
    restore_every_days: i64,
    notes: String,
}

impl BackupForm {
    fn from_backup(b: &Backup) -> Self {
        Self {
            what: b.what.clone(),
            category: b.category.clone(),
            responsible: b.responsible.clone(),
            responsible_name: b.responsible_name.clone(),
            destination: b.destination.clone(),
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

    fn parse(&self) -> Result<Parsed, FieldErrors> {
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
        if label(&CATEGORIES, &self.category.as_str()).is_empty() {
            e.add("category", "Choose what kind of thing is backed up");
        }
        if label(&RESPONSIBLE, &self.responsible.as_str()).is_empty() {
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
        if label(&DESTINATIONS, &self.destination.as_str()).is_empty() {
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
        if !e.is_empty() {
            return Err(e);
        }
        Ok(Parsed {
            what,
            category: self.category.clone(),
            responsible: self.responsible.clone(),
            responsible_name,
            destination: self.destination.clone(),
            destination_detail,
            offline_copy: self.offline_copy == "yes",
            frequency_days: frequency_days.unwrap_or(1),
            restore_every_days: restore_every_days.unwrap_or(365),
            notes,
        })
    }
}

#[derive(Template)]
#[template(path = "resilience/backup_form.html")]
struct FormPage {
    page: Page,
    action: String,
    form: BackupForm,
    errors: FieldErrors,
    existing: Option<Listed>,
    log: Vec<(String, String, String, String)>,
    manager: bool,
    today: String,
    categories: [(&'static str, &'static str); 6],
    responsibles: [(&'static str, &'static str); 3],
    destinations: [(&'static str, &'static str); 5],
    frequencies: [(i64, &'static str); 4],
    restore_everies: [(i64, &'static str); 3],
    results: [(&'static str, &'static str); 3],
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    scope: &PracticeScope,
    existing: Option<Listed>,
    log: Vec<(String, String, String, String)>,
    form: BackupForm,
    errors: FieldErrors,
    notice: Option<String>,
    now: i64,
) -> FormPage {
    let title = match &existing {
        Some(l) => format!("Backup: {}", l.b.what),
        None => "Add a backup".to_string(),
    };
    let today = rules::uk_date(now);
    FormPage {
        page: Page::for_user(title, scope.user()).with_notice(notice),
        action: existing
            .as_ref()
            .map(|l| format!("/resilience/backups/{}", l.b.id))
            .unwrap_or_else(|| "/resilience/backups/new".into()),
        form,
        errors,
        existing,
        log,
        manager: scope.role() == crate::auth::Role::Manager,
        today: format!(
            "{:02}/{:02}/{}",
            today.day(),
            u8::from(today.month()),
            today.year()
        ),
        categories: CATEGORIES,
        responsibles: RESPONSIBLE,
        destinations: DESTINATIONS,
        frequencies: FREQUENCIES,
        restore_everies: RESTORE_EVERY,
        results: RESULTS,
    }
}

pub async fn new_page(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let form = BackupForm {
        category: "shared_drive".into(),
        responsible: "practice".into(),
        destination: "external_drive".into(),
        frequency_days: "1".into(),
        restore_every_days: "365".into(),
        ..Default::default()
    };
    render(form_page(
        &scope,
        None,
        Vec::new(),
        form,
        FieldErrors::default(),
        None,
        state.clock.now(),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<BackupForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let b = match form.parse() {
        Ok(b) => b,
        Err(errors) => {
            return Ok(
                render(form_page(&scope, None, Vec::new(), form, errors, None, now))?
                    .into_response(),
            )
        }
    };
    with_db!(&state.db, p => sqlx::query(
        "INSERT INTO backups (practice_id, what, category, responsible, responsible_name, destination, destination_detail, offline_copy, \
                              frequency_days, restore_every_days, notes, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)")
        .bind(scope.practice_id()).bind(&b.what).bind(&b.category).bind(&b.responsible).bind(&b.responsible_name)
        .bind(&b.destination).bind(&b.destination_detail).bind(b.offline_copy).bind(b.frequency_days)
        .bind(b.restore_every_days).bind(&b.notes).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::BackupChanged,
        &format!("added backup \"{}\"", b.what),
        now,
    )
    .await?;
    Ok(Redirect::to("/resilience/backups?done=added").into_response())
}

async fn log_of(
    db: &Db,
    scope: &PracticeScope,
    id: i64,
) -> Result<Vec<(String, String, String, String)>, sqlx::Error> {
    let rows: Vec<(String, String, Option<String>, String, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT kind, on_date, result, note, recorded_by FROM backup_log WHERE practice_id = $1 AND backup_id = $2 ORDER BY id DESC LIMIT 50")
        .bind(scope.practice_id()).bind(id).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(kind, on, result, note, by)| {
            let what = match (kind.as_str(), result.as_deref()) {
                ("backup", _) => "Backup made".to_string(),
                (_, Some(r)) => format!("Restore test: {}", label(&RESULTS, &r).to_lowercase()),
                _ => "Restore test".to_string(),
            };
            (Listed::date_label(&Some(on)), what, note, by)
        })
        .collect())
}

pub async fn show(
    State(state): State<AppState>,
    scope: ViewScope,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> Result<Html<String>, AppError> {
    let now = state.clock.now();
    let b = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = BackupForm::from_backup(&b);
    let log = log_of(&state.db, &scope, id).await?;
    let notice = match q.done.as_str() {
        "recorded" => Some("Recorded.".to_string()),
        _ => None,
    };
    render(form_page(
        &scope,
        Some(Listed::new(b, rules::uk_date(now))),
        log,
        form,
        FieldErrors::default(),
        notice,
        now,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<BackupForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let existing = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let b = match form.parse() {
        Ok(b) => b,
        Err(errors) => {
            let log = log_of(&state.db, &scope, id).await?;
            return Ok(render(form_page(
                &scope,
                Some(Listed::new(existing, rules::uk_date(now))),
                log,
                form,
                errors,
                None,
                now,
            ))?
            .into_response());
        }
    };
    with_db!(&state.db, p => sqlx::query(
        "UPDATE backups SET what = $1, category = $2, responsible = $3, responsible_name = $4, destination = $5, destination_detail = $6, \
                offline_copy = $7, frequency_days = $8, restore_every_days = $9, notes = $10, updated_at = $11 WHERE id = $12 AND practice_id = $13")
        .bind(&b.what).bind(&b.category).bind(&b.responsible).bind(&b.responsible_name).bind(&b.destination)
        .bind(&b.destination_detail).bind(b.offline_copy).bind(b.frequency_days).bind(b.restore_every_days)
        .bind(&b.notes).bind(now).bind(id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::BackupChanged,
        &format!("changed backup \"{}\"", b.what),
        now,
    )
    .await?;
    Ok(Redirect::to("/resilience/backups?done=saved").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RecordForm {
    /// "backup" or "restore_test".
    kind: String,
    on_date: String,
    /// For a restore test: worked, partly or failed.
    result: String,
    note: String,
}

pub async fn record(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<RecordForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let b = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = rules::uk_date(now);
    let mut errors = FieldErrors::default();
    let restore = match form.kind.as_str() {
        "backup" => false,
        "restore_test" => true,
        _ => {
            return Err(AppError::BadRequest(
                "Choose whether you are recording a backup or a restore test.".into(),
            ))
        }
    };
    let prefix = if restore { "restore" } else { "backup" };
    let on = match rules::parse_date(&form.on_date) {
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
    let result = if restore {
        let r = label(&RESULTS, &form.result.as_str());
        if r.is_empty() {
            errors.add("result", "Choose whether the restore worked");
        }
        Some(form.result.clone())
    } else {
        None
    };
    let note = errors
        .take(clean(
            &form.note,
            &format!("{prefix}_note"),
            "The note",
            1000,
        ))
        .unwrap_or_default();
    let Some(on) = on.filter(|_| errors.is_empty()) else {
        let log = log_of(&state.db, &scope, id).await?;
        let bf = BackupForm::from_backup(&b);
        return Ok(render(form_page(
            &scope,
            Some(Listed::new(b, today)),
            log,
            bf,
            errors,
            None,
            now,
        ))?
        .into_response());
    };
    let on_iso = rules::iso(on);
    with_db!(&state.db, p => {
        let mut tx = p.begin().await?;
        sqlx::query("INSERT INTO backup_log (practice_id, backup_id, kind, on_date, result, note, recorded_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(scope.practice_id()).bind(id).bind(if restore { "restore_test" } else { "backup" }).bind(&on_iso)
            .bind(&result).bind(&note).bind(&scope.user().full_name).bind(now).execute(&mut *tx).await?;
        // The newest date wins, so recording an older test does not hide a newer one.
        if restore {
            sqlx::query("UPDATE backups SET last_restore_on = $1, last_restore_result = $2, updated_at = $3 \
                         WHERE id = $4 AND practice_id = $5 AND (last_restore_on IS NULL OR last_restore_on <= $1)")
                .bind(&on_iso).bind(&result).bind(now).bind(id).bind(scope.practice_id()).execute(&mut *tx).await?;
        } else {
            sqlx::query("UPDATE backups SET last_backup_on = $1, updated_at = $2 \
                         WHERE id = $3 AND practice_id = $4 AND (last_backup_on IS NULL OR last_backup_on <= $1)")
                .bind(&on_iso).bind(now).bind(id).bind(scope.practice_id()).execute(&mut *tx).await?;
        }
        tx.commit().await?;
    });
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::BackupChanged,
        &if restore {
            format!(
                "recorded a restore test of \"{}\" on {}: {}",
                b.what,
                rules::long_date(on),
                label(&RESULTS, &result.as_deref().unwrap_or("")).to_lowercase()
            )
        } else {
            format!(
                "recorded a backup of \"{}\" on {}",
                b.what,
                rules::long_date(on)
            )
        },
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/resilience/backups/{id}?done=recorded")).into_response())
}
