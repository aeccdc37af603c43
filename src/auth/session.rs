//! Server-side sessions. The cookie holds a random secret; the database holds
//! its digest, the stage reached (password only, or password and MFA), and
//! the times used for idle and absolute time-outs.

use axum_extra::extract::cookie::{Cookie, SameSite};

use super::tokens;
use super::Role;
use crate::db::Db;
use crate::shared::{AppState, PracticeId, StaffId, UserId};
use crate::with_db;

pub const COOKIE: &str = "sn_session";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Password checked, waiting for the authenticator code.
    AwaitingMfa,
    Full,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingMfa => "mfa",
            Self::Full => "full",
        }
    }
}

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
            session_hash: String::new(),
            _sealed: Sealed(()),
        }
    }
}

type Row = (
    UserId,
    String,
    String,
    String,
    Option<PracticeId>,
    Option<StaffId>,
    bool,
    String,
    i64,
    i64,
    bool,
);

/// Starts a new session (a new id every time: sign-in rotates the id).
pub async fn start(
    db: &Db,
    user_id: UserId,
    stage: Stage,
    now: i64,
) -> Result<String, sqlx::Error> {
    let secret = tokens::new_secret();
    with_db!(db, p => sqlx::query("INSERT INTO sessions (id_hash, user_id, stage, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)")
        .bind(tokens::digest(&secret)).bind(user_id).bind(stage.as_str()).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(secret)
}

pub async fn end(db: &Db, secret: &str) -> Result<(), sqlx::Error> {
    with_db!(db, p => sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(tokens::digest(secret)).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Signs a person out everywhere, except (optionally) the session they are using.
pub async fn end_all_for_user(
    db: &Db,
    user_id: UserId,
    keep_hash: Option<&str>,
) -> Result<(), sqlx::Error> {
    with_db!(db, p => sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id).bind(keep_hash.unwrap_or("")).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Loads the session behind a cookie, enforcing idle and absolute time-outs.
pub async fn load(state: &AppState, secret: &str) -> Result<Option<SessionUser>, sqlx::Error> {
    let now = state.clock.now();
    let hash = tokens::digest(secret);
    let row: Option<Row> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT u.id, u.email, u.full_name, u.role, u.practice_id, u.staff_id, u.totp_secret IS NOT NULL, \
                s.stage, s.created_at, s.last_seen_at, u.active \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1")
        .bind(&hash).fetch_optional(p).await)?;
    let Some((
        user_id,
        email,
        full_name,
        role,
        practice_id,
        staff_id,
        mfa_enabled,
        stage,
        created,
        last_seen,
        active,
    )) = row
    else {
        return Ok(None);
    };
    let idle = state.settings.session.idle_minutes * 60;
    let absolute = state.settings.session.absolute_hours * 3600;
    let role = Role::parse(&role);
    if !active || now - last_seen > idle || now - created > absolute || role.is_none() {
        with_db!(&state.db, p => sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(&hash).execute(p).await.map(|r| r.rows_affected()))?;
        return Ok(None);
    }
    // Writing on every request would make reads contend on SQLite; a minute's precision is plenty.
    if now - last_seen >= 60 {
        with_db!(&state.db, p => sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now).bind(&hash).execute(p).await.map(|r| r.rows_affected()))?;
    }
    Ok(Some(SessionUser {
        user_id,
        email,
        full_name,
        role: role.expect("checked above"),
        practice_id,
        staff_id,
        mfa_enabled,
        stage: if stage == "full" {
            Stage::Full
        } else {
            Stage::AwaitingMfa
        },
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
