//! Public lessons for patients, by age, under `/learn` (not to be confused
//! with `my_training`, a member of staff's own modules): no account, no
//! cookies, no tracking; each printable as an A4 leaflet and a waiting-room
//! poster with a QR code back to the lesson. Content: `content/learn/`
//! (`lessons`), with Easy Read pictures (`easy_read`), laid out for paper
//! (`print`) and held to a reading level (`reading_level`).

pub mod easy_read;
pub mod lessons;
pub mod print;
pub mod reading_level;

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

pub use lessons::{lessons, KnownLesson, Lesson, SLUGS};
pub use reading_level::reading_grade;

use crate::auth::scope::MaybeSession;
use crate::shared::AppState;
use crate::web::{render, AppError, Page, Path};

/// Public pages may be cached (they hold nothing personal) so they load fast on a phone.
fn public(body: impl IntoResponse, content_type: &'static str) -> Response {
    (
        [
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::CONTENT_TYPE, content_type),
        ],
        body,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "patient_lessons/index.html")]
struct IndexPage {
    page: Page,
    lessons: &'static [Lesson],
}

/// `/learn`: the lessons, by audience.
pub async fn index() -> Result<Response, AppError> {
    let html = render(IndexPage {
        page: Page::for_patients("Staying safe online: lessons for patients"),
        lessons: lessons(),
    })?;
    Ok(public(html.0, "text/html; charset=utf-8"))
}

#[derive(Template)]
#[template(path = "patient_lessons/lesson.html")]
struct LessonPage {
    page: Page,
    l: &'static Lesson,
}

/// `/learn/{lesson}`.
pub async fn show(Path(KnownLesson(l)): Path<KnownLesson>) -> Result<Response, AppError> {
    let html = render(LessonPage {
        page: Page::for_patients(l.title.clone()),
        l,
    })?;
    Ok(public(html.0, "text/html; charset=utf-8"))
}

/// The lesson's address online, for the QR code on paper.
fn lesson_url(state: &AppState, l: &Lesson) -> String {
    format!(
        "{}/learn/{}",
        state.public_url().trim_end_matches('/'),
        l.slug
    )
}

/// The surgery a signed-in member of staff belongs to: their printouts carry
/// its name. Patients (no session) get "your GP surgery".
async fn surgery(state: &AppState, who: &MaybeSession) -> Result<Option<String>, AppError> {
    match who.0.as_ref().and_then(|u| u.practice_id) {
        Some(id) => Ok(crate::people::repo::practices::name(&state.db, id).await?),
        None => Ok(None),
    }
}

/// A printout: one with a surgery's name is that surgery's, so it is not
/// kept in shared caches.
fn printout(pdf: Vec<u8>, named: bool) -> Response {
    if named {
        (
            [
                (header::CACHE_CONTROL, "private, no-store"),
                (header::CONTENT_TYPE, "application/pdf"),
            ],
            pdf,
        )
            .into_response()
    } else {
        public(pdf, "application/pdf")
    }
}

/// `/learn/{lesson}/leaflet.pdf`.
pub async fn leaflet(
    State(state): State<AppState>,
    who: MaybeSession,
    Path(KnownLesson(l)): Path<KnownLesson>,
) -> Result<Response, AppError> {
    let surgery = surgery(&state, &who).await?;
    let pdf = print::leaflet(l, &lesson_url(&state, l), surgery.as_deref());
    Ok(printout(pdf, surgery.is_some()))
}

/// `/learn/{lesson}/poster.pdf`.
pub async fn poster(
    State(state): State<AppState>,
    who: MaybeSession,
    Path(KnownLesson(l)): Path<KnownLesson>,
) -> Result<Response, AppError> {
    let surgery = surgery(&state, &who).await?;
    let pdf = print::poster(l, &lesson_url(&state, l), surgery.as_deref());
    Ok(printout(pdf, surgery.is_some()))
}
