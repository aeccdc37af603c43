//! Webhooks: a practice manager registers web addresses that receive every
//! simulation event (open, click, submit, report, honeypot) as JSON, signed
//! with HMAC-SHA256.
//!
//! Delivery is cursor-based. Each webhook remembers the id of the last event
//! its receiver accepted, and the [`Deliverer`] reads the practice's events
//! after it, so the tracking site's hot path is untouched, a receiver that is
//! down for a day catches up when it comes back, and nothing is lost across a
//! restart. A new webhook starts at the practice's latest event: it is sent
//! what happens from then on, not the practice's whole history.
//!
//! One POST per event, in event order; the next is sent only after the
//! receiver answered 2xx:
//!
//! ```text
//! POST <url>
//! Content-Type: application/json
//! X-Safety-Net-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the secret>
//!
//! {"event":"click","counted":true,"reasons":"counted: an ordinary browser",
//!  "time":"2026-11-22T14:05:09Z","campaign_id":7,"campaign":"November exercise",
//!  "recipient":{"email":"tom.bennett@…","name":"Tom Bennett"},
//!  "ip":"203.0.113.9","user_agent":"Mozilla/5.0 …","event_id":4211}
//! ```
//!
//! The "Send a test event" button sends the same shape with `"event":"test"`
//! and `"event_id":0`.
//!
//! Delivery is **at least once**: an event the receiver accepted is never sent
//! again, but an event whose answer was lost (a time-out after the receiver
//! stored it, or Safety Net stopping between the answer and recording it) is
//! sent again, so receivers should ignore an `event_id` they have already
//! seen. After a failure the webhook waits 1 minute, doubling to an hour, and
//! retries the same event for as long as it stays switched on; the manager
//! sees the last problem and how many events are waiting, and can skip them.
//!
//! Safety Net sends only where the outbound policy allows (`net::outbound`:
//! public addresses, plus any network the operator allows), never to a cloud
//! metadata address: the host is checked when the address is saved, before
//! each delivery, and again inside the HTTP client's own name lookup, so a
//! name that later changes to such an address is still refused. Redirects are
//! not followed and no proxy is used, for the same reason. A receiver's answer
//! is shown by its status only, never its words: the address could be any
//! service inside the network.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tokio_util::sync::CancellationToken;
use url::{Host, Url};

use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::{Backend, Db};
use crate::net::outbound::{FailureKind, Policy, Refusal, Resolver};
use crate::shared::{AppState, PracticeId};
use crate::web::routes::{Access, Routes};
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};
use crate::with_db;

/// The header carrying the body's signature.
pub const SIGNATURE_HEADER: &str = "X-Safety-Net-Signature";
/// Events sent to one webhook in one step; the next step carries on.
const BATCH: i64 = 100;
/// Webhooks handled at once in one step.
const WEBHOOKS_PER_STEP: usize = 16;
/// Renewed after every delivered event, so it only runs out if the deliverer died.
const LEASE_SECS: i64 = 120;
const TIMEOUT: Duration = Duration::from_secs(10);
/// On PostgreSQL, an event is sent only once every event with a lower id has
/// had this long to commit. Event ids are handed out before their transaction
/// commits, so with several writers (more than one app node) a lower id can
/// become visible after a higher one; a cursor that had already passed it
/// would skip it for ever. SQLite has one writer at a time, so no wait there.
pub const SETTLE_SECS: i64 = 10;

/// "sha256=<hex>": the HMAC-SHA256 of `body` keyed with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub fn routes(r: Routes) -> Routes {
    use Access::PracticeManager;
    r.get("/simulation/webhooks", PracticeManager, list)
        .get("/simulation/webhooks/new", PracticeManager, new_page)
        .post("/simulation/webhooks/new", PracticeManager, create)
        .get(
            "/simulation/webhooks/{webhook_id}",
            PracticeManager,
            edit_page,
        )
        .post("/simulation/webhooks/{webhook_id}", PracticeManager, update)
        .post(
            "/simulation/webhooks/{webhook_id}/test",
            PracticeManager,
            send_test,
        )
}

// ---------- storage ----------

#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub secret: String,
    pub active: bool,
    pub cursor_event_id: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub last_success_at: Option<i64>,
}

type Row = (
    i64,
    String,
    String,
    String,
    bool,
    i64,
    i64,
    i64,
    Option<String>,
    Option<i64>,
);
const COLUMNS: &str = "id, name, url, secret, active, cursor_event_id, attempts, next_attempt_at, last_error, last_success_at";

fn webhook(r: Row) -> Webhook {
    Webhook {
        id: r.0,
        name: r.1,
        url: r.2,
        secret: r.3,
        active: r.4,
        cursor_event_id: r.5,
        attempts: r.6,
        next_attempt_at: r.7,
        last_error: r.8,
        last_success_at: r.9,
    }
}

pub async fn all(db: &Db, scope: &PracticeScope) -> Result<Vec<Webhook>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE practice_id = $1 ORDER BY name, id");
    let rows: Vec<Row> =
        with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows.into_iter().map(webhook).collect())
}

pub async fn find(db: &Db, scope: &PracticeScope, id: i64) -> Result<Option<Webhook>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1 AND practice_id = $2");
    let row: Option<Row> = with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    Ok(row.map(webhook))
}

/// How many of the practice's events this webhook has still to send.
async fn waiting(db: &Db, practice_id: PracticeId, cursor: i64) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = with_db!(db, p => sqlx::query_as(
        "SELECT COUNT(*) FROM sim_events WHERE practice_id = $1 AND id > $2")
        .bind(practice_id).bind(cursor).fetch_one(p).await)?;
    Ok(n)
}

/// The practice's newest event: where a new (or caught-up) webhook starts.
const LATEST_EVENT: &str = "(SELECT COALESCE(MAX(id), 0) FROM sim_events WHERE practice_id = $1)";

// ---------- checking addresses ----------

/// Every address the URL's host stands for, each allowed by the policy, or why Safety Net will not send there.
async fn allowed_addresses(policy: &Policy, url: &Url) -> Result<Vec<SocketAddr>, String> {
    let host = match url.host() {
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        Some(Host::Domain(name)) => name.to_string(),
        None => return Err("The address has no computer name in it.".into()),
    };
    policy
        .resolve(&host, url.port_or_known_default().unwrap_or(443))
        .await
        .map_err(|e| e.to_string())
}

/// Checks an address a manager typed: http or https, a host, no password in
/// it, and leading only where the outbound policy allows.
pub async fn check_url(policy: &Policy, raw: &str) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("Enter the web address of the receiving system, like https://dashboard.example.org/safety-net".into());
    }
    if raw.len() > 2000 {
        return Err("The web address must be 2,000 characters or fewer".into());
    }
    let url = Url::parse(raw)
        .map_err(|_| "Enter the full web address, starting with https://".to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("The web address must start with https:// (or http:// for a receiver on your own network)".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Take the user name and password out of the web address: the signature shows the receiver that the message came from Safety Net".into());
    }
    allowed_addresses(policy, &url).await?;
    Ok(url)
}

/// A client per deliverer (or test button press): reqwest's pooled
/// connections belong to the runtime that opened them. Every connection it
/// makes goes through the policy's name lookup.
fn http_client(policy: &Policy) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(Resolver(policy.clone())))
        .user_agent(concat!("Safety-Net-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the webhook HTTP client has a fixed, valid configuration")
}

// ---------- sending ----------

#[derive(Serialize)]
struct Payload<'a> {
    event: &'a str,
    counted: bool,
    reasons: &'a str,
    time: String,
    campaign_id: i64,
    campaign: &'a str,
    recipient: Recipient<'a>,
    ip: &'a str,
    user_agent: &'a str,
    /// Lets a receiver ignore an event it already has (delivery is at least once).
    event_id: i64,
}

#[derive(Serialize)]
struct Recipient<'a> {
    email: &'a str,
    name: &'a str,
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// What the receiver said.
struct Answer {
    status: reqwest::StatusCode,
    location: Option<String>,
}

impl Answer {
    fn accepted(&self) -> bool {
        self.status.is_success()
    }

    /// Plain English, by the status alone: what the receiver sent back is never shown.
    fn describe(&self) -> String {
        let mut s = if self.accepted() {
            format!("The receiver answered {}", self.status)
        } else {
            format!(
                "{}: the receiver answered {}",
                FailureKind::ServerSaidNo.label(),
                self.status
            )
        };
        if self.status.is_redirection() {
            s.push_str(&format!(
                ", a redirect{}. Safety Net does not follow redirects: enter the final address",
                self.location
                    .as_deref()
                    .map(|l| format!(" to {l}"))
                    .unwrap_or_default()
            ));
        }
        s.push('.');
        s
    }
}

/// Posts one signed body to an address already checked with [`allowed_addresses`].
/// `Err` is a plain-English reason nothing was answered.
async fn post(
    client: &reqwest::Client,
    url: &Url,
    secret: &str,
    body: Vec<u8>,
) -> Result<Answer, String> {
    let signature = sign(secret, &body);
    let resp = client
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await
        .map_err(|e| explain(&e, url))?;
    let status = resp.status();
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Its words are not read: only the status is shown.
    Ok(Answer { status, location })
}

fn in_chain<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        cur = err.source();
    }
    None
}

/// Why a request got no answer, in words a practice manager can act on
/// (which kind of failure it was; nothing the far side sent).
fn explain(e: &reqwest::Error, url: &Url) -> String {
    let place = match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => url.to_string(),
    };
    if let Some(r) = in_chain::<Refusal>(e) {
        return r.0.to_string();
    }
    if e.is_timeout() {
        return format!(
            "{}: {place} did not answer within {} seconds.",
            FailureKind::TimedOut.label(),
            TIMEOUT.as_secs()
        );
    }
    if crate::net::outbound::tls_failure_in(e) {
        return format!(
            "{}: check the address is right and its certificate is valid.",
            FailureKind::TlsFailed.label()
        );
    }
    if e.is_connect() {
        let why = in_chain::<std::io::Error>(e)
            .map(crate::net::outbound::connect_failure)
            .unwrap_or("the network connection failed");
        return format!(
            "{}: {place}: {why}. Is the receiving system running?",
            FailureKind::CouldNotConnect.label()
        );
    }
    if let Some(io) = in_chain::<std::io::Error>(e) {
        return format!(
            "{}: {place}: {}.",
            FailureKind::CouldNotConnect.label(),
            crate::net::outbound::connect_failure(io)
        );
    }
    format!(
        "{}: {place} did not answer as a web server does.",
        FailureKind::UnexpectedAnswer.label()
    )
}

// ---------- the deliverer ----------

/// A webhook claimed for one step.
struct Claimed {
    id: i64,
    practice_id: i64,
    url: String,
    secret: String,
    cursor: i64,
    attempts: i64,
}

type EventRow = (
    i64,
    String,
    bool,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

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
        let client = http_client(&Policy::from_settings(&state.settings));
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
        let (max,): (Option<i64>,) = with_db!(&self.state.db, p => sqlx::query_as("SELECT MAX(id) FROM sim_events").fetch_one(p).await)?;
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

    /// Leases the next due webhook that has events to send, like the outbox claim.
    async fn claim_next(&self, now: i64, horizon: i64) -> Result<Option<Claimed>, sqlx::Error> {
        // The outer condition repeats the lease check, so two deliverers racing for
        // the same webhook cannot both win (PostgreSQL re-checks it after the row lock).
        const SQL: &str = "UPDATE webhooks SET locked_until = $1 \
            WHERE id = (SELECT w.id FROM webhooks w WHERE w.active AND w.next_attempt_at <= $2 \
                          AND (w.locked_until IS NULL OR w.locked_until < $2) \
                          AND EXISTS (SELECT 1 FROM sim_events e WHERE e.practice_id = w.practice_id \
                                        AND e.id > w.cursor_event_id AND e.id <= $3) \
                          ORDER BY w.next_attempt_at, w.id LIMIT 1) \
              AND (locked_until IS NULL OR locked_until < $2) \
            RETURNING id, practice_id, url, secret, cursor_event_id, attempts";
        let row: Option<(i64, i64, String, String, i64, i64)> = with_db!(&self.state.db, p => sqlx::query_as(SQL)
            .bind(now + LEASE_SECS).bind(now).bind(horizon).fetch_optional(p).await)?;
        Ok(
            row.map(|(id, practice_id, url, secret, cursor, attempts)| Claimed {
                id,
                practice_id,
                url,
                secret,
                cursor,
                attempts,
            }),
        )
    }

    /// The practice's next events after the cursor, oldest first.
    async fn next_events(&self, c: &Claimed, horizon: i64) -> Result<Vec<EventRow>, sqlx::Error> {
        const SQL: &str = "SELECT e.id, e.kind, e.counted, e.reasons, e.at, e.campaign_id, cp.name, r.email, r.full_name, e.ip, e.user_agent \
            FROM sim_events e \
            LEFT JOIN campaigns cp ON cp.id = e.campaign_id AND cp.practice_id = e.practice_id \
            LEFT JOIN campaign_recipients r ON r.id = e.recipient_id AND r.practice_id = e.practice_id \
            WHERE e.practice_id = $1 AND e.id > $2 AND e.id <= $3 ORDER BY e.id LIMIT $4";
        with_db!(&self.state.db, p => sqlx::query_as(SQL)
            .bind(c.practice_id).bind(c.cursor).bind(horizon).bind(BATCH).fetch_all(p).await)
    }

    async fn deliver(&self, c: Claimed, horizon: i64) -> anyhow::Result<usize> {
        let events = self.next_events(&c, horizon).await?;
        if events.is_empty() {
            self.release(&c, false).await?;
            return Ok(0);
        }
        // Once a batch: the client's own name lookup checks each connection too,
        // but an address typed as digits never reaches it.
        let url = match Url::parse(&c.url) {
            Ok(url) => url,
            Err(_) => {
                let problem =
                    "The saved web address cannot be read. Edit the webhook and enter it again.";
                self.failed(&c, 0, events[0].0, problem).await?;
                return Ok(0);
            }
        };
        let policy = Policy::from_settings(&self.state.settings);
        if let Err(problem) = allowed_addresses(&policy, &url).await {
            self.failed(&c, 0, events[0].0, &problem).await?;
            return Ok(0);
        }
        let mut delivered = 0;
        for e in &events {
            let body = serde_json::to_vec(&Payload {
                event: &e.1,
                counted: e.2,
                reasons: &e.3,
                time: rfc3339(e.4),
                campaign_id: e.5,
                campaign: e.6.as_deref().unwrap_or(""),
                recipient: Recipient {
                    email: e.7.as_deref().unwrap_or(""),
                    name: e.8.as_deref().unwrap_or(""),
                },
                ip: &e.9,
                user_agent: &e.10,
                event_id: e.0,
            })?;
            let problem = match post(&self.client, &url, &c.secret, body).await {
                Ok(answer) if answer.accepted() => None,
                Ok(answer) => Some(answer.describe()),
                Err(reason) => Some(reason),
            };
            if let Some(problem) = problem {
                self.failed(&c, delivered, e.0, &problem).await?;
                return Ok(delivered);
            }
            // Recorded at once, so an accepted event is not sent again after a crash.
            // The cursor only moves forward, whatever a manager did meanwhile.
            let now = self.state.clock.now();
            with_db!(&self.state.db, p => sqlx::query(
                "UPDATE webhooks SET cursor_event_id = $1, attempts = 0, last_success_at = $2, locked_until = $3 \
                 WHERE id = $4 AND cursor_event_id < $1")
                .bind(e.0).bind(now).bind(now + LEASE_SECS).bind(c.id).execute(p).await.map(|_| ()))?;
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
        event_id: i64,
        problem: &str,
    ) -> Result<(), sqlx::Error> {
        // Progress earlier in this step resets the backoff.
        let attempts = if delivered > 0 { 1 } else { c.attempts + 1 };
        let now = self.state.clock.now();
        let wait = crate::mail::outbox::backoff_secs(attempts);
        tracing::warn!(webhook = c.id, event = event_id, error = %problem, "webhook not delivered; will retry");
        with_db!(&self.state.db, p => sqlx::query(
            "UPDATE webhooks SET attempts = $1, next_attempt_at = $2, last_error = $3, locked_until = NULL WHERE id = $4")
            .bind(attempts).bind(now + wait).bind(problem).bind(c.id).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    async fn release(&self, c: &Claimed, delivered_some: bool) -> Result<(), sqlx::Error> {
        let sql = if delivered_some {
            "UPDATE webhooks SET locked_until = NULL, last_error = NULL WHERE id = $1"
        } else {
            "UPDATE webhooks SET locked_until = NULL WHERE id = $1"
        };
        with_db!(&self.state.db, p => sqlx::query(sql).bind(c.id).execute(p).await.map(|_| ()))?;
        Ok(())
    }
}

// ---------- pages ----------

/// A webhook with what the manager needs to see about it.
pub struct Listed {
    pub hook: Webhook,
    pub waiting: i64,
    now: i64,
}

impl Listed {
    async fn load(
        db: &Db,
        scope: &PracticeScope,
        hook: Webhook,
        now: i64,
    ) -> Result<Self, sqlx::Error> {
        let waiting = waiting(db, scope.practice_id(), hook.cursor_event_id).await?;
        Ok(Self { hook, waiting, now })
    }

    pub fn status(&self) -> String {
        if !self.hook.active {
            "Switched off".into()
        } else if self.hook.last_error.is_some() {
            if self.hook.next_attempt_at > self.now {
                format!(
                    "Not delivering: trying again at {}",
                    crate::ukclock::format(self.hook.next_attempt_at)
                )
            } else {
                "Not delivering: trying again now".into()
            }
        } else if self.waiting == 0 {
            "Up to date".into()
        } else {
            "Sending".into()
        }
    }

    pub fn last_success(&self) -> String {
        self.hook
            .last_success_at
            .map(crate::ukclock::format)
            .unwrap_or_else(|| "Nothing yet".into())
    }

    pub fn waiting_label(&self) -> String {
        match self.waiting {
            0 => "None".into(),
            1 => "1 event".into(),
            n => format!("{n} events"),
        }
    }

    pub fn problem(&self) -> &str {
        self.hook.last_error.as_deref().unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "simulation/webhooks.html")]
struct ListPage {
    page: Page,
    webhooks: Vec<Listed>,
}

pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let now = state.clock.now();
    let mut webhooks = Vec::new();
    for hook in all(&state.db, &scope).await? {
        webhooks.push(Listed::load(&state.db, &scope, hook, now).await?);
    }
    render(ListPage {
        page: Page::for_user("Webhooks", scope.user()),
        webhooks,
    })
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct WebhookForm {
    pub name: String,
    pub url: String,
    pub secret: String,
    /// "yes" when the box is ticked.
    pub active: String,
    /// "yes": move the cursor to the latest event, giving up on those waiting.
    pub skip_waiting: String,
}

struct Parsed {
    name: String,
    url: Url,
    secret: String,
}

impl WebhookForm {
    fn from_hook(h: &Webhook) -> Self {
        Self {
            name: h.name.clone(),
            url: h.url.clone(),
            secret: String::new(),
            active: if h.active {
                "yes".into()
            } else {
                String::new()
            },
            skip_waiting: String::new(),
        }
    }

    /// `existing_secret` keeps the saved secret when the box is left empty;
    /// a new webhook gets a random one.
    async fn parse(
        &self,
        policy: &Policy,
        existing_secret: Option<&str>,
    ) -> Result<Parsed, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            e.add(
                "name",
                "Give the webhook a name, like \"Security dashboard\"",
            );
        } else if name.chars().count() > 100 {
            e.add("name", "The name must be 100 characters or fewer");
        }
        let url = match check_url(policy, &self.url).await {
            Ok(u) => Some(u),
            Err(msg) => {
                e.add("url", msg);
                None
            }
        };
        let typed = self.secret.trim();
        let secret = match (typed.is_empty(), existing_secret) {
            (true, Some(old)) => old.to_string(),
            (true, None) => new_secret(),
            (false, _) if typed.chars().count() < 16 => {
                e.add("secret", "Use at least 16 characters, or leave the box empty and Safety Net will make a strong secret");
                String::new()
            }
            (false, _) if typed.len() > 200 => {
                e.add("secret", "The secret must be 200 characters or fewer");
                String::new()
            }
            (false, _) => typed.to_string(),
        };
        match url {
            Some(url) if e.is_empty() => Ok(Parsed {
                name: name.to_string(),
                url,
                secret,
            }),
            _ => Err(e),
        }
    }
}

/// 32 random bytes as hex.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[derive(Template)]
#[template(path = "simulation/webhook_form.html")]
struct FormPage {
    page: Page,
    action: String,
    form: WebhookForm,
    errors: FieldErrors,
    existing: Option<Listed>,
    secret_hint: &'static str,
    test_result: Option<(bool, String)>,
    signature_header: &'static str,
}

fn form_page(
    scope: &ManagerScope,
    existing: Option<Listed>,
    form: WebhookForm,
    errors: FieldErrors,
) -> FormPage {
    let title = match &existing {
        Some(l) => format!("Webhook: {}", l.hook.name),
        None => "Add a webhook".into(),
    };
    FormPage {
        page: Page::for_user(title, scope.user()),
        action: existing
            .as_ref()
            .map(|l| format!("/simulation/webhooks/{}", l.hook.id))
            .unwrap_or_else(|| "/simulation/webhooks/new".into()),
        secret_hint: if existing.is_some() {
            "Leave empty to keep the current secret"
        } else {
            "Leave empty and Safety Net will make a strong one. The receiving system needs it to check each message"
        },
        form,
        errors,
        existing,
        test_result: None,
        signature_header: SIGNATURE_HEADER,
    }
}

pub async fn new_page(scope: ManagerScope) -> Result<Html<String>, AppError> {
    render(form_page(
        &scope,
        None,
        WebhookForm::default(),
        FieldErrors::default(),
    ))
}

/// The host only: a path or query may itself carry a receiver's token.
fn host_of(url: &Url) -> String {
    url.host_str().unwrap_or("").to_string()
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<WebhookForm>,
) -> Result<Response, AppError> {
    let w = match form
        .parse(&Policy::from_settings(&state.settings), None)
        .await
    {
        Ok(w) => w,
        Err(errors) => return Ok(render(form_page(&scope, None, form, errors))?.into_response()),
    };
    let now = state.clock.now();
    let sql = format!(
        "INSERT INTO webhooks (practice_id, name, url, secret, active, cursor_event_id, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, TRUE, {LATEST_EVENT}, 0, 0, $5) RETURNING id"
    );
    let (id,): (i64,) = with_db!(&state.db, p => sqlx::query_as(&sql)
        .bind(scope.practice_id()).bind(&w.name).bind(w.url.as_str()).bind(&w.secret).bind(now)
        .fetch_one(p).await)?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::WebhookChanged,
        &format!(
            "added webhook \"{}\" sending events to {}",
            w.name,
            host_of(&w.url)
        ),
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/simulation/webhooks/{id}?added=1")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EditQuery {
    added: Option<u8>,
    saved: Option<u8>,
}

async fn existing(state: &AppState, scope: &ManagerScope, id: i64) -> Result<Listed, AppError> {
    let hook = find(&state.db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Listed::load(&state.db, scope, hook, state.clock.now()).await?)
}

pub async fn edit_page(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<i64>,
    Query(q): Query<EditQuery>,
) -> Result<Html<String>, AppError> {
    let l = existing(&state, &scope, id).await?;
    let form = WebhookForm::from_hook(&l.hook);
    let mut page = form_page(&scope, Some(l), form, FieldErrors::default());
    page.page.notice = if q.added.is_some() {
        Some("Webhook added. Copy its signing secret (below) into the receiving system, then send a test event.".into())
    } else if q.saved.is_some() {
        Some("Changes saved".into())
    } else {
        None
    };
    render(page)
}

pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<WebhookForm>,
) -> Result<Response, AppError> {
    let old = existing(&state, &scope, id).await?;
    let w = match form
        .parse(
            &Policy::from_settings(&state.settings),
            Some(&old.hook.secret),
        )
        .await
    {
        Ok(w) => w,
        Err(errors) => {
            return Ok(render(form_page(&scope, Some(old), form, errors))?.into_response())
        }
    };
    let active = form.active == "yes";
    let skip = form.skip_waiting == "yes";
    // A saved change is tried at once rather than after the backoff.
    let sql = format!(
        "UPDATE webhooks SET name = $2, url = $3, secret = $4, active = $5, attempts = 0, next_attempt_at = 0{} \
         WHERE id = $6 AND practice_id = $1",
        if skip {
            format!(", cursor_event_id = {LATEST_EVENT}, last_error = NULL")
        } else {
            String::new()
        }
    );
    with_db!(&state.db, p => sqlx::query(&sql)
        .bind(scope.practice_id()).bind(&w.name).bind(w.url.as_str()).bind(&w.secret).bind(active).bind(id)
        .execute(p).await.map(|_| ()))?;
    let mut detail = format!(
        "changed webhook \"{}\" sending events to {}, {}",
        w.name,
        host_of(&w.url),
        if active {
            "switched on"
        } else {
            "switched off"
        }
    );
    if w.secret != old.hook.secret {
        detail.push_str(", new signing secret");
    }
    if skip && old.waiting > 0 {
        detail.push_str(&format!(
            ", skipped {} waiting to send",
            old.waiting_label()
        ));
    }
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::WebhookChanged,
        &detail,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/simulation/webhooks/{id}?saved=1")).into_response())
}

/// Sends a signed test event now and shows what the receiver answered. The
/// webhook's place in the events is not touched.
pub async fn send_test(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let l = existing(&state, &scope, id).await?;
    let reasons = format!("a test sent by {} from Safety Net", scope.user().full_name);
    let body = serde_json::to_vec(&Payload {
        event: "test",
        counted: false,
        reasons: &reasons,
        time: rfc3339(state.clock.now()),
        campaign_id: 0,
        campaign: "",
        recipient: Recipient {
            email: "",
            name: "",
        },
        ip: "",
        user_agent: "",
        event_id: 0,
    })
    .map_err(|e| AppError::Unexpected(e.into()))?;
    let policy = Policy::from_settings(&state.settings);
    let result = match check_url(&policy, &l.hook.url).await {
        Err(reason) => (false, reason),
        Ok(url) => match post(&http_client(&policy), &url, &l.hook.secret, body).await {
            Ok(answer) => (answer.accepted(), answer.describe()),
            Err(reason) => (false, reason),
        },
    };
    let form = WebhookForm::from_hook(&l.hook);
    let mut page = form_page(&scope, Some(l), form, FieldErrors::default());
    page.test_result = Some(result);
    render(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_the_exact_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
    }
}
