//! Incident-response and disaster-recovery plans: started from our templates
//! (`plan_content`), filled in with the practice's own people and numbers,
//! approved and versioned, and printed as a hard copy that works when the
//! computers don't (DSPT 7.3.2 asks when the contact list was last updated
//! and printed).
//!
//! `domain`: a plan's body and the edit form; `repo`: the `plans`,
//! `plan_versions` and `plan_notes` tables; `routes`: the handlers;
//! `views`: their pages; `pdf`: the printed copy.

pub mod domain;
pub mod pdf;
pub mod repo;
pub mod routes;
pub mod views;

pub use domain::{Plan, PlanBody};
