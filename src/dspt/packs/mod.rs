//! Evidence packs: one action builds a dated pack, a PDF summary (item by
//! item: status, evidence, dates, who is responsible; the practice's name
//! and ODS code) and a zip of the files behind it with an index. The build
//! runs in the background and records its progress in the database, so the
//! page can show it from any node; a build whose node stopped is taken over
//! when its lease runs out (`dspt::worker`). Packs are kept to download again.
//!
//! `repo` (tables), `build` (making the files), `routes` (pages).

pub mod build;
pub mod repo;
pub mod routes;

use crate::auth::audit::{self, Action, Actor};
use crate::auth::PracticeScope;
use crate::dspt::ids::PackId;
use crate::shared::AppState;

/// Starts a pack for the practice (or gives the one already being built)
/// and builds it in the background.
pub async fn start(
    state: &AppState,
    scope: &PracticeScope,
    actor: &Actor,
) -> Result<PackId, sqlx::Error> {
    let now = state.clock.now();
    if let Some(id) = repo::building(&state.db, scope, now).await? {
        return Ok(id);
    }
    let mut tx = state.db.begin().await?;
    let id = repo::start(&mut tx, scope, build::steps(), now, now + build::LEASE_SECS).await?;
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        actor,
        Action::EvidencePackRequested,
        &format!("evidence pack {id} requested"),
        now,
    )
    .await?;
    tx.commit().await?;
    let (state, practice_id) = (state.clone(), scope.practice_id());
    tokio::spawn(async move { build::run(&state, id, practice_id).await });
    Ok(id)
}
