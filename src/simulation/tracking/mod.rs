//! The simulation site: what a recipient's email client and browser reach,
//! on a listener of its own (no app cookies, no CSRF, nothing that names
//! Safety Net). Unknown tokens and paths get a bare 404 that names nothing.
//!
//! - `hit`: the [`TrackedHit`](hit::TrackedHit) extractor every handler opens with;
//! - `cache`: the in-memory index of tokens;
//! - `classify`: whether a hit was a person's or a scanner's;
//! - `writer`: the group-commit event writer;
//! - `repo`: token lookups and event writes;
//! - `routes`, `views` and `teachable`: the handlers and the pages they answer with;
//! - `state`: [`SimState`], the site's own state.

pub mod cache;
pub mod classify;
pub mod hit;
pub mod repo;
pub mod routes;
pub mod state;
pub mod teachable;
mod views;
pub mod writer;

pub use hit::warm_running;
pub use state::SimState;

use axum::http::header;
use axum::routing::{get, post};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

pub fn router() -> Router<SimState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/robots.txt", get(|| async { "User-agent: *\nDisallow: /\n" }))
        .route("/o/{token}", get(routes::open))
        .route("/c/{token}", get(routes::click).post(routes::submit))
        .route("/b/{token}", post(routes::beacon))
        .route("/h/{token}", get(routes::honeypot))
        .route("/r/{token}", get(routes::report).post(routes::report))
        .route("/s/{file}", get(routes::asset))
        .route("/d/{token}", get(routes::drill))
        .fallback(|| async { hit::not_found() })
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            header::HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        ))
}
