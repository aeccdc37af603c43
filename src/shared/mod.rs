//! The bottom of Safety Net, beside `db`, `web`, `config` and `ukclock`: the
//! state every handler and worker shares, the clock, typed ids, checked
//! values (email address, person's name) and a keyed rate limiter. It names
//! no capability, so any capability may use it and it depends on none.
//!
//! A capability that needs state of its own keeps it itself and holds an
//! `AppState` beside it (the simulation site's `SimState` does).

pub mod gate;
pub mod ids;
pub mod limiter;
pub mod values;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub use ids::{CampaignId, PracticeId, StaffId, UserId};
pub use values::{EmailAddress, FieldError, PersonName};

use crate::config::Settings;
use crate::db::Db;

/// The time, in whole seconds since the Unix epoch. Tests move it forward to
/// check time-outs and expiry without waiting.
#[derive(Clone, Default)]
pub struct Clock(Arc<AtomicI64>);

impl Clock {
    pub fn now(&self) -> i64 {
        let real = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        real + self.0.load(Ordering::Relaxed)
    }
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::Relaxed);
    }
}

/// What every app handler and background worker is given. Workers are woken
/// and caches told of changes through `db.signals()` (see `db::signals`).
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub clock: Clock,
    /// Bounds the password hashing that runs at once (see `auth::password`).
    pub hashing: Arc<gate::WorkGate<Vec<argon2::Block>>>,
    /// Identity providers' published settings (see `auth::oidc::MetadataCache`).
    pub oidc_metadata: Arc<crate::auth::oidc::MetadataCache>,
}

impl AppState {
    pub fn new(db: Db, settings: Settings, clock: Clock) -> Self {
        let (settings_hashes, settings_wait) = (
            settings.sign_in.concurrent_hashes,
            settings.sign_in.hash_queue_seconds,
        );
        Self {
            db,
            settings: Arc::new(settings),
            clock,
            hashing: Arc::new(gate::WorkGate::new(
                settings_hashes,
                std::time::Duration::from_secs(settings_wait),
                "password-hash",
            )),
            oidc_metadata: Arc::default(),
        }
    }

    /// The app's address as people reach it, for links in emails.
    pub fn public_url(&self) -> &str {
        &self.settings.public_url
    }
}
