//! Where the training needs analysis is stored (`training_needs_analysis`,
//! one row per practice once saved).

use super::domain::TnaForm;
use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::PracticeId;
use crate::{with_db, with_tx};

pub struct SavedTna {
    pub staff_groups: String,
    pub delivery: String,
    pub gaps: String,
    pub actions: String,
    pub review_on: Option<String>,
    pub updated_at: i64,
    pub updated_by: String,
}

named_row!(SavedTna {
    staff_groups,
    delivery,
    gaps,
    actions,
    review_on,
    updated_at,
    updated_by
});

pub async fn load(db: &Db, practice_id: PracticeId) -> Result<Option<SavedTna>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT staff_groups, delivery, gaps, actions, review_on, updated_at, updated_by FROM training_needs_analysis WHERE practice_id = $1")
        .bind(practice_id).fetch_optional(p).await)
}

/// Saves the analysis as checked (`form.check()` found nothing to fix).
pub async fn save(
    tx: &mut Tx,
    practice_id: PracticeId,
    form: &TnaForm,
    now: i64,
    by: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO training_needs_analysis (practice_id, staff_groups, delivery, gaps, actions, review_on, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (practice_id) DO UPDATE SET staff_groups = $2, delivery = $3, \
         gaps = $4, actions = $5, review_on = $6, updated_at = $7, updated_by = $8")
        .bind(practice_id).bind(&form.staff_groups).bind(&form.delivery).bind(&form.gaps).bind(&form.actions)
        .bind(form.review_date()).bind(now).bind(by).execute(&mut *c).await.map(|_| ()))
}
