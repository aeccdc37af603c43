//! What the compliance view reads: current staff and their departments,
//! completions within the refresher interval, overdue assignments. Read only;
//! `staff` and `departments` belong to `people`.

use crate::db::row::named_row;
use crate::db::Db;
use crate::shared::{PracticeId, StaffId};
use crate::with_db;

pub struct StaffRow {
    pub id: StaffId,
    pub full_name: String,
    pub job_role: String,
    pub employment_type: String,
    pub department: Option<String>,
}

named_row!(StaffRow {
    id,
    full_name,
    job_role,
    employment_type,
    department
});

/// Current staff, by name.
pub async fn current_staff(db: &Db, practice_id: PracticeId) -> Result<Vec<StaffRow>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT s.id, s.full_name, s.job_role, s.employment_type, d.name AS department FROM staff s \
         LEFT JOIN departments d ON d.id = s.department_id WHERE s.practice_id = $1 AND s.active ORDER BY s.full_name")
        .bind(practice_id).fetch_all(p).await)
}

/// One person, current or not; None if not at this practice.
pub async fn staff_member(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
) -> Result<Option<StaffRow>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT s.id, s.full_name, s.job_role, s.employment_type, d.name AS department FROM staff s \
         LEFT JOIN departments d ON d.id = s.department_id WHERE s.id = $1 AND s.practice_id = $2")
        .bind(staff_id).bind(practice_id).fetch_optional(p).await)
}

pub struct Done {
    pub staff_id: StaffId,
    pub module: String,
}

named_row!(Done { staff_id, module });

/// Each (person, module) completed after `since`, once.
pub async fn completed_after(
    db: &Db,
    practice_id: PracticeId,
    since: i64,
) -> Result<Vec<Done>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT DISTINCT staff_id, module FROM training_completions WHERE practice_id = $1 AND completed_at > $2")
        .bind(practice_id).bind(since).fetch_all(p).await)
}

/// The modules one person completed after `since`.
pub async fn modules_completed_after(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    since: i64,
) -> Result<Vec<String>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT DISTINCT module FROM training_completions WHERE practice_id = $1 AND staff_id = $2 AND completed_at > $3")
        .bind(practice_id).bind(staff_id).bind(since).fetch_all(p).await)
}

pub struct OverdueRow {
    pub staff_id: StaffId,
    pub full_name: String,
    pub module: String,
    pub due_at: i64,
}

named_row!(OverdueRow {
    staff_id,
    full_name,
    module,
    due_at
});

/// Current staff's open assignments due before `now`, longest overdue first.
pub async fn overdue(
    db: &Db,
    practice_id: PracticeId,
    now: i64,
) -> Result<Vec<OverdueRow>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT a.staff_id, st.full_name, a.module, a.due_at FROM training_assignments a \
         JOIN staff st ON st.id = a.staff_id AND st.practice_id = a.practice_id AND st.active \
         WHERE a.practice_id = $1 AND a.completed_at IS NULL AND a.due_at < $2 ORDER BY a.due_at")
        .bind(practice_id).bind(now).fetch_all(p).await)
}

/// The practice's name, for printed pages.
pub async fn practice_name(db: &Db, practice_id: PracticeId) -> Result<String, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar("SELECT name FROM practices WHERE id = $1")
        .bind(practice_id).fetch_one(p).await)
}
