//! Handlers: the page for a USB or QR-poster drill, making a file or poster
//! for one place, and downloading it again.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::print;
use super::repo::{self, NewLink};
use super::views::{FilesPage, PlaceForm, OTHER};
use super::PLACE_MAX;
use crate::auth::audit::Action;
use crate::culture::library::{self, Drill, DrillKind};
use crate::culture::scope::CultureScope;
use crate::shared::AppState;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};

fn find_drill(id: &str) -> Result<&'static Drill, AppError> {
    library::drill(id)
        .filter(|d| matches!(d.kind, DrillKind::UsbDrop | DrillKind::QrPoster))
        .ok_or(AppError::NotFound)
}

fn places(drill: &Drill) -> Vec<String> {
    match (&drill.usb, &drill.poster) {
        (Some(u), _) => u.places.clone(),
        (None, Some(p)) => p.places.clone(),
        _ => Vec::new(),
    }
}

async fn files_page(
    state: &AppState,
    scope: &CultureScope,
    drill: &'static Drill,
    form: PlaceForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    render(FilesPage {
        page: Page::for_user(drill.title.clone(), scope.user()),
        drill,
        links: repo::for_drill(&state.db, scope.practice_id(), &drill.id).await?,
        places: places(drill),
        form,
        errors,
    })
}

pub async fn page(
    State(state): State<AppState>,
    scope: CultureScope,
    Path(drill_id): Path<String>,
) -> Result<Html<String>, AppError> {
    let drill = find_drill(&drill_id)?;
    files_page(
        &state,
        &scope,
        drill,
        PlaceForm::default(),
        FieldErrors::default(),
    )
    .await
}

/// The place the form names, or what to fix.
fn checked_place(drill: &Drill, f: &PlaceForm) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::default();
    let place = if f.place == OTHER {
        let p = f.other_place.trim();
        if p.is_empty() {
            errors.add(
                "other_place",
                "Say where it will go, for example \"staff room noticeboard\"",
            );
        } else if p.chars().count() > PLACE_MAX {
            errors.add(
                "other_place",
                format!("Use {PLACE_MAX} characters or fewer for the place"),
            );
        } else if p.chars().any(char::is_control) {
            errors.add("other_place", "Write the place on one line");
        }
        p.to_string()
    } else if places(drill).contains(&f.place) {
        f.place.clone()
    } else {
        errors.add("place", "Choose where it will go");
        String::new()
    };
    if errors.is_empty() {
        Ok(place)
    } else {
        Err(errors)
    }
}

pub async fn make(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: CultureScope,
    Path(drill_id): Path<String>,
    ValidForm(form): ValidForm<PlaceForm>,
) -> Result<Response, AppError> {
    let drill = find_drill(&drill_id)?;
    let place = match checked_place(drill, &form) {
        Ok(p) => p,
        Err(errors) => {
            return Ok(files_page(&state, &scope, drill, form, errors)
                .await?
                .into_response())
        }
    };
    let now = state.clock.now();
    let token = super::new_token();
    let mut tx = state.db.begin().await?;
    let link = NewLink {
        drill_id: &drill.id,
        kind: drill.kind.as_str(),
        place: &place,
        token: &token,
        created_by: scope.user().user_id,
        at: now,
    };
    let id = repo::insert(&mut tx, scope.practice_id(), &link).await?;
    let what = if drill.kind == DrillKind::UsbDrop {
        "USB file"
    } else {
        "QR poster"
    };
    let detail = format!("made a {what} for drill \"{}\" ({place})", drill.title);
    crate::auth::audit::record_by(&mut tx, &scope, &ip, Action::CultureChanged, &detail, now)
        .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/culture/drills/files/{}#made-{id}", drill.id)).into_response())
}

pub async fn download(
    State(state): State<AppState>,
    scope: CultureScope,
    Path((drill_id, link_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let drill = find_drill(&drill_id)?;
    let link = repo::find(&state.db, scope.practice_id(), link_id)
        .await?
        .filter(|l| l.drill_id == drill.id)
        .ok_or(AppError::NotFound)?;
    let url = format!(
        "{}/d/{}",
        state.settings.sim_public_url.trim_end_matches('/'),
        link.token
    );
    if drill.kind == DrillKind::UsbDrop {
        let (name, bytes) = print::usb_file(drill, &url).ok_or(AppError::NotFound)?;
        return Ok(crate::web::download::attachment(
            &name,
            "text/html; charset=utf-8",
            bytes,
        ));
    }
    let pdf = print::poster(drill, &url, &link.place).ok_or(AppError::NotFound)?;
    Ok(crate::training::compliance::pdf_response(
        pdf,
        &format!("poster-{}.pdf", link.id),
    ))
}
