//! The ICB's view (operators): every practice's DSPT readiness as figures
//! (items ready, out of date, missing; mandatory items missing stand out;
//! never a person), a document uploaded once for many practices (an ICB
//! statement covering items for every practice it supports), and loading a
//! new year's toolkit file.

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::response::{Html, IntoResponse, Response};

use super::documents::domain::{Document, MAX_BYTES};
use super::documents::repo as documents;
use super::documents::routes::Typed;
use super::ids::DocumentId;
use super::in_use;
use super::repo::{self, Readiness};
use super::toolkit::{Item, MAX_FILE_BYTES};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::OperatorScope;
use crate::resilience::dates::{numeric, uk_date};
use crate::shared::{AppState, PracticeId};
use crate::web::upload::{read_form, read_upload};
use crate::web::{render, AppError, ClientIp, FieldErrors, Notice, Page, Path};

const NOTICES: &[(&str, &str)] = &[
    ("uploaded", "Document uploaded for the practices you chose. It counts for them until the date you gave."),
    ("withdrawn", "Document withdrawn from every practice."),
    ("toolkit", "The new toolkit file is loaded and applies to every practice."),
];

impl Readiness {
    /// "30 ready, 5 out of date, 10 missing".
    pub fn line(&self) -> String {
        format!(
            "{} ready, {} out of date, {} missing",
            self.ready, self.out_of_date, self.missing
        )
    }

    pub fn worked_out(&self) -> String {
        crate::ukclock::format(self.worked_out_at)
    }
}

/// A practice's line in the operator's readiness table.
pub struct PracticeLine {
    pub id: PracticeId,
    pub name: String,
    pub readiness: Option<Readiness>,
}

/// Every practice's readiness, keyed by practice, for the operator's lists.
pub async fn readiness_by_practice(
    db: &crate::db::Db,
) -> Result<std::collections::HashMap<PracticeId, Readiness>, sqlx::Error> {
    Ok(repo::all_readiness(db)
        .await?
        .into_iter()
        .map(|r| (r.practice_id, r))
        .collect())
}

#[derive(Template)]
#[template(path = "dspt/operator.html")]
struct OperatorPage {
    page: Page,
    toolkit: String,
    practices: Vec<PracticeLine>,
    documents: Vec<Document>,
    items: Vec<Item>,
    typed: Typed,
    chosen: Vec<String>,
    all_chosen: bool,
    errors: FieldErrors,
    toolkit_error: Option<String>,
    today: time::Date,
}

impl OperatorPage {
    fn chosen(&self, id: &PracticeId) -> bool {
        self.chosen.iter().any(|c| *c == id.to_string())
    }
}

struct Shown {
    typed: Typed,
    chosen: Vec<String>,
    all_chosen: bool,
    errors: FieldErrors,
    toolkit_error: Option<String>,
}

impl Default for Shown {
    fn default() -> Self {
        Self {
            typed: Typed::default(),
            chosen: Vec::new(),
            all_chosen: true,
            errors: FieldErrors::default(),
            toolkit_error: None,
        }
    }
}

async fn page(
    state: &AppState,
    user: &crate::auth::SessionUser,
    shown: Shown,
    notice: Option<String>,
) -> Result<Html<String>, AppError> {
    let toolkit = in_use::toolkit(&state.db).await?;
    let today = uk_date(state.clock.now());
    let mut readiness = readiness_by_practice(&state.db).await?;
    let practices = documents::practices(&state.db)
        .await?
        .into_iter()
        .map(|(id, name)| PracticeLine {
            readiness: readiness.remove(&id),
            id,
            name,
        })
        .collect();
    let mut typed = shown.typed;
    if typed.expires_on.is_empty() && shown.errors.is_empty() {
        typed.expires_on = numeric(crate::ukclock::add_months(today, 12));
    }
    render(OperatorPage {
        page: Page::for_user("DSPT readiness", user).with_notice(notice),
        toolkit: toolkit.name(),
        practices,
        documents: documents::operator_documents(&state.db).await?,
        items: toolkit.items.clone(),
        typed,
        chosen: shown.chosen,
        all_chosen: shown.all_chosen,
        errors: shown.errors,
        toolkit_error: shown.toolkit_error,
        today,
    })
}

/// `/operator/dspt`.
pub async fn show(
    State(state): State<AppState>,
    operator: OperatorScope,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    page(
        &state,
        operator.user(),
        Shown::default(),
        notice.say(NOTICES),
    )
    .await
}

/// A document for many practices: checked like a practice's, stored once.
pub async fn upload(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    operator: OperatorScope,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let user = operator.into_user();
    let multipart = multipart.map_err(|_| {
        AppError::BadRequest(
            "The upload could not be read. Choose the file again and retry.".into(),
        )
    })?;
    let form = match read_form(multipart, "file", MAX_BYTES, "").await {
        Ok(Ok(f)) => f,
        Ok(Err(problem)) | Err(AppError::TooLarge(problem)) => {
            let mut errors = FieldErrors::default();
            errors.add("file", problem);
            let shown = Shown {
                errors,
                ..Shown::default()
            };
            return Ok(page(&state, &user, shown, None).await?.into_response());
        }
        Err(e) => return Err(e),
    };
    let now = state.clock.now();
    let toolkit = in_use::toolkit(&state.db).await?;
    let every: Vec<PracticeId> = documents::practices(&state.db)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let all_chosen = form.get("all_practices") == "yes";
    let chosen: Vec<PracticeId> = if all_chosen {
        every.clone()
    } else {
        let picked = form.all("practices");
        every
            .iter()
            .copied()
            .filter(|id| picked.contains(&id.to_string().as_str()))
            .collect()
    };
    let checked = super::documents::check(&form, &toolkit, uk_date(now));
    let mut errors = match &checked {
        Ok(_) => FieldErrors::default(),
        Err(e) => e.clone(),
    };
    if chosen.is_empty() {
        errors.add(
            "practices",
            "Choose the practices the document covers, or tick every practice",
        );
    }
    let checked = match checked {
        Ok(c) if errors.is_empty() => c,
        _ => {
            let shown = Shown {
                typed: Typed::of(&form),
                chosen: form
                    .all("practices")
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                all_chosen,
                errors,
                toolkit_error: None,
            };
            return Ok(page(&state, &user, shown, None).await?.into_response());
        }
    };
    let mut tx = state.db.begin().await?;
    super::documents::store(
        &mut tx,
        None,
        &checked,
        &chosen,
        &format!("{} (operator)", user.full_name),
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        None,
        &Actor::user(&user, &ip),
        Action::DsptChanged,
        &format!(
            "uploaded {} ({}) as evidence for {} at {} practices",
            checked.details.title,
            checked.file_name,
            checked.details.items.join(", "),
            chosen.len()
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::redirect("/operator/dspt", "uploaded").into_response())
}

pub async fn download(
    State(state): State<AppState>,
    _operator: OperatorScope,
    Path(id): Path<DocumentId>,
) -> Result<Response, AppError> {
    let f = documents::operator_file(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(super::documents::download(f))
}

pub async fn withdraw(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    operator: OperatorScope,
    Path(id): Path<DocumentId>,
) -> Result<Response, AppError> {
    let user = operator.into_user();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !documents::withdraw_operator(&mut tx, id, now).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut tx,
        None,
        &Actor::user(&user, &ip),
        Action::DsptChanged,
        &format!("withdrew the ICB's evidence document {id} from every practice"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::redirect("/operator/dspt", "withdrawn").into_response())
}

/// Loads a new year's toolkit file for every practice.
pub async fn load_toolkit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    operator: OperatorScope,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let user = operator.into_user();
    let multipart = multipart.map_err(|_| {
        AppError::BadRequest(
            "The upload could not be read. Choose the file again and retry.".into(),
        )
    })?;
    let refused = |problem: String| Shown {
        toolkit_error: Some(problem),
        ..Shown::default()
    };
    let (name, bytes) =
        match read_upload(multipart, "toolkit", MAX_FILE_BYTES, "toolkit.toml").await {
            Ok(Ok(f)) => f,
            Ok(Err(problem)) | Err(AppError::TooLarge(problem)) => {
                return Ok(page(&state, &user, refused(problem), None)
                    .await?
                    .into_response())
            }
            Err(e) => return Err(e),
        };
    let now = state.clock.now();
    let current = in_use::toolkit(&state.db).await?;
    let mut tx = state.db.begin().await?;
    let t = match in_use::load(&mut tx, &current, &bytes, &name, &user.email, now).await? {
        Ok(t) => t,
        Err(problem) => {
            drop(tx);
            return Ok(page(&state, &user, refused(problem), None)
                .await?
                .into_response());
        }
    };
    audit::record(
        &mut tx,
        None,
        &Actor::user(&user, &ip),
        Action::DsptChanged,
        &format!("loaded {} ({} items) from {name}", t.name(), t.items.len()),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::redirect("/operator/dspt", "toolkit").into_response())
}
