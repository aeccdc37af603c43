//! Form handling: a form that cannot be read gets a clear message instead of
//! axum's plain-text rejection, and field errors are kept for re-display.

use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::AppError;
use crate::shared::FieldError;

/// A URL-encoded form. Handlers' form structs default every field, so a
/// missing field becomes an empty value the domain parser explains.
pub struct ValidForm<T>(pub T);

impl<T, S> FromRequest<S> for ValidForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        // The body is read under the route's own size limit (an extension).
        let mut whole = Request::new(body);
        *whole.extensions_mut() = parts.extensions.clone();
        *whole.headers_mut() = parts.headers.clone();
        let bytes = match axum::body::Bytes::from_request(whole, state).await {
            Ok(b) => b,
            Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::TooLarge(
                    "What you sent is larger than this form accepts.".into(),
                ))
            }
            Err(_) => return Err(unreadable()),
        };
        // No field ever holds a NUL character, and PostgreSQL cannot store one:
        // say so, rather than fail when saving.
        let query = parts.uri.query().unwrap_or("").as_bytes();
        if holds_nul(&bytes) || holds_nul(query) {
            return Err(AppError::BadRequest(
                "What you entered holds an invisible NUL character (often from copying out of another program). Go back, type it again and try again.".into(),
            ));
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(Self(v)),
            Err(rejection) => Err(form_rejection(rejection)),
        }
    }
}

/// A form body or query holding NUL, raw or percent-encoded.
fn holds_nul(b: &[u8]) -> bool {
    b.contains(&0) || b.windows(3).any(|w| w == b"%00")
}

fn unreadable() -> AppError {
    AppError::BadRequest(
        "The form could not be read. Go back, check what you entered and try again.".into(),
    )
}

fn form_rejection(r: FormRejection) -> AppError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge("What you sent is larger than this form accepts.".into())
    } else {
        unreadable()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_nul_character_is_found_raw_or_percent_encoded() {
        assert!(super::holds_nul(b"name=a%00b"));
        assert!(super::holds_nul(b"name=a\0b"));
        assert!(!super::holds_nul(b"name=a%20b&n=100"));
    }
}

/// Errors for the fields of one form, shown beside each field and in the
/// summary at the top of the page.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn all(&self) -> &[FieldError] {
        &self.0
    }
    /// Keeps the parsed value, or records the problem and gives `None`.
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
}
