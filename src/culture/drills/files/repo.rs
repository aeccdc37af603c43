//! Storage for `drill_links`. The only place its SQL lives.

use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{PracticeId, UserId};
use crate::{with_db, with_tx};

pub struct NewLink<'a> {
    pub drill_id: &'a str,
    pub kind: &'a str,
    pub place: &'a str,
    pub token: &'a str,
    pub created_by: UserId,
    pub at: i64,
}

pub async fn insert(
    tx: &mut Tx,
    practice: PracticeId,
    l: &NewLink<'_>,
) -> Result<i64, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO drill_links (practice_id, drill_id, kind, place, token, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(practice).bind(l.drill_id).bind(l.kind).bind(l.place).bind(l.token).bind(l.created_by).bind(l.at)
        .fetch_one(&mut *c).await)
}

/// A file or poster and how often its address was visited.
pub struct LinkRow {
    pub id: i64,
    pub drill_id: String,
    pub place: String,
    pub token: String,
    pub created_at: i64,
    pub visits: i64,
    pub first_visit_at: Option<i64>,
    pub last_visit_at: Option<i64>,
}
named_row!(LinkRow {
    id,
    drill_id,
    place,
    token,
    created_at,
    visits,
    first_visit_at,
    last_visit_at
});

const SELECT: &str = "SELECT id, drill_id, place, token, created_at, visits, first_visit_at, last_visit_at FROM drill_links";

/// The practice's files or posters for one drill, newest first.
pub async fn for_drill(
    db: &Db,
    practice: PracticeId,
    drill_id: &str,
) -> Result<Vec<LinkRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE practice_id = $1 AND drill_id = $2 ORDER BY id DESC");
    with_db!(db, p => sqlx::query_as(&sql).bind(practice).bind(drill_id).fetch_all(p).await)
}

pub async fn find(db: &Db, practice: PracticeId, id: i64) -> Result<Option<LinkRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE practice_id = $1 AND id = $2");
    with_db!(db, p => sqlx::query_as(&sql).bind(practice).bind(id).fetch_optional(p).await)
}

/// Whose drill an address belongs to, once it has been counted.
pub struct Visited {
    pub practice_id: PracticeId,
    pub drill_id: String,
}
named_row!(Visited {
    practice_id,
    drill_id
});

/// Counts one visit to `token` in one statement (so two nodes never lose
/// one) and says whose it was; None for an address we never made.
pub async fn visit(db: &Db, token: &str, at: i64) -> Result<Option<Visited>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "UPDATE drill_links SET visits = visits + 1, first_visit_at = COALESCE(first_visit_at, $2), last_visit_at = $2 \
         WHERE token = $1 RETURNING practice_id, drill_id")
        .bind(token).bind(at).fetch_optional(p).await)
}

/// Whose an address is, without counting a visit.
pub async fn owner(db: &Db, token: &str) -> Result<Option<Visited>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as("SELECT practice_id, drill_id FROM drill_links WHERE token = $1")
        .bind(token).fetch_optional(p).await)
}
