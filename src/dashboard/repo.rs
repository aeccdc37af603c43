//! The dashboard's own small aggregate queries, where no capability has a
//! function that counts what a tile needs. Every query is one practice's and
//! reads counts kept up to date (an exercise's totals) or an index range,
//! never raw events.

use crate::db::row::named_row;
use crate::db::Db;
use crate::shared::{CampaignId, PracticeId};
use crate::with_db;

/// An exercise's totals, from the counts kept on `campaigns` (or, for one
/// run elsewhere such as NHS England's service, on `external_exercises`).
pub struct ExerciseTotals {
    /// None for an exercise run elsewhere.
    pub id: Option<CampaignId>,
    pub name: String,
    pub launch_at: i64,
    pub sent: i64,
    pub clicked: i64,
    pub reported: i64,
}
named_row!(ExerciseTotals {
    id,
    name,
    launch_at,
    sent,
    clicked,
    reported
});

/// The practice's latest exercises that reached anyone since `since`, newest
/// first: its own (not cancelled) and those run elsewhere, which count the same.
pub async fn recent_exercises(
    db: &Db,
    practice: PracticeId,
    since: i64,
    limit: i64,
) -> Result<Vec<ExerciseTotals>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, name, launch_at, sent, clicked, reported FROM ( \
           SELECT id, name, launch_at, CAST(sent AS BIGINT) AS sent, CAST(clicked AS BIGINT) AS clicked, \
                  CAST(reported AS BIGINT) AS reported, id AS tie FROM campaigns \
           WHERE practice_id = $1 AND sent > 0 AND status <> 'cancelled' AND launch_at >= $2 \
           UNION ALL \
           SELECT NULL, name, starts_at, CAST(sent AS BIGINT), CAST(clicked AS BIGINT), CAST(reported AS BIGINT), -id \
           FROM external_exercises WHERE practice_id = $1 AND sent > 0 AND starts_at >= $2 \
         ) x ORDER BY launch_at DESC, tie DESC LIMIT $3")
        .bind(practice).bind(since).bind(limit).fetch_all(p).await)
}

/// Reports per department in `[from, to)` (department None: staff in none).
pub async fn reports_by_department(
    db: &Db,
    practice: PracticeId,
    (from, to): (i64, i64),
) -> Result<Vec<(Option<i64>, i64)>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT department_id, COUNT(*) FROM suspicious_reports \
         WHERE practice_id = $1 AND reported_at >= $2 AND reported_at < $3 GROUP BY department_id")
        .bind(practice).bind(from).bind(to).fetch_all(p).await)
}

/// Plans: how many, how many approved, and how many due a review by
/// `review_by` (ISO date) or past it.
pub struct PlanCounts {
    pub total: i64,
    pub approved: i64,
    pub review_due: i64,
}
named_row!(PlanCounts {
    total,
    approved,
    review_due
});

pub async fn plan_counts(
    db: &Db,
    practice: PracticeId,
    review_by: &str,
) -> Result<PlanCounts, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT COUNT(*) AS total, \
                COALESCE(SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END), 0) AS approved, \
                COALESCE(SUM(CASE WHEN review_on IS NOT NULL AND review_on <= $2 THEN 1 ELSE 0 END), 0) AS review_due \
         FROM plans WHERE practice_id = $1")
        .bind(practice).bind(review_by).fetch_one(p).await)
}

/// The latest completed tabletop exercise's date and the next planned one's
/// on or after `today` (ISO dates).
pub async fn exercise_dates(
    db: &Db,
    practice: PracticeId,
    today: &str,
) -> Result<(Option<String>, Option<String>), sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT (SELECT MAX(run_on) FROM exercises WHERE practice_id = $1 AND status = 'done'), \
                (SELECT MIN(run_on) FROM exercises WHERE practice_id = $1 AND status = 'planned' AND run_on >= $2)")
        .bind(practice).bind(today).fetch_one(p).await)
}
