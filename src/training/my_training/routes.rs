//! The pages a member of staff takes training on: their training page, a
//! module's overview, the lesson a page at a time, and password practice.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::domain::{next_step, reading_time, Next};
use super::{record, repo, require_staff, Record};
use crate::auth::{PracticeScope, Role};
use crate::shared::{AppState, StaffId};
use crate::training::content::{KnownModule, Module};
use crate::training::settings;
use crate::web::{render, AppError, Page, Path, ValidForm};

#[derive(Template)]
#[template(path = "training/mine.html")]
struct MinePage {
    page: Page,
    record: Record,
    is_manager: bool,
    staff_id: i64,
}

/// `/training`: what the person has to do, has done, and every module.
pub async fn mine(
    State(state): State<AppState>,
    scope: PracticeScope,
) -> Result<Html<String>, AppError> {
    let record = match scope.user().staff_id {
        Some(id) => record(&state.db, scope.practice_id(), id, state.clock.now()).await?,
        None => Record::default(),
    };
    render(MinePage {
        page: Page::for_user("Your training", scope.user()),
        record,
        is_manager: scope.role() == Role::Manager,
        staff_id: scope.user().staff_id.map_or(0, StaffId::get),
    })
}

#[derive(Template)]
#[template(path = "training/module.html")]
struct ModulePage {
    page: Page,
    m: &'static Module,
    section: Option<i64>,
    pass_mark: i64,
}

/// `/training/modules/{module}`: what it covers, and where the person got to.
pub async fn overview(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(KnownModule(m)): Path<KnownModule>,
) -> Result<Html<String>, AppError> {
    let section = match scope.user().staff_id {
        Some(id) => repo::section(&state.db, scope.practice_id(), id, m.slug).await?,
        None => None,
    };
    let pass_mark = settings::load(&state.db, scope.practice_id())
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

/// `/training/modules/{module}/lesson?page=N`: one page of the lesson.
pub async fn lesson(
    State(_state): State<AppState>,
    scope: PracticeScope,
    Path(KnownModule(m)): Path<KnownModule>,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>, AppError> {
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
    Path(KnownModule(m)): Path<KnownModule>,
    ValidForm(form): ValidForm<TurnForm>,
) -> Result<Response, AppError> {
    let staff = require_staff(&scope)?;
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
    let practice_id = scope.practice_id();
    let mut tx = state.db.begin().await?;
    let saved = repo::progress(&mut tx, practice_id, staff, m.slug).await?;
    match saved {
        None => repo::start(&mut tx, practice_id, staff, m.slug, read, now).await?,
        Some(p) => {
            let spent = reading_time(read, p, now);
            let furthest = p.section.max(read);
            repo::turn(&mut tx, practice_id, staff, m.slug, furthest, spent, now).await?
        }
    }
    tx.commit().await?;
    Ok(match next_step(read, saved, total) {
        Next::Quiz => Redirect::to(&format!("/training/modules/{}/quiz", m.slug)),
        Next::Page(n) => Redirect::to(&format!("/training/modules/{}/lesson?page={n}", m.slug)),
    }
    .into_response())
}

#[derive(Template)]
#[template(path = "training/password_practice.html")]
struct PasswordPracticePage {
    page: Page,
}

/// Try passwords against the same meter and deny-list the app uses; the
/// password never leaves the device.
pub async fn password_practice(scope: PracticeScope) -> Result<Html<String>, AppError> {
    let mut page = Page::for_user("Password practice", scope.user());
    page.scripts.push("/static/vendor/zxcvbn/zxcvbn.js");
    page.scripts.push("/static/js/password-verdict.js");
    page.scripts.push("/static/js/password-practice.js");
    render(PasswordPracticePage { page })
}

/// The deny-list, for the practice tool to check in the browser.
pub async fn common_passwords(_scope: PracticeScope) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        crate::auth::password::DENY_LIST,
    )
        .into_response()
}
