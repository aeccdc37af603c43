//! Reading a file from an upload form.

use axum::extract::Multipart;

use super::AppError;

/// Reads one file field from an upload. `Ok(Err(problem))` is something the
/// person can put right (no file chosen, too large); `Err` is a broken request.
pub async fn read_upload(
    mut multipart: Multipart,
    field_name: &str,
    max_bytes: usize,
    default_name: &str,
) -> Result<Result<(String, Vec<u8>), String>, AppError> {
    let limit = if max_bytes >= 1024 * 1024 {
        format!("{} MB", max_bytes / (1024 * 1024))
    } else {
        format!("{} KB", max_bytes / 1024)
    };
    let too_large = || {
        format!("The file is larger than {limit}. Check you chose the right file, or split it into smaller files.")
    };
    let unreadable = || {
        AppError::BadRequest(
            "The upload could not be read. Choose the file again and retry.".into(),
        )
    };
    let mut file = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::TooLarge(too_large()))
            }
            Err(_) => return Err(unreadable()),
        };
        if field.name() == Some(field_name) {
            let name: String = field
                .file_name()
                .unwrap_or(default_name)
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect();
            let bytes = match field.bytes().await {
                Ok(b) => b,
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(AppError::TooLarge(too_large()))
                }
                Err(_) => return Err(unreadable()),
            };
            file = Some((name, bytes.to_vec()));
        }
    }
    match file {
        Some((_, b)) if b.len() > max_bytes => Ok(Err(too_large())),
        Some((n, b)) if !b.is_empty() => Ok(Ok((n, b))),
        _ => Ok(Err("Choose a file to upload.".into())),
    }
}
