//! Accounts for staff: opening one (through `auth::accounts`, which owns
//! `users`) and inviting its owner by email to choose a password.

use crate::auth::accounts::NewAccount;
use crate::auth::tokens::{self, Purpose};
use crate::auth::Role;
use crate::db::{Db, Tx};
use crate::mail::outbox;
use crate::shared::{PracticeId, StaffId, UserId};
use crate::web::AppError;

use super::repo::practices;

/// What to tell someone whose address already has an account.
pub fn address_taken(email: &str) -> String {
    format!(
        "{email} already has a Safety Net account (perhaps at another practice). Each account needs its own email address."
    )
}

/// Opens an account in `tx` with no password yet (they choose it from the
/// invitation); `Err` says why not (the address has an account already).
pub async fn open(
    tx: &mut Tx,
    new: &NewAccount<'_>,
    now: i64,
) -> Result<Result<UserId, String>, sqlx::Error> {
    let id = crate::auth::accounts::create(tx, new, now).await?;
    Ok(id.ok_or_else(|| address_taken(new.email)))
}

/// [`open`] in a transaction of its own: for the command line, seeding and
/// tests, where nothing else changes with it.
pub async fn create_user(
    db: &Db,
    email: &str,
    full_name: &str,
    role: Role,
    practice_id: Option<PracticeId>,
    staff_id: Option<StaffId>,
    now: i64,
) -> Result<Result<UserId, String>, AppError> {
    let new = NewAccount {
        email,
        full_name,
        role,
        practice_id,
        staff_id,
    };
    let mut tx = db.begin().await?;
    let opened = open(&mut tx, &new, now).await?;
    if opened.is_ok() {
        tx.commit().await?;
    }
    Ok(opened)
}

/// Who is invited, by whom, to which practice.
pub struct Invitation<'a> {
    pub user_id: UserId,
    pub email: &'a str,
    pub full_name: &'a str,
    pub practice_id: Option<PracticeId>,
    pub practice_name: &'a str,
    pub inviter: &'a str,
}

/// Issues a link to choose a password and queues the email carrying it, in
/// `tx`: the link works only if the email goes. Returns the link (the CLI
/// prints it).
pub async fn send_invitation(
    tx: &mut Tx,
    public_url: &str,
    invitation: &Invitation<'_>,
    now: i64,
) -> Result<String, sqlx::Error> {
    let Invitation {
        user_id,
        email,
        full_name,
        practice_id,
        practice_name,
        inviter,
    } = *invitation;
    let secret = tokens::issue(tx, user_id, Purpose::Invite, now).await?;
    let link = format!("{public_url}/invitation/{secret}");
    let body = format!(
        "Hello {full_name},\n\n{inviter} has invited you to Safety Net, {practice_name}'s cyber security programme: short training, practice drills, and the plans we follow if something goes wrong.\n\nTo set up your account, open this link within 7 days (it asks you to choose a password, or, where your practice uses it, to sign in with your organisation's account):\n{link}\n\nIf you were not expecting this email, check with your practice manager before clicking. That is always a good habit.\n\nSafety Net\n"
    );
    outbox::enqueue(
        tx,
        practice_id,
        "invitation",
        email,
        &format!("You're invited to Safety Net at {practice_name}"),
        &body,
        now,
    )
    .await?;
    Ok(link)
}

/// The practice's name (an error if there is no such practice).
pub async fn practice_name(db: &Db, practice_id: PracticeId) -> Result<String, sqlx::Error> {
    practices::name(db, practice_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}
