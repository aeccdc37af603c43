//! Where a practice's own role curricula are stored (`training_curricula`:
//! one row per role it changed, the modules as `phishing,passwords`).

use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::PracticeId;
use crate::{with_db, with_tx};

pub struct ChangedCurriculum {
    pub role_key: String,
    pub modules: String,
}

named_row!(ChangedCurriculum { role_key, modules });

pub async fn changed(
    db: &Db,
    practice_id: PracticeId,
) -> Result<Vec<ChangedCurriculum>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT role_key, modules FROM training_curricula WHERE practice_id = $1")
        .bind(practice_id).fetch_all(p).await)
}

pub async fn save(
    tx: &mut Tx,
    practice_id: PracticeId,
    role_key: &str,
    modules: &[&str],
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO training_curricula (practice_id, role_key, modules) VALUES ($1, $2, $3) \
         ON CONFLICT (practice_id, role_key) DO UPDATE SET modules = $3")
        .bind(practice_id).bind(role_key).bind(modules.join(",")).execute(&mut *c).await.map(|_| ()))
}
