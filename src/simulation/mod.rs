//! The simulation site: its own listener for tracking links and landing
//! pages. No app cookies, no CSRF, nothing that names Safety Net, and very
//! little work per request. Campaign tracking arrives with the phishing
//! simulation; for now it answers health checks and 404s everything else.

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|| async { StatusCode::NOT_FOUND })
}
