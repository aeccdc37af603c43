//! Where the backup register is stored: the `backups` and `backup_log`
//! tables, and the latest row of `system_backups` (written by `own_backup`).

use super::domain::{Backup, BackupInput, LogEntry, LogKind, OwnBackup, Record};
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::resilience::dates;
use crate::resilience::ids::BackupId;
use crate::{with_db, with_tx};

const COLUMNS: &str = "id, what, category, responsible, responsible_name, destination, destination_detail, offline_copy, \
    frequency_days, restore_every_days, last_backup_on, last_restore_on, last_restore_result, notes";

/// Every line in use, by what is backed up.
pub async fn all(db: &Db, scope: &PracticeScope) -> Result<Vec<Backup>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM backups WHERE practice_id = $1 AND active ORDER BY what, id"
    );
    with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)
}

pub async fn find(
    db: &Db,
    scope: &PracticeScope,
    id: BackupId,
) -> Result<Option<Backup>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM backups WHERE id = $1 AND practice_id = $2 AND active");
    with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)
}

/// The newest 50 lines of a backup's log, newest first.
pub async fn log(
    db: &Db,
    scope: &PracticeScope,
    id: BackupId,
) -> Result<Vec<LogEntry>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT kind, on_date, result, note, recorded_by FROM backup_log WHERE practice_id = $1 AND backup_id = $2 ORDER BY id DESC LIMIT 50")
        .bind(scope.practice_id()).bind(id).fetch_all(p).await)
}

/// The last `safetynet backup` of Safety Net's own database, if any.
pub async fn last_own_backup(db: &Db) -> Result<Option<OwnBackup>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT at, table_count, row_count FROM system_backups ORDER BY id DESC LIMIT 1")
        .fetch_optional(p).await)
}

pub async fn insert(
    tx: &mut Tx,
    scope: &PracticeScope,
    b: &BackupInput,
    now: i64,
) -> Result<BackupId, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO backups (practice_id, what, category, responsible, responsible_name, destination, destination_detail, offline_copy, \
                              frequency_days, restore_every_days, notes, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id")
        .bind(scope.practice_id()).bind(&b.what).bind(b.category).bind(b.responsible).bind(&b.responsible_name)
        .bind(b.destination).bind(&b.destination_detail).bind(b.offline_copy).bind(b.frequency_days)
        .bind(b.restore_every_days).bind(&b.notes).bind(now).fetch_one(&mut *c).await)
}

pub async fn update(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: BackupId,
    b: &BackupInput,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE backups SET what = $1, category = $2, responsible = $3, responsible_name = $4, destination = $5, destination_detail = $6, \
                offline_copy = $7, frequency_days = $8, restore_every_days = $9, notes = $10, updated_at = $11 WHERE id = $12 AND practice_id = $13")
        .bind(&b.what).bind(b.category).bind(b.responsible).bind(&b.responsible_name).bind(b.destination)
        .bind(&b.destination_detail).bind(b.offline_copy).bind(b.frequency_days).bind(b.restore_every_days)
        .bind(&b.notes).bind(now).bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Logs a backup or restore test by the scope's user, and moves the
/// backup's "last" date on if this one is the newest (recording an older
/// test does not hide a newer one).
pub async fn record(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: BackupId,
    r: &Record,
    now: i64,
) -> Result<(), sqlx::Error> {
    let on = dates::iso(r.on);
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO backup_log (practice_id, backup_id, kind, on_date, result, note, recorded_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(scope.practice_id()).bind(id).bind(r.kind).bind(&on).bind(r.result).bind(&r.note)
        .bind(&scope.user().full_name).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    match r.kind {
        LogKind::RestoreTest => with_tx!(tx, c => sqlx::query(
            "UPDATE backups SET last_restore_on = $1, last_restore_result = $2, updated_at = $3 \
             WHERE id = $4 AND practice_id = $5 AND (last_restore_on IS NULL OR last_restore_on <= $1)")
            .bind(&on).bind(r.result).bind(now).bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|r| r.rows_affected()))?,
        LogKind::Backup => with_tx!(tx, c => sqlx::query(
            "UPDATE backups SET last_backup_on = $1, updated_at = $2 \
             WHERE id = $3 AND practice_id = $4 AND (last_backup_on IS NULL OR last_backup_on <= $1)")
            .bind(&on).bind(now).bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|r| r.rows_affected()))?,
    };
    Ok(())
}

/// Records a `safetynet backup` of Safety Net's own database, for the
/// practices' backup pages.
pub async fn record_own_backup(
    tx: &mut Tx,
    at: i64,
    file: &str,
    summary: &crate::resilience::own_backup::Summary,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO system_backups (at, file, table_count, row_count, bytes) VALUES ($1, $2, $3, $4, $5)")
        .bind(at).bind(file).bind(summary.tables as i64).bind(summary.rows as i64).bind(summary.bytes as i64)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
