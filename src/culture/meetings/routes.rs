//! Handlers: the meetings list and record form, a meeting's briefing, and
//! marking an action done. The practice manager's.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::domain::{self, MeetingForm, MeetingKind};
use super::repo;
use super::views::{BriefingPage, MeetingsPage};
use crate::auth::audit::{self, Action};
use crate::auth::ManagerScope;
use crate::culture::library;
use crate::culture::reports::domain::start_of;
use crate::shared::AppState;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};

async fn list_page(
    state: &AppState,
    scope: &ManagerScope,
    form: MeetingForm,
    errors: FieldErrors,
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
    })
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
    let practice = scope.practice_id();
    let meeting = repo::find(&state.db, practice, meeting_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let held = domain::parse_iso(&meeting.held_on).ok_or(AppError::NotFound)?;
    let previous = repo::previous(&state.db, practice, &meeting).await?;
    let prev_date = previous
        .as_ref()
        .and_then(|p| domain::parse_iso(&p.held_on));
    // Since the day after the last meeting (or 3 months, the first time), up to the end of this one's day.
    let from_date = match prev_date {
        Some(d) => d.next_day().unwrap_or(d),
        None => crate::ukclock::add_months(held, -3),
    };
    let range = (
        start_of(from_date),
        start_of(held.next_day().unwrap_or(held)),
    );
    let reports = crate::culture::reports::repo::times(&state.db, practice, None, range)
        .await?
        .len() as i64;
    let drills =
        crate::culture::drills::repo::outcome_counts(&state.db, practice, None, range).await?;
    render(BriefingPage {
        page: Page::for_user("Cyber minute briefing", scope.user()),
        since: domain::uk(from_date),
        reports,
        drills,
        actions: repo::open_actions(&state.db, practice).await?,
        tip: library::tip(&meeting.tip_id),
        threat: library::threat(&meeting.threat_id),
        meeting,
    })
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
