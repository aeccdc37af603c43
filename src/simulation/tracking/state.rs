//! The simulation site's own state: the shared [`AppState`], the group-commit
//! event writer every hit goes through, and the in-memory index of tracking
//! tokens. `app.rs` starts it and gives it to the site's router
//! (`tracking::router`); the app's own handlers never see it: to make the
//! index forget an exercise they publish a `db::Change`, which it listens for.

use std::sync::Arc;

use axum::extract::FromRef;

use super::cache::HitCache;
use super::writer::EventWriter;
use crate::shared::AppState;

#[derive(Clone)]
pub struct SimState {
    pub app: AppState,
    /// Stores tracking events in groups (see `tracking::writer`).
    pub events: EventWriter,
    /// Recently looked-up tracking tokens (see `tracking::cache`).
    pub hits: Arc<HitCache>,
}

impl SimState {
    /// Starts the event writer, so it must run inside the Tokio runtime.
    pub fn start(app: AppState) -> Self {
        Self {
            events: EventWriter::start(app.db.clone()),
            hits: Arc::new(HitCache::new(app.db.signals())),
            app,
        }
    }
}

impl FromRef<SimState> for AppState {
    fn from_ref(sim: &SimState) -> AppState {
        sim.app.clone()
    }
}
