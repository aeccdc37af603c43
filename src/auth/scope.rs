//! Extractors that decide who may reach a handler. Practice data can only be
//! queried through a `PracticeScope`, which exists only for a signed-in member
//! of that practice: tenant isolation follows from the types.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;

use super::session::{self, SessionUser, Stage};
use super::Role;
use crate::shared::AppState;
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
        if u.role.requires_mfa() && !u.mfa_enabled {
            return Err(AppError::MfaEnrolmentRequired);
        }
        Ok(Self(u))
    }
}

/// A signed-in member of one practice. Its practice id cannot be chosen by the
/// request: it comes from the account.
#[derive(Debug, Clone)]
pub struct PracticeScope {
    practice_id: i64,
    pub user: SessionUser,
}

impl PracticeScope {
    pub fn practice_id(&self) -> i64 {
        self.practice_id
    }
    pub fn role(&self) -> Role {
        self.user.role
    }
    /// For a command-line or seeding path that acts for a practice without a session.
    pub fn for_system(practice_id: i64, user: SessionUser) -> Self {
        Self { practice_id, user }
    }
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
            Some(practice_id) => Ok(Self { practice_id, user }),
            // Operators never see inside a practice: to them these pages do not exist.
            None => Err(AppError::NotFound),
        }
    }
}

/// The practice manager of the practice in scope.
#[derive(Debug, Clone)]
pub struct ManagerScope(pub PracticeScope);

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
        let scope = PracticeScope::from_request_parts(parts, state).await?;
        if scope.role() != Role::Manager {
            return Err(AppError::Forbidden(
                "Only the practice manager can use this page.",
            ));
        }
        Ok(Self(scope))
    }
}

/// An operator (ICB / PCN / federation IT).
pub struct OperatorScope(pub SessionUser);

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
