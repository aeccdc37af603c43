//! The deliverer: sends each practice's new events to its webhooks, in the
//! background, one POST per event in event order, the next only after the
//! receiver answered 2xx (the module's opening says more). Each webhook is
//! leased for a step, so two app nodes never send the same webhook's events
//! at once, and its cursor moves as soon as an event is accepted.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use url::Url;

use super::client::{self, Payload, Recipient};
use super::repo::{self, Claimed};
use crate::db::Backend;
use crate::net::outbound::Policy;
use crate::shared::AppState;
use crate::simulation::ids::EventId;

/// Events sent to one webhook in one step; the next step carries on.
const BATCH: i64 = 100;
/// Webhooks handled at once in one step.
const WEBHOOKS_PER_STEP: usize = 16;
/// Renewed after every delivered event, so it only runs out if the deliverer died.
const LEASE_SECS: i64 = 120;
/// On PostgreSQL, an event is sent only once every event with a lower id has
/// had this long to commit. Event ids are handed out before their transaction
/// commits, so with several writers (more than one app node) a lower id can
/// become visible after a higher one; a cursor that had already passed it
/// would skip it for ever. SQLite has one writer at a time, so no wait there.
pub const SETTLE_SECS: i64 = 10;

/// Sends the practices' new events to their webhooks, in the background.
pub struct Deliverer {
    inner: Arc<Inner>,
}

struct Inner {
    state: AppState,
    client: reqwest::Client,
    /// PostgreSQL only: (when, newest event id seen then), oldest first, and
    /// the highest id known to have settled (see [`SETTLE_SECS`]).
    samples: Mutex<(VecDeque<(i64, i64)>, i64)>,
}

impl Deliverer {
    pub fn new(state: AppState) -> Self {
        let client = client::http_client(&Policy::from_settings(&state.settings));
        Self {
            inner: Arc::new(Inner {
                state,
                client,
                samples: Mutex::new((VecDeque::new(), 0)),
            }),
        }
    }

    /// One step: every due webhook with new events gets up to 100 of them.
    /// Returns how many events were delivered. Tests drive delivery with this.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let inner = &self.inner;
        let now = inner.state.clock.now();
        let horizon = inner.horizon(now).await?;
        let mut claimed = Vec::new();
        while claimed.len() < WEBHOOKS_PER_STEP {
            match inner.claim_next(now, horizon).await? {
                Some(c) => claimed.push(c),
                None => break,
            }
        }
        // Each webhook in its own task: a slow receiver must not hold up the others.
        let mut tasks = tokio::task::JoinSet::new();
        for c in claimed {
            let inner = inner.clone();
            tasks.spawn(async move { inner.deliver(c, horizon).await });
        }
        let mut delivered = 0;
        let mut failure = None;
        while let Some(done) = tasks.join_next().await {
            match done? {
                Ok(n) => delivered += n,
                Err(e) => failure = Some(e),
            }
        }
        match failure {
            // Its lease runs out and a later step tries again.
            Some(e) if delivered == 0 => Err(e),
            Some(e) => {
                tracing::error!(error = ?e, "a webhook step failed");
                Ok(delivered)
            }
            None => Ok(delivered),
        }
    }

    pub async fn run_until_stopped(self, stop: CancellationToken) {
        tracing::info!("webhook deliverer started");
        loop {
            let pause = match self.run_once().await {
                Ok(0) => Duration::from_secs(5),
                Ok(_) => Duration::ZERO,
                Err(e) => {
                    tracing::error!(error = ?e, "webhook deliverer step failed");
                    Duration::from_secs(5)
                }
            };
            if stop.is_cancelled() {
                return;
            }
            if pause.is_zero() {
                continue;
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
}

impl Inner {
    /// The highest event id that is safe to send.
    async fn horizon(&self, now: i64) -> Result<i64, sqlx::Error> {
        if self.state.db.backend() == Backend::Sqlite {
            return Ok(i64::MAX);
        }
        let max = repo::newest_event(&self.state.db).await?;
        let mut guard = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        let (samples, settled) = &mut *guard;
        // One sample a second; a later look in the same second may see more.
        let max = max.unwrap_or(0);
        match samples.back_mut() {
            Some((at, seen)) if *at >= now => *seen = (*seen).max(max),
            _ => samples.push_back((now, max)),
        }
        // Every id up to a sample's maximum was handed out before the sample was taken.
        while let Some(&(at, id)) = samples.front() {
            if at > now - SETTLE_SECS {
                break;
            }
            *settled = (*settled).max(id);
            samples.pop_front();
        }
        Ok(*settled)
    }

    async fn claim_next(&self, now: i64, horizon: i64) -> Result<Option<Claimed>, sqlx::Error> {
        let mut tx = self.state.db.begin().await?;
        let claimed = repo::claim_next(&mut tx, now, now + LEASE_SECS, horizon).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    async fn deliver(&self, c: Claimed, horizon: i64) -> anyhow::Result<usize> {
        let events = repo::events_after(
            &self.state.db,
            c.practice_id,
            c.cursor_event_id,
            horizon,
            BATCH,
        )
        .await?;
        let Some(first) = events.first() else {
            self.release(&c, false).await?;
            return Ok(0);
        };
        // Once a batch: the client's own name lookup checks each connection too,
        // but an address typed as digits never reaches it.
        let url = match Url::parse(&c.url) {
            Ok(url) => url,
            Err(_) => {
                let problem =
                    "The saved web address cannot be read. Edit the webhook and enter it again.";
                self.failed(&c, 0, first.id, problem).await?;
                return Ok(0);
            }
        };
        let policy = Policy::from_settings(&self.state.settings);
        if let Err(problem) = client::allowed_addresses(&policy, &url).await {
            self.failed(&c, 0, first.id, &problem).await?;
            return Ok(0);
        }
        let mut delivered = 0;
        for e in &events {
            let body = serde_json::to_vec(&Payload {
                event: e.kind.as_str(),
                counted: e.counted,
                reasons: &e.reasons,
                time: client::rfc3339(e.at),
                campaign_id: e.campaign_id.get(),
                campaign: e.campaign_name.as_deref().unwrap_or(""),
                recipient: Recipient {
                    email: e.email.as_deref().unwrap_or(""),
                    name: e.full_name.as_deref().unwrap_or(""),
                },
                ip: &e.ip,
                user_agent: &e.user_agent,
                event_id: e.id.get(),
            })?;
            let problem = match client::post(&self.client, &url, &c.secret, body).await {
                Ok(answer) if answer.accepted() => None,
                Ok(answer) => Some(answer.describe()),
                Err(reason) => Some(reason),
            };
            if let Some(problem) = problem {
                self.failed(&c, delivered, e.id, &problem).await?;
                return Ok(delivered);
            }
            // Recorded at once, so an accepted event is not sent again after a crash.
            let now = self.state.clock.now();
            let mut tx = self.state.db.begin().await?;
            repo::delivered(&mut tx, c.id, e.id, now, now + LEASE_SECS).await?;
            tx.commit().await?;
            delivered += 1;
        }
        self.release(&c, delivered > 0).await?;
        Ok(delivered)
    }

    /// The receiver did not take `event_id`: keep the cursor and wait before trying again.
    async fn failed(
        &self,
        c: &Claimed,
        delivered: usize,
        event_id: EventId,
        problem: &str,
    ) -> Result<(), sqlx::Error> {
        // Progress earlier in this step resets the backoff.
        let attempts = if delivered > 0 { 1 } else { c.attempts + 1 };
        let retry_at = self.state.clock.now() + crate::mail::outbox::backoff_secs(attempts);
        tracing::warn!(webhook = %c.id, event = %event_id, error = %problem, "webhook not delivered; will retry");
        let mut tx = self.state.db.begin().await?;
        repo::failed(&mut tx, c.id, attempts, retry_at, problem).await?;
        tx.commit().await
    }

    async fn release(&self, c: &Claimed, delivered_some: bool) -> Result<(), sqlx::Error> {
        let mut tx = self.state.db.begin().await?;
        repo::release(&mut tx, c.id, delivered_some).await?;
        tx.commit().await
    }
}
