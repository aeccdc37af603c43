//! A practice's training rules: pass mark, induction due date, refresher
//! interval, the DSPT compliance target and when reminders go out
//! (`routes`: the "Training rules" page).

pub mod domain;
pub mod repo;
pub mod routes;

pub use domain::TrainingSettings;

use crate::db::Db;
use crate::shared::PracticeId;

/// The practice's rules, or the defaults if it has not changed them.
pub async fn load(db: &Db, practice_id: PracticeId) -> Result<TrainingSettings, sqlx::Error> {
    Ok(repo::load(db, practice_id).await?.unwrap_or_default())
}
