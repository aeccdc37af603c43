//! A file offered for download under its own name.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// `bytes` saved as `file_name`. The name in the header keeps printable
/// ASCII only (others become `_`, quotes are dropped) so no name can break
/// the header or smuggle another one in.
pub fn attachment(file_name: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .filter(|c| *c != '"')
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_cannot_break_the_header() {
        let r = attachment("Slides \"v2\"\r\nX-Evil: 1 é.html", "text/html", Vec::new());
        assert_eq!(
            r.headers()[header::CONTENT_DISPOSITION],
            "attachment; filename=\"Slides v2__X-Evil: 1 _.html\""
        );
    }
}
