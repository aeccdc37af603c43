//! Server-side sessions. The cookie holds a random secret; the database holds
//! its digest, the stage reached (password only, or password and MFA), and
//! the times used for idle and absolute time-outs.

use axum_extra::extract::cookie::{Cookie, SameSite};

use super::repo;
pub use super::repo::SessionOrigin;
use super::tokens;
use super::Role;
use crate::db::Tx;
use crate::shared::{AppState, PracticeId, StaffId, UserId};

pub use super::domain::Stage;

pub const COOKIE: &str = "sn_session";

/// The signed-in person, loaded once per request. Only `auth` can make one
/// (from a session, an API key, or [`SessionUser::system`]), so holding one
/// means someone really signed in, or Safety Net itself is acting.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user_id: UserId,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub practice_id: Option<PracticeId>,
    pub staff_id: Option<StaffId>,
    pub mfa_enabled: bool,
    pub stage: Stage,
    /// "" after a password; otherwise the organisation's provider signed them in.
    pub signed_in_with: String,
    /// That provider said it checked a second factor, which counts as two-step verification.
    pub provider_second_factor: bool,
    pub session_hash: String,
    pub(super) _sealed: Sealed,
}

/// A field no code outside `auth` can fill in, so no code outside `auth` can
/// write a `SessionUser { … }`.
#[derive(Debug, Clone)]
pub struct Sealed(pub(super) ());

/// The user id the system actor records (no account has it).
pub const SYSTEM_USER: UserId = UserId::new(0);

impl SessionUser {
    /// Safety Net itself, acting for a practice with a practice manager's
    /// rights: command-line work, seeding, background jobs. See
    /// `auth::system_scope_for`.
    pub(super) fn system(practice_id: PracticeId) -> Self {
        Self {
            user_id: SYSTEM_USER,
            email: String::new(),
            full_name: "Safety Net".into(),
            role: Role::Manager,
            practice_id: Some(practice_id),
            staff_id: None,
            mfa_enabled: true,
            stage: Stage::Full,
            signed_in_with: String::new(),
            provider_second_factor: false,
            session_hash: String::new(),
            _sealed: Sealed(()),
        }
    }
}

/// Starts a new session in `tx` (a new id every time: sign-in rotates the
/// id); returns the secret for the cookie.
pub async fn start(
    tx: &mut Tx,
    user_id: UserId,
    stage: Stage,
    now: i64,
) -> Result<String, sqlx::Error> {
    start_from(tx, user_id, stage, &SessionOrigin::default(), now).await
}

/// As [`start`], for a session that began at the organisation's provider.
pub async fn start_from(
    tx: &mut Tx,
    user_id: UserId,
    stage: Stage,
    origin: &SessionOrigin,
    now: i64,
) -> Result<String, sqlx::Error> {
    let secret = tokens::new_secret();
    repo::insert_session(tx, &tokens::digest(&secret), user_id, stage, origin, now).await?;
    Ok(secret)
}

/// Ends the session whose cookie holds `secret`.
pub async fn end(tx: &mut Tx, secret: &str) -> Result<(), sqlx::Error> {
    repo::delete_session(tx, &tokens::digest(secret)).await
}

/// Signs a person out everywhere, except (optionally) the session they are
/// using, given by its digest.
pub async fn end_all_for_user(
    tx: &mut Tx,
    user_id: UserId,
    keep_hash: Option<&str>,
) -> Result<(), sqlx::Error> {
    repo::delete_sessions_of(tx, user_id, keep_hash.unwrap_or("")).await
}

/// Loads the session behind a cookie, enforcing idle and absolute time-outs.
pub async fn load(state: &AppState, secret: &str) -> Result<Option<SessionUser>, sqlx::Error> {
    let now = state.clock.now();
    let hash = tokens::digest(secret);
    let Some(row) = repo::session_by_hash(&state.db, &hash).await? else {
        return Ok(None);
    };
    let idle = state.settings.session.idle_minutes * 60;
    let absolute = state.settings.session.absolute_hours * 3600;
    if !row.active || now - row.last_seen_at > idle || now - row.created_at > absolute {
        let mut tx = state.db.begin().await?;
        repo::delete_session(&mut tx, &hash).await?;
        tx.commit().await?;
        return Ok(None);
    }
    // Writing on every request would make reads contend on SQLite; a minute's precision is plenty.
    if now - row.last_seen_at >= 60 {
        let mut tx = state.db.begin().await?;
        repo::touch_session(&mut tx, &hash, now).await?;
        tx.commit().await?;
    }
    Ok(Some(SessionUser {
        user_id: row.user_id,
        email: row.email,
        full_name: row.full_name,
        role: row.role,
        practice_id: row.practice_id,
        staff_id: row.staff_id,
        mfa_enabled: row.mfa_enabled,
        stage: row.stage,
        signed_in_with: row.signed_in_with,
        provider_second_factor: row.provider_second_factor,
        session_hash: hash,
        _sealed: Sealed(()),
    }))
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure when served over HTTPS.
pub fn cookie(state: &AppState, secret: String) -> Cookie<'static> {
    Cookie::build((COOKIE, secret))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.https())
        .path("/")
        .build()
}

pub fn removal(state: &AppState) -> Cookie<'static> {
    let mut c = cookie(state, String::new());
    c.make_removal();
    c
}
