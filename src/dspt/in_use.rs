//! The toolkit that applies: the newest of those shipped in the binary and
//! those an operator loaded (`safetynet dspt load FILE`, or the upload on
//! `/operator/dspt`). A loaded file is checked when it is loaded and stored
//! whole; each node keeps the one it last read in memory, keyed by the
//! file's SHA-256, and asks the database which file is newest on every use,
//! so a file loaded on one node applies on every node at once.

use std::sync::{Arc, LazyLock, Mutex};

use super::repo::{self, NewToolkit};
use super::toolkit::{self, Toolkit};
use crate::db::{Db, Tx};

static BUILTIN: LazyLock<Arc<Toolkit>> = LazyLock::new(|| Arc::new(toolkit::current().clone()));

/// The loaded toolkit this node last read, by its file's SHA-256.
static LOADED: Mutex<Option<(String, Arc<Toolkit>)>> = Mutex::new(None);

/// The toolkit that applies now.
pub async fn toolkit(db: &Db) -> Result<Arc<Toolkit>, sqlx::Error> {
    let builtin = BUILTIN.clone();
    let Some(row) = repo::newest_loaded(db).await? else {
        return Ok(builtin);
    };
    let cached = LOADED
        .lock()
        .expect("toolkit cache")
        .as_ref()
        .filter(|(fingerprint, _)| *fingerprint == row.fingerprint)
        .map(|(_, t)| t.clone());
    let loaded = match cached {
        Some(t) => t,
        None => {
            let text = repo::toolkit_text(db, row.id).await?.unwrap_or_default();
            match toolkit::load(text.as_bytes()) {
                Ok(t) => {
                    let t = Arc::new(t);
                    *LOADED.lock().expect("toolkit cache") =
                        Some((row.fingerprint.clone(), t.clone()));
                    t
                }
                Err(problem) => {
                    // Checked when it was loaded, so only a changed parser gets here.
                    tracing::warn!(row = row.id, %problem, "a loaded DSPT toolkit no longer reads; using the built-in one");
                    return Ok(builtin);
                }
            }
        }
    };
    Ok(match toolkit::newest([loaded.as_ref(), builtin.as_ref()]) {
        Some(t) if std::ptr::eq(t, loaded.as_ref()) => loaded,
        _ => builtin,
    })
}

/// Checks a toolkit file and stores it, or says in plain English why not:
/// it must read, be new, and be newer than `current` (the toolkit that
/// applies now, read before the transaction began).
pub async fn load(
    tx: &mut Tx,
    current: &Toolkit,
    bytes: &[u8],
    file_name: &str,
    loaded_by: &str,
    now: i64,
) -> Result<Result<Toolkit, String>, sqlx::Error> {
    let t = match toolkit::load(bytes) {
        Ok(t) => t,
        Err(problem) => return Ok(Err(problem)),
    };
    if repo::toolkit_loaded(tx, &t.fingerprint).await? {
        return Ok(Err(format!(
            "This file ({}) is already loaded. Nothing was changed.",
            t.name()
        )));
    }
    if t.published <= current.published {
        return Ok(Err(format!(
            "This file is {}, published {}, but {} (published {}) already applies. Load the toolkit NHS England published most recently.",
            t.name(),
            super::status::short_date(t.published),
            current.name(),
            super::status::short_date(current.published)
        )));
    }
    let text = std::str::from_utf8(bytes).unwrap_or_default();
    repo::insert_toolkit(
        tx,
        &NewToolkit {
            year: &t.year,
            version: &t.version,
            published: &crate::resilience::dates::iso(t.published),
            fingerprint: &t.fingerprint,
            file_name,
            toml: text,
            loaded_by,
        },
        now,
    )
    .await?;
    Ok(Ok(t))
}
