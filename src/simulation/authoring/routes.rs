//! The practice manager's template pages: the list and the lure library,
//! the practice's lure names, the template form and its preview, importing
//! a real email, and the template's attachment (upload, remove, download).
//! Each change commits with its audit entry.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::attachments::{self, Attachment};
use super::templates::{SimTemplate, TemplateForm};
use super::views::{edit_response, form_page, ImportPage, ListPage};
use super::{email_import, repo};
use crate::auth::audit::Action;
use crate::auth::ManagerScope;
use crate::shared::AppState;
use crate::simulation::commit_audited;
use crate::simulation::ids::TemplateId;
use crate::simulation::library::{self, PracticeNames};
use crate::simulation::render::{self, Vars};
use crate::web::{render as page_render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};

/// The largest email that can be imported (real phishing emails with their
/// styling and pictures are often several hundred kilobytes).
pub const MAX_IMPORT_BYTES: usize = 2 * 1024 * 1024;
/// The import form and the template form that follows it: a form-encoded
/// email can be three times its size.
pub const FORM_LIMIT: usize = 3 * MAX_IMPORT_BYTES + 64 * 1024;

/// One of the practice's templates, or "Page not found".
async fn template(
    state: &AppState,
    scope: &ManagerScope,
    id: TemplateId,
) -> Result<SimTemplate, AppError> {
    repo::find(&state.db, scope.practice_id(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The names form on the templates page, as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct NamesForm {
    pub partner: String,
    pub pcn: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    saved: Option<String>,
}

async fn list_page(
    state: &AppState,
    scope: &ManagerScope,
    names: Option<NamesForm>,
    errors: FieldErrors,
    saved: String,
) -> Result<Html<String>, AppError> {
    let names = match names {
        Some(n) => n,
        None => {
            let n = repo::practice_names(&state.db, scope.practice_id()).await?;
            NamesForm {
                partner: n.partner,
                pcn: n.pcn,
            }
        }
    };
    page_render(ListPage {
        page: Page::for_user("Phishing email templates", scope.user()),
        templates: repo::all(&state.db, scope).await?,
        library: library::all(),
        names,
        report_link: repo::report_link_on(&state.db, scope.practice_id()).await?,
        errors,
        saved,
    })
}

pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    list_page(
        &state,
        &scope,
        None,
        FieldErrors::default(),
        q.saved.unwrap_or_default(),
    )
    .await
}

/// The report-link form on the templates page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportLinkForm {
    /// "on" to put the "Report it" link back in exercise emails.
    report_link: String,
}

/// Switches the "Report it" link in exercise emails on or off. Off (the
/// default) staff report an exercise as they would a real email.
pub async fn save_report_link(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<ReportLinkForm>,
) -> Result<Response, AppError> {
    let on = form.report_link == "on";
    let mut tx = state.db.begin().await?;
    repo::save_report_link(&mut tx, &scope, on).await?;
    commit_audited(
        tx,
        &state,
        &scope,
        &ip,
        Action::TemplateChanged,
        if on {
            "put the report link back in exercise emails"
        } else {
            "took the report link out of exercise emails"
        },
    )
    .await?;
    Ok(Redirect::to("/simulation/templates?saved=report-link#report-link").into_response())
}

/// Saves the partner and PCN names the ready-made emails use. Emails
/// already copied into the practice's templates keep the names they had.
pub async fn save_names(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<NamesForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let partner = PracticeNames::check("partner's name", &form.partner)
        .map_err(|m| errors.add("partner", m))
        .ok();
    let pcn = PracticeNames::check("PCN's name", &form.pcn)
        .map_err(|m| errors.add("pcn", m))
        .ok();
    let (Some(partner), Some(pcn)) = (partner, pcn) else {
        return Ok(list_page(&state, &scope, Some(form), errors, String::new())
            .await?
            .into_response());
    };
    let mut tx = state.db.begin().await?;
    repo::save_practice_names(&mut tx, &scope, &PracticeNames { partner, pcn }).await?;
    commit_audited(
        tx,
        &state,
        &scope,
        &ip,
        Action::TemplateChanged,
        "changed the partner and PCN names used in ready-made emails",
    )
    .await?;
    Ok(Redirect::to("/simulation/templates?saved=names#names").into_response())
}

/// Copies a lure from the library into the practice's templates.
pub async fn use_lure(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(lure_id): Path<String>,
) -> Result<Response, AppError> {
    let names = repo::practice_names(&state.db, scope.practice_id()).await?;
    let mut tx = state.db.begin().await?;
    let id = super::adopt(
        &mut tx,
        scope.practice_id(),
        &lure_id,
        &names,
        state.clock.now(),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    commit_audited(
        tx,
        &state,
        &scope,
        &ip,
        Action::TemplateChanged,
        &format!("added {lure_id} from the library"),
    )
    .await?;
    Ok(Redirect::to(&format!("/simulation/templates/{id}")).into_response())
}

pub async fn new_page(scope: ManagerScope) -> Result<Html<String>, AppError> {
    let form = TemplateForm {
        html: "<p>Dear {{ first_name }},</p>\n<p><a href=\"{{ link }}\">Open</a></p>\n{{ tracker }}\n<p><a href=\"{{ report_link }}\">Report this email</a></p>".into(),
        text: "Dear {{ first_name }},\n\n{{ link }}\n\nReport this email: {{ report_link }}\n".into(),
        landing: "credentials".into(),
        training_module: "phishing".into(),
        cues: "4".into(),
        premise: "medium".into(),
        ..Default::default()
    };
    page_render(form_page(&scope, None, form, FieldErrors::default(), None))
}

/// Saves the template form: a new template (`existing` None) or changes to
/// one, which keeps its attachment (the red flags may point at its name).
async fn save(
    state: &AppState,
    scope: &ManagerScope,
    ip: &str,
    existing: Option<SimTemplate>,
    form: TemplateForm,
) -> Result<Response, AppError> {
    let practice = crate::people::accounts::practice_name(&state.db, scope.practice_id()).await?;
    let (id, attachment) = match existing {
        Some(t) => (Some(t.id), t.attachment),
        None => (None, None),
    };
    // "Add more red flag rows": the form again with more rows, nothing saved.
    if form.more_flags == "yes" {
        let page = form_page(scope, id, form, FieldErrors::default(), attachment);
        return Ok(page_render(page)?.into_response());
    }
    let t = match form.parse(&practice, attachment.as_ref()) {
        Ok(t) => t,
        Err(errors) => {
            let page = form_page(scope, id, form, errors, attachment);
            return Ok(page_render(page)?.into_response());
        }
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let (id, verb) = match id {
        Some(id) => {
            repo::update(&mut tx, scope, id, &t, now).await?;
            (id, "changed")
        }
        None => (
            repo::insert(&mut tx, scope.practice_id(), &t, now).await?,
            "created",
        ),
    };
    let detail = format!("{verb} {}", t.name);
    commit_audited(tx, state, scope, ip, Action::TemplateChanged, &detail).await?;
    Ok(Redirect::to(&format!("/simulation/templates/{id}")).into_response())
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<TemplateForm>,
) -> Result<Response, AppError> {
    save(&state, &scope, &ip, None, form).await
}

pub async fn edit_page(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<TemplateId>,
) -> Result<Response, AppError> {
    edit_response(&scope, template(&state, &scope, id).await?, None)
}

pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<TemplateId>,
    ValidForm(form): ValidForm<TemplateForm>,
) -> Result<Response, AppError> {
    let existing = template(&state, &scope, id).await?;
    save(&state, &scope, &ip, Some(existing), form).await
}

/// The email as a sample recipient would see it. Served with a CSP sandbox so
/// nothing in the template can run or reach the app, and shown in an iframe.
pub async fn preview(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<TemplateId>,
) -> Result<Response, AppError> {
    let t = template(&state, &scope, id).await?;
    let practice = crate::people::accounts::practice_name(&state.db, scope.practice_id()).await?;
    let html = match render::render(&t.content, &Vars::sample(&practice)) {
        Ok(r) => r.html,
        Err(e) => format!("<p>{}</p>", render::html_escape(&e.message)),
    };
    Ok((
        [
            (header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"),
            (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        ],
        html,
    )
        .into_response())
}

pub async fn import_page(scope: ManagerScope) -> Result<Html<String>, AppError> {
    page_render(ImportPage {
        page: Page::for_user("Import an email", scope.user()),
        raw: String::new(),
        error: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ImportForm {
    raw: String,
}

/// Shows the imported email in the template form, not yet saved, so the
/// manager can add its red flags first.
pub async fn import(
    scope: ManagerScope,
    ValidForm(form): ValidForm<ImportForm>,
) -> Result<Html<String>, AppError> {
    if form.raw.len() > MAX_IMPORT_BYTES {
        return page_render(ImportPage {
            page: Page::for_user("Import an email", scope.user()),
            raw: String::new(),
            error: Some(format!(
                "That email is larger than {} MB. Save it without its attachments and paste it again.",
                MAX_IMPORT_BYTES / (1024 * 1024)
            )),
        });
    }
    match email_import::from_raw_email(form.raw.as_bytes()).filter(|_| !form.raw.trim().is_empty()) {
        Some(imported) => {
            let mut errors = FieldErrors::default();
            errors.add("red_flags", "Add the red flags this email shows before saving: one per line, where | words | explanation");
            let mut page = form_page(&scope, None, imported.form, errors, None);
            if imported.pictures_removed > 0 {
                let n = imported.pictures_removed;
                page.import_note = Some(format!(
                    "{n} {} taken out: {} from the sender's server, which would tell the sender who opened the email. \
                     To keep the first (often a logo), save the template, then attach the picture (.png, .jpg or .gif) below: \
                     it appears where {{{{ picture }}}} is in the email body.",
                    if n == 1 { "picture was" } else { "pictures were" },
                    if n == 1 { "it loads" } else { "they load" },
                ));
            }
            page_render(page)
        }
        None => page_render(ImportPage {
            page: Page::for_user("Import an email", scope.user()),
            raw: form.raw,
            error: Some("That does not look like an email's source. In Outlook use File → Save As (.eml) or View source, and paste all of it.".into()),
        }),
    }
}

fn attachment_anchor(id: TemplateId) -> Response {
    Redirect::to(&format!("/simulation/templates/{id}#attachment")).into_response()
}

/// Adds or replaces a template's attachment from the edit page's upload form.
pub async fn upload_attachment(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<TemplateId>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    // Another practice's template is "not found" whatever was sent with the request.
    let t = template(&state, &scope, id).await?;
    let multipart = multipart.map_err(|_| {
        AppError::BadRequest(
            "The upload could not be read. Choose the file again and retry.".into(),
        )
    })?;
    let practice = crate::people::accounts::practice_name(&state.db, scope.practice_id()).await?;
    let too_large = || {
        format!(
            "The file is larger than {} MB. An exercise's attachment only has to look real: save a shorter version, or a PDF of the first page.",
            attachments::MAX_BYTES / (1024 * 1024)
        )
    };
    let checked = match crate::web::upload::read_upload(
        multipart,
        "file",
        attachments::MAX_BYTES,
        "",
    )
    .await
    {
        Ok(Ok((name, bytes))) => Attachment::check(&name, bytes, &practice),
        Ok(Err(problem)) => Err(problem),
        Err(AppError::TooLarge(_)) => Err(too_large()),
        Err(e) => return Err(e),
    };
    let a = match checked {
        Ok(a) => a,
        Err(problem) => return edit_response(&scope, t, Some(problem)),
    };
    let missing = attachments::flags_missing_from(&t.red_flags, Some(&a.meta.file_name));
    if let Some(marker) = missing.first() {
        let problem = format!(
            "A red flag points at \"{marker}\" in the attachment's name, and {:?} does not contain it. Change that red flag first, or rename the file.",
            a.meta.file_name
        );
        return edit_response(&scope, t, Some(problem));
    }
    let mut tx = state.db.begin().await?;
    repo::store_attachment(&mut tx, scope.practice_id(), id, &a, state.clock.now()).await?;
    let detail = format!("attached {} to {}", a.meta.file_name, t.name);
    commit_audited(tx, &state, &scope, &ip, Action::TemplateChanged, &detail).await?;
    Ok(attachment_anchor(id))
}

pub async fn remove_attachment(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<TemplateId>,
) -> Result<Response, AppError> {
    let t = template(&state, &scope, id).await?;
    let Some(current) = t.attachment.clone() else {
        return Ok(attachment_anchor(id));
    };
    if let Some(marker) = attachments::flags_missing_from(&t.red_flags, None).first() {
        let problem = format!(
            "A red flag points at \"{marker}\" in the attachment's name. Remove or change that red flag first, then remove the attachment."
        );
        return edit_response(&scope, t, Some(problem));
    }
    let mut tx = state.db.begin().await?;
    repo::delete_attachment(&mut tx, scope.practice_id(), id).await?;
    let detail = format!(
        "removed the attachment {} from {}",
        current.file_name, t.name
    );
    commit_audited(tx, &state, &scope, &ip, Action::TemplateChanged, &detail).await?;
    Ok(attachment_anchor(id))
}

/// The file as uploaded, for the manager to check. Always a download, never
/// shown inside the app, so a web page attachment cannot act as an app page.
pub async fn download_attachment(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<TemplateId>,
) -> Result<Response, AppError> {
    let a = repo::load_attachment(&state.db, scope.practice_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ascii: String = a
        .meta
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        url::form_urlencoded::byte_serialize(a.meta.file_name.as_bytes()).collect::<String>()
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_SECURITY_POLICY, "sandbox".to_string()),
        ],
        a.data,
    )
        .into_response())
}
