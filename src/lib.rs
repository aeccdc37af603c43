//! Safety Net: a UK GP practice's cyber security programme in one binary.
//!
//! Three layers (ARCHITECTURE.md draws them):
//! - the bottom, which names no capability: `db` (pools, transactions,
//!   signals, migrations), `web` (errors, pages, forms, the route table),
//!   `shared` (the state every handler gets, the clock, typed ids, checked
//!   values), `config`, `ukclock`, `telemetry`, `pdf`;
//! - the capabilities, named after the practice's programme: `auth`
//!   (accounts, sign-in, roles, audit log), `people` (practices, departments,
//!   staff), `mail` (system email outbox), `simulation` (phishing exercises and
//!   the simulation site), `training` (modules, quizzes, CPD, patient lessons),
//!   `resilience` (assets, updates, cyber alerts, backups, plans, incidents,
//!   exercises), `dspt` (the toolkit's evidence, administrator agreements,
//!   evidence packs, the ICB's readiness view);
//! - the top, which composes them: `app` (routers and workers), `home` and
//!   `demo` (pages and seeding that span capabilities), `cli`.

pub mod api_docs;
pub mod app;
pub mod auth;
#[cfg(feature = "bench")]
pub mod bench;
pub mod cli;
pub mod config;
mod content_checks;
pub mod culture;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod dspt;
pub mod home;
pub mod mail;
pub mod metrics;
pub mod monitoring;
pub mod net;
pub mod pdf;
pub mod people;
pub mod resilience;
pub mod shared;
pub mod simulation;
pub mod telemetry;
pub mod this_week;
pub mod training;
pub mod ukclock;
pub mod web;
