//! The backup register: what is backed up (the clinical system, usually
//! hosted and backed up by its supplier; shared drives; practice documents;
//! Safety Net itself), who is responsible, where copies go, how often, the
//! last backup and the last restore test with its result. Backups overdue and
//! restore tests due stand out (the clocks are `rules::backup_status` and
//! `rules::restore_status`).
//!
//! `domain`: the register's choices and the forms' checks; `repo`: the
//! `backups` and `backup_log` tables (and reading `system_backups`, which
//! `own_backup` writes); `routes`: the handlers; `views`: their pages.

pub mod domain;
pub mod repo;
pub mod routes;
pub mod views;
