//! Sending the exercise: campaigns (set-up, launch, pause, resume, cancel),
//! the sending profiles (mail servers) they go through, and the sender
//! worker that turns each recipient's row into an email.
//!
//! - `campaigns`, `profiles`: the rules (what a campaign and a profile are, their forms' checks);
//! - `message`: the email for one recipient, and a profile's test message;
//! - `repo`: `campaigns`, `campaign_recipients` as the send queue, `sending_profiles`;
//! - `routes` and `views`: the manager's pages;
//! - `worker`: the sender ([`Sender`]).

pub mod campaigns;
pub mod message;
pub mod profiles;
pub mod repo;
pub mod routes;
mod views;
pub mod worker;

pub use campaigns::{Campaign, Launch, Target};
pub use profiles::{Profile, DEFAULT_HEADER};
pub use worker::{Sender, IN_FLIGHT};

use crate::db::Db;
use crate::web::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    use Access::PracticeManager;
    r.get("/simulation", PracticeManager, routes::list)
        .get(
            "/simulation/campaigns/new",
            PracticeManager,
            routes::new_page,
        )
        .post("/simulation/campaigns/new", PracticeManager, routes::create)
        .post(
            "/simulation/campaigns/{campaign_id}/status",
            PracticeManager,
            routes::change_status,
        )
        .get("/simulation/profiles", PracticeManager, routes::profiles)
        .get(
            "/simulation/profiles/new",
            PracticeManager,
            routes::new_profile_page,
        )
        .post(
            "/simulation/profiles/new",
            PracticeManager,
            routes::create_profile,
        )
        .get(
            "/simulation/profiles/{profile_id}",
            PracticeManager,
            routes::edit_profile_page,
        )
        .post(
            "/simulation/profiles/{profile_id}",
            PracticeManager,
            routes::update_profile,
        )
        .post(
            "/simulation/profiles/{profile_id}/test",
            PracticeManager,
            routes::send_test,
        )
}

/// Finishes campaigns whose end date has passed (anything still unsent is
/// not sent). The sender does this every step; pages that show a
/// campaign's state do it first, so none is shown running past its end.
pub async fn complete_due(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let n = repo::complete_due(&mut tx, now).await?;
    tx.commit().await?;
    Ok(n)
}
