//! Where assignments are stored (`training_assignments`), with the once-only
//! claims for reminders (`training_reminders`) and the weekly round-up
//! (`training_digests`). Reads take `&Db`; writes take the caller's `Tx`. The
//! staff, department and manager lists the rules and the "assign" page need
//! are read here too (read only: `people` and `auth` own those tables).

use super::domain::{Kind, ReminderKind};
use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{CampaignId, PracticeId, StaffId};
use crate::{with_db, with_tx};

/// One module for one person to do.
#[derive(Debug, Clone)]
pub struct NewAssignment<'a> {
    pub staff_id: StaffId,
    pub module: &'a str,
    pub kind: Kind,
    pub reason: &'a str,
    /// The exercise a follow-up belongs to.
    pub campaign_id: Option<CampaignId>,
    pub assigned_at: i64,
    pub due_at: Option<i64>,
}

/// Whether the person already has this module to do.
pub async fn has_open(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
) -> Result<bool, sqlx::Error> {
    let open: Option<i64> = with_tx!(tx, c => sqlx::query_scalar(
        "SELECT id FROM training_assignments WHERE practice_id = $1 AND staff_id = $2 AND module = $3 AND completed_at IS NULL")
        .bind(practice_id).bind(staff_id).bind(module).fetch_optional(&mut *c).await)?;
    Ok(open.is_some())
}

/// Whether the person completed this module after `since`: a module done
/// within the refresher interval needs no induction assignment.
pub async fn completed_since(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
    since: i64,
) -> Result<bool, sqlx::Error> {
    let done: Option<i64> = with_tx!(tx, c => sqlx::query_scalar(
        "SELECT id FROM training_completions WHERE practice_id = $1 AND staff_id = $2 AND module = $3 AND completed_at > $4 LIMIT 1")
        .bind(practice_id).bind(staff_id).bind(module).bind(since).fetch_optional(&mut *c).await)?;
    Ok(done.is_some())
}

/// Adds an assignment; returns whether it was added. A rule's assignment
/// (induction, refresher) that another node added a moment ago is left as it
/// is (one open per person and module, a unique index).
pub async fn insert(
    tx: &mut Tx,
    practice_id: PracticeId,
    a: &NewAssignment<'_>,
) -> Result<bool, sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO training_assignments (practice_id, staff_id, module, reason, kind, campaign_id, assigned_at, due_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING")
        .bind(practice_id).bind(a.staff_id).bind(a.module).bind(a.reason).bind(a.kind)
        .bind(a.campaign_id).bind(a.assigned_at).bind(a.due_at)
        .execute(&mut *c).await.map(|r| r.rows_affected() == 1))
}

/// Removes an exercise's follow-up for one person, unless it is done.
pub async fn delete_open_follow_up(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    campaign_id: CampaignId,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "DELETE FROM training_assignments WHERE practice_id = $1 AND staff_id = $2 AND campaign_id = $3 AND completed_at IS NULL")
        .bind(practice_id).bind(staff_id).bind(campaign_id).execute(&mut *c).await.map(|_| ()))
}

/// Marks the person's open assignments for a module done.
pub async fn complete_open(
    tx: &mut Tx,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE training_assignments SET completed_at = $1 WHERE practice_id = $2 AND staff_id = $3 AND module = $4 AND completed_at IS NULL")
        .bind(now).bind(practice_id).bind(staff_id).bind(module).execute(&mut *c).await.map(|_| ()))
}

pub struct OpenAssignment {
    pub module: String,
    pub reason: String,
    pub due_at: Option<i64>,
    /// For an exercise's follow-up: the email's subject and when it came.
    pub lure_subject: Option<String>,
    pub lure_sent_at: Option<i64>,
}

named_row!(OpenAssignment {
    module,
    reason,
    due_at,
    lure_subject,
    lure_sent_at
});

/// A person's assignments still to do, soonest due first.
pub async fn open_for(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
) -> Result<Vec<OpenAssignment>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT a.module, a.reason, a.due_at, t.subject AS lure_subject, r.sent_at AS lure_sent_at \
         FROM training_assignments a LEFT JOIN campaigns c ON c.id = a.campaign_id AND c.practice_id = a.practice_id \
         LEFT JOIN sim_templates t ON t.id = c.template_id \
         LEFT JOIN campaign_recipients r ON r.campaign_id = a.campaign_id AND r.staff_id = a.staff_id \
         WHERE a.practice_id = $1 AND a.staff_id = $2 AND a.completed_at IS NULL ORDER BY a.due_at, a.id")
        .bind(practice_id).bind(staff_id).fetch_all(p).await)
}

// ---- What the rules read ----------------------------------------------------------

pub struct Practice {
    pub id: PracticeId,
    pub name: String,
}

named_row!(Practice { id, name });

pub async fn practices(db: &Db) -> Result<Vec<Practice>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as("SELECT id, name FROM practices ORDER BY id").fetch_all(p).await)
}

/// Someone on the staff list, with what decides their curriculum and induction.
pub struct StaffMember {
    pub staff_id: StaffId,
    pub job_role: String,
    pub employment_type: String,
    pub start_date: Option<String>,
    pub created_at: i64,
}

named_row!(StaffMember {
    staff_id,
    job_role,
    employment_type,
    start_date,
    created_at
});

/// Current staff with a start date who have never had induction assigned.
pub async fn without_induction(
    db: &Db,
    practice_id: PracticeId,
) -> Result<Vec<StaffMember>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT s.id AS staff_id, s.job_role, s.employment_type, s.start_date, s.created_at FROM staff s \
         WHERE s.practice_id = $1 AND s.active AND s.start_date IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM training_assignments a WHERE a.practice_id = s.practice_id AND a.staff_id = s.id AND a.kind = $2)")
        .bind(practice_id).bind(Kind::Induction).fetch_all(p).await)
}

/// A person's latest completion of a module.
pub struct LastCompletion {
    pub staff_id: StaffId,
    pub module: String,
    pub last: i64,
}

named_row!(LastCompletion {
    staff_id,
    module,
    last
});

/// Current staff's latest completion of each module, where that was at or
/// before `until` and nothing has been assigned for the module since.
pub async fn last_completions_without_refresher(
    db: &Db,
    practice_id: PracticeId,
    until: i64,
) -> Result<Vec<LastCompletion>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT g.staff_id, g.module, g.last FROM (SELECT c.staff_id, c.module, MAX(c.completed_at) AS last \
         FROM training_completions c JOIN staff s ON s.id = c.staff_id AND s.practice_id = c.practice_id AND s.active \
         WHERE c.practice_id = $1 GROUP BY c.staff_id, c.module) g \
         WHERE g.last <= $2 AND NOT EXISTS (SELECT 1 FROM training_assignments a \
           WHERE a.practice_id = $1 AND a.staff_id = g.staff_id AND a.module = g.module AND a.assigned_at > g.last)")
        .bind(practice_id).bind(until).fetch_all(p).await)
}

/// An open assignment whose reminder is due, with whom to send it to.
pub struct ReminderDue {
    pub assignment_id: i64,
    pub staff_id: StaffId,
    pub module: String,
    pub due_at: i64,
    pub full_name: String,
    pub email: String,
}

named_row!(ReminderDue {
    assignment_id,
    staff_id,
    module,
    due_at,
    full_name,
    email
});

/// Current staff's open assignments due by `soon` that have not had the
/// reminder they are due at `now` (due soon, or overdue once past due).
pub async fn reminders_due(
    db: &Db,
    practice_id: PracticeId,
    soon: i64,
    now: i64,
) -> Result<Vec<ReminderDue>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT a.id AS assignment_id, a.staff_id, a.module, a.due_at, st.full_name, st.email FROM training_assignments a \
         JOIN staff st ON st.id = a.staff_id AND st.practice_id = a.practice_id AND st.active \
         WHERE a.practice_id = $1 AND a.completed_at IS NULL AND a.due_at IS NOT NULL AND a.due_at <= $2 \
         AND NOT EXISTS (SELECT 1 FROM training_reminders r WHERE r.assignment_id = a.id \
           AND r.kind = CASE WHEN a.due_at < $3 THEN $4 ELSE $5 END)")
        .bind(practice_id).bind(soon).bind(now).bind(ReminderKind::Overdue).bind(ReminderKind::DueSoon)
        .fetch_all(p).await)
}

/// Claims a reminder; false if it has been sent already (by this node or another).
pub async fn claim_reminder(
    tx: &mut Tx,
    assignment_id: i64,
    kind: ReminderKind,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let claimed = with_tx!(tx, c => sqlx::query(
        "INSERT INTO training_reminders (assignment_id, kind, sent_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(assignment_id).bind(kind).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(claimed == 1)
}

pub async fn round_up_sent(
    db: &Db,
    practice_id: PracticeId,
    week: &str,
) -> Result<bool, sqlx::Error> {
    let sent: Option<i64> = with_db!(db, p => sqlx::query_scalar(
        "SELECT sent_at FROM training_digests WHERE practice_id = $1 AND week = $2")
        .bind(practice_id).bind(week).fetch_optional(p).await)?;
    Ok(sent.is_some())
}

/// Claims the week's round-up; false if another node got there first.
pub async fn claim_round_up(
    tx: &mut Tx,
    practice_id: PracticeId,
    week: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let claimed = with_tx!(tx, c => sqlx::query(
        "INSERT INTO training_digests (practice_id, week, sent_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(practice_id).bind(week).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(claimed == 1)
}

/// The practice's active managers' email addresses.
pub async fn manager_emails(db: &Db, practice_id: PracticeId) -> Result<Vec<String>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT email FROM users WHERE practice_id = $1 AND role = 'manager' AND active")
        .bind(practice_id).fetch_all(p).await)
}

/// How many modules the practice's staff completed after `since`.
pub async fn completions_after(
    db: &Db,
    practice_id: PracticeId,
    since: i64,
) -> Result<i64, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM training_completions WHERE practice_id = $1 AND completed_at > $2")
        .bind(practice_id).bind(since).fetch_one(p).await)
}

// ---- What the "assign training" page reads ------------------------------------------

/// A department or person to choose on the page.
pub struct Choice {
    pub id: i64,
    pub name: String,
}

named_row!(Choice { id, name });

pub async fn departments(db: &Db, practice_id: PracticeId) -> Result<Vec<Choice>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, name FROM departments WHERE practice_id = $1 ORDER BY name")
        .bind(practice_id).fetch_all(p).await)
}

pub async fn current_staff(db: &Db, practice_id: PracticeId) -> Result<Vec<Choice>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, full_name AS name FROM staff WHERE practice_id = $1 AND active ORDER BY full_name")
        .bind(practice_id).fetch_all(p).await)
}

/// Someone to assign to, with what decides their role's curriculum.
pub struct Assignee {
    pub id: StaffId,
    pub job_role: String,
    pub employment_type: String,
}

named_row!(Assignee {
    id,
    job_role,
    employment_type
});

/// Current staff, everyone or one department's.
pub async fn assignees(
    db: &Db,
    practice_id: PracticeId,
    department_id: Option<i64>,
) -> Result<Vec<Assignee>, sqlx::Error> {
    match department_id {
        None => with_db!(db, p => sqlx::query_as(
            "SELECT id, job_role, employment_type FROM staff WHERE practice_id = $1 AND active")
            .bind(practice_id).fetch_all(p).await),
        Some(d) => with_db!(db, p => sqlx::query_as(
            "SELECT id, job_role, employment_type FROM staff WHERE practice_id = $1 AND active AND department_id = $2")
            .bind(practice_id).bind(d).fetch_all(p).await),
    }
}

/// One new starter's induction: modules given, modules done, the last done
/// and the earliest due.
pub struct InductionRow {
    pub staff_id: StaffId,
    pub modules: i64,
    pub done: i64,
    pub last_done: Option<i64>,
    pub first_due: Option<i64>,
}

named_row!(InductionRow {
    staff_id,
    modules,
    done,
    last_done,
    first_due
});

/// The inductions of current staff given since `since`, one row a person.
pub async fn inductions_since(
    db: &Db,
    practice_id: PracticeId,
    since: i64,
) -> Result<Vec<InductionRow>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT a.staff_id, COUNT(*) AS modules, SUM(CASE WHEN a.completed_at IS NULL THEN 0 ELSE 1 END) AS done, \
                MAX(a.completed_at) AS last_done, MIN(a.due_at) AS first_due \
         FROM training_assignments a JOIN staff s ON s.id = a.staff_id AND s.practice_id = a.practice_id AND s.active \
         WHERE a.practice_id = $1 AND a.kind = $2 AND a.assigned_at >= $3 GROUP BY a.staff_id")
        .bind(practice_id).bind(Kind::Induction).bind(since).fetch_all(p).await)
}
