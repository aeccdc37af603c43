//! Webhooks: a practice manager registers web addresses that receive every
//! simulation event (open, click, submit, report, honeypot) as JSON, signed
//! with HMAC-SHA256.
//!
//! Delivery is cursor-based. Each webhook remembers the id of the last event
//! its receiver accepted, and the [`Deliverer`] reads the practice's events
//! after it, so the tracking site's hot path is untouched, a receiver that is
//! down for a day catches up when it comes back, and nothing is lost across a
//! restart. A new webhook starts at the practice's latest event: it is sent
//! what happens from then on, not the practice's whole history.
//!
//! One POST per event, in event order; the next is sent only after the
//! receiver answered 2xx:
//!
//! ```text
//! POST <url>
//! Content-Type: application/json
//! X-Safety-Net-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the secret>
//!
//! {"event":"click","counted":true,"reasons":"counted: an ordinary browser",
//!  "time":"2026-11-22T14:05:09Z","campaign_id":7,"campaign":"November exercise",
//!  "recipient":{"email":"tom.bennett@…","name":"Tom Bennett"},
//!  "ip":"203.0.113.9","user_agent":"Mozilla/5.0 …","event_id":4211}
//! ```
//!
//! The "Send a test event" button sends the same shape with `"event":"test"`
//! and `"event_id":0`.
//!
//! Delivery is **at least once**: an event the receiver accepted is never sent
//! again, but an event whose answer was lost (a time-out after the receiver
//! stored it, or Safety Net stopping between the answer and recording it) is
//! sent again, so receivers should ignore an `event_id` they have already
//! seen. After a failure the webhook waits 1 minute, doubling to an hour, and
//! retries the same event for as long as it stays switched on; the manager
//! sees the last problem and how many events are waiting, and can skip them.
//!
//! Safety Net sends only where the outbound policy allows (`net::outbound`:
//! public addresses, plus any network the operator allows), never to a cloud
//! metadata address: the host is checked when the address is saved, before
//! each delivery, and again inside the HTTP client's own name lookup, so a
//! name that later changes to such an address is still refused. Redirects are
//! not followed and no proxy is used, for the same reason. A receiver's answer
//! is shown by its status only, never its words: the address could be any
//! service inside the network.

pub(crate) mod client;
mod repo;
/// Deliveries still to make (the metrics' queue depth).
pub use repo::waiting_count as backlog;
pub mod routes;
mod signing;
mod views;
mod worker;

pub use client::check_url;
pub use signing::{sign, SIGNATURE_HEADER};
pub use worker::{Deliverer, SETTLE_SECS};

use crate::web::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    use Access::PracticeManager;
    r.get("/simulation/webhooks", PracticeManager, routes::list)
        .get(
            "/simulation/webhooks/new",
            PracticeManager,
            routes::new_page,
        )
        .post("/simulation/webhooks/new", PracticeManager, routes::create)
        .get(
            "/simulation/webhooks/{webhook_id}",
            PracticeManager,
            routes::edit_page,
        )
        .post(
            "/simulation/webhooks/{webhook_id}",
            PracticeManager,
            routes::update,
        )
        .post(
            "/simulation/webhooks/{webhook_id}/test",
            PracticeManager,
            routes::send_test,
        )
}
