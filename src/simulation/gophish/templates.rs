//! GoPhish templates: GoPhish's JSON in and out, mapped onto the
//! practice's own templates. Its fields (`{{.FirstName}}`) become ours, its
//! HTML is cleaned of anything live, every email gets a report link, and an
//! attachment is checked as an upload is.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::convert;
use super::json::{body, commit_audited, date, ok, ApiResult, Resource, Saving};
use super::{ApiError, ApiPath as Path, ApiScope};
use crate::auth::audit::Action;
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::shared::AppState;
use crate::simulation::authoring::attachments::{self, Attachment};
use crate::simulation::authoring::repo;
use crate::simulation::authoring::SimTemplate;
use crate::simulation::ids::TemplateId;
use crate::simulation::library::{Landing, PremiseAlignment};
use crate::simulation::render::{self, Content, Vars};
use crate::simulation::sanitise;
use crate::simulation::sending;
use crate::web::ClientIp;

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct TemplateIn {
    pub name: String,
    subject: String,
    text: String,
    html: String,
    attachments: Vec<AttachmentIn>,
}

/// GoPhish's attachment: the file base64-encoded. Its `type` is not trusted:
/// the kind comes from the name and is checked against the contents.
// Serialize: the description shows the empty default.
#[derive(Deserialize, serde::Serialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct AttachmentIn {
    name: String,
    content: String,
}

/// Text attachments are templates in both tools, so their markers are translated too.
fn attachment_json(a: &Attachment) -> Value {
    use base64::Engine as _;
    let content = match a.source() {
        Some(text) => convert::to_gophish(text).into_bytes(),
        None => a.data.clone(),
    };
    json!({
        "name": a.meta.file_name,
        "type": a.meta.kind.content_type(),
        "content": base64::engine::general_purpose::STANDARD.encode(content),
    })
}

pub async fn template_json(db: &Db, scope: &PracticeScope, t: &SimTemplate) -> ApiResult<Value> {
    let modified = repo::updated_at(db, scope, t.id).await?;
    let attachments = match &t.attachment {
        Some(_) => repo::load_attachment(db, scope.practice_id(), t.id)
            .await?
            .map(|a| vec![attachment_json(&a)])
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(json!({
        "id": t.id,
        "name": t.name,
        "subject": convert::to_gophish(&t.content.subject),
        "text": convert::to_gophish(&t.content.text),
        "html": convert::to_gophish(&t.content.html),
        "modified_date": date(modified),
        "attachments": attachments,
        "envelope_sender": "",
    }))
}

/// The one attachment a GoPhish template may carry here, checked as an upload is.
pub fn attachment_from(t: &TemplateIn, practice: &str) -> ApiResult<Option<Attachment>> {
    use base64::Engine as _;
    let Some(a) = t.attachments.first() else {
        return Ok(None);
    };
    if t.attachments.len() > 1 {
        return Err(ApiError::Bad(
            "Safety Net sends one attachment per email: keep the one the lesson needs".into(),
        ));
    }
    let problem = |p: String| ApiError::Bad(format!("Attachment {:?}: {p}", a.name));
    let mut data = base64::engine::general_purpose::STANDARD
        .decode(a.content.trim())
        .map_err(|_| problem("its content is not base64".into()))?;
    let name = attachments::clean_file_name(&a.name);
    if attachments::FileKind::for_name(&name).is_ok_and(|k| k.templated()) {
        if let Ok(text) = std::str::from_utf8(&data) {
            data = convert::from_gophish(text).map_err(problem)?.into_bytes();
        }
    }
    Attachment::check(&name, data, practice)
        .map(Some)
        .map_err(problem)
}

/// Our template for a GoPhish one; `existing` keeps what GoPhish does not
/// carry (sender, red flags, landing, training) when one is updated.
pub fn template_from(
    t: &TemplateIn,
    existing: Option<SimTemplate>,
    practice: &str,
) -> ApiResult<SimTemplate> {
    let name = t.name.trim();
    if name.is_empty() {
        return Err(ApiError::Bad("Template name not specified".into()));
    }
    if t.html.trim().is_empty() && t.text.trim().is_empty() {
        return Err(ApiError::Bad(
            "Need to specify at least plaintext or HTML content".into(),
        ));
    }
    let field = |label: &str, s: &str| {
        convert::from_gophish(s).map_err(|e| ApiError::Bad(format!("The {label}: {e}")))
    };
    let subject = field("subject", &t.subject)?;
    let text = field("text", &t.text)?;
    let html = if t.html.trim().is_empty() {
        format!(
            "<p>{}</p>",
            render::html_escape(&t.text).replace('\n', "<br>")
        )
    } else {
        t.html.clone()
    };
    let mut html = sanitise::template_source(&field("HTML", &html)?)
        .map_err(|e| ApiError::Bad(format!("The HTML: {e}")))?;
    let mut text = text;
    // Reporting is what the exercise teaches first, so every email offers it
    // (GoPhish has no field for it), as imported emails do.
    if !html.contains("report_link") {
        let footer = "<p style=\"font-size:12px;color:#666\">Not expecting this email? <a href=\"{{ report_link }}\">Report it</a></p>";
        html = match html.to_ascii_lowercase().rfind("</body>") {
            Some(i) => format!("{}{footer}{}", &html[..i], &html[i..]),
            None => format!("{html}{footer}"),
        };
    }
    if !text.trim().is_empty() && !text.contains("report_link") {
        text = format!(
            "{}\n\nNot expecting this email? Report it: {{{{ report_link }}}}\n",
            text.trim_end()
        );
    }
    let mut out = existing.unwrap_or(SimTemplate {
        id: TemplateId::new(0),
        name: String::new(),
        library_id: None,
        content: Content {
            from_name: String::new(),
            from_address: String::new(),
            subject: String::new(),
            html: String::new(),
            text: String::new(),
        },
        landing: Landing::Credentials,
        training_module: "phishing".into(),
        cues: 0,
        premise: PremiseAlignment::Medium,
        red_flags: Vec::new(),
        attachment: None,
    });
    out.name = name.to_string();
    out.content.subject = subject;
    out.content.text = text;
    out.content.html = html;
    render::render(&out.content, &Vars::sample(practice))
        .map_err(|e| ApiError::Bad(format!("The template's {}: {}", e.field, e.message)))?;
    Ok(out)
}

async fn find(db: &Db, scope: &PracticeScope, id: TemplateId) -> ApiResult<SimTemplate> {
    repo::find(db, scope.practice_id(), id)
        .await?
        .ok_or(ApiError::NotFound("Template not found"))
}

pub async fn templates(State(state): State<AppState>, scope: ApiScope) -> ApiResult {
    let mut out = Vec::new();
    for t in repo::all(&state.db, &scope).await? {
        out.push(template_json(&state.db, &scope, &t).await?);
    }
    Ok(Json(out).into_response())
}

pub async fn template(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<TemplateId>,
) -> ApiResult {
    let t = find(&state.db, &scope, id).await?;
    Ok(Json(template_json(&state.db, &scope, &t).await?).into_response())
}

/// Checks a GoPhish template and stores it in the caller's transaction (new
/// when `saving` is `New`; GoPhish replaces a whole template, attachments
/// included); returns its id.
pub async fn write(
    tx: &mut Tx,
    db: &Db,
    scope: &PracticeScope,
    saving: Saving<TemplateId>,
    t: &TemplateIn,
    now: i64,
) -> ApiResult<TemplateId> {
    let practice = crate::people::accounts::practice_name(db, scope.practice_id()).await?;
    let existing = match saving.id() {
        Some(id) => Some(find(db, scope, id).await?),
        None => None,
    };
    let ours = template_from(t, existing, &practice)?;
    let attachment = attachment_from(t, &practice)?;
    if let Saving::Existing(_) = saving {
        let name = attachment.as_ref().map(|a| a.meta.file_name.as_str());
        if let Some(marker) = attachments::flags_missing_from(&ours.red_flags, name).first() {
            return Err(ApiError::Bad(format!(
                "A red flag of this template points at \"{marker}\" in the attachment's name: keep an attachment whose name contains it, or change the red flag in Safety Net first"
            )));
        }
    }
    if repo::name_taken(db, scope, &ours.name, saving.id()).await? {
        return Err(ApiError::Conflict("Template name already in use".into()));
    }
    let practice_id = scope.practice_id();
    let id = match saving {
        Saving::New => repo::insert(tx, practice_id, &ours, now).await?,
        Saving::Existing(id) => {
            repo::update_wording(tx, scope, id, &ours, now).await?;
            id
        }
    };
    match &attachment {
        Some(a) => repo::store_attachment(tx, practice_id, id, a, now).await?,
        None if saving.id().is_some() => repo::delete_attachment(tx, practice_id, id).await?,
        None => {}
    }
    Ok(id)
}

/// POST /api/templates and PUT /api/templates/{id}.
async fn save(
    state: &AppState,
    scope: &ApiScope,
    ip: &str,
    saving: Saving<TemplateId>,
    bytes: &Bytes,
) -> ApiResult {
    if let Some(id) = saving.id() {
        find(&state.db, scope, id).await?;
    }
    let t: TemplateIn = body(bytes)?;
    let mut tx = state.db.begin().await?;
    let id = write(&mut tx, &state.db, scope, saving, &t, state.clock.now()).await?;
    let detail = format!("{} template {}", saving.verb(), t.name.trim());
    commit_audited(tx, state, scope, ip, Action::TemplateChanged, &detail).await?;
    let saved = find(&state.db, scope, id).await?;
    Ok(saving.answer(template_json(&state.db, scope, &saved).await?))
}

/// POST and PUT (see `json::Resource`).
pub struct Templates;

impl Resource for Templates {
    type Id = TemplateId;

    fn save<'a>(
        state: &'a AppState,
        scope: &'a ApiScope,
        ip: &'a str,
        saving: Saving<TemplateId>,
        bytes: &'a Bytes,
    ) -> impl std::future::Future<Output = ApiResult> + Send + 'a {
        save(state, scope, ip, saving, bytes)
    }
}

pub async fn delete_template(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    Path(id): Path<TemplateId>,
) -> ApiResult {
    let t = find(&state.db, &scope, id).await?;
    if sending::repo::uses_template(&state.db, id).await? {
        return Err(ApiError::Bad(
            "This template belongs to an exercise's record, so it cannot be deleted".into(),
        ));
    }
    let mut tx = state.db.begin().await?;
    repo::delete(&mut tx, &scope, id).await?;
    let detail = format!("deleted template {}", t.name);
    commit_audited(tx, &state, &scope, &ip, Action::TemplateChanged, &detail).await?;
    Ok(ok("Template deleted successfully!"))
}
