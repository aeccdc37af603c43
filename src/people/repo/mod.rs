//! Every SQL statement on the tables `people` owns: `practices`,
//! `departments` and `staff` (one file each; `staff_imports` is kept by the
//! generic import flow, `web::import`, under `people::staff_import`'s name).
//!
//! Reads take `&Db`; writes, and reads that decide a write, take the
//! caller's `&mut Tx`. Rows come back as named structs. Accounts (`users`)
//! belong to `auth`: people changes them through `auth::accounts`.

pub mod departments;
pub mod practices;
pub mod staff;
