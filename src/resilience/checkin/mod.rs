//! Device check-in: small scripts shipped with Safety Net (PowerShell for
//! Windows, a shell script for macOS and Linux) report each computer's
//! operating system, build and last update time, so the register keeps
//! itself current.
//!
//! ```text
//! POST /api/checkin
//! Authorization: Bearer <the practice's enrolment token>
//! Content-Type: application/json
//!
//! {"hostname":"RECEPTION-PC1","serial":"5CG1234XYZ","make":"HP","model":"EliteDesk 800 G6",
//!  "os":"Windows 11 Pro","os_version":"23H2","build":"22631.4460","kind":"desktop",
//!  "encryption":"yes","last_update":"2026-11-12T10:04:00Z"}
//! ```
//!
//! Only `hostname` is required; `last_update` is an RFC 3339 time or Unix
//! seconds. The device is matched by serial number, then by computer name;
//! an unknown device is added to the register. Answers are JSON with a
//! `message` (and `error` when refused): 200 updated, 201 added, 400 the body
//! is wrong, 401 no or wrong token, 413 too large, 429 too many check-ins for
//! this token (see `Retry-After`).
//!
//! The endpoint takes no cookies, so the CSRF layer lets it through (see
//! `app.rs`); the token alone decides.
//!
//! - `domain`: reading a check-in (token, body, times) into a device;
//! - `repo`: the `checkin_tokens` table (the device's row is written through
//!   `assets::repo`);
//! - `routes`: the API, the manager's page and the script downloads
//!   (`scripts/`, with the practice's address and token filled in).

pub mod domain;
pub mod repo;
pub mod routes;

use crate::shared::limiter::Rule;

pub const API_PATH: &str = "/api/checkin";
/// Check-ins one token may make at once, and how many per minute after that.
pub const BURST: f64 = 300.0;
pub const PER_MINUTE: f64 = 300.0;

/// Check-ins per presented token (by its hash): `BURST` at once, then
/// `PER_MINUTE`, counted in the database across every app node (see
/// `shared::limiter`). Only a token that names a practice gets a bucket.
pub const LIMIT: Rule = Rule {
    name: "checkin",
    burst: BURST,
    per_minute: PER_MINUTE,
};

pub use repo::set_token;
