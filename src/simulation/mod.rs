//! Phishing simulations, split by what the practice does with them:
//!
//! - `authoring`: the email templates (from the lure library, from scratch,
//!   from a pasted real email), their red flags and attachments;
//! - `domains`: the email domains exercises may be sent to (verified by an operator);
//! - `sending`: campaigns (set-up, launch, pause, resume, cancel), the
//!   sending profiles, and the sender worker;
//! - `tracking`: the simulation site, its own listener (no app cookies, no
//!   CSRF, nothing that names Safety Net): opens, clicks, submissions and
//!   reports, whether each was a person's, and the teachable moment;
//! - `reporting`: results, a manager's overrides, a person's own record,
//!   and the reporting mailbox;
//! - `external`: results of an exercise run elsewhere (NHS England's
//!   service on NHSmail, or another tool), imported or summarised;
//! - `webhooks`: every event sent on, signed, to the practice's receivers;
//! - `gophish`: the GoPhish-compatible API and its keys page.
//!
//! Shared by them: `library` (the built-in lures), `render` (an email for one
//! person), `sanitise` (nothing live in a template), `token` (the recipient
//! token in every tracked link), `states` (the states an exercise, an email
//! and an event can be in), `ids` (typed ids; rows and states are read through `db::row`),
//! `pages` (a change committed with its audit entry; a test button's result).

pub mod authoring;
pub mod domains;
pub mod evidence;
pub mod external;
#[cfg(test)]
pub(crate) mod fuzz;
pub mod gophish;
pub mod ids;
pub mod library;
pub mod pages;
pub mod render;
pub mod reporting;
pub mod sanitise;
pub mod sending;
pub mod states;
pub mod token;
pub mod tracking;
pub mod webhooks;

pub use pages::{commit_audited, TestResult};

use crate::web::routes::{Access, Routes};

/// The app's simulation pages (the simulation site has its own router,
/// `tracking::router`; the GoPhish API and webhooks add theirs).
pub fn routes(r: Routes) -> Routes {
    let r = sending::routes(r);
    let r = authoring::routes(r);
    let r = reporting::routes(r);
    let r = external::routes(r);
    r.get(
        "/simulation/domains",
        Access::PracticeManager,
        domains::routes::page,
    )
    .post(
        "/simulation/domains",
        Access::PracticeManager,
        domains::routes::request,
    )
    .post(
        "/operator/practices/{practice_id}/domains/{domain_id}/verify",
        Access::Operator,
        domains::routes::verify,
    )
}
