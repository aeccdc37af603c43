//! How other capabilities change accounts, through `auth` (which owns
//! `users` and `sessions`): opening one for a member of staff or an
//! operator, following the staff record's name, email and role, closing a
//! leaver's and opening it again. Each runs in the caller's transaction,
//! beside the change that causes it.

use super::repo::{self, Account, StaffAccount};
use super::Role;
use crate::db::{Db, Tx};
use crate::shared::{PracticeId, StaffId, UserId};

pub use repo::{Manager, NewAccount};

/// Opens an account with no password yet (they choose it from the
/// invitation); None if the address already has an account, here or at
/// another practice.
pub async fn create(
    tx: &mut Tx,
    new: &NewAccount<'_>,
    now: i64,
) -> Result<Option<UserId>, sqlx::Error> {
    repo::insert_account(tx, new, now).await
}

/// The account of a member of staff, if they have one, and whether they
/// have chosen a password yet.
pub async fn of_staff(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
) -> Result<Option<StaffAccount>, sqlx::Error> {
    repo::account_of_staff(tx, practice_id, staff_id).await
}

/// How many active practice managers the practice has (it must keep one).
pub async fn active_manager_count(
    tx: &mut Tx,
    practice_id: PracticeId,
) -> Result<i64, sqlx::Error> {
    repo::count_active_managers(tx, practice_id).await
}

/// The practice's active managers, for an operator.
pub async fn managers(db: &Db, practice_id: PracticeId) -> Result<Vec<Manager>, sqlx::Error> {
    repo::active_managers(db, practice_id).await
}

/// Gives a member of staff's account a role (making or unmaking a manager).
pub async fn set_role(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    role: Role,
) -> Result<(), sqlx::Error> {
    repo::set_role_of_staff(tx, practice_id, staff_id, role, false).await
}

/// Follows the champion mark: the account becomes a champion's or plain
/// staff's, unless it is a manager's, which stays.
pub async fn follow_champion_mark(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    is_champion: bool,
) -> Result<(), sqlx::Error> {
    repo::set_role_of_staff(
        tx,
        practice_id,
        staff_id,
        Role::for_staff(is_champion),
        true,
    )
    .await
}

/// The account follows the staff record's name; its email (the sign-in
/// name) changes too when no other account has that address.
pub async fn follow_staff_details(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    full_name: &str,
    email: &str,
) -> Result<(), sqlx::Error> {
    repo::follow_staff_details(tx, practice_id, staff_id, full_name, email).await
}

/// Closes the account of a member of staff who has left, and ends any open
/// session at once.
pub async fn close_for_leaver(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
) -> Result<(), sqlx::Error> {
    repo::set_active_for_staff(tx, practice_id, staff_id, false).await?;
    repo::delete_sessions_of_staff(tx, practice_id, staff_id).await
}

/// Opens the account again for someone who has come back.
pub async fn reopen_for_returner(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
) -> Result<(), sqlx::Error> {
    repo::set_active_for_staff(tx, practice_id, staff_id, true).await
}

/// The account with this address (addresses are stored lower-case).
pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<Account>, sqlx::Error> {
    repo::account_by_email(db, email).await
}

/// Gives an account a password (an argon2id hash made with `auth::password`)
/// and an authenticator secret at once, and opens it: for the demo
/// practice's manager, whose sign-in is printed rather than chosen.
pub async fn set_sign_in(
    tx: &mut Tx,
    user_id: UserId,
    password_hash: &str,
    totp_secret: &str,
) -> Result<(), sqlx::Error> {
    repo::set_sign_in(tx, user_id, password_hash, totp_secret).await
}

/// The organisation sign-in a practice's people must use, if any (one still configured).
pub async fn required_sign_in(
    state: &crate::shared::AppState,
    practice: PracticeId,
) -> Result<Option<&crate::config::OidcProvider>, crate::web::AppError> {
    crate::auth::routes::organisation::required_provider(state, practice).await
}

/// Requires a provider for a practice's people (None: passwords too), in the caller's transaction.
pub async fn require_sign_in(
    tx: &mut Tx,
    practice: PracticeId,
    provider: Option<&str>,
) -> Result<(), sqlx::Error> {
    repo::set_practice_sign_in_provider(tx, practice, provider).await
}
