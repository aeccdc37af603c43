//! Storage for `meetings` and `meeting_actions`. The only place their SQL lives.

use super::domain::Checked;
use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{PracticeId, UserId};
use crate::{with_db, with_tx};

pub async fn insert(
    tx: &mut Tx,
    practice: PracticeId,
    m: &Checked,
    tip_id: &str,
    by: UserId,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let held_on = m.held_on.to_string();
    let id: i64 = with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO meetings (practice_id, held_on, kind, attendees, notes, tip_id, threat_id, threat_own, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
        .bind(practice).bind(&held_on).bind(m.kind.as_str()).bind(m.attendees).bind(&m.notes)
        .bind(tip_id).bind(&m.threat_id).bind(&m.threat_own).bind(by).bind(now).fetch_one(&mut *c).await)?;
    if let Some(a) = &m.action {
        with_tx!(tx, c => sqlx::query(
            "INSERT INTO meeting_actions (practice_id, meeting_id, what, owner, due_on) VALUES ($1, $2, $3, $4, $5)")
            .bind(practice).bind(id).bind(&a.what).bind(&a.owner).bind(a.due_on.to_string())
            .execute(&mut *c).await.map(|_| ()))?;
    }
    Ok(id)
}

/// How many meetings the practice has recorded (the tip rotation's position).
pub async fn count(tx: &mut Tx, practice: PracticeId) -> Result<i64, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM meetings WHERE practice_id = $1")
        .bind(practice).fetch_one(&mut *c).await)
}

pub struct Meeting {
    pub id: i64,
    pub held_on: String,
    pub kind: String,
    pub attendees: i64,
    pub notes: String,
    pub tip_id: String,
    pub threat_id: String,
    /// The manager's own words about a current threat ("" if none).
    pub threat_own: String,
    pub created_at: i64,
}
named_row!(Meeting {
    id,
    held_on,
    kind,
    attendees,
    notes,
    tip_id,
    threat_id,
    threat_own,
    created_at
});

const SELECT: &str =
    "SELECT id, held_on, kind, attendees, notes, tip_id, threat_id, threat_own, created_at FROM meetings";

pub async fn find(db: &Db, practice: PracticeId, id: i64) -> Result<Option<Meeting>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE id = $1 AND practice_id = $2");
    with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(practice).fetch_optional(p).await)
}

/// Meetings held from `from` to `to` (ISO dates, both included), newest first.
pub async fn between(
    db: &Db,
    practice: PracticeId,
    from: &str,
    to: &str,
) -> Result<Vec<Meeting>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE practice_id = $1 AND held_on >= $2 AND held_on <= $3 ORDER BY held_on DESC, id DESC"
    );
    with_db!(db, p => sqlx::query_as(&sql).bind(practice).bind(from).bind(to).fetch_all(p).await)
}

/// The meeting recorded before this one (by date, then id), for "since the last meeting".
pub async fn previous(
    db: &Db,
    practice: PracticeId,
    m: &Meeting,
) -> Result<Option<Meeting>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE practice_id = $1 AND (held_on < $2 OR (held_on = $2 AND id < $3)) ORDER BY held_on DESC, id DESC LIMIT 1"
    );
    with_db!(db, p => sqlx::query_as(&sql).bind(practice).bind(&m.held_on).bind(m.id).fetch_optional(p).await)
}

pub struct Action {
    pub id: i64,
    pub meeting_id: i64,
    pub what: String,
    pub owner: String,
    pub due_on: String,
    pub done_at: Option<i64>,
}
named_row!(Action {
    id,
    meeting_id,
    what,
    owner,
    due_on,
    done_at
});

/// Actions still open, oldest due first: they carry forward to every briefing.
pub async fn open_actions(db: &Db, practice: PracticeId) -> Result<Vec<Action>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, meeting_id, what, owner, due_on, done_at FROM meeting_actions WHERE practice_id = $1 AND done_at IS NULL ORDER BY due_on, id")
        .bind(practice).fetch_all(p).await)
}

/// False if the practice has no such open action.
pub async fn mark_done(
    tx: &mut Tx,
    practice: PracticeId,
    id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, c => sqlx::query(
        "UPDATE meeting_actions SET done_at = $1 WHERE id = $2 AND practice_id = $3 AND done_at IS NULL")
        .bind(now).bind(id).bind(practice).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}
