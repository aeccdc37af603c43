//! Who may see the practice's culture figures: the practice manager (the
//! whole practice) or a cyber champion (their own department).

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::auth::{PracticeScope, Role};
use crate::db::Db;
use crate::shared::AppState;
use crate::web::AppError;

/// The practice manager or a cyber champion.
#[derive(Debug, Clone)]
pub struct CultureScope(PracticeScope);

impl std::ops::Deref for CultureScope {
    type Target = PracticeScope;
    fn deref(&self) -> &PracticeScope {
        &self.0
    }
}

impl CultureScope {
    pub fn of(scope: PracticeScope) -> Option<Self> {
        matches!(scope.role(), Role::Manager | Role::Champion).then_some(Self(scope))
    }

    pub fn is_manager(&self) -> bool {
        self.0.role() == Role::Manager
    }

    /// The champion's department (None for the manager, or a champion with none).
    pub async fn department(&self, db: &Db) -> Result<Option<i64>, sqlx::Error> {
        if self.is_manager() {
            return Ok(None);
        }
        let Some(staff_id) = self.user().staff_id else {
            return Ok(None);
        };
        Ok(crate::people::staff::find(db, &self.0, staff_id)
            .await?
            .and_then(|s| s.department_id))
    }
}

impl<S> FromRequestParts<S> for CultureScope
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let scope = PracticeScope::from_request_parts(parts, state).await?;
        Self::of(scope).ok_or(AppError::Forbidden(
            "Only the practice manager and cyber champions can see these figures.",
        ))
    }
}
