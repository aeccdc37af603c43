//! One error type for every handler. Users see a plain-English page; the
//! details of unexpected failures go to the log only.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::page::Page;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign-in required")]
    SignInRequired,
    #[error("two-step verification must be set up first")]
    MfaEnrolmentRequired,
    /// Also what a user sees for another practice's data: we never confirm it exists.
    #[error("not found")]
    NotFound,
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// The server is too busy for this now (503); the message says to try again shortly.
    #[error("{0}")]
    Busy(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: Page,
    heading: String,
    message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, heading, message) = match self {
            Self::SignInRequired => return Redirect::to("/sign-in").into_response(),
            Self::MfaEnrolmentRequired => return Redirect::to("/account/mfa").into_response(),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "If you typed the web address, check it is correct. If you followed a link, it may be out of date.".to_string(),
            ),
            Self::Forbidden(why) => (StatusCode::FORBIDDEN, "You cannot do this", why.to_string()),
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, "Something was wrong with what was sent", m),
            Self::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "That is too large", m),
            Self::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, "Please wait and try again", m),
            Self::Busy(m) => (StatusCode::SERVICE_UNAVAILABLE, "Please try again in a moment", m),
            Self::Unexpected(e) => {
                tracing::error!(error = ?e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sorry, there is a problem with Safety Net",
                    "Nothing you did caused this. Try again in a few minutes; if it keeps happening, tell your practice manager or IT support.".to_string(),
                )
            }
        };
        let page = ErrorPage {
            page: Page::bare(heading),
            heading: heading.to_string(),
            message: message.clone(),
        };
        let body = page.render().unwrap_or_else(|_| heading.to_string());
        let mut response = (status, Html(body)).into_response();
        // `with_navigation` draws the page again with the person's menu.
        response
            .extensions_mut()
            .insert(ErrorParts { heading, message });
        response
    }
}

/// What an error page says, kept on its response so that [`with_navigation`]
/// (which knows who is signed in) can draw it again with the site's menu.
#[derive(Clone)]
struct ErrorParts {
    heading: &'static str,
    message: String,
}

/// Middleware: an error page shown to someone signed in keeps their menu, so
/// "Page not found" or a refused form is never a dead end. Handlers raise
/// errors without knowing who asked; this is where the two meet.
pub async fn with_navigation(
    axum::extract::State(state): axum::extract::State<crate::shared::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let secret = axum_extra::extract::CookieJar::from_headers(req.headers())
        .get(crate::auth::session::COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty() && v.len() <= 100);
    let mut response = next.run(req).await;
    let (Some(parts), Some(secret)) = (response.extensions_mut().remove::<ErrorParts>(), secret)
    else {
        return response;
    };
    let user = match crate::auth::session::load(&state, &secret).await {
        Ok(Some(u)) if u.stage == crate::auth::session::Stage::Full => u,
        _ => return response,
    };
    let page = ErrorPage {
        page: Page::for_user(parts.heading, &user),
        heading: parts.heading.to_string(),
        message: parts.message,
    };
    if let Ok(body) = page.render() {
        let (mut head, _) = response.into_parts();
        head.headers.remove(axum::http::header::CONTENT_LENGTH);
        response = Response::from_parts(head, axum::body::Body::from(body));
    }
    response
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;
