//! Documents uploaded as evidence for items whose evidence comes from
//! outside Safety Net (usually the ICB's GP IT service or the clinical
//! system supplier): the practice's own, and an operator's uploaded once for
//! many practices. Each says which items it covers and until when; it counts
//! for those items until then. Kept in the database, so `safetynet backup`
//! holds them.
//!
//! `domain` (checks), `repo` (tables), `routes` (the practice's pages; the
//! operator's are in `dspt::operator`).

pub mod domain;
pub mod repo;
pub mod routes;

use axum::response::Response;
use sha2::{Digest, Sha256};

use crate::db::Tx;
use crate::shared::PracticeId;
use crate::web::upload::UploadForm;
use crate::web::FieldErrors;
use domain::{check_details, check_file};
use repo::NewDocument;

/// An upload checked whole: the file and what the form says about it.
pub struct Checked {
    pub file_name: String,
    pub kind: domain::DocKind,
    pub data: Vec<u8>,
    pub details: domain::Details,
}

/// Checks an upload form's file and fields together, so every problem is
/// shown at once; nothing is stored unless all is well.
pub fn check(
    form: &UploadForm,
    toolkit: &super::toolkit::Toolkit,
    today: time::Date,
) -> Result<Checked, FieldErrors> {
    let mut errors = FieldErrors::default();
    let file = match &form.file {
        Some((name, data)) => match check_file(name, data) {
            Ok(ok) => Some((ok, data.clone())),
            Err(problem) => {
                errors.add("file", problem);
                None
            }
        },
        None => {
            errors.add("file", "Choose a file to upload");
            None
        }
    };
    let details = check_details(
        form.get("title"),
        &form.all("items"),
        form.get("expires_on"),
        toolkit,
        today,
        &mut errors,
    );
    match (file, details) {
        (Some(((file_name, kind), data)), Some(details)) if errors.is_empty() => Ok(Checked {
            file_name,
            kind,
            data,
            details,
        }),
        _ => Err(errors),
    }
}

/// Stores a checked upload for `practices`, in the caller's transaction.
pub async fn store(
    tx: &mut Tx,
    owner: Option<PracticeId>,
    c: &Checked,
    practices: &[PracticeId],
    uploaded_by: &str,
    now: i64,
) -> Result<crate::dspt::ids::DocumentId, sqlx::Error> {
    let sha = hex::encode(Sha256::digest(&c.data));
    repo::insert(
        tx,
        owner,
        &NewDocument {
            title: &c.details.title,
            file_name: &c.file_name,
            kind: c.kind,
            sha256: &sha,
            data: &c.data,
            expires_on: c.details.expires_on,
            items: &c.details.items,
            uploaded_by,
        },
        practices,
        now,
    )
    .await
}

/// A stored file, offered for download under its own name.
pub fn download(f: repo::File) -> Response {
    crate::web::download::attachment(&f.file_name, f.kind.content_type(), f.data)
}
