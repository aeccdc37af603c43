//! Which support-dates table a practice uses, loading a newer one, and
//! bringing the practice's stored end-of-life dates up to date with it.

use std::collections::HashMap;
use std::sync::Arc;

use super::repo;
use super::table::{cached, parse, shipped, work_out, Origin, SupportTable, MAX_FILE_BYTES};
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::resilience::assets::repo::{self as assets, EolGroup};
use crate::resilience::dates::{iso, long_date};
use crate::resilience::ids::AssetId;
use crate::shared::PracticeId;

/// Whose table: one practice's (its manager loaded it), or every
/// practice's (the operator loaded it with `safetynet support-dates load`).
pub enum For<'a> {
    Practice(&'a PracticeScope),
    EveryPractice,
}

impl For<'_> {
    /// The table's `practice_id`: none for every practice.
    pub fn practice_id(&self) -> Option<PracticeId> {
        match self {
            Self::Practice(scope) => Some(scope.practice_id()),
            Self::EveryPractice => None,
        }
    }
}

/// The table a practice uses: the most recently checked of the shipped
/// table, the operator's latest and the practice's latest.
pub async fn effective(db: &Db, scope: &PracticeScope) -> Result<Arc<SupportTable>, sqlx::Error> {
    let mut best = shipped();
    // Operator before practice, so a practice's table wins a tie.
    let mut loaded: Vec<Arc<SupportTable>> = repo::latest(db, scope)
        .await?
        .into_iter()
        .filter_map(|t| {
            let origin = match t.practice_id {
                Some(_) => Origin::Practice {
                    filename: t.filename,
                    loaded_at: t.loaded_at,
                },
                None => Origin::Operator {
                    filename: t.filename,
                    loaded_at: t.loaded_at,
                },
            };
            cached(&t.toml, origin)
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

/// The table every practice gets unless it loaded a newer one: the
/// shipped table or the operator's latest, whichever was checked later.
pub async fn for_every_practice(db: &Db) -> Result<Arc<SupportTable>, sqlx::Error> {
    let mut best = shipped();
    if let Some(t) = repo::operators_latest(db)
        .await?
        .and_then(|text| parse(&text).ok())
    {
        if t.updated >= best.updated {
            best = Arc::new(t);
        }
    }
    Ok(best)
}

/// Reads a table file someone wants to load, or says why it cannot be: it
/// is not a table, or it was checked before the one in use (it would never
/// be used).
pub async fn check_new(
    db: &Db,
    owner: &For<'_>,
    text: &str,
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
    let current = match owner {
        For::Practice(scope) => effective(db, scope).await?,
        For::EveryPractice => for_every_practice(db).await?,
    };
    if table.updated < current.updated {
        return Ok(Err(format!(
            "This table was last checked on {}, before the one already in use ({}), so it would never be used. Nothing was loaded.",
            long_date(table.updated),
            long_date(current.updated)
        )));
    }
    Ok(Ok(table))
}

/// Stores a table that [`check_new`] accepted, in the caller's transaction.
pub async fn store(
    tx: &mut Tx,
    owner: &For<'_>,
    table: &SupportTable,
    filename: &str,
    text: &str,
    loaded_by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    repo::insert(
        tx,
        owner,
        &iso(table.updated),
        filename,
        text,
        loaded_by,
        now,
    )
    .await
}

/// Loads a table for every practice (`safetynet support-dates load`), or
/// says why it cannot be loaded.
pub async fn load_for_every_practice(
    db: &Db,
    filename: &str,
    text: &str,
    loaded_by: &str,
    now: i64,
) -> Result<Result<SupportTable, String>, sqlx::Error> {
    let owner = For::EveryPractice;
    let table = match check_new(db, &owner, text).await? {
        Ok(t) => t,
        Err(problem) => return Ok(Err(problem)),
    };
    let mut tx = db.begin().await?;
    store(&mut tx, &owner, &table, filename, text, loaded_by, now).await?;
    tx.commit().await?;
    Ok(Ok(table))
}

/// Brings the practice's stored end-of-life dates up to date with the table
/// in use: every asset when the table changed, otherwise those marked
/// stale. Opens its own transaction when there is anything to change (most
/// visits find nothing, and take no lock), so call it before beginning one.
pub async fn refresh(db: &Db, scope: &PracticeScope) -> Result<Arc<SupportTable>, sqlx::Error> {
    let table = effective(db, scope).await?;
    let all = repo::fingerprint(db, scope).await?.as_deref() != Some(table.fingerprint.as_str());
    let rows = assets::eol_inputs(db, scope, all).await?;
    if rows.is_empty() && !all {
        return Ok(table);
    }
    // One UPDATE per distinct (operating system, typed date) rather than per
    // asset: a practice's devices share a handful of operating systems.
    let mut groups: HashMap<(bool, &str, &str, &str), Vec<AssetId>> = HashMap::new();
    for r in &rows {
        let software = r.kind.is_software();
        let name = if software { r.name.as_str() } else { "" };
        let typed = r.supported_until.as_deref().unwrap_or_default();
        groups
            .entry((software, name, r.os.as_str(), typed))
            .or_default()
            .push(r.id);
    }
    let mut tx = db.begin().await?;
    for ((software, name, os, typed), ids) in &groups {
        let (eol_on, source) = work_out(
            &table,
            *software,
            name,
            os,
            Some(*typed).filter(|t| !t.is_empty()),
        );
        let group = EolGroup {
            software: *software,
            name,
            os,
            typed,
        };
        assets::set_eol(&mut tx, scope, &group, ids, eol_on.as_deref(), &source).await?;
    }
    if all {
        repo::set_fingerprint(&mut tx, scope, &table.fingerprint).await?;
    }
    tx.commit().await?;
    Ok(table)
}
