//! What every page shares: errors, the layout, static files, security headers.

pub mod assets;
pub mod confirm;
pub mod csrf;
pub mod download;
pub mod error;
pub mod filecheck;
pub mod form;
pub mod import;
pub mod notice;
pub mod page;
pub mod path;
pub mod routes;
pub mod serve;
pub mod spreadsheet;
pub mod upload;

pub use error::AppError;
pub use form::{FieldErrors, ValidForm};
pub use notice::Notice;
pub use page::{render, Nav, Page};
pub use path::Path;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::shared::AppState;

/// The network address a request came from, for rate limits and the audit log.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S> FromRequestParts<S> for ClientIp
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        let ip = crate::net::forwarded::client_ip(&app.settings, &parts.headers, peer)
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(Self(ip))
    }
}
