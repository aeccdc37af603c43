//! System email (invitations, password resets): written to an outbox table
//! in the database, then sent by a background worker, so a slow or broken
//! mail server never holds up a page and nothing is lost across a restart.

pub mod outbox;
pub mod repo;
pub mod smtp;
pub mod worker;
