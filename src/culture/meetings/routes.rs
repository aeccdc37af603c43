//! Handlers: the meetings list and record form, a meeting's briefing, and
//! marking an action done. The practice manager's.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::briefing;
use super::calendar::{self, Every, SeriesForm};
use super::domain::{self, MeetingForm, MeetingKind};
use super::repo;
use super::views::MeetingsPage;
use crate::auth::audit::{self, Action};
use crate::auth::ManagerScope;
use crate::culture::library;
use crate::shared::AppState;
use crate::training::compliance::pdf_response;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};

async fn list_page(
    state: &AppState,
    scope: &ManagerScope,
    form: MeetingForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    list_page_with(
        state,
        scope,
        form,
        errors,
        series_default(state),
        FieldErrors::default(),
    )
    .await
}

async fn list_page_with(
    state: &AppState,
    scope: &ManagerScope,
    form: MeetingForm,
    errors: FieldErrors,
    series: SeriesForm,
    series_errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let practice = scope.practice_id();
    render(MeetingsPage {
        page: Page::for_user("Practice meetings: the cyber minute", scope.user()),
        meetings: repo::between(&state.db, practice, "0000-01-01", "9999-12-31").await?,
        actions: repo::open_actions(&state.db, practice).await?,
        form,
        errors,
        kinds: MeetingKind::ALL,
        threats: library::threats(),
        series,
        series_errors,
        every: Every::ALL,
    })
}

/// The series form's starting values: next week's practice meeting at lunchtime.
fn series_default(state: &AppState) -> SeriesForm {
    let today = crate::ukclock::local_date(state.clock.now());
    SeriesForm {
        series_kind: "practice".into(),
        starts: (today + time::Duration::days(7)).to_string(),
        at: "12:30".into(),
        minutes: "60".into(),
        every: "month".into(),
    }
}

/// The .ics file for a recurring meeting series, or the form with its problems named.
pub async fn series_ics(
    State(state): State<AppState>,
    scope: ManagerScope,
    Query(form): Query<SeriesForm>,
) -> Result<Response, AppError> {
    let series = match calendar::check(&form) {
        Ok(s) => s,
        Err(errors) => {
            let today = crate::ukclock::local_date(state.clock.now());
            let meeting = MeetingForm {
                held_on: today.to_string(),
                kind: "practice".into(),
                ..Default::default()
            };
            return Ok(list_page_with(
                &state,
                &scope,
                meeting,
                FieldErrors::default(),
                form,
                errors,
            )
            .await?
            .into_response());
        }
    };
    let practice = scope.practice_id();
    let name = crate::people::accounts::practice_name(&state.db, practice).await?;
    let host = state
        .public_url()
        .split("://")
        .last()
        .unwrap_or("")
        .split(['/', ':'])
        .next()
        .unwrap_or("")
        .to_string();
    let uid = format!(
        "cyber-minute-{practice}-{}-{}@{host}",
        series.kind.as_str(),
        series.starts
    );
    let now = time::OffsetDateTime::from_unix_timestamp(state.clock.now())
        .map_err(|_| AppError::NotFound)?;
    let body = calendar::ics(&series, &name, &uid, now);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.ics\"", series.kind.as_str()),
            ),
        ],
        body,
    )
        .into_response())
}

pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let today = crate::ukclock::local_date(state.clock.now());
    let form = MeetingForm {
        held_on: today.to_string(),
        kind: "practice".into(),
        ..Default::default()
    };
    list_page(&state, &scope, form, FieldErrors::default()).await
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<MeetingForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let today = crate::ukclock::local_date(now);
    let checked = match domain::check(&form, today) {
        Ok(c) => c,
        Err(errors) => {
            return Ok(list_page(&state, &scope, form, errors)
                .await?
                .into_response())
        }
    };
    let practice = scope.practice_id();
    let mut tx = state.db.begin().await?;
    // The tip rotates: every tip once before any repeats.
    let n = repo::count(&mut tx, practice).await?;
    let tip = library::library().tip_for(n as u64);
    let id = repo::insert(
        &mut tx,
        practice,
        &checked,
        &tip.id,
        scope.user().user_id,
        now,
    )
    .await?;
    let detail = format!(
        "recorded {} on {}",
        checked.kind.label(),
        domain::uk(checked.held_on)
    );
    let actor = audit::Actor::user(scope.user(), &ip);
    audit::record(
        &mut tx,
        Some(practice),
        &actor,
        Action::CultureChanged,
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/culture/meetings/{id}")).into_response())
}

pub async fn briefing(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(meeting_id): Path<i64>,
) -> Result<Html<String>, AppError> {
    render(briefing::gather(&state, &scope, meeting_id).await?)
}

/// The briefing as a PDF to print or send round before the meeting.
pub async fn briefing_pdf(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(meeting_id): Path<i64>,
) -> Result<Response, AppError> {
    let b = briefing::gather(&state, &scope, meeting_id).await?;
    let practice = crate::people::accounts::practice_name(&state.db, scope.practice_id()).await?;
    Ok(pdf_response(
        briefing::pdf(&b, &practice),
        &format!("cyber-minute-{}.pdf", b.meeting.held_on),
    ))
}

pub async fn action_done(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(action_id): Path<i64>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let practice = scope.practice_id();
    let mut tx = state.db.begin().await?;
    if !repo::mark_done(&mut tx, practice, action_id, now).await? {
        return Err(AppError::NotFound);
    }
    let actor = audit::Actor::user(scope.user(), &ip);
    let detail = format!("meeting action {action_id} done");
    audit::record(
        &mut tx,
        Some(practice),
        &actor,
        Action::CultureChanged,
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/culture/meetings").into_response())
}
