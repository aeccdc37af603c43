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

use super::hit::Hit;
use crate::db::{Heard, Listener, Signals};
use crate::shared::CampaignId;
use crate::simulation::states::Kind;

pub const TTL: Duration = Duration::from_secs(60);
/// Beyond this many tokens the index starts again empty (about 400 bytes each).
pub const MAX_ENTRIES: usize = 250_000;

struct Entry {
    hit: Arc<Hit>,
    loaded: Instant,
}

pub(super) struct Inner {
    tokens: HashMap<Box<str>, Entry>,
    /// Exercises loaded whole, and when.
    warmed: HashMap<CampaignId, Instant>,
    /// Exercises being loaded right now.
    warming: HashSet<CampaignId>,
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

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves only cached copies behind: carry on.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached recipient, after forgetting everything if an exercise changed.
    pub(super) fn get(&self, token: &str, signals: &Signals) -> Option<Arc<Hit>> {
        let mut inner = self.lock();
        match inner.changes.poll(signals) {
            Heard::Nothing => {}
            Heard::Changes(_) | Heard::Lagged => inner.clear(),
        }
        let e = inner.tokens.get(token)?;
        (e.loaded.elapsed() < TTL).then(|| e.hit.clone())
    }

    pub(super) fn insert(inner: &mut Inner, token: &str, hit: Arc<Hit>, loaded: Instant) {
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
        let progress = h.progress.after(kind, counted);
        if progress == h.progress {
            return;
        }
        e.hit = Arc::new(Hit {
            progress,
            full_name: h.full_name.clone(),
            email: h.email.clone(),
            job_role: h.job_role.clone(),
            campaign: h.campaign.clone(),
            ..**h
        });
    }

    /// Whether this exercise should be loaded whole now; marks it as loading.
    pub(super) fn start_warming(&self, campaign_id: CampaignId) -> Option<u64> {
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

    pub(super) fn finish_warming(
        &self,
        campaign_id: CampaignId,
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
                hit.progress = hit.progress.union(old.hit.progress);
            }
            Self::insert(&mut inner, &token, Arc::new(hit), loaded);
        }
        inner.warmed.insert(campaign_id, loaded);
    }
}
