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
use lettre::address::Envelope;
use lettre::message::header::ContentType;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::attachments::{self, Attachment, FileKind};
use super::profiles::{self, Profile};
use super::render::{self, Vars};
use super::templates::{self, SimTemplate};
use crate::mail::smtp::{classify, SendError};
use crate::shared::{AppState, PracticeId};
use crate::with_db;

/// The header that marks a simulated email (its name comes from the sending profile).
pub fn simulation_header(name: &str, value: &str) -> anyhow::Result<HeaderValue> {
    let name = HeaderName::new_from_ascii(name.to_string())
        .map_err(|e| anyhow::anyhow!("header name {name:?}: {e}"))?;
    Ok(HeaderValue::new(name, value.to_string()))
}

/// How many recipients one step claims, and how many emails are in flight at once.
pub const BATCH: i64 = 500;
pub const IN_FLIGHT: usize = 32;
const MAX_ATTEMPTS: i64 = 8;

struct Claimed {
    id: i64,
    campaign_id: i64,
    token: String,
    email: String,
    full_name: String,
    job_role: String,
    attempts: i64,
}

/// What a batch needs about each campaign, loaded once per batch.
struct CampaignParts {
    template: SimTemplate,
    prepared: Result<render::Prepared, render::RenderError>,
    /// Sent as it is, or (text kinds) rendered per person by `prepared`.
    attachment: Option<Attachment>,
    profile: Profile,
    practice_name: String,
}

enum Outcome {
    Sent,
    Retry(String),
    Failed(String),
}

pub struct Sender {
    state: AppState,
    transports: Mutex<HashMap<i64, AsyncSmtpTransport<Tokio1Executor>>>,
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
        // The outer lease check stops two senders taking the same rows.
        const SQL: &str = "UPDATE campaign_recipients SET locked_until = $1, send_attempts = send_attempts + 1 \
            WHERE id IN (SELECT r.id FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
                         WHERE r.send_status = 'queued' AND r.send_at <= $2 AND (r.locked_until IS NULL OR r.locked_until < $2) \
                           AND c.status IN ('scheduled', 'sending') ORDER BY r.send_at, r.id LIMIT $3) \
              AND (locked_until IS NULL OR locked_until < $2) \
            RETURNING id, campaign_id, token, email, full_name, job_role, send_attempts";
        let rows: Vec<(i64, i64, String, String, String, String, i64)> = with_db!(&self.state.db, p => sqlx::query_as(SQL).bind(now + self.lease()).bind(now).bind(BATCH).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, campaign_id, token, email, full_name, job_role, attempts)| Claimed {
                    id,
                    campaign_id,
                    token,
                    email,
                    full_name,
                    job_role,
                    attempts,
                },
            )
            .collect())
    }

    /// Extends the lease on claimed emails whose outcome is not recorded yet
    /// (recording clears `locked_until`, and a sent or failed email is no longer queued).
    async fn renew(&self, ids: &[i64]) -> Result<(), sqlx::Error> {
        let _writing = self.row_writes.lock().await;
        let until = self.state.clock.now() + self.lease();
        for chunk in ids.chunks(500) {
            let list = (2..chunk.len() + 2)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "UPDATE campaign_recipients SET locked_until = $1 \
                 WHERE send_status = 'queued' AND locked_until IS NOT NULL AND id IN ({list})"
            );
            with_db!(&self.state.db, p => {
                let mut q = sqlx::query(&sql).bind(until);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(p).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    async fn parts(&self, campaign_id: i64) -> anyhow::Result<CampaignParts> {
        let (practice_id, template_id, profile_id, practice_name): (PracticeId, i64, i64, String) =
            with_db!(&self.state.db, p => sqlx::query_as(
            "SELECT c.practice_id, c.template_id, c.profile_id, pr.name FROM campaigns c JOIN practices pr ON pr.id = c.practice_id WHERE c.id = $1")
            .bind(campaign_id).fetch_one(p).await)?;
        let template = templates::find_in_practice(&self.state.db, practice_id, template_id)
            .await?
            .context("campaign template missing")?;
        let profile = profiles::find_for_sending(&self.state.db, profile_id)
            .await?
            .context("campaign sending profile missing")?;
        let attachment = attachments::load(&self.state.db, practice_id, template_id).await?;
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
        })
    }

    fn message(&self, r: &Claimed, parts: &CampaignParts) -> Result<Message, SendError> {
        let sim = &self.state.settings.sim_public_url;
        let (first, last) = match r.full_name.rsplit_once(' ') {
            Some((f, l)) => (f.trim_start_matches("Dr ").to_string(), l.to_string()),
            None => (r.full_name.clone(), String::new()),
        };
        let first = first.split_whitespace().next().unwrap_or("").to_string();
        let vars = Vars {
            first_name: first,
            last_name: last,
            email: r.email.clone(),
            job_role: r.job_role.clone(),
            practice_name: parts.practice_name.clone(),
            link: format!("{sim}/c/{}", r.token),
            tracker_url: format!("{sim}/o/{}", r.token),
            report_link: format!("{sim}/r/{}", r.token),
            honeypot_url: format!("{sim}/h/{}", r.token),
        };
        let t = &parts.template;
        let unrenderable = |e: render::RenderError| {
            SendError::Permanent(format!("the template could not be rendered: {}", e.message))
        };
        let prepared = parts
            .prepared
            .as_ref()
            .map_err(|e| unrenderable(e.clone()))?;
        let rendered = prepared.render(&vars).map_err(unrenderable)?;
        let attachment = match &parts.attachment {
            None => None,
            Some(a) => {
                let bytes = match prepared.render_attachment(&vars) {
                    Some(r) => r.map_err(unrenderable)?.into_bytes(),
                    None => a.data.clone(),
                };
                let kind = ContentType::parse(a.meta.kind.content_type())
                    .map_err(|e| SendError::Permanent(format!("the attachment's type: {e}")))?;
                Some(lettre::message::Attachment::new(a.meta.file_name.clone()).body(bytes, kind))
            }
        };
        let from: Mailbox = format!(
            "{} <{}>",
            rendered.from_name.replace(['<', '>', '"'], ""),
            t.content.from_address
        )
        .parse()
        .map_err(|e| {
            SendError::Permanent(format!("the template's sender address cannot be used: {e}"))
        })?;
        let to: Mailbox = r.email.parse().map_err(|e| {
            SendError::Permanent(format!("the address {:?} cannot be used: {e}", r.email))
        })?;
        let envelope = Envelope::new(
            Some(parts.profile.envelope_from.parse().map_err(|e| {
                SendError::Permanent(format!("the profile's envelope sender: {e}"))
            })?),
            vec![r
                .email
                .parse()
                .map_err(|e| SendError::Permanent(format!("{e}")))?],
        )
        .map_err(|e| SendError::Permanent(e.to_string()))?;
        let host = url::Url::parse(sim)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "localhost".into());
        let header = simulation_header(&parts.profile.header_name, &r.token)
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        let body = MultiPart::alternative_plain_html(rendered.text, rendered.html);
        let body = match attachment {
            None => body,
            Some(file) => MultiPart::mixed().multipart(body).singlepart(file),
        };
        Message::builder()
            .from(from)
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(format!("<{}@{host}>", r.token)))
            .envelope(envelope)
            .raw_header(header)
            .multipart(body)
            .map_err(|e| SendError::Permanent(format!("the message could not be built: {e}")))
    }

    /// One batch of due emails. Returns how many were handled.
    pub async fn run_once(self: &Arc<Self>) -> anyhow::Result<usize> {
        let now = self.state.clock.now();
        let claimed = self.claim(now).await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let mut parts: HashMap<i64, Arc<CampaignParts>> = HashMap::new();
        for r in &claimed {
            if let std::collections::hash_map::Entry::Vacant(slot) = parts.entry(r.campaign_id) {
                slot.insert(Arc::new(self.parts(r.campaign_id).await?));
            }
        }
        // While the batch is worked on, its lease is renewed, so a short lease
        // is safe: only a process that has stopped lets its claims lapse.
        let renewer = {
            let this = self.clone();
            let ids: Vec<i64> = claimed.iter().map(|r| r.id).collect();
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
        parts: HashMap<i64, Arc<CampaignParts>>,
    ) -> anyhow::Result<usize> {
        // Outcomes are committed as they arrive, many to a transaction, so an
        // accepted email is marked sent within milliseconds. Each email keeps
        // its sending slot until its outcome is committed: at any moment at
        // most IN_FLIGHT emails can have reached the mail server unrecorded.
        type Done = (i64, i64, i64, Outcome, tokio::sync::oneshot::Sender<()>);
        let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<Done>();
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
                    let (outcomes, acks): (Vec<_>, Vec<_>) = group
                        .into_iter()
                        .map(|(id, cid, attempts, outcome, ack)| {
                            ((id, cid, attempts, outcome), ack)
                        })
                        .unzip();
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
            let msg = self.message(&r, &p);
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
                        Err(SendError::Temporary(e)) if r.attempts < MAX_ATTEMPTS => {
                            Outcome::Retry(e)
                        }
                        Err(SendError::Temporary(e)) | Err(SendError::Permanent(e)) => {
                            Outcome::Failed(e)
                        }
                    },
                };
                let (ack, committed) = tokio::sync::oneshot::channel();
                if done_tx
                    .send((r.id, r.campaign_id, r.attempts, outcome, ack))
                    .is_ok()
                {
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
    async fn record_retrying(
        &self,
        mut results: Vec<(i64, i64, i64, Outcome)>,
    ) -> Result<(), sqlx::Error> {
        // Rows are locked in id order, as other set-based updates of them lock them.
        results.sort_by_key(|r| r.0);
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
    async fn record(&self, results: &[(i64, i64, i64, Outcome)]) -> Result<(), sqlx::Error> {
        let now = self.state.clock.now();
        let mut sent: HashMap<i64, i64> = HashMap::new();
        let mut failed: HashMap<i64, i64> = HashMap::new();
        with_db!(&self.state.db, p => {
            let mut tx = p.begin().await?;
            for (id, campaign_id, attempts, outcome) in results {
                match outcome {
                    Outcome::Sent => {
                        sqlx::query("UPDATE campaign_recipients SET send_status = 'sent', sent_at = $1, locked_until = NULL, send_error = NULL WHERE id = $2")
                            .bind(now).bind(id).execute(&mut *tx).await?;
                        *sent.entry(*campaign_id).or_default() += 1;
                    }
                    Outcome::Retry(e) => {
                        let wait = crate::mail::outbox::backoff_secs(*attempts);
                        sqlx::query("UPDATE campaign_recipients SET send_at = $1, locked_until = NULL, send_error = $2 WHERE id = $3")
                            .bind(now + wait).bind(e).bind(id).execute(&mut *tx).await?;
                    }
                    Outcome::Failed(e) => {
                        sqlx::query("UPDATE campaign_recipients SET send_status = 'error', locked_until = NULL, send_error = $1 WHERE id = $2")
                            .bind(e).bind(id).execute(&mut *tx).await?;
                        *failed.entry(*campaign_id).or_default() += 1;
                    }
                }
            }
            for (cid, n) in &sent {
                sqlx::query("UPDATE campaigns SET sent = sent + $1, status = CASE WHEN status = 'scheduled' THEN 'sending' ELSE status END WHERE id = $2")
                    .bind(n).bind(cid).execute(&mut *tx).await?;
            }
            for (cid, n) in &failed {
                sqlx::query("UPDATE campaigns SET errors = errors + $1 WHERE id = $2").bind(n).bind(cid).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
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
            if let Err(e) =
                super::campaigns::complete_due(&self.state.db, self.state.clock.now()).await
            {
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
