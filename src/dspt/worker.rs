//! The DSPT's background pass, every ten minutes on every node: readiness
//! figures worked out again for practices whose figures are a day old (so
//! evidence lapsing shows on the operator's list without anyone visiting),
//! agreement renewal reminders, and packs whose builder stopped. Each piece
//! is safe on several nodes: figures are upserts of the same answer,
//! reminders and packs are claimed in the database.

use crate::auth::system_scope_for;
use crate::shared::AppState;

use super::{admins, assess, packs, repo};

/// What one pass did, for logs and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub readiness: u32,
    pub reminders: u32,
    pub packs: u32,
}

/// Figures older than this are worked out again.
const READINESS_AGE_SECS: i64 = 20 * 3600;
/// Practices worked out in one pass.
const READINESS_BATCH: i64 = 200;

pub async fn run(state: &AppState) -> anyhow::Result<Pass> {
    let now = state.clock.now();
    let mut pass = Pass::default();
    for practice_id in
        repo::stale_practices(&state.db, now - READINESS_AGE_SECS, READINESS_BATCH).await?
    {
        let scope = system_scope_for(practice_id, "DSPT readiness figures");
        assess::refresh_readiness(&state.db, &scope, now).await?;
        pass.readiness += 1;
    }
    pass.reminders = admins::remind(state, now).await?;
    while let Some((id, practice_id)) =
        packs::repo::claim_stale(&state.db, now, now + packs::build::LEASE_SECS).await?
    {
        packs::build::run(state, id, practice_id).await;
        pass.packs += 1;
    }
    Ok(pass)
}

const INTERVAL: std::time::Duration = std::time::Duration::from_secs(10 * 60);

pub async fn run_until_stopped(state: AppState, stop: tokio_util::sync::CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(INTERVAL) => {}
        }
        match run(&state).await {
            Ok(pass) if pass != Pass::default() => tracing::info!(?pass, "DSPT pass done"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "DSPT pass failed; will try again"),
        }
    }
}
