//! Where the asset register is stored: the `assets` and `register_reviews`
//! tables, and the only place their SQL lives (the spreadsheet import and
//! device check-in write through here too). Reads take `&Db`; changes take
//! the caller's `Tx`, so each commits with its audit entry.

use sqlx::QueryBuilder;

use super::domain::{
    last_updated_at, AddedBy, Asset, AssetInput, AssetKind, Counts, Encryption, Identity,
    ManagedBy, Show, PER_PAGE,
};
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::resilience::dates;
use crate::resilience::ids::AssetId;
use crate::resilience::rules;
use crate::resilience::sql::from_row;
use crate::resilience::support_dates::table::{ending_soon_before, unsupported_if_before};
use crate::{with_db, with_tx};

const COLUMNS: &str = "id, kind, name, hostname, serial, make_model, os, os_build, owner, location, encryption, \
     managed_by, supported_until, eol_on, eol_source, last_updated_at, last_checkin_at, notes, added_by, active, retired_on";

pub async fn find(
    db: &Db,
    scope: &PracticeScope,
    id: AssetId,
) -> Result<Option<Asset>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM assets WHERE id = $1 AND practice_id = $2");
    with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)
}

/// Every asset, in use first, then retired, by name (the spreadsheet download).
pub async fn all(db: &Db, scope: &PracticeScope) -> Result<Vec<Asset>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM assets WHERE practice_id = $1 ORDER BY active DESC, name, id"
    );
    with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)
}

/// The register's figures, counted in SQL with the same rules as each row.
/// Call `support_dates::refresh` first so the end-of-life dates are current.
pub async fn counts(db: &Db, scope: &PracticeScope, now: i64) -> Result<Counts, sqlx::Error> {
    let today = dates::uk_date(now);
    with_db!(db, p => sqlx::query_as(
        "SELECT COUNT(*) AS total, \
                COALESCE(SUM(CASE WHEN eol_on < $2 THEN 1 ELSE 0 END), 0) AS unsupported, \
                COALESCE(SUM(CASE WHEN eol_on >= $2 AND eol_on < $3 THEN 1 ELSE 0 END), 0) AS ending_soon, \
                COALESCE(SUM(CASE WHEN last_updated_at < $4 THEN 1 ELSE 0 END), 0) AS overdue, \
                COALESCE(SUM(CASE WHEN last_updated_at IS NULL THEN 1 ELSE 0 END), 0) AS unknown_updates, \
                COALESCE(SUM(CASE WHEN encryption = $5 THEN 1 ELSE 0 END), 0) AS unencrypted \
         FROM assets WHERE practice_id = $1 AND active")
        .bind(scope.practice_id())
        .bind(unsupported_if_before(today))
        .bind(ending_soon_before(today))
        .bind(rules::overdue_before(now))
        .bind(Encryption::No)
        .fetch_one(p).await)
}

/// One page of the register: up to [`PER_PAGE`] assets after `after`, by
/// name, and the asset to carry on after if there are more. An `after`
/// that is not the practice's asset starts from the beginning.
pub async fn page(
    db: &Db,
    scope: &PracticeScope,
    show: Show,
    after: Option<AssetId>,
    now: i64,
) -> Result<(Vec<Asset>, Option<AssetId>), sqlx::Error> {
    let today = dates::uk_date(now);
    let cursor: Option<String> = match after {
        Some(after) => with_db!(db, p => sqlx::query_scalar(
            "SELECT name FROM assets WHERE id = $1 AND practice_id = $2")
            .bind(after).bind(scope.practice_id()).fetch_optional(p).await)?,
        None => None,
    };
    let mut assets: Vec<Asset> = with_db!(db, p => {
        let mut q = QueryBuilder::new(format!("SELECT {COLUMNS} FROM assets WHERE practice_id = "));
        q.push_bind(scope.practice_id()).push(" AND active = ").push_bind(show != Show::Retired);
        if show == Show::Attention {
            // Needs attention: unsupported, updates overdue or never recorded,
            // or not encrypted (the same rules as each row's tags).
            q.push(" AND (eol_on < ").push_bind(unsupported_if_before(today))
                .push(" OR last_updated_at IS NULL OR last_updated_at < ").push_bind(rules::overdue_before(now))
                .push(" OR encryption = ").push_bind(Encryption::No).push(")");
        }
        if let (Some(name), Some(after)) = (cursor, after) {
            // A row comparison: both databases walk the assets_page index from there.
            q.push(" AND (name, id) > (").push_bind(name).push(", ").push_bind(after).push(")");
        }
        q.push(format!(" ORDER BY name, id LIMIT {}", PER_PAGE + 1));
        q.build_query_as::<Asset>().fetch_all(p).await
    })?;
    let next = if assets.len() as i64 > PER_PAGE {
        assets.truncate(PER_PAGE as usize);
        assets.last().map(|a| a.id)
    } else {
        None
    };
    Ok((assets, next))
}

/// Another asset in use with the entry's serial number or, failing that,
/// its computer name (`except` is the asset being changed). Asked inside the
/// change that adds or saves the asset (on SQLite, under its write lock).
pub async fn same_identity(
    tx: &mut Tx,
    scope: &PracticeScope,
    input: &AssetInput,
    except: Option<AssetId>,
) -> Result<Option<Identity>, sqlx::Error> {
    let except = except.map_or(0, AssetId::get);
    if let Some(serial) = &input.serial {
        let name: Option<String> = with_tx!(tx, c => sqlx::query_scalar(
            "SELECT name FROM assets WHERE practice_id = $1 AND serial = $2 AND active AND id <> $3 LIMIT 1")
            .bind(scope.practice_id()).bind(serial).bind(except).fetch_optional(&mut *c).await)?;
        if let Some(name) = name {
            return Ok(Some(Identity::Serial(name)));
        }
    }
    if let Some(host) = &input.hostname {
        let name: Option<String> = with_tx!(tx, c => sqlx::query_scalar(
            "SELECT name FROM assets WHERE practice_id = $1 AND hostname = $2 AND active AND id <> $3 LIMIT 1")
            .bind(scope.practice_id()).bind(host).bind(except).fetch_optional(&mut *c).await)?;
        if let Some(name) = name {
            return Ok(Some(Identity::Hostname(name)));
        }
    }
    Ok(None)
}

/// The name, serial number and computer name of an asset in use.
pub struct Known {
    pub name: String,
    pub serial: Option<String>,
    pub hostname: Option<String>,
}

from_row!(Known, r => Ok(Known {
    name: r.try_get("name")?,
    serial: r.try_get("serial")?,
    hostname: r.try_get("hostname")?,
}));

/// Every asset in use, for checking a spreadsheet's rows against the register.
pub async fn known(db: &Db, scope: &PracticeScope) -> Result<Vec<Known>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT name, serial, hostname FROM assets WHERE practice_id = $1 AND active")
        .bind(scope.practice_id()).fetch_all(p).await)
}

pub async fn insert(
    tx: &mut Tx,
    scope: &PracticeScope,
    a: &AssetInput,
    added_by: AddedBy,
    now: i64,
) -> Result<AssetId, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO assets (practice_id, kind, name, hostname, serial, make_model, os, owner, location, encryption, managed_by, \
                             supported_until, last_updated_at, notes, added_by, eol_stale, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, TRUE, $16, $16) RETURNING id")
        .bind(scope.practice_id()).bind(&a.kind).bind(&a.name).bind(&a.hostname).bind(&a.serial).bind(&a.make_model)
        .bind(&a.os).bind(&a.owner).bind(&a.location).bind(&a.encryption).bind(&a.managed_by)
        .bind(&a.supported_until).bind(last_updated_at(a.last_updated.as_deref(), None)).bind(&a.notes)
        .bind(added_by).bind(now).fetch_one(&mut *c).await)
}

/// Adds many checked entries (a spreadsheet's good rows), 500 to a statement.
pub async fn insert_many(
    tx: &mut Tx,
    scope: &PracticeScope,
    entries: &[&AssetInput],
    added_by: AddedBy,
    now: i64,
) -> Result<(), sqlx::Error> {
    for chunk in entries.chunks(500) {
        with_tx!(tx, c => {
            let mut q = QueryBuilder::new(
                "INSERT INTO assets (practice_id, kind, name, hostname, serial, make_model, os, owner, location, encryption, managed_by, \
                                     supported_until, last_updated_at, notes, added_by, eol_stale, created_at, updated_at) ");
            q.push_values(chunk, |mut b, a| {
                b.push_bind(scope.practice_id()).push_bind(a.kind.clone()).push_bind(a.name.clone()).push_bind(a.hostname.clone())
                    .push_bind(a.serial.clone()).push_bind(a.make_model.clone()).push_bind(a.os.clone()).push_bind(a.owner.clone())
                    .push_bind(a.location.clone()).push_bind(a.encryption.clone()).push_bind(a.managed_by.clone())
                    .push_bind(a.supported_until.clone())
                    .push_bind(last_updated_at(a.last_updated.as_deref(), None))
                    .push_bind(a.notes.clone()).push_bind(added_by).push_bind(true).push_bind(now).push_bind(now);
            });
            q.build().execute(&mut *c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Saves the form's entry over the asset; its end-of-life date is worked
/// out again on the next visit.
pub async fn update(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: AssetId,
    a: &AssetInput,
    last_updated_at: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE assets SET kind = $1, name = $2, hostname = $3, serial = $4, make_model = $5, os = $6, owner = $7, location = $8, \
                encryption = $9, managed_by = $10, supported_until = $11, last_updated_at = $12, notes = $13, eol_stale = TRUE, updated_at = $14 \
         WHERE id = $15 AND practice_id = $16")
        .bind(&a.kind).bind(&a.name).bind(&a.hostname).bind(&a.serial).bind(&a.make_model)
        .bind(&a.os).bind(&a.owner).bind(&a.location).bind(&a.encryption).bind(&a.managed_by)
        .bind(&a.supported_until).bind(last_updated_at).bind(&a.notes).bind(now).bind(id).bind(scope.practice_id())
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Updates were installed on the asset at `now`.
pub async fn mark_updated(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: AssetId,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE assets SET last_updated_at = $1, updated_at = $1 WHERE id = $2 AND practice_id = $3")
        .bind(now).bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Takes the asset out of use from `retired_on` (an ISO date), or puts it
/// back in use (`None`).
pub async fn set_retired(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: AssetId,
    retired_on: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE assets SET active = $1, retired_on = $2, updated_at = $3 WHERE id = $4 AND practice_id = $5")
        .bind(retired_on.is_none()).bind(retired_on).bind(now).bind(id).bind(scope.practice_id())
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

// ---------- reviews of the register ----------

/// `register_reviews.register` for the asset register.
const ASSET_REGISTER: &str = "assets";

/// When the register was last reviewed (an ISO date), if ever.
pub async fn last_review(db: &Db, scope: &PracticeScope) -> Result<Option<String>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT reviewed_on FROM register_reviews WHERE practice_id = $1 AND register = $2 ORDER BY id DESC LIMIT 1")
        .bind(scope.practice_id()).bind(ASSET_REGISTER).fetch_optional(p).await)
}

/// Records a review of the register today, by the scope's user.
pub async fn add_review(
    tx: &mut Tx,
    scope: &PracticeScope,
    note: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let today = dates::iso(dates::uk_date(now));
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO register_reviews (practice_id, register, reviewed_on, reviewed_by, note, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(scope.practice_id()).bind(ASSET_REGISTER).bind(&today).bind(&scope.user().full_name).bind(note).bind(now)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

// ---------- device check-in ----------

/// A device as its check-in script reports it, already cleaned.
pub struct CheckIn<'a> {
    pub hostname: &'a str,
    pub serial: Option<&'a str>,
    /// What to call it if it is new (the computer name as it reported it).
    pub name: &'a str,
    pub kind: AssetKind,
    pub os: &'a str,
    pub os_build: &'a str,
    /// Empty when the device did not say.
    pub make_model: &'a str,
    pub encryption: Option<Encryption>,
    pub last_update: Option<i64>,
}

/// The asset a check-in matched.
pub struct Matched {
    pub id: AssetId,
    pub name: String,
}

from_row!(Matched, r => Ok(Matched { id: r.try_get("id")?, name: r.try_get("name")? }));

/// Brings the asset in use that this device is (by serial number first,
/// then by computer name) up to date from its check-in: what it runs, its
/// make, encryption, names it lacked, the newest update time, and when it
/// last checked in; a changed operating system has its end-of-life date
/// worked out again. None if the register has no such device.
///
/// One statement with nothing to commit beside it, so it runs on its own
/// rather than in a `Tx`: this is the check-in's hot path, and on SQLite an
/// open transaction holds the write lock across every await until it
/// commits, which halved the check-ins accepted per second.
pub async fn record_checkin(
    db: &Db,
    scope: &PracticeScope,
    device: &CheckIn<'_>,
    now: i64,
) -> Result<Option<Matched>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(CHECKIN_UPDATE)
        .bind(device.os).bind(device.os_build).bind(device.make_model).bind(device.encryption)
        .bind(device.hostname).bind(device.serial).bind(device.last_update).bind(now).bind(scope.practice_id())
        .fetch_optional(p).await)
}

/// [`record_checkin`] in the caller's transaction, after [`lock_new_device`]:
/// the check that a device is new, made again where no other check-in can add it meanwhile.
pub async fn record_checkin_in(
    tx: &mut Tx,
    scope: &PracticeScope,
    device: &CheckIn<'_>,
    now: i64,
) -> Result<Option<Matched>, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_as(CHECKIN_UPDATE)
        .bind(device.os).bind(device.os_build).bind(device.make_model).bind(device.encryption)
        .bind(device.hostname).bind(device.serial).bind(device.last_update).bind(now).bind(scope.practice_id())
        .fetch_optional(&mut *c).await)
}

/// Makes concurrent first check-ins of one device (by computer name) take
/// turns until the transaction ends, on any app node, so it is added once.
/// On SQLite the transaction's write lock already does this.
pub async fn lock_new_device(
    tx: &mut Tx,
    scope: &PracticeScope,
    hostname: &str,
) -> Result<(), sqlx::Error> {
    if tx.backend() == crate::db::Backend::Postgres {
        let key = format!("checkin:{}:{hostname}", scope.practice_id());
        with_tx!(tx, c => sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(key).execute(&mut *c).await.map(|_| ()))?;
    }
    Ok(())
}

/// A check-in's update of the device it names (by serial, else computer name).
const CHECKIN_UPDATE: &str = "UPDATE assets SET \
            eol_stale = (eol_stale OR os <> $1), os = $1, os_build = $2, \
            make_model = CASE WHEN $3 = '' THEN make_model ELSE $3 END, \
            encryption = COALESCE($4, encryption), \
            hostname = COALESCE(hostname, $5), serial = COALESCE(serial, $6), \
            last_updated_at = CASE WHEN last_updated_at IS NULL OR last_updated_at < $7 THEN $7 ELSE last_updated_at END, \
            last_checkin_at = $8, updated_at = $8 \
         WHERE practice_id = $9 AND id = COALESCE( \
            (SELECT id FROM assets WHERE practice_id = $9 AND serial = $6 AND active ORDER BY id LIMIT 1), \
            (SELECT id FROM assets WHERE practice_id = $9 AND hostname = $5 AND active ORDER BY id LIMIT 1)) \
         RETURNING id, name";

/// Adds a device the register did not have, from its first check-in.
pub async fn insert_checked_in(
    tx: &mut Tx,
    scope: &PracticeScope,
    device: &CheckIn<'_>,
    now: i64,
) -> Result<AssetId, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO assets (practice_id, kind, name, hostname, serial, make_model, os, os_build, encryption, managed_by, \
                             last_updated_at, last_checkin_at, added_by, eol_stale, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, TRUE, $12, $12) RETURNING id")
        .bind(scope.practice_id()).bind(device.kind).bind(device.name).bind(device.hostname).bind(device.serial)
        .bind(device.make_model).bind(device.os).bind(device.os_build).bind(device.encryption.unwrap_or(Encryption::Unknown))
        .bind(ManagedBy::Unknown).bind(device.last_update).bind(now).bind(AddedBy::Checkin)
        .fetch_one(&mut *c).await)
}

/// A device's latest check-in, for the check-in page.
pub struct RecentCheckin {
    pub name: String,
    pub os: String,
    pub at: i64,
}

from_row!(RecentCheckin, r => Ok(RecentCheckin {
    name: r.try_get("name")?,
    os: r.try_get("os")?,
    at: r.try_get("last_checkin_at")?,
}));

/// The ten devices that checked in most recently.
pub async fn recent_checkins(
    db: &Db,
    scope: &PracticeScope,
) -> Result<Vec<RecentCheckin>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT name, os, last_checkin_at FROM assets WHERE practice_id = $1 AND last_checkin_at IS NOT NULL \
         ORDER BY last_checkin_at DESC LIMIT 10")
        .bind(scope.practice_id()).fetch_all(p).await)
}

// ---------- end-of-life dates (for `support_dates::refresh`) ----------

/// What an asset's end-of-life date is worked out from.
pub struct EolInputs {
    pub id: AssetId,
    pub kind: AssetKind,
    pub name: String,
    pub os: String,
    pub supported_until: Option<String>,
}

from_row!(EolInputs, r => Ok(EolInputs {
    id: r.try_get("id")?,
    kind: r.try_get("kind")?,
    name: r.try_get("name")?,
    os: r.try_get("os")?,
    supported_until: r.try_get("supported_until")?,
}));

/// Every asset of the practice (`all`), or those whose date is stale.
/// Read outside the change that follows: [`set_eol`] checks again that
/// nothing changed, and most visits find nothing to do and take no lock.
pub async fn eol_inputs(
    db: &Db,
    scope: &PracticeScope,
    all: bool,
) -> Result<Vec<EolInputs>, sqlx::Error> {
    let sql = if all {
        "SELECT id, kind, name, os, supported_until FROM assets WHERE practice_id = $1"
    } else {
        "SELECT id, kind, name, os, supported_until FROM assets WHERE practice_id = $1 AND eol_stale"
    };
    with_db!(db, p => sqlx::query_as(sql).bind(scope.practice_id()).fetch_all(p).await)
}

/// Which assets share one end-of-life answer: the same operating system
/// and typed date (and, for software, name).
pub struct EolGroup<'a> {
    pub software: bool,
    pub name: &'a str,
    pub os: &'a str,
    /// The typed date, "" for none.
    pub typed: &'a str,
}

/// Sets the end-of-life date and its source on these assets, unless one
/// changed meanwhile (it stays stale for next time), 500 ids to a statement.
pub async fn set_eol(
    tx: &mut Tx,
    scope: &PracticeScope,
    group: &EolGroup<'_>,
    ids: &[AssetId],
    eol_on: Option<&str>,
    source: &str,
) -> Result<(), sqlx::Error> {
    for chunk in ids.chunks(500) {
        with_tx!(tx, c => {
            let mut q = QueryBuilder::new("UPDATE assets SET eol_on = ");
            q.push_bind(eol_on).push(", eol_source = ").push_bind(source)
                .push(", eol_stale = FALSE WHERE practice_id = ").push_bind(scope.practice_id())
                .push(" AND os = ").push_bind(group.os)
                .push(" AND COALESCE(supported_until, '') = ").push_bind(group.typed);
            if group.software {
                q.push(" AND name = ").push_bind(group.name);
            }
            q.push(" AND id IN (");
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            q.push(")");
            q.build().execute(&mut *c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}
