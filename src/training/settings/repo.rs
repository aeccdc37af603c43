//! Where a practice's training rules are stored (`training_settings`, one row
//! once the manager has saved them).

use super::TrainingSettings;
use crate::db::{Db, Tx};
use crate::shared::PracticeId;
use crate::{with_db, with_tx};

pub async fn load(
    db: &Db,
    practice_id: PracticeId,
) -> Result<Option<TrainingSettings>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT pass_mark, induction_due_days, refresher_months, compliance_target, reminder_days \
         FROM training_settings WHERE practice_id = $1")
        .bind(practice_id).fetch_optional(p).await)
}

pub async fn save(
    tx: &mut Tx,
    practice_id: PracticeId,
    s: &TrainingSettings,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO training_settings (practice_id, pass_mark, induction_due_days, refresher_months, compliance_target, reminder_days) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (practice_id) DO UPDATE SET pass_mark = $2, \
         induction_due_days = $3, refresher_months = $4, compliance_target = $5, reminder_days = $6")
        .bind(practice_id).bind(s.pass_mark).bind(s.induction_due_days).bind(s.refresher_months)
        .bind(s.compliance_target).bind(s.reminder_days).execute(&mut *c).await.map(|_| ()))
}
