//! Reading a file from an upload form.

use axum::extract::Multipart;

use super::AppError;

fn limit_words(max_bytes: usize) -> String {
    if max_bytes >= 1024 * 1024 {
        format!("{} MB", max_bytes / (1024 * 1024))
    } else {
        format!("{} KB", max_bytes / 1024)
    }
}

/// What one file field held.
enum Read {
    File(String, Vec<u8>),
    /// No file, or an empty one.
    Nothing,
    /// Read whole, but over the size (the body limit lets a little more through).
    Oversized,
}

fn too_large(max_bytes: usize) -> String {
    format!(
        "The file is larger than {}. Check you chose the right file, or split it into smaller files.",
        limit_words(max_bytes)
    )
}

/// Reads the field; a body over the route's limit is `AppError::TooLarge`.
async fn read(
    mut multipart: Multipart,
    field_name: &str,
    max_bytes: usize,
    default_name: &str,
) -> Result<Read, AppError> {
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
                return Err(AppError::TooLarge(too_large(max_bytes)))
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
                    return Err(AppError::TooLarge(too_large(max_bytes)))
                }
                Err(_) => return Err(unreadable()),
            };
            file = Some((name, bytes.to_vec()));
        }
    }
    Ok(match file {
        Some((_, b)) if b.len() > max_bytes => Read::Oversized,
        Some((n, b)) if !b.is_empty() => Read::File(n, b),
        _ => Read::Nothing,
    })
}

/// Reads one file field from an upload: its name (control characters
/// removed, at most 200 characters; `default_name` if it has none) and its
/// bytes. `Ok(None)` when no file, or an empty one, was chosen; a file over
/// `max_bytes` is `AppError::TooLarge`; anything else wrong is a broken request.
pub async fn read_file(
    multipart: Multipart,
    field_name: &str,
    max_bytes: usize,
    default_name: &str,
) -> Result<Option<(String, Vec<u8>)>, AppError> {
    match read(multipart, field_name, max_bytes, default_name).await? {
        Read::File(n, b) => Ok(Some((n, b))),
        Read::Nothing => Ok(None),
        Read::Oversized => Err(AppError::TooLarge(too_large(max_bytes))),
    }
}

/// Reads one file field from an upload. `Ok(Err(problem))` is something the
/// person can put right (no file chosen, too large); `Err` is a broken request.
pub async fn read_upload(
    multipart: Multipart,
    field_name: &str,
    max_bytes: usize,
    default_name: &str,
) -> Result<Result<(String, Vec<u8>), String>, AppError> {
    Ok(
        match read(multipart, field_name, max_bytes, default_name).await? {
            Read::File(n, b) => Ok((n, b)),
            Read::Nothing => Err("Choose a file to upload.".into()),
            Read::Oversized => Err(too_large(max_bytes)),
        },
    )
}
