//! Cross-site request forgery protection for the app's forms.
//!
//! Browsers say where a request comes from. `Sec-Fetch-Site: same-origin`
//! (or `none`, typed or bookmarked) passes; `same-site` and `cross-site` are
//! refused. Browsers too old to send it still send `Origin`, which must then
//! be exactly the app's own origin from `public_url`, scheme included, so a
//! page served over plain http on the same host and port cannot post to the
//! https app. A request with neither header is not from a browser form and
//! carries no cookies a browser would attach for someone else.
//! (tower-http's `CsrfLayer` compares only host and port in that fallback.)

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppError;
use crate::shared::AppState;

/// The app's own origin, `scheme://host[:port]`, as browsers write it.
pub fn own_origin(public_url: &str) -> Option<String> {
    let origin = url::Url::parse(public_url).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// Whether a state-changing request may go on.
pub fn allowed(method: &Method, headers: &axum::http::HeaderMap, own: Option<&str>) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        Some(b"same-origin" | b"none") => return true,
        Some(v) if !v.is_empty() => return false,
        _ => {}
    }
    match headers.get(header::ORIGIN).map(|v| v.as_bytes()) {
        None | Some(b"") => true,
        Some(origin) => own.is_some_and(|o| o.as_bytes().eq_ignore_ascii_case(origin)),
    }
}

/// Refuses cross-site form posts; `exempt` paths (bearer-token APIs without cookies) are not checked.
pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let exempt =
        req.method() == Method::POST && req.uri().path() == crate::resilience::checkin::API_PATH;
    let own = own_origin(&state.settings.public_url);
    if exempt || allowed(req.method(), req.headers(), own.as_deref()) {
        return next.run(req).await;
    }
    AppError::Forbidden(
        "This form was sent from another website, so Safety Net did not act on it. Go back to Safety Net and try again from there.",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn with(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_origin_must_match_in_scheme_as_well_as_host_and_port() {
        let own = own_origin("https://safetynet.example.nhs.uk/").unwrap();
        assert_eq!(own, "https://safetynet.example.nhs.uk");
        let post = Method::POST;
        assert!(allowed(
            &post,
            &with(&[("origin", "https://safetynet.example.nhs.uk")]),
            Some(&own)
        ));
        assert!(!allowed(
            &post,
            &with(&[("origin", "http://safetynet.example.nhs.uk")]),
            Some(&own)
        ));
        assert!(!allowed(
            &post,
            &with(&[("origin", "https://safetynet.example.nhs.uk:8443")]),
            Some(&own)
        ));
        assert!(!allowed(&post, &with(&[("origin", "null")]), Some(&own)));
        assert!(!allowed(
            &post,
            &with(&[("sec-fetch-site", "same-site")]),
            Some(&own)
        ));
        assert!(allowed(
            &post,
            &with(&[("sec-fetch-site", "same-origin")]),
            Some(&own)
        ));
        assert!(
            allowed(&post, &HeaderMap::new(), Some(&own)),
            "not a browser"
        );
        assert!(allowed(
            &Method::GET,
            &with(&[("sec-fetch-site", "cross-site")]),
            Some(&own)
        ));
    }
}
