//! Where incidents are stored: `incidents`, their log (`incident_log`), the
//! checklist actions people ticked (`incident_checks`) and the lessons
//! learned (`incident_lessons`).

use super::domain::{Check, Incident, IncidentStatus, Lesson, LogEntry, Summary};
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::resilience::ids::{IncidentId, PlanId};
use crate::resilience::plan_content::Step;
use crate::{with_db, with_tx};

pub async fn find(
    db: &Db,
    scope: &PracticeScope,
    id: IncidentId,
) -> Result<Option<Incident>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, plan_id, title, declared_at, declared_by, aware_at, personal_data, likelihood, severity, ico_reported_at, status, review, checklist \
         FROM incidents WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_optional(p).await)
}

/// The newest 200 incidents, newest first.
pub async fn recent(db: &Db, scope: &PracticeScope) -> Result<Vec<Summary>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, title, declared_at, status FROM incidents WHERE practice_id = $1 ORDER BY declared_at DESC LIMIT 200")
        .bind(scope.practice_id()).fetch_all(p).await)
}

/// What declaring an incident stores.
pub struct Declared<'a> {
    pub plan_id: PlanId,
    pub title: &'a str,
    pub aware_at: i64,
    pub personal_data: bool,
    pub checklist: &'a [(String, Step)],
}

/// Declares an incident, open, by the scope's user.
pub async fn insert(
    tx: &mut Tx,
    scope: &PracticeScope,
    d: &Declared<'_>,
    now: i64,
) -> Result<IncidentId, sqlx::Error> {
    let checklist =
        serde_json::to_string(d.checklist).map_err(|e| sqlx::Error::Encode(e.into()))?;
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO incidents (practice_id, plan_id, title, declared_at, declared_by, aware_at, personal_data, status, checklist) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(scope.practice_id()).bind(d.plan_id).bind(d.title).bind(now).bind(&scope.user().full_name)
        .bind(d.aware_at).bind(d.personal_data).bind(IncidentStatus::Open).bind(&checklist)
        .fetch_one(&mut *c).await)
}

/// Writes a line to the incident's log, by the scope's user.
pub async fn add_log(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: IncidentId,
    text: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO incident_log (incident_id, practice_id, at, author, text) VALUES ($1, $2, $3, $4, $5)")
        .bind(id).bind(scope.practice_id()).bind(at).bind(&scope.user().full_name).bind(text)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The log, newest first.
pub async fn log(
    db: &Db,
    scope: &PracticeScope,
    id: IncidentId,
) -> Result<Vec<LogEntry>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT at, author, text FROM incident_log WHERE incident_id = $1 AND practice_id = $2 ORDER BY at DESC, id DESC")
        .bind(id).bind(scope.practice_id()).fetch_all(p).await)
}

/// The checklist actions ticked so far.
pub async fn checks(
    db: &Db,
    scope: &PracticeScope,
    id: IncidentId,
) -> Result<Vec<Check>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT item, done_at, done_by FROM incident_checks WHERE incident_id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_all(p).await)
}

/// Ticks checklist action `item` for the scope's user; false if it already was.
pub async fn tick(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: IncidentId,
    item: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, c => sqlx::query(
        "INSERT INTO incident_checks (incident_id, practice_id, item, done_at, done_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
        .bind(id).bind(scope.practice_id()).bind(item).bind(now).bind(&scope.user().full_name)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Unticks checklist action `item`; false if it was not ticked.
pub async fn untick(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: IncidentId,
    item: i64,
) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, c => sqlx::query(
        "DELETE FROM incident_checks WHERE incident_id = $1 AND practice_id = $2 AND item = $3")
        .bind(id).bind(scope.practice_id()).bind(item).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The DSPT test's grades, and whether personal data is involved.
pub async fn assess(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: IncidentId,
    likelihood: i64,
    severity: i64,
    personal_data: bool,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE incidents SET likelihood = $1, severity = $2, personal_data = $3 WHERE id = $4 AND practice_id = $5")
        .bind(likelihood).bind(severity).bind(personal_data).bind(id).bind(scope.practice_id())
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The incident was reported to the ICO at `now` (the first report counts).
pub async fn reported(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: IncidentId,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE incidents SET ico_reported_at = $1 WHERE id = $2 AND practice_id = $3 AND ico_reported_at IS NULL")
        .bind(now).bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Closes the incident with its review.
pub async fn close(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: IncidentId,
    review: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE incidents SET status = $1, closed_at = $2, review = $3 WHERE id = $4 AND practice_id = $5")
        .bind(IncidentStatus::Closed).bind(now).bind(review).bind(id).bind(scope.practice_id())
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The lessons learned, in the order they were added.
pub async fn lessons(
    db: &Db,
    scope: &PracticeScope,
    id: IncidentId,
) -> Result<Vec<Lesson>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT text, outcome FROM incident_lessons WHERE incident_id = $1 AND practice_id = $2 ORDER BY id")
        .bind(id).bind(scope.practice_id()).fetch_all(p).await)
}

/// Adds a lesson learned, by the scope's user, with what became of it.
pub async fn add_lesson(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: IncidentId,
    lesson: &Lesson,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO incident_lessons (incident_id, practice_id, text, outcome, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id).bind(scope.practice_id()).bind(&lesson.text).bind(&lesson.outcome).bind(now).bind(&scope.user().full_name)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// An incident as the DSPT's incident log lists it: dates, kinds and
/// outcomes, never the title, log or review text (which may name patients).
pub struct Logged {
    pub id: IncidentId,
    pub template: String,
    pub declared_at: i64,
    pub aware_at: i64,
    pub personal_data: bool,
    pub likelihood: Option<i64>,
    pub severity: Option<i64>,
    pub ico_reported_at: Option<i64>,
    pub status: IncidentStatus,
    pub closed_at: Option<i64>,
    pub reviewed: bool,
    pub lessons: i64,
}

crate::resilience::sql::from_row!(Logged, r => Ok(Logged {
    id: r.try_get("id")?,
    template: r.try_get("template")?,
    declared_at: r.try_get("declared_at")?,
    aware_at: r.try_get("aware_at")?,
    personal_data: r.try_get("personal_data")?,
    likelihood: r.try_get("likelihood")?,
    severity: r.try_get("severity")?,
    ico_reported_at: r.try_get("ico_reported_at")?,
    status: r.try_get("status")?,
    closed_at: r.try_get("closed_at")?,
    reviewed: r.try_get("reviewed")?,
    lessons: r.try_get("lessons")?,
}));

/// Every incident declared since `since`, oldest first, for the DSPT.
pub async fn logged_since(
    db: &Db,
    scope: &PracticeScope,
    since: i64,
) -> Result<Vec<Logged>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT i.id, pl.template, i.declared_at, i.aware_at, i.personal_data, i.likelihood, i.severity, i.ico_reported_at, i.status, i.closed_at, \
                (i.review IS NOT NULL AND i.review <> '') AS reviewed, \
                (SELECT COUNT(*) FROM incident_lessons l WHERE l.incident_id = i.id AND l.practice_id = i.practice_id) AS lessons \
         FROM incidents i JOIN plans pl ON pl.id = i.plan_id AND pl.practice_id = i.practice_id \
         WHERE i.practice_id = $1 AND i.declared_at >= $2 ORDER BY i.declared_at, i.id")
        .bind(scope.practice_id()).bind(since).fetch_all(p).await)
}

// ---- Reports of incidents and near misses from any member of staff ----------------

/// A report as written, with who wrote it.
pub struct NewReport<'a> {
    pub reporter_id: crate::shared::UserId,
    pub reporter_name: &'a str,
    pub staff_id: Option<crate::shared::StaffId>,
    pub department_id: Option<i64>,
    pub what: &'a str,
    pub happened: &'a str,
    pub done_already: &'a str,
}

pub async fn insert_report(
    tx: &mut Tx,
    scope: &PracticeScope,
    r: &NewReport<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO incident_reports (practice_id, reporter_id, reporter_name, staff_id, department_id, what, happened, done_already, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(scope.practice_id()).bind(r.reporter_id).bind(r.reporter_name).bind(r.staff_id)
        .bind(r.department_id).bind(r.what).bind(r.happened).bind(r.done_already).bind(now)
        .fetch_one(&mut *c).await)
}

const REPORT: &str = "SELECT r.id, r.reporter_name, d.name AS department, r.what, r.happened, r.done_already, r.created_at \
    FROM incident_reports r LEFT JOIN departments d ON d.id = r.department_id";

/// The reports one person made, newest first.
pub async fn reports_by(
    db: &Db,
    scope: &PracticeScope,
    reporter_id: crate::shared::UserId,
) -> Result<Vec<super::reports::Report>, sqlx::Error> {
    let sql = format!("{REPORT} WHERE r.practice_id = $1 AND r.reporter_id = $2 ORDER BY r.created_at DESC, r.id DESC LIMIT 50");
    with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).bind(reporter_id).fetch_all(p).await)
}

/// The practice's reports, newest first; one department's when given.
pub async fn reports(
    db: &Db,
    scope: &PracticeScope,
    department_id: Option<i64>,
    limit: i64,
) -> Result<Vec<super::reports::Report>, sqlx::Error> {
    let sql = format!(
        "{REPORT} WHERE r.practice_id = $1 AND ($2 = 0 OR r.department_id = $2) ORDER BY r.created_at DESC, r.id DESC LIMIT $3"
    );
    with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).bind(department_id.unwrap_or(0)).bind(limit).fetch_all(p).await)
}
