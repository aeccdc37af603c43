//! Checks every active reporting mailbox once a minute: each forwarded
//! exercise email counts as a report (at the time it arrived), and its
//! reporter is thanked by email, in the same transaction. Only tokens of the
//! practice's own running exercises count; anything else is ignored.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::imap::{self, FoundReport, MailboxSettings};
use super::repo;
use crate::net::outbound::Policy;
use crate::shared::{AppState, PracticeId};
use crate::simulation::states::{Kind, Progress};
use crate::simulation::tracking::repo::write_in;
use crate::simulation::tracking::writer::NewEvent;
use crate::web::AppError;

const THANKS: &str = "Thank you for reporting that suspicious email. You did exactly the right thing.\n\nIt was a practice exercise, so there is nothing more to do. When a real one arrives, reporting it the same way lets the practice warn everyone quickly.\n\nSafety Net\n";

/// Records the reports found in one check; returns how many counted.
pub async fn record(
    state: &AppState,
    practice_id: PracticeId,
    reports: &[FoundReport],
) -> Result<usize, AppError> {
    let mut counted = 0;
    for r in reports {
        for token in &r.tokens {
            let Some(hit) =
                repo::recipient_by_token(&state.db, practice_id, token.as_str()).await?
            else {
                continue;
            };
            if hit.status.is_over() {
                continue;
            }
            let now = state.clock.now();
            let at = r.received_at.unwrap_or(now).min(now);
            let event = NewEvent {
                recipient_id: hit.id,
                campaign_id: hit.campaign_id,
                practice_id,
                staff_id: hit.staff_id,
                kind: Kind::Report,
                counted: true,
                reasons: format!(
                    "counted: forwarded to the reporting mailbox{}",
                    r.reporter
                        .as_deref()
                        .map(|f| format!(" by {f}"))
                        .unwrap_or_default()
                ),
                at,
                ip: String::new(),
                user_agent: "reporting mailbox".into(),
                training_module: String::new(),
                campaign_name: hit.campaign_name,
                already: Progress::default(),
            };
            let mut tx = state.db.begin().await?;
            write_in(&mut tx, &[&event]).await?;
            if hit.reported_at.is_none() {
                // Thank them at the address we hold, not whatever the forward says.
                crate::mail::outbox::enqueue(
                    &mut tx,
                    Some(practice_id),
                    "report_thanks",
                    &hit.email,
                    "Thank you for reporting a suspicious email",
                    THANKS,
                    now,
                )
                .await?;
            }
            tx.commit().await?;
            counted += 1;
        }
    }
    Ok(counted)
}

/// One pass over every active mailbox.
pub async fn poll_all(state: &AppState) -> Result<(), AppError> {
    for m in repo::active_mailboxes(&state.db).await? {
        let Ok(settings) = serde_json::from_str::<MailboxSettings>(&m.settings_json) else {
            continue;
        };
        let now = state.clock.now();
        let policy = Policy::from_settings(&state.settings);
        let (error, found) = match imap::poll_once(&policy, &settings).await {
            Ok(reports) => (None, record(state, m.practice_id, &reports).await? as i64),
            Err(e) => (Some(e.to_string()), 0),
        };
        let mut tx = state.db.begin().await?;
        repo::polled(&mut tx, m.practice_id, now, error.as_deref(), found).await?;
        tx.commit().await?;
    }
    Ok(())
}

pub async fn run_until_stopped(state: AppState, stop: CancellationToken) {
    loop {
        // One node polls the mailboxes (a report must be counted and thanked once).
        let now = state.clock.now();
        match crate::db::leases::hold(&state.db, "mailbox-poll", now, 180).await {
            Ok(true) => {
                let step = poll_all(&state).await;
                crate::metrics::job("reporting_mailboxes", step.is_ok());
                if let Err(e) = step {
                    tracing::error!(error = ?e, "reporting mailbox poll failed");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error = ?e, "taking the mailbox poll's lease failed"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
    }
}
