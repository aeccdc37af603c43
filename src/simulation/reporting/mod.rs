//! What comes back from an exercise: its results, a manager's override of a
//! click, each person's own record, and the practice's reporting mailbox,
//! where staff forward suspicious emails (each forwarded exercise email
//! counts as a report, and its reporter is thanked).
//!
//! - `results`, `history`, `mailbox`: the rules (results in words, a person's record, the mailbox settings form);
//! - `imap`: talking to the mailbox's server; `forwarded`: finding tokens in what arrives there;
//! - `oauth`: getting the mailbox's OAuth2 access tokens from the provider's token service;
//! - `worker`: checking every active mailbox once a minute, keeping its access token fresh;
//! - `repo`: results, overrides, a person's record, `report_mailboxes`;
//! - `routes` and `views`: the pages.

pub mod connect;
pub mod forwarded;
pub mod history;
pub mod imap;
pub mod mailbox;
pub mod oauth;
pub mod repo;
pub mod results;
pub mod routes;
mod views;
pub mod worker;

use crate::web::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    use Access::*;
    r.get(
        "/simulation/campaigns/{campaign_id}",
        PracticeManager,
        routes::show,
    )
    .get(
        "/simulation/campaigns/{campaign_id}/results.csv",
        PracticeManager,
        routes::export_csv,
    )
    .post(
        "/simulation/campaigns/{campaign_id}/events/{event_id}/override",
        PracticeManager,
        routes::set_override,
    )
    .get("/my/exercises", PracticeMember, routes::mine)
    .get("/simulation/mailbox", PracticeManager, routes::mailbox)
    .post("/simulation/mailbox", PracticeManager, routes::save_mailbox)
    .get(
        "/simulation/mailbox/connected",
        PracticeManager,
        routes::mailbox_connected,
    )
}
