//! Counts and times every request on a listener, by its route's pattern
//! (`/c/{token}`, never the address itself, so no token reaches the figures).

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// Middleware for a listener ("app" or "sim").
pub async fn observe(listener: &'static str, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let res = next.run(req).await;
    super::request(
        listener,
        route,
        res.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    res
}
