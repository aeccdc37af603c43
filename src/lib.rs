//! Safety Net: a UK GP practice's cyber security programme in one binary.
//!
//! The folders follow the practice's programme: `people` (practices,
//! departments, staff), `auth` (accounts, sign-in, roles, audit log), `mail`
//! (system email outbox), `simulation` (the phishing simulation site), `training` (modules,
//! quizzes, CPD, patient lessons), `resilience` (assets, updates, cyber alerts, backups,
//! plans, incidents, exercises), with
//! `db` and `web` underneath them all.

pub mod app;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod config;
pub mod db;
pub mod mail;
pub mod net;
pub mod pdf;
pub mod people;
pub mod resilience;
pub mod simulation;
pub mod telemetry;
pub mod training;
pub mod ukclock;
pub mod web;
