//! What the simulation's pages share: committing a manager's change with its
//! audit entry, and what a "Test" button found.

use crate::auth::audit::{self, Action, Actor};
use crate::auth::PracticeScope;
use crate::db::Tx;
use crate::shared::AppState;

/// Records the change's audit entry (the signed-in person, from `ip`) in
/// its transaction, then commits both: neither is kept without the other.
pub async fn commit_audited(
    mut tx: Tx,
    state: &AppState,
    scope: &PracticeScope,
    ip: &str,
    action: Action,
    detail: &str,
) -> Result<(), sqlx::Error> {
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), ip),
        action,
        detail,
        state.clock.now(),
    )
    .await?;
    tx.commit().await
}

/// What a "Test" button found (a profile's test message, a webhook's test
/// event, the reporting mailbox's connection), for the page to show.
pub struct TestResult {
    pub worked: bool,
    pub message: String,
}

impl TestResult {
    pub fn worked(message: String) -> Self {
        Self {
            worked: true,
            message,
        }
    }

    pub fn failed(message: String) -> Self {
        Self {
            worked: false,
            message,
        }
    }
}
