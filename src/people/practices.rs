//! Making a practice (with its standard departments) and adding its
//! practice managers: for the operator's pages, the command line, the demo
//! and tests. An operator sees practices only as counts
//! (`domain::PracticeSummary`), never who did what.

use super::accounts;
use super::domain::{EmploymentType, JobRole, NewStaff, PracticeSummary};
use super::repo::{departments, practices, staff};
use crate::auth::accounts::NewAccount;
use crate::auth::Role;
use crate::db::{Db, Tx};
use crate::shared::{EmailAddress, PersonName, PracticeId, UserId};
use crate::web::AppError;

pub use practices::{find_by_name, Named};

/// Creates a practice with the default departments, in `tx`.
pub async fn create(
    tx: &mut Tx,
    name: &str,
    ods_code: Option<&str>,
    now: i64,
) -> Result<PracticeId, sqlx::Error> {
    let id = practices::insert(tx, name, ods_code, now).await?;
    departments::insert_defaults(tx, id, now).await?;
    Ok(id)
}

/// [`create`] in a transaction of its own.
pub async fn create_practice(
    db: &Db,
    name: &str,
    ods_code: Option<&str>,
    now: i64,
) -> Result<PracticeId, AppError> {
    let mut tx = db.begin().await?;
    let id = create(&mut tx, name, ods_code, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Every practice, oldest first.
pub async fn all(db: &Db) -> Result<Vec<Named>, sqlx::Error> {
    practices::all(db).await
}

/// Adds a practice manager in `tx`: a staff record in Management (or the
/// one already there with their address) and an account, returning the
/// account's id; `Err` says why not, and then `tx` should be dropped. The
/// caller sends the invitation.
pub async fn add_manager(
    tx: &mut Tx,
    practice_id: PracticeId,
    name: &PersonName,
    email: &EmailAddress,
    now: i64,
) -> Result<Result<UserId, String>, sqlx::Error> {
    let Some(department_id) = departments::for_managers(tx, practice_id).await? else {
        return Ok(Err("The practice has no departments yet.".into()));
    };
    let new = NewStaff {
        full_name: name.clone(),
        email: email.clone(),
        job_role: JobRole::parse("Practice manager").expect("valid literal"),
        department_id,
        start_date: None,
        employment_type: EmploymentType::Permanent,
    };
    let staff_id = match staff::insert(tx, practice_id, &new, now).await? {
        Some(id) => id,
        None => staff::id_by_email(tx, practice_id, email.as_str())
            .await?
            .ok_or(sqlx::Error::RowNotFound)?,
    };
    let manager = NewAccount {
        email: email.as_str(),
        full_name: name.as_str(),
        role: Role::Manager,
        practice_id: Some(practice_id),
        staff_id: Some(staff_id),
    };
    accounts::open(tx, &manager, now).await
}

/// [`add_manager`] in a transaction of its own.
pub async fn add_practice_manager(
    db: &Db,
    practice_id: PracticeId,
    name: &PersonName,
    email: &EmailAddress,
    now: i64,
) -> Result<Result<UserId, String>, AppError> {
    let mut tx = db.begin().await?;
    let added = add_manager(&mut tx, practice_id, name, email, now).await?;
    if added.is_ok() {
        tx.commit().await?;
    }
    Ok(added)
}

/// Every practice's figures for its operator, by name. Training is counted
/// by `training::trained_count`, the definition the practice manager sees.
pub async fn summaries(
    db: &Db,
    now: i64,
    min_group: i64,
) -> Result<Vec<PracticeSummary>, sqlx::Error> {
    let mut all = practices::summaries(db, now, min_group).await?;
    for p in &mut all {
        p.trained_staff = trained(db, p.id, now).await?;
    }
    Ok(all)
}

/// One practice's figures for its operator.
pub async fn summary_of(
    db: &Db,
    id: PracticeId,
    now: i64,
    min_group: i64,
) -> Result<Option<PracticeSummary>, sqlx::Error> {
    let mut one = practices::summary_of(db, id, now, min_group).await?;
    if let Some(p) = &mut one {
        p.trained_staff = trained(db, id, now).await?;
    }
    Ok(one)
}

async fn trained(db: &Db, id: PracticeId, now: i64) -> Result<i64, sqlx::Error> {
    let (trained, _) = crate::training::trained_count(db, id, now).await?;
    Ok(i64::try_from(trained).unwrap_or(i64::MAX))
}
