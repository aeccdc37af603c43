//! Extractors that decide who may reach a handler. Practice data can only be
//! queried through a `PracticeScope`, which exists only for a signed-in member
//! of that practice: tenant isolation follows from the types. No code outside
//! `auth` can make one, except through [`system_scope_for`], the one door for
//! work Safety Net does on a practice's behalf without a session.

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;

use super::session::{self, SessionUser, Stage};
use super::Role;
use crate::shared::{AppState, PracticeId};
use crate::web::AppError;

async fn session_from(
    parts: &mut Parts,
    state: &AppState,
) -> Result<Option<SessionUser>, AppError> {
    let jar = CookieJar::from_headers(&parts.headers);
    let Some(c) = jar.get(session::COOKIE) else {
        return Ok(None);
    };
    if c.value().is_empty() || c.value().len() > 100 {
        return Ok(None);
    }
    Ok(session::load(state, c.value()).await?)
}

/// Whoever the cookie belongs to, at any stage of signing in.
pub struct MaybeSession(pub Option<SessionUser>);

impl<S> FromRequestParts<S> for MaybeSession
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Ok(Self(session_from(parts, &AppState::from_ref(state)).await?))
    }
}

/// Fully signed in, but perhaps still to set up the two-step verification
/// their role requires: only the enrolment pages and sign-out accept this.
pub struct SignedInForEnrolment(pub SessionUser);

impl<S> FromRequestParts<S> for SignedInForEnrolment
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match session_from(parts, &AppState::from_ref(state)).await? {
            Some(u) if u.stage == Stage::Full => Ok(Self(u)),
            _ => Err(AppError::SignInRequired),
        }
    }
}

/// Fully signed in, with two-step verification set up where the role needs it.
pub struct SignedIn(pub SessionUser);

impl<S> FromRequestParts<S> for SignedIn
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let SignedInForEnrolment(u) =
            SignedInForEnrolment::from_request_parts(parts, state).await?;
        if u.role.requires_mfa() && !u.mfa_enabled && !u.provider_second_factor {
            return Err(AppError::MfaEnrolmentRequired);
        }
        Ok(Self(u))
    }
}

/// A signed-in member of one practice. Its practice id cannot be chosen by the
/// request: it comes from the account.
#[derive(Debug, Clone)]
pub struct PracticeScope {
    practice_id: PracticeId,
    user: SessionUser,
}

impl PracticeScope {
    pub(super) fn new(practice_id: PracticeId, user: SessionUser) -> Self {
        Self { practice_id, user }
    }
    pub fn practice_id(&self) -> PracticeId {
        self.practice_id
    }
    pub fn role(&self) -> Role {
        self.user.role
    }
    /// Who is acting: for pages, audit entries and "created by".
    pub fn user(&self) -> &SessionUser {
        &self.user
    }
}

/// The escape hatch: Safety Net itself acting for a practice, with a practice
/// manager's rights, where there is no session (the command line, the demo
/// seeding, background jobs, benchmarks). `why` says which, for the log;
/// every use is a place to look when reviewing who can reach practice data.
pub fn system_scope_for(practice_id: PracticeId, why: &'static str) -> PracticeScope {
    tracing::debug!(%practice_id, why, "acting for a practice as Safety Net");
    PracticeScope::new(practice_id, SessionUser::system(practice_id))
}

impl<S> FromRequestParts<S> for PracticeScope
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let SignedIn(user) = SignedIn::from_request_parts(parts, state).await?;
        match user.practice_id {
            Some(practice_id) => Ok(Self::new(practice_id, user)),
            // Operators never see inside a practice: to them these pages do not exist.
            None => Err(AppError::NotFound),
        }
    }
}

/// For `safetynet bench` only (built with `--features bench`, never
/// shipped): a member's scope without a session, to time pages as a
/// receptionist or a champion sees them.
#[cfg(feature = "bench")]
pub fn bench_scope_as(
    practice_id: PracticeId,
    staff_id: Option<crate::shared::StaffId>,
    role: Role,
) -> PracticeScope {
    let mut user = SessionUser::system(practice_id);
    user.staff_id = staff_id;
    user.role = role;
    PracticeScope::new(practice_id, user)
}

/// `Option<PracticeScope>`: the scope of a signed-in practice member, or
/// None for an operator (who belongs to no practice); not signed in is still
/// refused. For pages everyone signed in reaches, like the home page.
impl<S> OptionalFromRequestParts<S> for PracticeScope
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, AppError> {
        let SignedIn(user) = SignedIn::from_request_parts(parts, state).await?;
        Ok(user
            .practice_id
            .map(|practice_id| Self::new(practice_id, user)))
    }
}

/// The practice manager of the practice in scope.
#[derive(Debug, Clone)]
pub struct ManagerScope(PracticeScope);

impl ManagerScope {
    /// The scope, if its user is the practice manager (the system actor is).
    pub fn of(scope: PracticeScope) -> Option<Self> {
        (scope.role() == Role::Manager).then_some(Self(scope))
    }
}

impl std::ops::Deref for ManagerScope {
    type Target = PracticeScope;
    fn deref(&self) -> &PracticeScope {
        &self.0
    }
}

impl<S> FromRequestParts<S> for ManagerScope
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let scope =
            <PracticeScope as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        if scope.role() != Role::Manager {
            return Err(AppError::Forbidden(
                "Only the practice manager can use this page.",
            ));
        }
        Ok(Self(scope))
    }
}

/// An operator (ICB / PCN / federation IT).
pub struct OperatorScope(SessionUser);

impl OperatorScope {
    pub fn user(&self) -> &SessionUser {
        &self.0
    }
    pub fn into_user(self) -> SessionUser {
        self.0
    }
}

impl<S> FromRequestParts<S> for OperatorScope
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let SignedIn(user) = SignedIn::from_request_parts(parts, state).await?;
        if user.role != Role::Operator {
            return Err(AppError::NotFound);
        }
        Ok(Self(user))
    }
}
