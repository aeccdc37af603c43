//! End-of-life detection: a table of the dates vendors stop security updates
//! for operating systems and software, each with its source.
//!
//! The table shipped in the binary is `content/resilience/support-dates.toml`
//! (format in `content/resilience/README.md`). A practice manager can load a
//! newer file for their practice (Resilience → Support dates), and an operator
//! for every practice (`safetynet support-dates load FILE`). Whichever table
//! was checked most recently (its `updated` date) is used, so a newer
//! Safety Net release with a fresher table takes over from an old upload.
//!
//! Each asset keeps the end date it was last given (`eol_on`) so the register
//! can count and filter in SQL; [`refresh`] works it out again for assets
//! whose operating system changed, or for all of them when the table in use
//! changes.
//!
//! - `table`: reading a table and matching products (no storage);
//! - `in_use`: the table a practice uses, loading one, [`refresh`];
//! - `repo`: the `support_date_tables` and `resilience_state` tables;
//! - `routes`: the support-dates page and its upload.

pub mod in_use;
pub mod repo;
pub mod routes;
pub mod table;

pub use in_use::{
    check_new, effective, for_every_practice, load_for_every_practice, refresh, store, For,
};
