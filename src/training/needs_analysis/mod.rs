//! The training needs analysis (DSPT evidence item 3.1.1): what each staff
//! group needs and how it is given, written by the practice manager and
//! printed with the current training figures (`routes`).

pub mod domain;
pub mod repo;
pub mod routes;

use crate::db::Db;
use crate::shared::PracticeId;
use crate::ukclock;
use domain::TnaForm;

/// The saved analysis and a line saying when and by whom, if saved.
pub async fn load(
    db: &Db,
    practice_id: PracticeId,
) -> Result<Option<(TnaForm, String)>, sqlx::Error> {
    Ok(repo::load(db, practice_id).await?.map(|t| {
        (
            TnaForm {
                staff_groups: t.staff_groups,
                delivery: t.delivery,
                gaps: t.gaps,
                actions: t.actions,
                review_on: t.review_on.unwrap_or_default(),
            },
            format!(
                "Last updated {} by {}",
                ukclock::format(t.updated_at),
                t.updated_by
            ),
        )
    }))
}
