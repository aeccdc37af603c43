//! Who a tracking token belongs to, kept in memory while an exercise runs.
//!
//! When an exercise goes out, most of a practice opens it within minutes, so
//! the first hit on an exercise loads all its sent recipients in one query and
//! later hits are answered without asking the database. Everything a hit knows
//! that can change is kept current here: a recorded first open, click or
//! report and a followed hidden link update the entry; a `Change::Campaign`
//! (published when an exercise is paused, resumed, cancelled or finished
//! early, or a manager overturns a click) clears the index before the next
//! hit is answered; the end date is checked on every hit. Entries older than
//! [`TTL`] are looked up again, which bounds how stale another app node's
//! changes can be.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::events::Kind;
use super::library::Landing;
use super::site::SimState;
use super::templates;
use super::token::RecipientToken;
use crate::db::{Db, Heard, Listener, Signals};
use crate::shared::PracticeId;
use crate::with_db;

const TTL: Duration = Duration::from_secs(60);
/// Beyond this many tokens the index starts again empty (about 400 bytes each).
const MAX_ENTRIES: usize = 250_000;

/// What every recipient of one exercise shares.
pub struct CampaignFacts {
    pub id: i64,
    pub practice_id: PracticeId,
    pub template_id: i64,
    pub name: String,
    pub landing: Landing,
    pub training_module: String,
    pub practice_name: String,
    completed: bool,
    ends_at: i64,
}

impl CampaignFacts {
    /// Events are still recorded (a finished exercise keeps its figures as they were).
    pub fn live(&self, now: i64) -> bool {
        !self.completed && now < self.ends_at
    }
}

/// The recipient behind a token.
pub struct Hit {
    pub recipient_id: i64,
    pub staff_id: i64,
    pub sent_at: Option<i64>,
    pub full_name: String,
    pub email: String,
    pub job_role: String,
    pub honeypot_seen: bool,
    /// Opened, clicked, submitted, reported already (see `NewEvent::already`).
    pub already: [bool; 4],
    pub campaign: Arc<CampaignFacts>,
}

struct Entry {
    hit: Arc<Hit>,
    loaded: Instant,
}

struct Inner {
    tokens: HashMap<Box<str>, Entry>,
    /// Exercises loaded whole, and when.
    warmed: HashMap<i64, Instant>,
    /// Exercises being loaded right now.
    warming: HashSet<i64>,
    /// Bumped by every clear, so a load that started before it is thrown away.
    generation: u64,
    /// Hears which exercises changed (see `db::signals`).
    changes: Listener,
}

impl Inner {
    /// Forgets everything (any change to an exercise may change what a hit on it means).
    fn clear(&mut self) {
        self.tokens.clear();
        self.warmed.clear();
        self.generation += 1;
    }
}

pub struct HitCache(Mutex<Inner>);

impl HitCache {
    /// An empty index that listens for changes published on `signals`.
    pub fn new(signals: &Signals) -> Self {
        Self(Mutex::new(Inner {
            tokens: HashMap::new(),
            warmed: HashMap::new(),
            warming: HashSet::new(),
            generation: 0,
            changes: signals.listen(),
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves only cached copies behind: carry on.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached recipient, after forgetting everything if an exercise changed.
    fn get(&self, token: &str, signals: &Signals) -> Option<Arc<Hit>> {
        let mut inner = self.lock();
        match inner.changes.poll(signals) {
            Heard::Nothing => {}
            Heard::Changes(_) | Heard::Lagged => inner.clear(),
        }
        let e = inner.tokens.get(token)?;
        (e.loaded.elapsed() < TTL).then(|| e.hit.clone())
    }

    fn insert(inner: &mut Inner, token: &str, hit: Arc<Hit>, loaded: Instant) {
        if inner.tokens.len() >= MAX_ENTRIES && !inner.tokens.contains_key(token) {
            inner.tokens.clear();
            inner.warmed.clear();
        }
        inner.tokens.insert(token.into(), Entry { hit, loaded });
    }

    /// After an event is stored: the entry learns the first times it set, so
    /// the next hit neither reads nor rewrites them.
    pub fn stored(&self, token: &str, kind: Kind, counted: bool) {
        let mut inner = self.lock();
        let Some(e) = inner.tokens.get_mut(token) else {
            return;
        };
        let h = &e.hit;
        let mut already = h.already;
        let mut honeypot_seen = h.honeypot_seen;
        match (kind, counted) {
            (Kind::Honeypot, _) => honeypot_seen = true,
            (_, false) => return,
            (Kind::Open, _) => already[0] = true,
            (Kind::Click, _) => already[..2].fill(true),
            (Kind::Submit, _) => already[..3].fill(true),
            (Kind::Report, _) => already[3] = true,
        }
        if already == h.already && honeypot_seen == h.honeypot_seen {
            return;
        }
        e.hit = Arc::new(Hit {
            already,
            honeypot_seen,
            full_name: h.full_name.clone(),
            email: h.email.clone(),
            job_role: h.job_role.clone(),
            campaign: h.campaign.clone(),
            ..**h
        });
    }

    /// Whether this exercise should be loaded whole now; marks it as loading.
    fn start_warming(&self, campaign_id: i64) -> Option<u64> {
        let mut inner = self.lock();
        let fresh = inner
            .warmed
            .get(&campaign_id)
            .is_some_and(|at| at.elapsed() < TTL);
        if fresh || !inner.warming.insert(campaign_id) {
            return None;
        }
        Some(inner.generation)
    }

    fn finish_warming(
        &self,
        campaign_id: i64,
        generation: u64,
        rows: Vec<(String, Hit)>,
        loaded: Instant,
    ) {
        let mut inner = self.lock();
        inner.warming.remove(&campaign_id);
        if inner.generation != generation {
            return;
        }
        for (token, mut hit) in rows {
            // A hit recorded while the load ran may know more than the database did when read.
            if let Some(old) = inner.tokens.get(token.as_str()) {
                for (a, b) in hit.already.iter_mut().zip(old.hit.already) {
                    *a |= b;
                }
                hit.honeypot_seen |= old.hit.honeypot_seen;
            }
            Self::insert(&mut inner, &token, Arc::new(hit), loaded);
        }
        inner.warmed.insert(campaign_id, loaded);
    }
}

/// token, recipient, campaign, practice, staff, sent at, landing, template,
/// exercise name, full name, email, job role, training, practice name,
/// state bits (see [`SELECT`]), end date.
type Row = (
    String,
    i64,
    i64,
    PracticeId,
    i64,
    Option<i64>,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
);

const COMPLETED: i64 = 16;
const CANCELLED: i64 = 32;
const HONEYPOT: i64 = 64;

/// One statement serves both a single token and a whole exercise. The state
/// bits are opened 1, clicked 2, submitted 4, reported 8, then the exercise
/// finished 16 or cancelled 32, and the hidden link followed 64.
const SELECT: &str = "SELECT r.token, r.id, r.campaign_id, r.practice_id, r.staff_id, r.sent_at, c.landing, c.template_id, \
        c.name, r.full_name, r.email, r.job_role, t.training_module, pr.name, \
        CAST(CASE WHEN r.opened_at IS NULL THEN 0 ELSE 1 END + CASE WHEN r.clicked_at IS NULL THEN 0 ELSE 2 END \
          + CASE WHEN r.submitted_at IS NULL THEN 0 ELSE 4 END + CASE WHEN r.reported_at IS NULL THEN 0 ELSE 8 END \
          + CASE c.status WHEN 'completed' THEN 16 WHEN 'cancelled' THEN 32 ELSE 0 END \
          + CASE WHEN r.honeypot_at IS NULL THEN 0 ELSE 64 END \
          AS BIGINT), c.ends_at \
     FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id JOIN sim_templates t ON t.id = c.template_id \
     JOIN practices pr ON pr.id = r.practice_id";

fn facts(r: &Row) -> CampaignFacts {
    CampaignFacts {
        id: r.2,
        practice_id: r.3,
        template_id: r.7,
        name: r.8.clone(),
        landing: templates::landing_from(&r.6),
        training_module: r.12.clone(),
        practice_name: r.13.clone(),
        completed: r.14 & COMPLETED != 0,
        ends_at: r.15,
    }
}

fn hit(r: Row, campaign: Arc<CampaignFacts>) -> (String, Hit) {
    let f = r.14;
    (
        r.0,
        Hit {
            recipient_id: r.1,
            staff_id: r.4,
            sent_at: r.5,
            full_name: r.9,
            email: r.10,
            job_role: r.11,
            honeypot_seen: f & HONEYPOT != 0,
            already: [f & 1 != 0, f & 2 != 0, f & 4 != 0, f & 8 != 0],
            campaign,
        },
    )
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
    let sql = format!("{SELECT} WHERE r.token = $1");
    let row: Option<Row> = with_db!(&state.app.db, p => sqlx::query_as(&sql).bind(token.as_str()).fetch_optional(p).await)?;
    let Some(row) = row else {
        return Ok(None);
    };
    if row.14 & CANCELLED != 0 {
        return Ok(None);
    }
    let campaign = Arc::new(facts(&row));
    let (key, hit) = hit(row, campaign.clone());
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
async fn warm(state: SimState, campaign_id: i64, generation: u64) {
    let loaded = Instant::now();
    let rows = load_campaign(&state.app.db, campaign_id).await.unwrap_or_else(|e| {
        tracing::warn!(error = ?e, campaign_id, "tracking index not loaded; hits ask the database");
        Vec::new()
    });
    state
        .hits
        .finish_warming(campaign_id, generation, rows, loaded);
}

async fn load_campaign(db: &Db, campaign_id: i64) -> Result<Vec<(String, Hit)>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE r.campaign_id = $1 AND r.sent_at IS NOT NULL AND c.status <> 'cancelled'"
    );
    let rows: Vec<Row> =
        with_db!(db, p => sqlx::query_as(&sql).bind(campaign_id).fetch_all(p).await)?;
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let campaign = Arc::new(facts(first));
    Ok(rows.into_iter().map(|r| hit(r, campaign.clone())).collect())
}

/// At start-up, loads the running exercises that have gone out (newest
/// first, up to half the index), so a restart in the middle of an exercise
/// does not send its first wave of hits to the database.
pub async fn warm_running(state: &SimState) {
    let campaigns: Result<Vec<(i64, i64)>, sqlx::Error> = with_db!(&state.app.db, p => sqlx::query_as(
        "SELECT id, sent FROM campaigns WHERE status IN ('sending', 'paused') AND sent > 0 AND ends_at > $1 ORDER BY launch_at DESC, id DESC")
        .bind(state.app.clock.now()).fetch_all(p).await);
    let campaigns = campaigns.unwrap_or_else(|e| {
        tracing::warn!(error = ?e, "running exercises not loaded for tracking");
        Vec::new()
    });
    let mut budget = MAX_ENTRIES / 2;
    for (id, sent) in campaigns {
        let Ok(sent) = usize::try_from(sent) else {
            continue;
        };
        if sent > budget {
            break;
        }
        budget -= sent;
        if let Some(generation) = state.hits.start_warming(id) {
            warm(state.clone(), id, generation).await;
        }
    }
}
