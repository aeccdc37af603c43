//! Accounts, sign-in, sessions, two-step verification (TOTP), roles, the
//! audit log, and the scopes that every practice query must be given.
//!
//! By job: `domain` (roles, session stages, password words: no I/O),
//! `repo` (every statement on the tables `auth` owns), `routes` (the
//! sign-in, password, account and audit pages, one file each), `views`
//! (their templates). Beside them the pieces other code calls: `scope`
//! (the extractors), `session`, `tokens` (emailed links), `mfa`,
//! `password`, `attempts` (the sign-in limit), `api_keys`, `audit` (the one
//! way to write the audit log) and `accounts` (how other capabilities
//! change an account).

pub mod accounts;
pub mod api_keys;
pub mod attempts;
pub mod audit;
pub mod domain;
pub mod mfa;
pub mod oidc;
pub mod password;
pub mod repo;
pub mod routes;
pub mod scope;
pub mod session;
pub mod tokens;
pub mod views;

pub use domain::Role;
pub use scope::{system_scope_for, ManagerScope, OperatorScope, PracticeScope, SignedIn};
pub use session::SessionUser;
