//! The app's path extractor: `Path<T>` as axum's, except that a value that
//! does not parse (`/staff/abc`, an id too large for a number) answers the
//! app's "Page not found" page, as an id of another practice does, rather
//! than axum's plain-text 400. Use it for every route; clippy refuses
//! `axum::extract::Path` (see `clippy.toml`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::AppError;

/// The route's `{…}` segments, parsed as `T`: one value (`Path<StaffId>`),
/// or a tuple for several (`Path<(CampaignId, i64)>`).
#[derive(Debug, Clone, Copy)]
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        #[allow(clippy::disallowed_types)]
        let parsed = axum::extract::Path::<T>::from_request_parts(parts, state).await;
        match parsed {
            Ok(axum::extract::Path(t)) => Ok(Self(t)),
            Err(_) => Err(AppError::NotFound),
        }
    }
}
