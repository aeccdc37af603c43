//! The practice's staff as resilience needs them (who may attend an
//! exercise or own an action; who a lesson's training goes to). `staff`
//! belongs to `people`: resilience only reads it, and only here.

use crate::auth::PracticeScope;
use crate::db::Db;
use crate::resilience::sql::from_row;
use crate::shared::StaffId;
use crate::with_db;

/// A member of staff still at the practice.
pub struct Member {
    pub id: StaffId,
    pub full_name: String,
}

from_row!(Member, r => Ok(Member {
    id: r.try_get("id")?,
    full_name: r.try_get("full_name")?,
}));

/// Everyone still at the practice, by name.
pub async fn active(db: &Db, scope: &PracticeScope) -> Result<Vec<Member>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, full_name FROM staff WHERE practice_id = $1 AND active ORDER BY full_name")
        .bind(scope.practice_id()).fetch_all(p).await)
}

/// Every member of staff the practice has had, leavers too.
pub async fn all_ids(db: &Db, scope: &PracticeScope) -> Result<Vec<StaffId>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar("SELECT id FROM staff WHERE practice_id = $1")
        .bind(scope.practice_id()).fetch_all(p).await)
}

/// The department of a member of staff at the practice, if they have one.
pub async fn department_of(
    db: &Db,
    scope: &PracticeScope,
    staff_id: StaffId,
) -> Result<Option<i64>, sqlx::Error> {
    let d: Option<Option<i64>> = with_db!(db, p => sqlx::query_scalar(
        "SELECT department_id FROM staff WHERE id = $1 AND practice_id = $2")
        .bind(staff_id).bind(scope.practice_id()).fetch_optional(p).await)?;
    Ok(d.flatten())
}

/// The email addresses of a department's current cyber champions.
pub async fn champion_emails(
    db: &Db,
    scope: &PracticeScope,
    department_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT email FROM staff WHERE practice_id = $1 AND department_id = $2 AND active AND is_champion ORDER BY id")
        .bind(scope.practice_id()).bind(department_id).fetch_all(p).await)
}
