//! The background sender: claims due messages one at a time, sends them with
//! no database lock held, and records the outcome.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::outbox;
use super::smtp::{Mailer, SendError};
use crate::shared::AppState;

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Idle,
    Sent,
    Retrying,
    Failed,
}

pub struct Worker {
    state: AppState,
    mailer: Mailer,
}

/// Long enough for a slow SMTP server; a crashed worker's message is retried after it.
const LEASE_SECS: i64 = 120;

impl Worker {
    pub fn new(state: AppState, mailer: Mailer) -> Self {
        Self { state, mailer }
    }

    /// One message, if one is due. Tests drive the worker through this.
    pub async fn run_once(&self) -> anyhow::Result<Outcome> {
        let now = self.state.clock.now();
        let Some(msg) = outbox::claim_next(&self.state.db, now, LEASE_SECS).await? else {
            return Ok(Outcome::Idle);
        };
        let result = self.mailer.send(&msg).await;
        let now = self.state.clock.now();
        Ok(match result {
            Ok(()) => {
                outbox::mark_sent(&self.state.db, msg.id, now).await?;
                crate::metrics::emails(crate::metrics::EmailKind::System, 1, 0);
                Outcome::Sent
            }
            Err(SendError::Temporary(e)) => {
                tracing::warn!(id = msg.id, error = %e, "system email not sent yet; will retry");
                outbox::retry_later(&self.state.db, &msg, &e, now).await?;
                if msg.attempts >= outbox::MAX_ATTEMPTS {
                    crate::metrics::emails(crate::metrics::EmailKind::System, 0, 1);
                    Outcome::Failed
                } else {
                    Outcome::Retrying
                }
            }
            Err(SendError::Permanent(e)) => {
                tracing::error!(id = msg.id, error = %e, "system email refused by the mail server");
                outbox::mark_failed(&self.state.db, msg.id, &e).await?;
                crate::metrics::emails(crate::metrics::EmailKind::System, 0, 1);
                Outcome::Failed
            }
        })
    }

    pub async fn run_until_stopped(self, stop: CancellationToken) {
        tracing::info!(mailer = %self.mailer.describe(), "system email worker started");
        loop {
            let step = self.run_once().await;
            crate::metrics::job("system_email", step.is_ok());
            let pause = match step {
                Ok(Outcome::Idle) => Duration::from_secs(5),
                Ok(_) => Duration::ZERO,
                Err(e) => {
                    tracing::error!(error = ?e, "system email worker step failed");
                    Duration::from_secs(2)
                }
            };
            if pause.is_zero() {
                continue;
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = self.state.db.signals().woken(crate::db::Wake::Outbox) => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
}
