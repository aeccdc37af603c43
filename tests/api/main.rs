//! End-to-end tests against the real app: each test spawns Safety Net on
//! random ports with a fresh database (SQLite, and PostgreSQL when
//! available), and talks to it over HTTP like a browser would.

mod helpers;

mod accounts;
mod browser;
mod champions;
mod cli;
mod crash_safety;
mod culture;
mod dashboard;
mod drill_files;
mod drill_plans;
mod dspt;
mod exercise_setup;
mod external;
mod gophish;
mod hardening;
mod import;
mod meetings;
mod metrics;
mod monday;
mod nodes;
mod oidc;
mod openapi;
mod outbox;
mod people;
mod report_mailbox;
mod resilience;
mod resilience_plans;
mod security;
mod simulation;
mod storage;
mod tenancy;
mod training;
mod webhooks;
mod words;
