//! The asset register (DSPT 7.1.1): the practice's devices and software, who
//! manages each, whether its disk is encrypted, when support ends and when it
//! last installed updates. Pages by (name, id) through an index, so a large
//! register costs the same per page as a small one.
//!
//! - `domain`: kinds, encryption, who manages it, checking an entry (form or
//!   spreadsheet row);
//! - `repo`: the `assets` and `register_reviews` tables (the import and
//!   device check-in write through it too);
//! - `routes`: the pages' handlers; `views`: their templates;
//! - `export`: the register as a spreadsheet.

pub mod domain;
pub mod export;
pub mod repo;
pub mod routes;
pub mod views;

pub use domain::{
    last_updated_at, normal_hostname, normal_serial, AssetForm, AssetInput, AssetKind, Encryption,
    ManagedBy,
};
pub use routes::ListQuery;
