//! Accounts for staff: invitations by email, and who is a practice manager.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::staff;
use crate::auth::audit::{self, Action, Actor};
use crate::auth::tokens::{self, Purpose};
use crate::auth::{ManagerScope, Role};
use crate::db::{is_unique_violation, Db, Tx};
use crate::mail::outbox;
use crate::shared::{AppState, PracticeId, StaffId, UserId};
use crate::web::{AppError, ClientIp, Path, ValidForm};
use crate::with_db;

/// Creates an account with no password yet (they choose it from the invitation).
pub async fn create_user(
    db: &Db,
    email: &str,
    full_name: &str,
    role: Role,
    practice_id: Option<PracticeId>,
    staff_id: Option<StaffId>,
    now: i64,
) -> Result<Result<UserId, String>, AppError> {
    let r: Result<(UserId,), sqlx::Error> = with_db!(db, p => sqlx::query_as(
        "INSERT INTO users (email, full_name, role, practice_id, staff_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(email).bind(full_name).bind(role.as_str()).bind(practice_id).bind(staff_id).bind(now).fetch_one(p).await);
    match r {
        Ok((id,)) => Ok(Ok(id)),
        Err(e) if is_unique_violation(&e) => Ok(Err(format!(
            "{email} already has a Safety Net account (perhaps at another practice). Each account needs its own email address."
        ))),
        Err(e) => Err(e.into()),
    }
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
        "Hello {full_name},\n\n{inviter} has invited you to Safety Net, {practice_name}'s cyber security programme: short training, practice drills, and the plans we follow if something goes wrong.\n\nTo choose your password, open this link within 7 days:\n{link}\n\nIf you were not expecting this email, check with your practice manager before clicking. That is always a good habit.\n\nSafety Net\n"
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

pub async fn practice_name(db: &Db, practice_id: PracticeId) -> Result<String, sqlx::Error> {
    let (name,): (String,) = with_db!(db, p => sqlx::query_as("SELECT name FROM practices WHERE id = $1").bind(practice_id).fetch_one(p).await)?;
    Ok(name)
}

pub async fn invite(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<StaffId>,
) -> Result<Response, AppError> {
    let m = staff::find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !m.active {
        return Err(AppError::BadRequest(format!(
            "{} has left the practice, so cannot be invited.",
            m.full_name
        )));
    }
    let existing: Option<(UserId, bool)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT id, password_hash IS NOT NULL FROM users WHERE staff_id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    let user_id = match existing {
        Some((_, true)) => {
            return Err(AppError::BadRequest(format!(
                "{} already has an account. If they have forgotten their password, they can reset it from the sign-in page.",
                m.full_name
            )))
        }
        Some((uid, false)) => uid,
        None => {
            let role = if m.is_champion { Role::Champion } else { Role::Staff };
            create_user(&state.db, &m.email, &m.full_name, role, Some(scope.practice_id()), Some(id), state.clock.now())
                .await?
                .map_err(AppError::BadRequest)?
        }
    };
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let invitation = Invitation {
        user_id,
        email: &m.email,
        full_name: &m.full_name,
        practice_id: Some(scope.practice_id()),
        practice_name: &practice,
        inviter: &scope.user().full_name,
    };
    send_invitation(&mut tx, state.public_url(), &invitation, now).await?;
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::InvitationSent,
        &format!("{} <{}>", m.full_name, m.email),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/staff/{id}?invited=1")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ManagerForm {
    manager: String,
}

pub async fn set_manager(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<StaffId>,
    ValidForm(form): ValidForm<ManagerForm>,
) -> Result<Response, AppError> {
    let m = staff::find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !m.account.has_account() {
        return Err(AppError::BadRequest(format!(
            "Invite {} to Safety Net first.",
            m.full_name
        )));
    }
    let make_manager = form.manager == "yes";
    if !make_manager {
        let (managers,): (i64,) = with_db!(&state.db, p => sqlx::query_as(
            "SELECT COUNT(*) FROM users WHERE practice_id = $1 AND role = 'manager' AND active")
            .bind(scope.practice_id()).fetch_one(p).await)?;
        if managers <= 1 && m.account.is_manager() {
            return Err(AppError::BadRequest("A practice needs at least one practice manager. Make someone else a manager first.".into()));
        }
    }
    let role = if make_manager {
        Role::Manager
    } else if m.is_champion {
        Role::Champion
    } else {
        Role::Staff
    };
    with_db!(&state.db, p => sqlx::query("UPDATE users SET role = $1 WHERE staff_id = $2 AND practice_id = $3")
        .bind(role.as_str()).bind(id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::RoleChanged,
        &format!("{} is now {}", m.full_name, role.label()),
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/staff/{id}")).into_response())
}
