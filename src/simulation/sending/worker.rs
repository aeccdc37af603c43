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
//!
//! One mail server's trouble stays with its profile: each sending profile's
//! emails go in a lane of their own (their own slots, their own claims), a
//! whole send is bounded by `[outbound] timeout_seconds` (lettre bounds only
//! the connection), and once a profile's server has timed out the rest of
//! its lane is put back to be tried later instead of waiting in turn. While
//! a profile's lane works, the running sender claims none of its emails, so
//! other profiles' exercises keep going.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
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
use crate::metrics::{self, EmailKind};
use crate::shared::{AppState, CampaignId, PracticeId};
use crate::simulation::authoring::attachments::FileKind;
use crate::simulation::authoring::repo as authoring;
use crate::simulation::ids::{ProfileId, RecipientId, TemplateId};
use crate::simulation::render;

/// How many recipients one step claims, and how many emails each profile's
/// lane has in flight at once.
pub const BATCH: i64 = 500;
pub const IN_FLIGHT: usize = 32;
/// How often a lane looks whether its exercises were paused or cancelled
/// (on any node): their unsent emails are let go within this, plus the
/// emails already being handed over.
const STOP_CHECK: Duration = Duration::from_secs(1);
/// How long an idle sender waits before looking for due emails again (a
/// launch or resume on any node wakes it sooner): a restarted node takes
/// up emails whose lease ran out within this.
const IDLE: Duration = Duration::from_secs(2);
const MAX_ATTEMPTS: i64 = 8;

/// What every email of an exercise with this template and profile shares
/// (the sender loads it per batch; a launch loads it to check one email).
pub async fn load_parts(
    db: &crate::db::Db,
    practice_id: PracticeId,
    template_id: TemplateId,
    profile_id: ProfileId,
    practice_name: String,
) -> anyhow::Result<CampaignParts> {
    let template = authoring::find(db, practice_id, template_id)
        .await?
        .context("campaign template missing")?;
    let profile = repo::profile_for_sending(db, profile_id)
        .await?
        .context("campaign sending profile missing")?;
    let attachment = authoring::load_attachment(db, practice_id, template_id).await?;
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
        practice_name,
        report_link: authoring::report_link_on(db, practice_id).await?,
    })
}

pub struct Sender {
    state: AppState,
    /// Each profile's pooled connections and the settings they were made
    /// with: an edited profile gets a fresh pool for its next email.
    transports: Mutex<HashMap<ProfileId, (String, AsyncSmtpTransport<Tokio1Executor>)>>,
    /// Taken by the lease renewal and by recording outcomes, which update the
    /// same rows: run at once on PostgreSQL, each could lock rows the other
    /// waits for, and the database would abort one of them as a deadlock.
    row_writes: Mutex<()>,
    /// Profiles whose lane is at work: the running sender claims none of their emails meanwhile.
    busy: std::sync::Mutex<HashSet<ProfileId>>,
}

/// One profile's share of a claim.
struct Lane {
    profile: ProfileId,
    claimed: Vec<Claimed>,
    parts: HashMap<CampaignId, Arc<CampaignParts>>,
}

/// The settings a pooled connection depends on.
fn connection_key(p: &Profile) -> String {
    format!(
        "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        p.host,
        p.port,
        p.security_key(),
        p.username,
        p.password
    )
}

impl Sender {
    pub fn new(state: AppState) -> Arc<Self> {
        Arc::new(Self {
            state,
            transports: Mutex::new(HashMap::new()),
            row_writes: Mutex::new(()),
            busy: std::sync::Mutex::new(HashSet::new()),
        })
    }

    async fn transport(&self, p: &Profile) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
        let key = connection_key(p);
        if let Some((k, t)) = self.transports.lock().await.get(&p.id) {
            if *k == key {
                return Ok(t.clone());
            }
        }
        // Looked up without holding the map: one profile's slow name lookup must not hold up the others.
        let policy = crate::net::outbound::Policy::from_settings(&self.state.settings);
        let t = crate::mail::smtp::practice_transport(&policy, &p.smtp()).await?;
        self.transports.lock().await.insert(p.id, (key, t.clone()));
        Ok(t)
    }

    /// Drops a profile's pooled connections (after its server stopped answering).
    async fn forget_transport(&self, id: ProfileId) {
        self.transports.lock().await.remove(&id);
    }

    fn lease(&self) -> i64 {
        self.state.settings.simulation.send_lease_seconds
    }

    /// The longest one email may take to hand over, connection included.
    fn send_timeout(&self) -> Duration {
        Duration::from_secs(self.state.settings.outbound.timeout_seconds.max(1) * 2)
    }

    fn busy_profiles(&self) -> Vec<ProfileId> {
        let busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        busy.iter().copied().collect()
    }

    fn set_busy(&self, id: ProfileId, busy: bool) {
        let mut set = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        if busy {
            set.insert(id);
        } else {
            set.remove(&id);
        }
    }

    /// Claims due emails (none of `skip`'s profiles) and splits them by profile.
    async fn claim_lanes(&self, skip: &[ProfileId]) -> anyhow::Result<Vec<Lane>> {
        let now = self.state.clock.now();
        let mut tx = self.state.db.begin().await?;
        let claimed = repo::claim(&mut tx, now, now + self.lease(), BATCH, skip).await?;
        tx.commit().await?;
        let mut parts: HashMap<CampaignId, Arc<CampaignParts>> = HashMap::new();
        let mut lanes: Vec<Lane> = Vec::new();
        for r in claimed {
            if let std::collections::hash_map::Entry::Vacant(slot) = parts.entry(r.campaign_id) {
                slot.insert(Arc::new(self.parts(r.campaign_id).await?));
            }
            let part = parts[&r.campaign_id].clone();
            let profile = part.profile.id;
            let lane = match lanes.iter_mut().position(|l| l.profile == profile) {
                Some(i) => &mut lanes[i],
                None => {
                    lanes.push(Lane {
                        profile,
                        claimed: Vec::new(),
                        parts: HashMap::new(),
                    });
                    lanes.last_mut().expect("just pushed")
                }
            };
            lane.parts.insert(r.campaign_id, part);
            lane.claimed.push(r);
        }
        Ok(lanes)
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
        let source = repo::source(&self.state.db, campaign_id).await?;
        load_parts(
            &self.state.db,
            source.practice_id,
            source.template_id,
            source.profile_id,
            source.practice_name,
        )
        .await
    }

    /// One claim of due emails, every profile's lane worked to the end.
    /// Returns how many were handled.
    pub async fn run_once(self: &Arc<Self>) -> anyhow::Result<usize> {
        let mut lanes = tokio::task::JoinSet::new();
        for lane in self.claim_lanes(&[]).await? {
            lanes.spawn(self.clone().run_lane(lane));
        }
        let mut total = 0;
        while let Some(done) = lanes.join_next().await {
            total += done??;
        }
        Ok(total)
    }

    /// Works one profile's claimed emails: their lease renewed and their
    /// exercises watched for a pause or cancel while it runs.
    async fn run_lane(self: Arc<Self>, lane: Lane) -> anyhow::Result<usize> {
        // While the lane is worked on, its lease is renewed, so a short lease
        // is safe: only a process that has stopped lets its claims lapse.
        let renewer = {
            let this = self.clone();
            let ids: Vec<RecipientId> = lane.claimed.iter().map(|r| r.id).collect();
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
        let stopped: Arc<std::sync::Mutex<HashSet<CampaignId>>> = Arc::default();
        let watcher = {
            let (db, stopped) = (self.state.db.clone(), stopped.clone());
            let campaigns: Vec<CampaignId> = lane.parts.keys().copied().collect();
            tokio::spawn(async move {
                loop {
                    // A pause or cancel on any node is heard at once; the
                    // timer covers a node that missed the signal.
                    tokio::select! {
                        _ = tokio::time::sleep(STOP_CHECK) => {}
                        _ = db.signals().changed() => {}
                    }
                    match repo::still_sending(&db, &campaigns).await {
                        Ok(live) => {
                            let mut s = stopped.lock().unwrap_or_else(|e| e.into_inner());
                            s.extend(campaigns.iter().filter(|c| !live.contains(c)));
                        }
                        Err(e) => {
                            tracing::warn!(error = ?e, "checking for paused exercises failed")
                        }
                    }
                }
            })
        };
        let result = self.send_lane(lane, stopped).await;
        renewer.abort();
        watcher.abort();
        result
    }

    async fn send_lane(
        self: &Arc<Self>,
        lane: Lane,
        stopped: Arc<std::sync::Mutex<HashSet<CampaignId>>>,
    ) -> anyhow::Result<usize> {
        // Outcomes are committed as they arrive, many to a transaction, so an
        // accepted email is marked sent within milliseconds. Each email keeps
        // its sending slot until its outcome is committed: at any moment at
        // most IN_FLIGHT emails per lane can have reached the mail server unrecorded.
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
        // Set when this profile's server fails to answer in time: the rest wait for a later try.
        let stalled = Arc::new(AtomicBool::new(false));
        let mut tasks = tokio::task::JoinSet::new();
        let total = lane.claimed.len();
        let limit = self.send_timeout();
        for r in lane.claimed {
            let p = lane.parts[&r.campaign_id].clone();
            let msg = message::for_recipient(&r, &p, &self.state.settings.sim_public_url);
            let permit = semaphore.clone().acquire_owned().await?;
            let transport = if stalled.load(Ordering::Acquire) {
                Err(anyhow::anyhow!("not tried"))
            } else {
                self.transport(&p.profile).await
            };
            let (done_tx, stalled, stopped, this) = (
                done_tx.clone(),
                stalled.clone(),
                stopped.clone(),
                self.clone(),
            );
            tasks.spawn(async move {
                let _permit = permit;
                let halted = stopped
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .contains(&r.campaign_id);
                let outcome = if halted {
                    Outcome::Release
                } else if stalled.load(Ordering::Acquire) {
                    Outcome::Retry(NO_ANSWER.into())
                } else {
                    match (msg, transport) {
                        (Err(SendError::Permanent(e)), _) | (Err(SendError::Temporary(e)), _) => {
                            Outcome::Failed(e)
                        }
                        (_, Err(e)) => Outcome::Retry(format!("{e:#}")),
                        (Ok(m), Ok(t)) => match tokio::time::timeout(limit, t.send(m)).await {
                            Err(_) => {
                                if !stalled.swap(true, Ordering::AcqRel) {
                                    tracing::warn!(profile = p.profile.id.get(), "a sending profile's mail server did not answer in time; its other emails will be tried later");
                                    this.forget_transport(p.profile.id).await;
                                }
                                Outcome::Retry(NO_ANSWER.into())
                            }
                            Ok(sent) => match sent.map_err(classify) {
                                Ok(_) => Outcome::Sent,
                                Err(SendError::Temporary(e)) if r.send_attempts < MAX_ATTEMPTS => {
                                    Outcome::Retry(e)
                                }
                                Err(SendError::Temporary(e)) | Err(SendError::Permanent(e)) => {
                                    Outcome::Failed(e)
                                }
                            },
                        },
                    }
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
                Ok(()) => {
                    let count = |sent: bool| {
                        let n = results.iter().filter(|r| match &r.outcome {
                            Outcome::Sent => sent,
                            Outcome::Failed(_) => !sent,
                            Outcome::Retry(_) | Outcome::Release => false,
                        });
                        n.count() as u64
                    };
                    metrics::emails(EmailKind::Exercise, count(true), count(false));
                    return Ok(());
                }
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

    /// Sends until `stop`: each profile's claimed emails in a lane of their
    /// own, so a profile whose server stalls holds up only itself.
    pub async fn run_until_stopped(self: Arc<Self>, stop: CancellationToken) {
        let mut lanes = tokio::task::JoinSet::new();
        loop {
            let step = self.claim_lanes(&self.busy_profiles()).await;
            metrics::job("exercise_sender", step.is_ok());
            let claimed = match step {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::error!(error = ?e, "simulated email sender step failed");
                    Vec::new()
                }
            };
            let got = !claimed.is_empty();
            for lane in claimed {
                let this = self.clone();
                this.set_busy(lane.profile, true);
                lanes.spawn(async move {
                    let profile = lane.profile;
                    let sent = this.clone().run_lane(lane).await;
                    metrics::job("exercise_lane", sent.is_ok());
                    if let Err(e) = sent {
                        tracing::error!(error = ?e, "sending a profile's emails failed");
                    }
                    this.set_busy(profile, false);
                });
            }
            if let Err(e) = super::complete_due(&self.state.db, self.state.clock.now()).await {
                tracing::error!(error = ?e, "finishing due campaigns failed");
            }
            if got {
                continue;
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = self.state.db.signals().woken(crate::db::Wake::Sender) => {}
                Some(_) = lanes.join_next(), if !lanes.is_empty() => {}
                _ = tokio::time::sleep(IDLE) => {}
            }
        }
    }
}

/// Why an email waits for a later try when its profile's server stalled.
const NO_ANSWER: &str = "the mail server did not answer in time";
