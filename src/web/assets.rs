//! Static files (NHS.UK frontend, our scripts) embedded in the binary, so the
//! app needs no network at run time. Debug builds read them from disk.

use super::path::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

pub async fn serve(Path(path): Path<String>) -> Response {
    match Static::get(&path) {
        Some(file) => {
            let mime = file.metadata.mimetype().to_string();
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
                ],
                file.data,
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The NHS.UK stylesheet refers to its icons at `/assets/…`.
pub async fn serve_nhsuk_asset(Path(path): Path<String>) -> Response {
    serve(Path(format!("vendor/nhsuk-frontend/assets/{path}"))).await
}
