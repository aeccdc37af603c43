//! Incident mode: declare an incident from a plan, keep a live log, tick off
//! the plan's actions as people do them, and — for personal data — watch the
//! ICO's 72 hours and apply the DSPT reportability test. Afterwards a review
//! whose lessons become training assignments or changes to the plan.
//!
//! `domain`: the ICO clock, the DSPT test, who may lead; `repo`: the
//! `incidents`, `incident_log`, `incident_checks` and `incident_lessons`
//! tables (and `incident_reports`); `routes`: the handlers; `views`: their
//! pages; `reports`: anyone's report of an incident or near miss.

pub use reports::near_misses_for_department;

pub mod domain;
pub mod repo;
pub mod reports;
pub mod routes;
pub mod views;
