//! Where the register of administrator access is stored: `admin_access`,
//! the acceptances (`admin_agreements`) and the emailed links
//! (`admin_agreement_links`, only each token's SHA-256). Whether a staff
//! member has left is read from people's `staff` (read only).

use super::domain::{Accepted, Access, NewAccess, Via};
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::dspt::ids::AccessId;
use crate::resilience::sql::from_row;
use crate::shared::{PracticeId, StaffId};
use crate::{with_db, with_tx};

const SELECT: &str = "SELECT a.id, a.staff_id, a.full_name, a.email, a.organisation, a.systems, a.access_kind, a.ended_on, \
       s.active AS staff_active, s.left_on AS staff_left_on, g.agreed_at, g.version AS agreed_version \
     FROM admin_access a \
     LEFT JOIN staff s ON s.id = a.staff_id AND s.practice_id = a.practice_id \
     LEFT JOIN admin_agreements g ON g.id = (SELECT g2.id FROM admin_agreements g2 WHERE g2.access_id = a.id AND g2.practice_id = a.practice_id \
                                             ORDER BY g2.agreed_at DESC, g2.id DESC LIMIT 1)";

/// Everyone on the register, current first, by name.
pub async fn all(db: &Db, scope: &PracticeScope) -> Result<Vec<Access>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE a.practice_id = $1 ORDER BY (CASE WHEN a.ended_on IS NULL THEN 0 ELSE 1 END), a.full_name, a.id"
    );
    with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)
}

pub async fn find(
    db: &Db,
    scope: &PracticeScope,
    id: AccessId,
) -> Result<Option<Access>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE a.id = $1 AND a.practice_id = $2");
    with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)
}

/// The register entries naming this staff member.
pub async fn for_staff(
    db: &Db,
    scope: &PracticeScope,
    staff_id: StaffId,
) -> Result<Vec<Access>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE a.practice_id = $1 AND a.staff_id = $2 ORDER BY a.id");
    with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).bind(staff_id).fetch_all(p).await)
}

/// Every acceptance of one entry, newest first.
pub async fn accepted(
    db: &Db,
    scope: &PracticeScope,
    id: AccessId,
) -> Result<Vec<Accepted>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, version, digest, text, signed_name, via, ip, agreed_at FROM admin_agreements \
         WHERE practice_id = $1 AND access_id = $2 ORDER BY agreed_at DESC, id DESC")
        .bind(scope.practice_id()).bind(id).fetch_all(p).await)
}

pub async fn insert(
    tx: &mut Tx,
    scope: &PracticeScope,
    a: &NewAccess,
    now: i64,
) -> Result<AccessId, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO admin_access (practice_id, staff_id, full_name, email, organisation, systems, access_kind, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id")
        .bind(scope.practice_id()).bind(a.staff_id).bind(a.full_name.as_str()).bind(a.email.as_str())
        .bind(&a.organisation).bind(&a.systems).bind(a.access_kind).bind(now).fetch_one(&mut *c).await)
}

/// Ends the access on `on` (ISO date) and stops any link still waiting.
pub async fn end(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: AccessId,
    on: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE admin_access SET ended_on = $1, updated_at = $2 WHERE id = $3 AND practice_id = $4 AND ended_on IS NULL")
            .bind(on).bind(now).bind(id).bind(scope.practice_id()).execute(&mut *c).await?;
        sqlx::query("UPDATE admin_agreement_links SET expires_at = $1 WHERE access_id = $2 AND practice_id = $3 AND used_at IS NULL AND expires_at > $1")
            .bind(now).bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ())
    })
}

/// What accepting records.
pub struct Acceptance<'a> {
    pub agreement: &'a str,
    pub version: i64,
    pub digest: &'a str,
    pub text: &'a str,
    pub signed_name: &'a str,
    pub via: Via,
    pub ip: &'a str,
}

pub async fn accept(
    tx: &mut Tx,
    practice_id: PracticeId,
    id: AccessId,
    a: &Acceptance<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO admin_agreements (practice_id, access_id, agreement, version, digest, text, signed_name, via, ip, agreed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(practice_id).bind(id).bind(a.agreement).bind(a.version).bind(a.digest).bind(a.text)
        .bind(a.signed_name).bind(a.via).bind(a.ip).bind(now).execute(&mut *c).await.map(|_| ()))
}

// ---------- emailed links ----------

/// Stores a new link for the entry (by its token's hash), valid until
/// `expires_at`; any earlier link still waiting stops working.
pub async fn add_link(
    tx: &mut Tx,
    practice_id: PracticeId,
    id: AccessId,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE admin_agreement_links SET expires_at = $1 WHERE access_id = $2 AND practice_id = $3 AND used_at IS NULL AND expires_at > $1")
            .bind(now).bind(id).bind(practice_id).execute(&mut *c).await?;
        sqlx::query("INSERT INTO admin_agreement_links (token_hash, practice_id, access_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash).bind(practice_id).bind(id).bind(now).bind(expires_at).execute(&mut *c).await.map(|_| ())
    })
}

/// A link that still works: whose entry it is for.
pub struct LiveLink {
    pub practice_id: PracticeId,
    pub access_id: AccessId,
}

from_row!(LiveLink, r => Ok(LiveLink { practice_id: r.try_get("practice_id")?, access_id: r.try_get("access_id")? }));

/// The link with this token hash, if unused and unexpired at `now`.
pub async fn live_link(
    db: &Db,
    token_hash: &str,
    now: i64,
) -> Result<Option<LiveLink>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT practice_id, access_id FROM admin_agreement_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2")
        .bind(token_hash).bind(now).fetch_optional(p).await)
}

/// Uses the link up: only one request can, however many arrive at once.
pub async fn use_link(
    tx: &mut Tx,
    token_hash: &str,
    now: i64,
) -> Result<Option<LiveLink>, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_as(
        "UPDATE admin_agreement_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
         RETURNING practice_id, access_id")
        .bind(token_hash).bind(now).fetch_optional(&mut *c).await)
}

/// When the entry's newest link was sent and until when it works, if any.
pub async fn last_link(
    db: &Db,
    scope: &PracticeScope,
    id: AccessId,
) -> Result<Option<(i64, i64, Option<i64>)>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT created_at, expires_at, used_at FROM admin_agreement_links WHERE practice_id = $1 AND access_id = $2 \
         ORDER BY created_at DESC LIMIT 1")
        .bind(scope.practice_id()).bind(id).fetch_optional(p).await)
}

// ---------- renewal reminders ----------

/// A current acceptance nearing its renewal, not yet reminded.
pub struct DueReminder {
    pub agreement_id: i64,
    pub practice_id: PracticeId,
    pub access_id: AccessId,
}

from_row!(DueReminder, r => Ok(DueReminder {
    agreement_id: r.try_get("id")?,
    practice_id: r.try_get("practice_id")?,
    access_id: r.try_get("access_id")?,
}));

/// Newest acceptances made before `accepted_before` with no reminder yet,
/// of entries still in use.
pub async fn due_reminders(
    db: &Db,
    accepted_before: i64,
    limit: i64,
) -> Result<Vec<DueReminder>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT g.id, g.practice_id, g.access_id FROM admin_agreements g JOIN admin_access a ON a.id = g.access_id AND a.practice_id = g.practice_id \
         WHERE g.agreed_at < $1 AND g.reminded_at IS NULL AND a.ended_on IS NULL \
           AND NOT EXISTS (SELECT 1 FROM admin_agreements n WHERE n.access_id = g.access_id \
                           AND (n.agreed_at > g.agreed_at OR (n.agreed_at = g.agreed_at AND n.id > g.id))) \
         ORDER BY g.agreed_at LIMIT $2")
        .bind(accepted_before).bind(limit).fetch_all(p).await)
}

/// Claims the reminder of one acceptance: true for the one caller that may send it.
pub async fn claim_reminder(tx: &mut Tx, agreement_id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, c => sqlx::query("UPDATE admin_agreements SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL")
        .bind(now).bind(agreement_id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
