//! CPD evidence: a certificate for each completed module, a summary of a
//! calendar or appraisal year for an appraisal portfolio, and the log as a
//! spreadsheet (`routes`). A person sees their own; the practice manager sees
//! anyone's at the practice.

pub mod domain;
pub mod repo;
pub mod routes;
pub mod views;

pub use domain::Period;
