//! The `practices` table: creating one, finding one, the figures an operator
//! sees, and the names a practice gives for lures that mention its partner
//! or PCN.

use crate::auth::PracticeScope;
use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::people::domain::PracticeSummary;
use crate::shared::PracticeId;
use crate::{with_db, with_tx};

pub async fn insert(
    tx: &mut Tx,
    name: &str,
    ods_code: Option<&str>,
    now: i64,
) -> Result<PracticeId, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO practices (name, ods_code, created_at) VALUES ($1, $2, $3) RETURNING id")
        .bind(name).bind(ods_code).bind(now).fetch_one(&mut *c).await)
}

/// The first practice with this name.
pub async fn find_by_name(db: &Db, name: &str) -> Result<Option<PracticeId>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar("SELECT id FROM practices WHERE name = $1 ORDER BY id LIMIT 1")
        .bind(name).fetch_optional(p).await)
}

pub async fn name(db: &Db, id: PracticeId) -> Result<Option<String>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar("SELECT name FROM practices WHERE id = $1")
        .bind(id).fetch_optional(p).await)
}

/// A practice's id and name.
#[derive(Debug, Clone)]
pub struct Named {
    pub id: PracticeId,
    pub name: String,
}
named_row!(Named { id, name });

/// Every practice, oldest first.
pub async fn all(db: &Db) -> Result<Vec<Named>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as("SELECT id, name FROM practices ORDER BY id").fetch_all(p).await)
}

/// The counts behind [`PracticeSummary`], by column name.
struct SummaryRow {
    id: PracticeId,
    name: String,
    ods_code: Option<String>,
    active_staff: i64,
    accounts: i64,
    mfa_accounts: i64,
    champions: i64,
    emails_12m: i64,
    reported_12m: i64,
    clicked_12m: i64,
}
named_row!(SummaryRow {
    id,
    name,
    ods_code,
    active_staff,
    accounts,
    mfa_accounts,
    champions,
    emails_12m,
    reported_12m,
    clicked_12m
});

// Counts only: an operator sees how a practice is doing, never who did what.
// $1 is a year ago. Cancelled exercises are not counted; exercises run
// elsewhere (NHS England's service, another tool) are, by their start date.
// Training is counted by `training::trained_count` (the one definition).
const SUMMARY: &str = "SELECT p.id, p.name, p.ods_code, \
    (SELECT COUNT(*) FROM staff s WHERE s.practice_id = p.id AND s.active) AS active_staff, \
    (SELECT COUNT(*) FROM users u WHERE u.practice_id = p.id AND u.active AND (u.password_hash IS NOT NULL OR u.joined_with_provider_at IS NOT NULL)) AS accounts, \
    (SELECT COUNT(*) FROM users u WHERE u.practice_id = p.id AND u.active AND u.totp_secret IS NOT NULL) AS mfa_accounts, \
    (SELECT COUNT(*) FROM staff s WHERE s.practice_id = p.id AND s.active AND s.is_champion) AS champions, \
    (SELECT CAST(COALESCE(SUM(c.sent), 0) AS BIGINT) FROM campaigns c WHERE c.practice_id = p.id AND c.launch_at >= $1 AND c.status <> 'cancelled') \
      + (SELECT CAST(COALESCE(SUM(x.sent), 0) AS BIGINT) FROM external_exercises x WHERE x.practice_id = p.id AND x.starts_at >= $1) AS emails_12m, \
    (SELECT CAST(COALESCE(SUM(c.reported), 0) AS BIGINT) FROM campaigns c WHERE c.practice_id = p.id AND c.launch_at >= $1 AND c.status <> 'cancelled') \
      + (SELECT CAST(COALESCE(SUM(x.reported), 0) AS BIGINT) FROM external_exercises x WHERE x.practice_id = p.id AND x.starts_at >= $1) AS reported_12m, \
    (SELECT CAST(COALESCE(SUM(c.clicked), 0) AS BIGINT) FROM campaigns c WHERE c.practice_id = p.id AND c.launch_at >= $1 AND c.status <> 'cancelled') \
      + (SELECT CAST(COALESCE(SUM(x.clicked), 0) AS BIGINT) FROM external_exercises x WHERE x.practice_id = p.id AND x.starts_at >= $1) AS clicked_12m \
    FROM practices p";

fn summary(r: SummaryRow, min_group: i64) -> PracticeSummary {
    PracticeSummary {
        id: r.id,
        name: r.name,
        ods_code: r.ods_code.unwrap_or_default(),
        active_staff: r.active_staff,
        accounts: r.accounts,
        mfa_accounts: r.mfa_accounts,
        champions: r.champions,
        trained_staff: 0,
        emails_12m: r.emails_12m,
        reported_12m: r.reported_12m,
        clicked_12m: r.clicked_12m,
        min_group,
    }
}

const YEAR: i64 = 365 * 86_400;

/// Every practice's figures, by name, all but training's (which
/// `people::practices::summaries` adds).
pub async fn summaries(
    db: &Db,
    now: i64,
    min_group: i64,
) -> Result<Vec<PracticeSummary>, sqlx::Error> {
    let sql = format!("{SUMMARY} ORDER BY p.name");
    let rows: Vec<SummaryRow> =
        with_db!(db, p => sqlx::query_as(&sql).bind(now - YEAR).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|r| summary(r, min_group)).collect())
}

/// One practice's figures, all but training's.
pub async fn summary_of(
    db: &Db,
    id: PracticeId,
    now: i64,
    min_group: i64,
) -> Result<Option<PracticeSummary>, sqlx::Error> {
    let sql = format!("{SUMMARY} WHERE p.id = $2");
    let row: Option<SummaryRow> = with_db!(db, p => sqlx::query_as(&sql)
        .bind(now - YEAR).bind(id).fetch_optional(p).await)?;
    Ok(row.map(|r| summary(r, min_group)))
}

/// The names the practice gave for lures that mention its own GP partner or PCN.
#[derive(Debug, Clone, Default)]
pub struct LureNames {
    pub partner: String,
    pub pcn: String,
}

struct LureRow {
    lure_partner_name: String,
    lure_pcn_name: String,
}
named_row!(LureRow {
    lure_partner_name,
    lure_pcn_name
});

pub async fn lure_names(db: &Db, id: PracticeId) -> Result<LureNames, sqlx::Error> {
    let row: Option<LureRow> = with_db!(db, p => sqlx::query_as(
        "SELECT lure_partner_name, lure_pcn_name FROM practices WHERE id = $1")
        .bind(id).fetch_optional(p).await)?;
    Ok(row
        .map(|r| LureNames {
            partner: r.lure_partner_name,
            pcn: r.lure_pcn_name,
        })
        .unwrap_or_default())
}

/// Saves the practice's lure names (its audit entry goes in the same `tx`).
pub async fn set_lure_names(
    tx: &mut Tx,
    scope: &PracticeScope,
    names: &LureNames,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE practices SET lure_partner_name = $1, lure_pcn_name = $2 WHERE id = $3")
        .bind(&names.partner).bind(&names.pcn).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))
}

struct ReportLinkRow {
    sim_report_link: bool,
}
named_row!(ReportLinkRow { sim_report_link });

/// Whether the practice's exercise emails carry a "Report it" link (off
/// unless the practice switched it on for a report button add-in).
pub async fn report_link_on(db: &Db, id: PracticeId) -> Result<bool, sqlx::Error> {
    let row: Option<ReportLinkRow> = with_db!(db, p => sqlx::query_as(
        "SELECT sim_report_link FROM practices WHERE id = $1")
        .bind(id).fetch_optional(p).await)?;
    Ok(row.is_some_and(|r| r.sim_report_link))
}

/// Switches the report link in exercise emails on or off (its audit entry goes in the same `tx`).
pub async fn set_report_link(
    tx: &mut Tx,
    scope: &PracticeScope,
    on: bool,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("UPDATE practices SET sim_report_link = $1 WHERE id = $2")
        .bind(on).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))
}
