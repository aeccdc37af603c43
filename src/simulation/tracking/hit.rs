//! The recipient behind a tracked link, and [`TrackedHit`], the extractor
//! every tracking handler opens with: it finds the token's recipient (in the
//! in-memory index, else the database), and the client's address and browser
//! name. An unknown token gets the bare 404 that names nothing; a database
//! that cannot be asked, a 503 (a mail client or scanner tries again later;
//! a 404 would be wrong and silent).

// axum's own `Path`, not `web::Path`: whatever goes wrong here must answer
// the bare 404, never the app's page, which would name Safety Net.
#![allow(clippy::disallowed_types)]

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::cache::{HitCache, MAX_ENTRIES};
use super::classify::{classify, Seen, Verdict};
use super::repo;
use super::state::SimState;
use super::writer::NewEvent;
use crate::shared::{CampaignId, PracticeId, StaffId};
use crate::simulation::ids::{RecipientId, TemplateId};
use crate::simulation::library::Landing;
use crate::simulation::states::{Kind, Progress, Status};
use crate::simulation::token::RecipientToken;
use crate::web::ClientIp;

/// What every recipient of one exercise shares.
pub struct CampaignFacts {
    pub id: CampaignId,
    pub practice_id: PracticeId,
    pub template_id: TemplateId,
    pub name: String,
    pub landing: Landing,
    pub training_module: String,
    pub practice_name: String,
    /// Whether the practice's exercise emails carry the "Report it" link.
    pub report_link: bool,
    pub status: Status,
    pub ends_at: i64,
}

impl CampaignFacts {
    /// Events are still recorded (a finished exercise keeps its figures as they were).
    pub fn live(&self, now: i64) -> bool {
        self.status != Status::Completed && now < self.ends_at
    }
}

/// The recipient behind a token.
pub struct Hit {
    pub recipient_id: RecipientId,
    pub staff_id: StaffId,
    pub sent_at: Option<i64>,
    pub full_name: String,
    pub email: String,
    pub job_role: String,
    /// What they had done when this was read (see `NewEvent::already`).
    pub progress: Progress,
    pub campaign: Arc<CampaignFacts>,
}

/// The site's answer to anything it does not know: it names nothing.
pub fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not Found").into_response()
}

/// The answer when a hit could not be looked up or stored.
pub fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "Please try again in a moment.",
    )
        .into_response()
}

/// A request for one of the tracked links: the recipient, the token, and
/// who asked (the address the trusted proxy reports, and the browser name).
pub struct TrackedHit {
    pub token: String,
    pub hit: Arc<Hit>,
    pub ip: String,
    pub user_agent: String,
}

impl FromRequestParts<SimState> for TrackedHit {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &SimState) -> Result<Self, Response> {
        let Ok(Path(token)) = Path::<String>::from_request_parts(parts, state).await else {
            return Err(not_found());
        };
        let hit = match lookup(state, &token).await {
            Ok(Some(hit)) => hit,
            Ok(None) => return Err(not_found()),
            Err(e) => {
                tracing::error!(error = ?e, "tracking lookup failed");
                return Err(unavailable());
            }
        };
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(400)
            .collect();
        Ok(Self {
            token,
            hit,
            ip,
            user_agent,
        })
    }
}

impl TrackedHit {
    /// Whether this request looks like a person's, by the practice's scanner
    /// rules. `wait_for_delivery`: a hit too soon after the email was
    /// delivered is a scanner's (not for opens, which mail clients make at once).
    pub fn classify(&self, state: &SimState, method: &Method, wait_for_delivery: bool) -> Verdict {
        let sim = &state.app.settings.simulation;
        let rules = super::classify::ScannerRules {
            too_soon_secs: sim.too_soon_seconds,
            extra_agents: &sim.scanner_user_agents,
            networks: &sim.scanner_networks,
        };
        let seen = Seen {
            method,
            user_agent: &self.user_agent,
            ip: &self.ip,
            sent_at: self.hit.sent_at.filter(|_| wait_for_delivery),
            now: state.app.clock.now(),
            hidden_link_followed: wait_for_delivery && self.hit.progress.hidden_link,
        };
        classify(&seen, &rules)
    }

    /// Stores the event and returns once it is committed; false if it could
    /// not be (the handler answers 503). An exercise that has finished
    /// records nothing, and that counts as done.
    pub async fn store(
        &self,
        state: &SimState,
        kind: Kind,
        counted: bool,
        reasons: String,
    ) -> bool {
        let now = state.app.clock.now();
        let hit = &self.hit;
        if !hit.campaign.live(now) {
            return true;
        }
        let stored = state
            .events
            .record(NewEvent {
                recipient_id: hit.recipient_id,
                campaign_id: hit.campaign.id,
                practice_id: hit.campaign.practice_id,
                staff_id: hit.staff_id,
                kind,
                counted,
                reasons,
                at: now,
                ip: self.ip.clone(),
                user_agent: self.user_agent.clone(),
                training_module: hit.campaign.training_module.clone(),
                campaign_name: hit.campaign.name.clone(),
                already: hit.progress,
            })
            .await;
        if stored {
            state.hits.stored(&self.token, kind, counted);
        }
        stored
    }
}

/// The recipient behind a token, or None for an unknown token or a cancelled
/// exercise; an error only when the database could not be asked.
pub async fn lookup(state: &SimState, token: &str) -> Result<Option<Arc<Hit>>, sqlx::Error> {
    let Some(token) = RecipientToken::parse(token) else {
        return Ok(None);
    };
    if let Some(hit) = state.hits.get(token.as_str(), state.app.db.signals()) {
        return Ok(Some(hit));
    }
    let loaded = Instant::now();
    let Some(row) = repo::hit_by_token(&state.app.db, token.as_str()).await? else {
        return Ok(None);
    };
    if row.status == Status::Cancelled {
        return Ok(None);
    }
    let campaign = Arc::new(row.facts());
    let (key, hit) = row.into_hit(campaign.clone());
    let hit = Arc::new(hit);
    // Only once sent: before that, its delivery time is still to come.
    if hit.sent_at.is_some() {
        let mut inner = state.hits.lock();
        HitCache::insert(&mut inner, &key, hit.clone(), loaded);
    }
    if campaign.live(state.app.clock.now()) {
        if let Some(generation) = state.hits.start_warming(campaign.id) {
            tokio::spawn(warm(state.clone(), campaign.id, generation));
        }
    }
    Ok(Some(hit))
}

/// Loads every sent recipient of an exercise into the index, in one query.
async fn warm(state: SimState, campaign_id: CampaignId, generation: u64) {
    let loaded = Instant::now();
    let rows = load_campaign(&state, campaign_id).await.unwrap_or_else(|e| {
        tracing::warn!(error = ?e, %campaign_id, "tracking index not loaded; hits ask the database");
        Vec::new()
    });
    state
        .hits
        .finish_warming(campaign_id, generation, rows, loaded);
}

async fn load_campaign(
    state: &SimState,
    campaign_id: CampaignId,
) -> Result<Vec<(String, Hit)>, sqlx::Error> {
    let rows = repo::sent_hits(&state.app.db, campaign_id).await?;
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let campaign = Arc::new(first.facts());
    Ok(rows
        .into_iter()
        .map(|r| r.into_hit(campaign.clone()))
        .collect())
}

/// At start-up, loads the running exercises that have gone out (newest
/// first, up to half the index), so a restart in the middle of an exercise
/// does not send its first wave of hits to the database.
pub async fn warm_running(state: &SimState) {
    let campaigns = repo::running(&state.app.db, state.app.clock.now())
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = ?e, "running exercises not loaded for tracking");
            Vec::new()
        });
    let mut budget = MAX_ENTRIES / 2;
    for c in campaigns {
        let Ok(sent) = usize::try_from(c.sent) else {
            continue;
        };
        if sent > budget {
            break;
        }
        budget -= sent;
        if let Some(generation) = state.hits.start_warming(c.id) {
            warm(state.clone(), c.id, generation).await;
        }
    }
}
