//! Reading a file, and the form around it, from an upload form.

use axum::extract::Multipart;

use super::AppError;

/// An upload form as sent: its text fields in order (a field may repeat,
/// like ticked checkboxes) and the file, if one was chosen.
#[derive(Debug, Default)]
pub struct UploadForm {
    pub fields: Vec<(String, String)>,
    /// (file name as sent, bytes); None when no file was chosen.
    pub file: Option<(String, Vec<u8>)>,
}

impl UploadForm {
    /// The first value of a text field, or "".
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of a repeated field (ticked checkboxes).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

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

/// Reads the whole form: the file field and the text fields (each kept to
/// 10,000 characters, 200 at most); a body over the route's limit is
/// `AppError::TooLarge`.
async fn read(
    mut multipart: Multipart,
    file_field: &str,
    max_bytes: usize,
    default_name: &str,
) -> Result<UploadForm, AppError> {
    let unreadable = || {
        AppError::BadRequest(
            "The upload could not be read. Choose the file again and retry.".into(),
        )
    };
    let mut form = UploadForm::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::TooLarge(too_large(max_bytes)))
            }
            Err(_) => return Err(unreadable()),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == file_field {
            let file_name: String = field
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
            if !bytes.is_empty() || !file_name.is_empty() {
                form.file = Some((file_name, bytes.to_vec()));
            }
        } else {
            let text = field.text().await.map_err(|_| unreadable())?;
            if form.fields.len() < 200 {
                form.fields
                    .push((name, text.chars().take(10_000).collect()));
            }
        }
    }
    Ok(form)
}

fn file_of(form: &mut UploadForm, max_bytes: usize) -> Read {
    match form.file.take() {
        Some((_, b)) if b.len() > max_bytes => Read::Oversized,
        Some((n, b)) if !b.is_empty() => Read::File(n, b),
        _ => Read::Nothing,
    }
}

/// Reads an upload form with one file field. `Ok(Err(problem))` is something
/// the person can put right (the file is too large); `Err` is a broken request.
pub async fn read_form(
    multipart: Multipart,
    file_field: &str,
    max_bytes: usize,
    default_name: &str,
) -> Result<Result<UploadForm, String>, AppError> {
    let form = read(multipart, file_field, max_bytes, default_name).await?;
    Ok(match &form.file {
        Some((_, b)) if b.len() > max_bytes => Err(too_large(max_bytes)),
        _ => Ok(form),
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
    let mut form = read(multipart, field_name, max_bytes, default_name).await?;
    match file_of(&mut form, max_bytes) {
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
    let mut form = read(multipart, field_name, max_bytes, default_name).await?;
    Ok(match file_of(&mut form, max_bytes) {
        Read::File(n, b) => Ok((n, b)),
        Read::Nothing => Err("Choose a file to upload.".into()),
        Read::Oversized => Err(too_large(max_bytes)),
    })
}
