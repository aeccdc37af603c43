//! Who may see the resilience registers ([`ViewScope`]), and the audit
//! entry every change to them writes in its own transaction ([`audit`]).

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::auth::audit::{self, Action, Actor};
use crate::auth::{PracticeScope, Role};
use crate::db::Tx;
use crate::shared::AppState;
use crate::web::AppError;

/// The practice manager or a cyber champion: may read the resilience pages.
#[derive(Debug, Clone)]
pub struct ViewScope(PracticeScope);

impl std::ops::Deref for ViewScope {
    type Target = PracticeScope;
    fn deref(&self) -> &PracticeScope {
        &self.0
    }
}

impl ViewScope {
    /// The scope, if its user is the manager or a champion.
    pub fn of(scope: PracticeScope) -> Option<Self> {
        matches!(scope.role(), Role::Manager | Role::Champion).then_some(Self(scope))
    }

    pub fn is_manager(&self) -> bool {
        self.0.role() == Role::Manager
    }
}

impl<S> FromRequestParts<S> for ViewScope
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let scope = PracticeScope::from_request_parts(parts, state).await?;
        Self::of(scope).ok_or(AppError::Forbidden(
            "Only the practice manager and cyber champions can see the practice's devices, alerts and backups.",
        ))
    }
}

/// Records, in the change's transaction, that the scope's user (from `ip`)
/// did `detail`.
pub async fn audit(
    tx: &mut Tx,
    scope: &PracticeScope,
    ip: &str,
    action: Action,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    audit::record(
        tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), ip),
        action,
        detail,
        now,
    )
    .await
}
