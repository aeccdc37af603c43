//! Sends simulated emails: claims due recipients in batches, renders each
//! email once, sends several at a time over pooled SMTP connections, and
//! records each outcome within milliseconds (many to a transaction). Work per
//! email does not grow with the size of the campaign (GoPhish reloads the
//! whole campaign per email).
//!
//! What survives a crash (kill -9, power cut of the app server):
//! - every recipient is sent at least one email: a claim is a lease
//!   (`[simulation] send_lease_seconds`, renewed while the batch is worked
//!   on), so emails claimed by a process that died are sent by the next one
//!   once the lease runs out;
//! - a recipient gets a second copy only if the mail server had accepted
//!   their email and the process died before that was committed. A slot for
//!   an email is freed only after its outcome is committed, so at most
//!   [`IN_FLIGHT`] recipients (the emails being handed over at that moment)
//!   can receive a duplicate, and it carries the same Message-ID. No sender
//!   can do better: the mail server's "250 accepted" and our commit cannot be
//!   one atomic step.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::message::{self, CampaignParts};
use super::profiles::Profile;
use super::repo::{self, Claimed, Done, Outcome};
use crate::mail::smtp::{classify, SendError};
use crate::shared::{AppState, CampaignId};
use crate::simulation::authoring::attachments::FileKind;
use crate::simulation::authoring::repo as authoring;
use crate::simulation::ids::{ProfileId, RecipientId};
use crate::simulation::render;

/// How many recipients one step claims, and how many emails are in flight at once.
pub const BATCH: i64 = 500;
pub const IN_FLIGHT: usize = 32;
const MAX_ATTEMPTS: i64 = 8;

pub struct Sender {
    state: AppState,
    transports: Mutex<HashMap<ProfileId, AsyncSmtpTransport<Tokio1Executor>>>,
    /// Taken by the lease renewal and by recording outcomes, which update the
    /// same rows: run at once on PostgreSQL, each could lock rows the other
    /// waits for, and the database would abort one of them as a deadlock.
    row_writes: Mutex<()>,
}

impl Sender {
    pub fn new(state: AppState) -> Arc<Self> {
        Arc::new(Self {
            state,
            transports: Mutex::new(HashMap::new()),
            row_writes: Mutex::new(()),
        })
    }

    async fn transport(&self, p: &Profile) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
        if let Some(t) = self.transports.lock().await.get(&p.id) {
            return Ok(t.clone());
        }
        // Looked up without holding the map: one profile's slow name lookup must not hold up the others.
        let policy = crate::net::outbound::Policy::from_settings(&self.state.settings);
        let t = crate::mail::smtp::practice_transport(&policy, &p.smtp()).await?;
        self.transports.lock().await.insert(p.id, t.clone());
        Ok(t)
    }

    fn lease(&self) -> i64 {
        self.state.settings.simulation.send_lease_seconds
    }

    async fn claim(&self, now: i64) -> Result<Vec<Claimed>, sqlx::Error> {
        let mut tx = self.state.db.begin().await?;
        let claimed = repo::claim(&mut tx, now, now + self.lease(), BATCH).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// Extends the lease on claimed emails whose outcome is not recorded yet
    /// (recording clears `locked_until`, and a sent or failed email is no longer queued).
    async fn renew(&self, ids: &[RecipientId]) -> Result<(), sqlx::Error> {
        let _writing = self.row_writes.lock().await;
        let until = self.state.clock.now() + self.lease();
        let mut tx = self.state.db.begin().await?;
        repo::renew(&mut tx, ids, until).await?;
        tx.commit().await
    }

    async fn parts(&self, campaign_id: CampaignId) -> anyhow::Result<CampaignParts> {
        let db = &self.state.db;
        let source = repo::source(db, campaign_id).await?;
        let template = authoring::find(db, source.practice_id, source.template_id)
            .await?
            .context("campaign template missing")?;
        let profile = repo::profile_for_sending(db, source.profile_id)
            .await?
            .context("campaign sending profile missing")?;
        let attachment =
            authoring::load_attachment(db, source.practice_id, source.template_id).await?;
        let prepared = render::Prepared::new(&template.content).and_then(|p| {
            match attachment
                .as_ref()
                .and_then(|a| a.source().map(|s| (s, a.meta.kind)))
            {
                Some((source, kind)) => p.with_attachment(source, kind == FileKind::WebPage),
                None => Ok(p),
            }
        });
        Ok(CampaignParts {
            template,
            prepared,
            attachment,
            profile,
            practice_name: source.practice_name,
        })
    }

    /// One batch of due emails. Returns how many were handled.
    pub async fn run_once(self: &Arc<Self>) -> anyhow::Result<usize> {
        let now = self.state.clock.now();
        let claimed = self.claim(now).await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let mut parts: HashMap<CampaignId, Arc<CampaignParts>> = HashMap::new();
        for r in &claimed {
            if let std::collections::hash_map::Entry::Vacant(slot) = parts.entry(r.campaign_id) {
                slot.insert(Arc::new(self.parts(r.campaign_id).await?));
            }
        }
        // While the batch is worked on, its lease is renewed, so a short lease
        // is safe: only a process that has stopped lets its claims lapse.
        let renewer = {
            let this = self.clone();
            let ids: Vec<RecipientId> = claimed.iter().map(|r| r.id).collect();
            let every = Duration::from_secs((self.lease() / 3).max(1) as u64);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    if let Err(e) = this.renew(&ids).await {
                        tracing::warn!(error = ?e, "renewing the claim on emails being sent failed");
                    }
                }
            })
        };
        let result = self.send_batch(claimed, parts).await;
        renewer.abort();
        result
    }

    async fn send_batch(
        self: &Arc<Self>,
        claimed: Vec<Claimed>,
        parts: HashMap<CampaignId, Arc<CampaignParts>>,
    ) -> anyhow::Result<usize> {
        // Outcomes are committed as they arrive, many to a transaction, so an
        // accepted email is marked sent within milliseconds. Each email keeps
        // its sending slot until its outcome is committed: at any moment at
        // most IN_FLIGHT emails can have reached the mail server unrecorded.
        type Sent = (Done, tokio::sync::oneshot::Sender<()>);
        let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<Sent>();
        let recorder = {
            let this = self.clone();
            tokio::spawn(async move {
                let mut recorded = 0usize;
                while let Some(first) = done_rx.recv().await {
                    let mut group = vec![first];
                    while let Ok(more) = done_rx.try_recv() {
                        group.push(more);
                    }
                    recorded += group.len();
                    let (outcomes, acks): (Vec<_>, Vec<_>) = group.into_iter().unzip();
                    this.record_retrying(outcomes).await?;
                    for ack in acks {
                        let _ = ack.send(());
                    }
                }
                Ok::<usize, sqlx::Error>(recorded)
            })
        };
        let semaphore = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        let mut tasks = tokio::task::JoinSet::new();
        let total = claimed.len();
        for r in claimed {
            let p = parts[&r.campaign_id].clone();
            let msg = message::for_recipient(&r, &p, &self.state.settings.sim_public_url);
            let transport = self.transport(&p.profile).await;
            let permit = semaphore.clone().acquire_owned().await?;
            let done_tx = done_tx.clone();
            tasks.spawn(async move {
                let _permit = permit;
                let outcome = match (msg, transport) {
                    (Err(SendError::Permanent(e)), _) | (Err(SendError::Temporary(e)), _) => {
                        Outcome::Failed(e)
                    }
                    (_, Err(e)) => Outcome::Retry(format!("{e:#}")),
                    (Ok(m), Ok(t)) => match t.send(m).await.map_err(classify) {
                        Ok(_) => Outcome::Sent,
                        Err(SendError::Temporary(e)) if r.send_attempts < MAX_ATTEMPTS => {
                            Outcome::Retry(e)
                        }
                        Err(SendError::Temporary(e)) | Err(SendError::Permanent(e)) => {
                            Outcome::Failed(e)
                        }
                    },
                };
                let (ack, committed) = tokio::sync::oneshot::channel();
                let done = Done {
                    id: r.id,
                    campaign_id: r.campaign_id,
                    attempts: r.send_attempts,
                    outcome,
                };
                if done_tx.send((done, ack)).is_ok() {
                    let _ = committed.await;
                }
            });
        }
        drop(done_tx);
        while let Some(done) = tasks.join_next().await {
            done?;
        }
        recorder.await??;
        Ok(total)
    }

    /// Records a group of outcomes, trying again for a while if the database
    /// refuses: these emails have been handed to the mail server, and an
    /// outcome left unrecorded means a second copy once the claim runs out.
    async fn record_retrying(&self, mut results: Vec<Done>) -> Result<(), sqlx::Error> {
        // Rows are locked in id order, as other set-based updates of them lock them.
        results.sort_by_key(|r| r.id);
        const TRIES: u32 = 6;
        let mut wait = Duration::from_millis(100);
        for attempt in 1..=TRIES {
            let outcome = {
                let _writing = self.row_writes.lock().await;
                self.record(&results).await
            };
            match outcome {
                Ok(()) => return Ok(()),
                Err(e) if attempt < TRIES => {
                    tracing::warn!(error = ?e, attempt, "recording sent emails failed; trying again");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                Err(e) => return Err(e),
            }
        }
        unreachable!("the last try returns")
    }

    /// Writes a group of outcomes and the campaign totals in one transaction.
    async fn record(&self, results: &[Done]) -> Result<(), sqlx::Error> {
        let mut tx = self.state.db.begin().await?;
        repo::record_outcomes(&mut tx, results, self.state.clock.now()).await?;
        tx.commit().await
    }

    pub async fn run_until_stopped(self: Arc<Self>, stop: CancellationToken) {
        loop {
            let pause = match self.run_once().await {
                Ok(0) => Duration::from_secs(5),
                Ok(_) => Duration::ZERO,
                Err(e) => {
                    tracing::error!(error = ?e, "simulated email sender step failed");
                    Duration::from_secs(5)
                }
            };
            if let Err(e) = super::complete_due(&self.state.db, self.state.clock.now()).await {
                tracing::error!(error = ?e, "finishing due campaigns failed");
            }
            if pause.is_zero() {
                continue;
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = self.state.db.signals().woken(crate::db::Wake::Sender) => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
}
