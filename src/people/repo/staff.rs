//! The `staff` table: the practice's people, current and past (a leaver's
//! row stays, with its history), with what their account looks like.

use std::collections::HashSet;

use crate::auth::{PracticeScope, Role};
use crate::db::row::named_row;
use crate::db::{is_unique_violation, Db, Tx};
use crate::people::domain::{AccountStatus, EmploymentType, NewStaff, Showing};
use crate::shared::{PracticeId, StaffId};
use crate::{with_db, with_tx};

/// One person as the staff list shows them.
pub struct StaffMember {
    pub id: StaffId,
    pub full_name: String,
    pub email: String,
    pub job_role: String,
    pub department_id: Option<i64>,
    pub department: String,
    pub start_date: Option<String>,
    pub employment_type: EmploymentType,
    pub is_champion: bool,
    pub active: bool,
    pub left_on: Option<String>,
    pub account: AccountStatus,
}

/// [`StaffMember`] as [`SELECT`] reads it, the account's columns NULL when there is none.
struct MemberRow {
    id: StaffId,
    full_name: String,
    email: String,
    job_role: String,
    department_id: Option<i64>,
    department: Option<String>,
    start_date: Option<String>,
    employment_type: EmploymentType,
    is_champion: bool,
    active: bool,
    left_on: Option<String>,
    account_role: Option<Role>,
    set_up: Option<bool>,
    mfa: Option<bool>,
    account_active: Option<bool>,
}
named_row!(MemberRow {
    id,
    full_name,
    email,
    job_role,
    department_id,
    department,
    start_date,
    employment_type,
    is_champion,
    active,
    left_on,
    account_role,
    set_up,
    mfa,
    account_active
});

impl From<MemberRow> for StaffMember {
    fn from(r: MemberRow) -> Self {
        Self {
            account: AccountStatus::from_columns(
                r.account_role.map(|role| role == Role::Manager),
                r.set_up,
                r.mfa,
                r.account_active,
            ),
            id: r.id,
            full_name: r.full_name,
            email: r.email,
            job_role: r.job_role,
            department_id: r.department_id,
            department: r.department.unwrap_or_default(),
            start_date: r.start_date,
            employment_type: r.employment_type,
            is_champion: r.is_champion,
            active: r.active,
            left_on: r.left_on,
        }
    }
}

const SELECT: &str = "SELECT s.id, s.full_name, s.email, s.job_role, s.department_id, d.name AS department, s.start_date, \
    s.employment_type, s.is_champion, s.active, s.left_on, u.role AS account_role, \
    (u.password_hash IS NOT NULL OR u.joined_with_provider_at IS NOT NULL) AS set_up, u.totp_secret IS NOT NULL AS mfa, u.active AS account_active \
    FROM staff s LEFT JOIN departments d ON d.id = s.department_id LEFT JOIN users u ON u.staff_id = s.id";

/// One staff member of the practice in scope, or None (another practice's id looks the same as a missing one).
pub async fn find(
    db: &Db,
    scope: &PracticeScope,
    id: StaffId,
) -> Result<Option<StaffMember>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE s.id = $1 AND s.practice_id = $2");
    let row: Option<MemberRow> = with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    Ok(row.map(StaffMember::from))
}

/// Who the staff list shows: words in the name, email or job role, a
/// department (None for all), current staff, leavers or everyone.
pub struct Search<'a> {
    pub words: &'a str,
    pub department: Option<i64>,
    pub showing: Showing,
}

pub async fn search(
    db: &Db,
    scope: &PracticeScope,
    f: &Search<'_>,
) -> Result<Vec<StaffMember>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE s.practice_id = $1 AND ($2 = 0 OR s.department_id = $2) \
         AND ($3 = 'all' OR ($3 = 'left' AND NOT s.active) OR ($3 = 'active' AND s.active)) \
         AND (LOWER(s.full_name) LIKE $4 OR s.email LIKE $4 OR LOWER(s.job_role) LIKE $4) ORDER BY s.full_name, s.id"
    );
    let showing = match f.showing {
        Showing::Current => "active",
        Showing::Left => "left",
        Showing::Everyone => "all",
    };
    let like = format!("%{}%", f.words.trim().to_lowercase());
    let rows: Vec<MemberRow> = with_db!(db, p => sqlx::query_as(&sql)
        .bind(scope.practice_id()).bind(f.department.unwrap_or(0)).bind(showing).bind(&like).fetch_all(p).await)?;
    Ok(rows.into_iter().map(StaffMember::from).collect())
}

/// Current staff with no Safety Net account at all (never invited), by name.
pub async fn without_account(
    db: &Db,
    scope: &PracticeScope,
) -> Result<Vec<StaffMember>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE s.practice_id = $1 AND s.active AND u.id IS NULL ORDER BY s.full_name, s.id"
    );
    let rows: Vec<MemberRow> =
        with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows.into_iter().map(StaffMember::from).collect())
}

/// Every address on the practice's staff list, leavers too (they are stored lower-case).
pub async fn emails(db: &Db, scope: &PracticeScope) -> Result<HashSet<String>, sqlx::Error> {
    let rows: Vec<String> = with_db!(db, p => sqlx::query_scalar("SELECT email FROM staff WHERE practice_id = $1")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows.into_iter().collect())
}

/// Adds one person; None if the address is already on the practice's list.
pub async fn insert(
    tx: &mut Tx,
    practice_id: PracticeId,
    s: &NewStaff,
    now: i64,
) -> Result<Option<StaffId>, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO staff (practice_id, department_id, full_name, email, job_role, start_date, employment_type, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id")
        .bind(practice_id).bind(s.department_id).bind(s.full_name.as_str()).bind(s.email.as_str())
        .bind(s.job_role.as_str()).bind(s.start_date.as_ref().map(|d| d.as_iso())).bind(s.employment_type)
        .bind(now).fetch_optional(&mut *c).await)
}

/// Adds many (a spreadsheet's good rows), 500 to a statement.
pub async fn insert_many(
    tx: &mut Tx,
    scope: &PracticeScope,
    staff: &[&NewStaff],
    now: i64,
) -> Result<(), sqlx::Error> {
    let practice_id = scope.practice_id();
    for chunk in staff.chunks(500) {
        with_tx!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO staff (practice_id, department_id, full_name, email, job_role, start_date, employment_type, created_at) ");
            qb.push_values(chunk, |mut b, s| {
                b.push_bind(practice_id).push_bind(s.department_id).push_bind(s.full_name.as_str().to_string())
                    .push_bind(s.email.as_str().to_string()).push_bind(s.job_role.as_str().to_string())
                    .push_bind(s.start_date.as_ref().map(|d| d.as_iso())).push_bind(s.employment_type).push_bind(now);
            });
            qb.build().execute(&mut *c).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// The practice's staff member with this address.
pub async fn id_by_email(
    tx: &mut Tx,
    practice_id: PracticeId,
    email: &str,
) -> Result<Option<StaffId>, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar("SELECT id FROM staff WHERE practice_id = $1 AND email = $2")
        .bind(practice_id).bind(email).fetch_optional(&mut *c).await)
}

/// Saves the form over a member's details; false if the new address is
/// another member's, after which the transaction can only be rolled back
/// (PostgreSQL ends it at the clash).
pub async fn update(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: StaffId,
    s: &NewStaff,
) -> Result<bool, sqlx::Error> {
    let r = with_tx!(tx, c => sqlx::query(
        "UPDATE staff SET full_name = $1, email = $2, job_role = $3, department_id = $4, start_date = $5, employment_type = $6 \
         WHERE id = $7 AND practice_id = $8")
        .bind(s.full_name.as_str()).bind(s.email.as_str()).bind(s.job_role.as_str()).bind(s.department_id)
        .bind(s.start_date.as_ref().map(|d| d.as_iso())).bind(s.employment_type).bind(id).bind(scope.practice_id())
        .execute(&mut *c).await.map(|r| r.rows_affected()));
    match r {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Marks a member as left on `today` (ISO date); a leaver is no champion.
pub async fn mark_left(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: StaffId,
    today: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE staff SET active = FALSE, left_on = $1, is_champion = FALSE WHERE id = $2 AND practice_id = $3")
        .bind(today).bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))
}

pub async fn reinstate(tx: &mut Tx, scope: &PracticeScope, id: StaffId) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("UPDATE staff SET active = TRUE, left_on = NULL WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))
}

/// Appoints or stands down a champion. Appointing records the day (`today`,
/// YYYY-MM-DD) and, the first time, the usual responsibilities to agree.
pub async fn set_champion(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: StaffId,
    on: bool,
    today: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE staff SET \
           champion_since = CASE WHEN $1 AND is_champion THEN champion_since WHEN $1 THEN $4 ELSE NULL END, \
           champion_duties = CASE WHEN $1 AND champion_duties = '' THEN $5 ELSE champion_duties END, \
           is_champion = $1 \
         WHERE id = $2 AND practice_id = $3")
        .bind(on).bind(id).bind(scope.practice_id()).bind(today)
        .bind(crate::culture::champions::DEFAULT_DUTIES.join("\n"))
        .execute(&mut *c).await.map(|_| ()))
}
