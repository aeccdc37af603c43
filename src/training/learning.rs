//! A member of staff taking a module: their training page, the lesson a page
//! at a time with progress saved, and the reading time counted for CPD.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::assignments::{self, Open};
use super::content::{catalogue, module_title, Module};
use crate::auth::PracticeScope;
use crate::db::Db;
use crate::shared::{AppState, PracticeId, StaffId};
use crate::ukclock;
use crate::web::{render, AppError, Page, Path, ValidForm};
use crate::with_db;

/// Reading time is counted between page turns, but a gap longer than this
/// (the lesson left open over lunch) counts as this much.
const MAX_PAGE_SECONDS: i64 = 10 * 60;

pub struct Completion {
    pub id: i64,
    pub title: String,
    pub date: String,
    pub minutes: i64,
    pub score: String,
}

pub struct ModuleStatus {
    pub slug: &'static str,
    pub title: String,
    pub minutes: u32,
    pub summary: String,
    pub status: &'static str,
}

pub struct Record {
    pub open: Vec<Open>,
    pub completions: Vec<Completion>,
    pub modules: Vec<ModuleStatus>,
    pub years: Vec<i32>,
    /// NHS appraisal years (April to March) with completions, newest first.
    pub appraisal_years: Vec<super::cpd::Period>,
}

pub async fn record(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    now: i64,
) -> Result<Record, sqlx::Error> {
    let open = assignments::open_for(db, practice_id, staff_id, now).await?;
    let rows: Vec<(i64, String, i64, i64, i64, i64)> = with_db!(db, p => sqlx::query_as(
        "SELECT id, module, completed_at, seconds, score, total FROM training_completions \
         WHERE practice_id = $1 AND staff_id = $2 ORDER BY completed_at DESC")
        .bind(practice_id).bind(staff_id).fetch_all(p).await)?;
    let progress: Vec<(String,)> = with_db!(db, p => sqlx::query_as(
        "SELECT module FROM training_progress WHERE practice_id = $1 AND staff_id = $2")
        .bind(practice_id).bind(staff_id).fetch_all(p).await)?;
    let mut years: Vec<i32> = rows
        .iter()
        .map(|r| ukclock::local_date(r.2).year())
        .collect();
    years.dedup();
    let mut appraisal_years: Vec<super::cpd::Period> = rows
        .iter()
        .map(|r| super::cpd::Period::appraisal_year_of(ukclock::local_date(r.2)))
        .map(super::cpd::Period::Appraisal)
        .collect();
    appraisal_years.dedup();
    let modules = catalogue()
        .modules
        .iter()
        .map(|m| ModuleStatus {
            slug: m.slug,
            title: m.title.clone(),
            minutes: m.minutes,
            summary: m.summary.clone(),
            status: if open.iter().any(|o| o.module == m.slug) {
                "To do"
            } else if rows.iter().any(|r| r.1 == m.slug) {
                "Completed"
            } else if progress.iter().any(|p| p.0 == m.slug) {
                "Started"
            } else {
                "Not started"
            },
        })
        .collect();
    Ok(Record {
        open,
        completions: rows
            .into_iter()
            .map(|(id, module, at, seconds, score, total)| Completion {
                id,
                title: module_title(&module).to_string(),
                date: ukclock::local_date(at).to_string(),
                minutes: (seconds + 59) / 60,
                score: format!("{score} of {total}"),
            })
            .collect(),
        modules,
        years,
        appraisal_years,
    })
}

fn staff_id(scope: &PracticeScope) -> Result<StaffId, AppError> {
    scope.user().staff_id.ok_or(AppError::Forbidden(
        "training is for people on the practice's staff list; ask your practice manager to link your account to your staff record",
    ))
}

#[derive(Template)]
#[template(path = "training/mine.html")]
struct MinePage {
    page: Page,
    record: Record,
    is_manager: bool,
    staff_id: i64,
}

pub async fn mine(
    State(state): State<AppState>,
    scope: PracticeScope,
) -> Result<Html<String>, AppError> {
    let is_manager = scope.role() == crate::auth::Role::Manager;
    let record = match scope.user().staff_id {
        Some(id) => record(&state.db, scope.practice_id(), id, state.clock.now()).await?,
        None => Record {
            open: Vec::new(),
            completions: Vec::new(),
            modules: Vec::new(),
            years: Vec::new(),
            appraisal_years: Vec::new(),
        },
    };
    render(MinePage {
        page: Page::for_user("Your training", scope.user()),
        record,
        is_manager,
        staff_id: scope.user().staff_id.map_or(0, StaffId::get),
    })
}

fn find(slug: &str) -> Result<&'static Module, AppError> {
    catalogue().module(slug).ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "training/module.html")]
struct ModulePage {
    page: Page,
    m: &'static Module,
    section: Option<i64>,
    pass_mark: i64,
}

pub async fn overview(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(module): Path<String>,
) -> Result<Html<String>, AppError> {
    let m = find(&module)?;
    let section = match scope.user().staff_id {
        Some(id) => {
            let row: Option<(i64,)> = with_db!(&state.db, p => sqlx::query_as(
                "SELECT section FROM training_progress WHERE practice_id = $1 AND staff_id = $2 AND module = $3")
                .bind(scope.practice_id()).bind(id).bind(m.slug).fetch_optional(p).await)?;
            row.map(|r| r.0)
        }
        None => None,
    };
    let pass_mark = super::settings::load(&state.db, scope.practice_id())
        .await?
        .pass_mark;
    render(ModulePage {
        page: Page::for_user(m.title.clone(), scope.user()),
        m,
        section,
        pass_mark,
    })
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<usize>,
}

impl PageQuery {
    pub fn page(n: usize) -> Self {
        Self { page: Some(n) }
    }
}

#[derive(Template)]
#[template(path = "training/lesson.html")]
struct LessonPage {
    page: Page,
    m: &'static Module,
    number: usize,
    total: usize,
    heading: String,
    html: String,
}

pub async fn lesson(
    State(_state): State<AppState>,
    scope: PracticeScope,
    Path(module): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>, AppError> {
    let m = find(&module)?;
    let total = m.sections.len();
    let number = q.page.unwrap_or(1).clamp(1, total);
    let s = &m.sections[number - 1];
    render(LessonPage {
        page: Page::for_user(format!("{} ({number} of {total})", m.title), scope.user()),
        m,
        number,
        total,
        heading: s.heading.clone(),
        html: s.html.clone(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TurnForm {
    page: String,
}

/// Starts the lesson or turns its page: saves where the person is and adds the
/// reading time since their last step.
pub async fn turn(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(module): Path<String>,
    ValidForm(form): ValidForm<TurnForm>,
) -> Result<Response, AppError> {
    let m = find(&module)?;
    let staff = staff_id(&scope)?;
    let total = m.sections.len() as i64;
    // 0 means "start": the page just read otherwise.
    let read: i64 = form
        .page
        .trim()
        .parse()
        .ok()
        .filter(|n| (0..=total).contains(n))
        .ok_or_else(|| {
            AppError::BadRequest(
                "That page is not part of this lesson. Go back to the lesson and use its buttons."
                    .into(),
            )
        })?;
    let now = state.clock.now();
    let row: Option<(i64, i64)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT section, last_seen FROM training_progress WHERE practice_id = $1 AND staff_id = $2 AND module = $3")
        .bind(scope.practice_id()).bind(staff).bind(m.slug).fetch_optional(p).await)?;
    match row {
        None => {
            with_db!(&state.db, p => sqlx::query(
                "INSERT INTO training_progress (practice_id, staff_id, module, section, seconds, started_at, last_seen) VALUES ($1, $2, $3, $4, 0, $5, $5) \
                 ON CONFLICT DO NOTHING")
                .bind(scope.practice_id()).bind(staff).bind(m.slug).bind(read).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        }
        Some((section, last_seen)) => {
            let spent = if read == 0 {
                0
            } else {
                (now - last_seen).clamp(0, MAX_PAGE_SECONDS)
            };
            with_db!(&state.db, p => sqlx::query(
                "UPDATE training_progress SET section = $1, seconds = seconds + $2, last_seen = $3 \
                 WHERE practice_id = $4 AND staff_id = $5 AND module = $6")
                .bind(section.max(read)).bind(spent).bind(now).bind(scope.practice_id()).bind(staff).bind(m.slug)
                .execute(p).await.map(|r| r.rows_affected()))?;
        }
    }
    let next = if read == 0 {
        row.map(|(section, _)| (section + 1).clamp(1, total))
            .unwrap_or(1)
    } else {
        read + 1
    };
    if next > total {
        return Ok(Redirect::to(&format!("/training/modules/{}/quiz", m.slug)).into_response());
    }
    Ok(Redirect::to(&format!("/training/modules/{}/lesson?page={next}", m.slug)).into_response())
}

/// Reading time recorded for a module so far, in seconds.
pub async fn reading_seconds(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
) -> Result<i64, sqlx::Error> {
    let row: Option<(i64,)> = with_db!(db, p => sqlx::query_as(
        "SELECT seconds FROM training_progress WHERE practice_id = $1 AND staff_id = $2 AND module = $3")
        .bind(practice_id).bind(staff_id).bind(module).fetch_optional(p).await)?;
    Ok(row.map(|r| r.0).unwrap_or(0))
}

/// Starting again after a completion counts reading time afresh.
pub async fn reset_reading(
    db: &Db,
    practice_id: PracticeId,
    staff_id: StaffId,
    module: &str,
) -> Result<(), sqlx::Error> {
    with_db!(db, p => sqlx::query(
        "DELETE FROM training_progress WHERE practice_id = $1 AND staff_id = $2 AND module = $3")
        .bind(practice_id).bind(staff_id).bind(module).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub(super) fn require_staff(scope: &PracticeScope) -> Result<StaffId, AppError> {
    staff_id(scope)
}
