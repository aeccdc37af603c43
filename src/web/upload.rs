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

/// Reads an upload form with one file field. `Ok(Err(problem))` is something
/// the person can put right (the file is too large); `Err` is a broken
/// request. Text fields are kept to 10,000 characters each, 200 at most.
pub async fn read_form(
    mut multipart: Multipart,
    file_field: &str,
    max_bytes: usize,
    default_name: &str,
) -> Result<Result<UploadForm, String>, AppError> {
    let too_large = || {
        format!(
            "The file is larger than {}. Check you chose the right file, or split it into smaller files.",
            limit_words(max_bytes)
        )
    };
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
                return Err(AppError::TooLarge(too_large()))
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
                    return Err(AppError::TooLarge(too_large()))
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
    match &form.file {
        Some((_, b)) if b.len() > max_bytes => Ok(Err(too_large())),
        _ => Ok(Ok(form)),
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
        match read_form(multipart, field_name, max_bytes, default_name).await? {
            Err(problem) => Err(problem),
            Ok(UploadForm {
                file: Some((n, b)), ..
            }) if !b.is_empty() => Ok((n, b)),
            Ok(_) => Err("Choose a file to upload.".into()),
        },
    )
}
