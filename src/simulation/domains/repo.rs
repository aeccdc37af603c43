//! Storage for `practice_domains`: the domains a practice asked for and
//! whether an operator verified them.

use crate::db::row::named_row;
use crate::db::{is_unique_violation, Db, Tx};
use crate::shared::PracticeId;
use crate::simulation::ids::DomainId;
use crate::{with_db, with_tx};

pub struct Domain {
    pub id: DomainId,
    pub domain: String,
    pub verified: bool,
    pub verified_by: String,
}

struct DomainRow {
    id: DomainId,
    domain: String,
    verified_at: Option<i64>,
    verified_by: Option<String>,
}
named_row!(DomainRow {
    id,
    domain,
    verified_at,
    verified_by
});

pub async fn list_for(db: &Db, practice_id: PracticeId) -> Result<Vec<Domain>, sqlx::Error> {
    let rows: Vec<DomainRow> = with_db!(db, p => sqlx::query_as(
        "SELECT id, domain, verified_at, verified_by FROM practice_domains WHERE practice_id = $1 ORDER BY domain")
        .bind(practice_id).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| Domain {
            id: r.id,
            domain: r.domain,
            verified: r.verified_at.is_some(),
            verified_by: r.verified_by.unwrap_or_default(),
        })
        .collect())
}

/// False if the practice already has the domain.
pub async fn insert(
    tx: &mut Tx,
    practice_id: PracticeId,
    domain: &str,
    verified_by: Option<&str>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = with_tx!(tx, c => sqlx::query(
        "INSERT INTO practice_domains (practice_id, domain, verified_at, verified_by, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(practice_id).bind(domain).bind(verified_by.map(|_| now)).bind(verified_by).bind(now).execute(&mut *c).await.map(|_| ()));
    match r {
        Ok(()) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Marks one of the practice's domains verified; false if it has no such domain.
pub async fn verify(
    tx: &mut Tx,
    practice_id: PracticeId,
    id: DomainId,
    by: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, c => sqlx::query(
        "UPDATE practice_domains SET verified_at = $1, verified_by = $2 WHERE id = $3 AND practice_id = $4")
        .bind(now).bind(by).bind(id).bind(practice_id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// The NHSmail agreement an operator recorded for the practice.
pub struct NhsmailAgreement {
    pub reference: String,
    pub recorded_by: String,
    pub recorded_at: i64,
}
named_row!(NhsmailAgreement {
    reference,
    recorded_by,
    recorded_at
});

impl NhsmailAgreement {
    /// "4 Dec 2026", UK time.
    pub fn recorded_on(&self) -> String {
        crate::ukclock::format(self.recorded_at)
            .rsplit_once(' ')
            .map(|(d, _)| d.trim_start_matches('0').to_string())
            .unwrap_or_default()
    }
}

pub async fn nhsmail_agreement(
    db: &Db,
    practice_id: PracticeId,
) -> Result<Option<NhsmailAgreement>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT reference, recorded_by, recorded_at FROM nhsmail_agreements WHERE practice_id = $1")
        .bind(practice_id).fetch_optional(p).await)
}

/// Records (or replaces) the agreement; `None` withdraws it.
pub async fn set_nhsmail_agreement(
    tx: &mut Tx,
    practice_id: PracticeId,
    reference: Option<&str>,
    by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("DELETE FROM nhsmail_agreements WHERE practice_id = $1")
        .bind(practice_id).execute(&mut *c).await.map(|_| ()))?;
    if let Some(reference) = reference {
        with_tx!(tx, c => sqlx::query(
            "INSERT INTO nhsmail_agreements (practice_id, reference, recorded_by, recorded_at) VALUES ($1, $2, $3, $4)")
            .bind(practice_id).bind(reference).bind(by).bind(now).execute(&mut *c).await.map(|_| ()))?;
    }
    Ok(())
}
