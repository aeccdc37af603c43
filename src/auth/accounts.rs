//! Changes other capabilities make to accounts, through `auth` (which owns
//! `users` and `sessions`): closing a leaver's account and opening it again.
//! Each runs in the caller's transaction, beside the change that causes it.
//! (`people::accounts` still writes `users` itself; part 2 of issue 11 moves
//! those writes here.)

use crate::db::Tx;
use crate::shared::{PracticeId, StaffId};
use crate::with_tx;

/// Closes the account of a member of staff who has left, and ends any open
/// session at once.
pub async fn close_for_leaver(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE users SET active = FALSE WHERE staff_id = $1 AND practice_id = $2")
            .bind(staff_id).bind(practice_id).execute(&mut *c).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE staff_id = $1 AND practice_id = $2)")
            .bind(staff_id).bind(practice_id).execute(&mut *c).await?;
    });
    Ok(())
}

/// Opens the account again for someone who has come back.
pub async fn reopen_for_returner(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("UPDATE users SET active = TRUE WHERE staff_id = $1 AND practice_id = $2")
        .bind(staff_id).bind(practice_id).execute(&mut *c).await.map(|_| ()))
}
