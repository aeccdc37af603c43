//! The GoPhish-compatible API's handlers: GoPhish's JSON shapes in and out,
//! mapped onto Safety Net's own templates, landing kinds, sending profiles,
//! staff and campaigns.

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

use super::convert;
use super::{ApiError, ApiPath as Path, ApiScope};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::PracticeScope;
use crate::config::SmtpSecurity;
use crate::db::Change;
use crate::db::Db;
use crate::net::outbound::Policy;
use crate::shared::{AppState, CampaignId, EmailAddress};
use crate::simulation::attachments::{self, Attachment};
use crate::simulation::campaigns::{self, Launch, Target};
use crate::simulation::library::{Landing, PremiseAlignment};
use crate::simulation::render::{self, Content, Vars};
use crate::simulation::templates::{self, landing_from, landing_key, SimTemplate};
use crate::simulation::{domains, profiles};
use crate::web::ClientIp;
use crate::{with_db, with_tx};

type ApiResult<T = Response> = Result<T, ApiError>;

fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// A date as GoPhish clients send it: RFC 3339, or without a zone (taken as UTC).
fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.unix_timestamp());
    }
    let naive = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    time::PrimitiveDateTime::parse(s, naive)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

fn body<T: DeserializeOwned>(bytes: &Bytes) -> ApiResult<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::Bad(format!("The request is not the JSON expected: {e}")))
}

fn ok(message: &str) -> Response {
    Json(json!({"message": message, "success": true, "data": null})).into_response()
}

fn created(v: Value) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

/// Ends every audit entry for a change made by a script.
const VIA_API: &str = " (through the API)";

/// An audit entry for a change already committed (part 2 of issue 11 moves
/// these into the change's transaction, as `create_campaign` does).
async fn audit(state: &AppState, scope: &ApiScope, ip: &str, action: Action, detail: String) {
    if let Err(e) = audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), ip),
        action,
        &format!("{detail}{VIA_API}"),
        state.clock.now(),
    )
    .await
    {
        tracing::error!(error = ?e, "audit entry for an API change not written");
    }
}

fn split_name(full: &str) -> (String, String) {
    match full.trim().rsplit_once(' ') {
        Some((f, l)) => (f.to_string(), l.to_string()),
        None => (full.trim().to_string(), String::new()),
    }
}

// ---------- groups: staff of the practice ----------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TargetIn {
    email: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct GroupIn {
    name: String,
    targets: Vec<TargetIn>,
}

/// The staff ids for a group's targets: active staff of the practice with an
/// address in a verified domain. Anyone else is refused, by address.
async fn staff_for(
    db: &Db,
    scope: &PracticeScope,
    targets: &[TargetIn],
) -> Result<Vec<i64>, ApiError> {
    if targets.is_empty() {
        return Err(ApiError::Bad("Add at least one target to the group".into()));
    }
    let verified = domains::verified(db, scope).await?;
    let staff: Vec<(i64, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT id, email FROM staff WHERE practice_id = $1 AND active").bind(scope.practice_id()).fetch_all(p).await)?;
    let mut ids = BTreeSet::new();
    let (mut not_staff, mut outside) = (Vec::new(), Vec::new());
    for t in targets {
        let email = t.email.trim().to_lowercase();
        match staff.iter().find(|(_, e)| e.to_lowercase() == email) {
            None => not_staff.push(email),
            Some(_) if !domains::allowed(&email, &verified) => outside.push(email),
            Some((id, _)) => {
                ids.insert(*id);
            }
        }
    }
    if !not_staff.is_empty() || !outside.is_empty() {
        let mut parts = Vec::new();
        if !not_staff.is_empty() {
            parts.push(format!(
                "not current staff of the practice (add them under Staff first): {}",
                not_staff.join(", ")
            ));
        }
        if !outside.is_empty() {
            parts.push(format!(
                "not in one of the practice's verified email domains: {}",
                outside.join(", ")
            ));
        }
        return Err(ApiError::Bad(format!(
            "Safety Net only sends exercises to the practice's own staff. These addresses are {}",
            parts.join("; and these are ")
        )));
    }
    Ok(ids.into_iter().collect())
}

async fn group_json(db: &Db, scope: &PracticeScope, id: i64) -> ApiResult<Value> {
    let row: Option<(String, i64)> = with_db!(db, p => sqlx::query_as(
        "SELECT name, modified_at FROM sim_groups WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    let (name, modified) = row.ok_or(ApiError::NotFound("Group not found"))?;
    let members: Vec<(i64, String, String, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT s.id, s.email, s.full_name, s.job_role FROM sim_group_members m JOIN staff s ON s.id = m.staff_id \
         WHERE m.group_id = $1 AND s.practice_id = $2 ORDER BY s.full_name, s.id")
        .bind(id).bind(scope.practice_id()).fetch_all(p).await)?;
    let targets: Vec<Value> = members
        .into_iter()
        .map(|(sid, email, full, role)| {
            let (first, last) = split_name(&full);
            json!({"id": sid, "email": email, "first_name": first, "last_name": last, "position": role})
        })
        .collect();
    Ok(json!({"id": id, "name": name, "modified_date": date(modified), "targets": targets}))
}

async fn group_ids(db: &Db, scope: &PracticeScope) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = with_db!(db, p => sqlx::query_as("SELECT id FROM sim_groups WHERE practice_id = $1 ORDER BY id")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn groups(State(state): State<AppState>, scope: ApiScope) -> ApiResult {
    let mut out = Vec::new();
    for id in group_ids(&state.db, &scope).await? {
        out.push(group_json(&state.db, &scope, id).await?);
    }
    Ok(Json(out).into_response())
}

pub async fn group(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<i64>,
) -> ApiResult {
    Ok(Json(group_json(&state.db, &scope, id).await?).into_response())
}

async fn group_summary_json(db: &Db, scope: &PracticeScope, id: i64) -> ApiResult<Value> {
    let row: Option<(String, i64, i64)> = with_db!(db, p => sqlx::query_as(
        "SELECT g.name, g.modified_at, (SELECT COUNT(*) FROM sim_group_members m WHERE m.group_id = g.id) FROM sim_groups g WHERE g.id = $1 AND g.practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    let (name, modified, n) = row.ok_or(ApiError::NotFound("Group not found"))?;
    Ok(json!({"id": id, "name": name, "modified_date": date(modified), "num_targets": n}))
}

pub async fn group_summaries(State(state): State<AppState>, scope: ApiScope) -> ApiResult {
    let mut out = Vec::new();
    for id in group_ids(&state.db, &scope).await? {
        out.push(group_summary_json(&state.db, &scope, id).await?);
    }
    Ok(Json(json!({"total": out.len(), "groups": out})).into_response())
}

pub async fn group_summary(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<i64>,
) -> ApiResult {
    Ok(Json(group_summary_json(&state.db, &scope, id).await?).into_response())
}

/// Stores a group (new when `id` is None); returns its id.
async fn save_group(
    db: &Db,
    scope: &PracticeScope,
    id: Option<i64>,
    g: &GroupIn,
    now: i64,
) -> ApiResult<i64> {
    let name = g.name.trim();
    if name.is_empty() {
        return Err(ApiError::Bad("Group name not specified".into()));
    }
    let members = staff_for(db, scope, &g.targets).await?;
    let practice_id = scope.practice_id();
    let taken: Option<(i64,)> = with_db!(db, p => sqlx::query_as("SELECT id FROM sim_groups WHERE practice_id = $1 AND name = $2")
        .bind(practice_id).bind(name).fetch_optional(p).await)?;
    if taken.is_some_and(|(t,)| Some(t) != id) {
        return Err(ApiError::Conflict("Group name already in use".into()));
    }
    let id = with_db!(db, p => {
        let mut tx = p.begin().await?;
        let id = match id {
            Some(id) => {
                sqlx::query("UPDATE sim_groups SET name = $1, modified_at = $2 WHERE id = $3 AND practice_id = $4")
                    .bind(name).bind(now).bind(id).bind(practice_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM sim_group_members WHERE group_id = $1").bind(id).execute(&mut *tx).await?;
                id
            }
            None => {
                let (id,): (i64,) = sqlx::query_as("INSERT INTO sim_groups (practice_id, name, modified_at) VALUES ($1, $2, $3) RETURNING id")
                    .bind(practice_id).bind(name).bind(now).fetch_one(&mut *tx).await?;
                id
            }
        };
        for staff_id in &members {
            sqlx::query("INSERT INTO sim_group_members (group_id, staff_id) VALUES ($1, $2)").bind(id).bind(staff_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        id
    });
    Ok(id)
}

pub async fn create_group(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    bytes: Bytes,
) -> ApiResult {
    let g: GroupIn = body(&bytes)?;
    let id = save_group(&state.db, &scope, None, &g, state.clock.now()).await?;
    audit(
        &state,
        &scope,
        &ip,
        Action::CampaignChanged,
        format!("created group \"{}\"", g.name.trim()),
    )
    .await;
    Ok(created(group_json(&state.db, &scope, id).await?))
}

pub async fn update_group(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> ApiResult {
    group_json(&state.db, &scope, id).await?;
    let g: GroupIn = body(&bytes)?;
    save_group(&state.db, &scope, Some(id), &g, state.clock.now()).await?;
    audit(
        &state,
        &scope,
        &ip,
        Action::CampaignChanged,
        format!("changed group \"{}\"", g.name.trim()),
    )
    .await;
    Ok(Json(group_json(&state.db, &scope, id).await?).into_response())
}

pub async fn delete_group(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    Path(id): Path<i64>,
) -> ApiResult {
    let g = group_json(&state.db, &scope, id).await?;
    with_db!(&state.db, p => {
        let mut tx = p.begin().await?;
        sqlx::query("DELETE FROM sim_group_members WHERE group_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sim_groups WHERE id = $1 AND practice_id = $2").bind(id).bind(scope.practice_id()).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    audit(
        &state,
        &scope,
        &ip,
        Action::CampaignChanged,
        format!("deleted group {}", g["name"]),
    )
    .await;
    Ok(ok("Group deleted successfully!"))
}

// ---------- templates ----------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TemplateIn {
    name: String,
    subject: String,
    text: String,
    html: String,
    attachments: Vec<AttachmentIn>,
}

/// GoPhish's attachment: the file base64-encoded. Its `type` is not trusted:
/// the kind comes from the name and is checked against the contents.
#[derive(Deserialize, Default)]
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

async fn template_json(db: &Db, scope: &PracticeScope, t: &SimTemplate) -> ApiResult<Value> {
    let (modified,): (i64,) = with_db!(db, p => sqlx::query_as("SELECT updated_at FROM sim_templates WHERE id = $1").bind(t.id).fetch_one(p).await)?;
    let attachments = match &t.attachment {
        Some(_) => attachments::load(db, scope.practice_id(), t.id)
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
fn attachment_from(t: &TemplateIn, practice: &str) -> ApiResult<Option<Attachment>> {
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
fn template_from(
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
    let mut html = crate::simulation::sanitise::template_source(&field("HTML", &html)?)
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
        id: 0,
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

pub async fn templates(State(state): State<AppState>, scope: ApiScope) -> ApiResult {
    let mut out = Vec::new();
    for t in templates::all(&state.db, &scope).await? {
        out.push(template_json(&state.db, &scope, &t).await?);
    }
    Ok(Json(out).into_response())
}

async fn find_template(db: &Db, scope: &PracticeScope, id: i64) -> ApiResult<SimTemplate> {
    templates::find(db, scope, id)
        .await?
        .ok_or(ApiError::NotFound("Template not found"))
}

pub async fn template(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<i64>,
) -> ApiResult {
    let t = find_template(&state.db, &scope, id).await?;
    Ok(Json(template_json(&state.db, &scope, &t).await?).into_response())
}

async fn template_name_taken(
    db: &Db,
    scope: &PracticeScope,
    name: &str,
    except: i64,
) -> Result<bool, sqlx::Error> {
    let row: Option<(i64,)> = with_db!(db, p => sqlx::query_as("SELECT id FROM sim_templates WHERE practice_id = $1 AND name = $2 AND id <> $3")
        .bind(scope.practice_id()).bind(name).bind(except).fetch_optional(p).await)?;
    Ok(row.is_some())
}

async fn insert_template(
    state: &AppState,
    scope: &PracticeScope,
    t: &TemplateIn,
) -> ApiResult<i64> {
    let practice = crate::people::accounts::practice_name(&state.db, scope.practice_id()).await?;
    let ours = template_from(t, None, &practice)?;
    let attachment = attachment_from(t, &practice)?;
    if template_name_taken(&state.db, scope, &ours.name, 0).await? {
        return Err(ApiError::Conflict("Template name already in use".into()));
    }
    let now = state.clock.now();
    let id = templates::insert(&state.db, scope.practice_id(), &ours, now).await?;
    if let Some(a) = &attachment {
        attachments::store(&state.db, scope.practice_id(), id, a, now).await?;
    }
    Ok(id)
}

pub async fn create_template(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    bytes: Bytes,
) -> ApiResult {
    let t: TemplateIn = body(&bytes)?;
    let id = insert_template(&state, &scope, &t).await?;
    audit(
        &state,
        &scope,
        &ip,
        Action::TemplateChanged,
        format!("created template {}", t.name.trim()),
    )
    .await;
    let saved = find_template(&state.db, &scope, id).await?;
    Ok(created(template_json(&state.db, &scope, &saved).await?))
}

pub async fn update_template(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> ApiResult {
    let existing = find_template(&state.db, &scope, id).await?;
    let t: TemplateIn = body(&bytes)?;
    let practice = crate::people::accounts::practice_name(&state.db, scope.practice_id()).await?;
    let ours = template_from(&t, Some(existing), &practice)?;
    let attachment = attachment_from(&t, &practice)?;
    let name = attachment.as_ref().map(|a| a.meta.file_name.as_str());
    if let Some(marker) = attachments::flags_missing_from(&ours.red_flags, name).first() {
        return Err(ApiError::Bad(format!(
            "A red flag of this template points at \"{marker}\" in the attachment's name: keep an attachment whose name contains it, or change the red flag in Safety Net first"
        )));
    }
    if template_name_taken(&state.db, &scope, &ours.name, id).await? {
        return Err(ApiError::Conflict("Template name already in use".into()));
    }
    let now = state.clock.now();
    // GoPhish replaces a whole template, attachments included.
    match &attachment {
        Some(a) => attachments::store(&state.db, scope.practice_id(), id, a, now).await?,
        None => attachments::delete(&state.db, scope.practice_id(), id).await?,
    }
    with_db!(&state.db, p => sqlx::query(
        "UPDATE sim_templates SET name = $1, subject = $2, html = $3, text_body = $4, updated_at = $5 WHERE id = $6 AND practice_id = $7")
        .bind(&ours.name).bind(&ours.content.subject).bind(&ours.content.html).bind(&ours.content.text).bind(now)
        .bind(id).bind(scope.practice_id()).execute(p).await.map(|_| ()))?;
    audit(
        &state,
        &scope,
        &ip,
        Action::TemplateChanged,
        format!("changed template {}", ours.name),
    )
    .await;
    let saved = find_template(&state.db, &scope, id).await?;
    Ok(Json(template_json(&state.db, &scope, &saved).await?).into_response())
}

async fn in_use(db: &Db, column: &str, id: i64) -> Result<bool, sqlx::Error> {
    let sql = format!("SELECT COUNT(*) FROM campaigns WHERE {column} = $1");
    let (n,): (i64,) = with_db!(db, p => sqlx::query_as(&sql).bind(id).fetch_one(p).await)?;
    Ok(n > 0)
}

pub async fn delete_template(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    Path(id): Path<i64>,
) -> ApiResult {
    let t = find_template(&state.db, &scope, id).await?;
    if in_use(&state.db, "template_id", id).await? {
        return Err(ApiError::Bad(
            "This template belongs to an exercise's record, so it cannot be deleted".into(),
        ));
    }
    with_db!(&state.db, p => sqlx::query("DELETE FROM sim_templates WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).execute(p).await.map(|_| ()))?;
    audit(
        &state,
        &scope,
        &ip,
        Action::TemplateChanged,
        format!("deleted template {}", t.name),
    )
    .await;
    Ok(ok("Template deleted successfully!"))
}

// ---------- landing pages: one of our landing kinds ----------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageIn {
    name: String,
    html: String,
    capture_credentials: bool,
    redirect_url: String,
}

/// A page that asks for details is our fake sign-in page (whose form keeps
/// only that it was sent); any other goes straight to the lesson.
fn landing_for(p: &PageIn) -> Landing {
    let lower = p.html.to_ascii_lowercase();
    if p.capture_credentials || lower.contains("<form") || lower.contains("type=\"password\"") {
        Landing::Credentials
    } else {
        Landing::Teachable
    }
}

fn landing_name(l: Landing) -> &'static str {
    match l {
        Landing::Credentials => "Sign-in page (nothing typed is kept)",
        Landing::Document => "Shared document page",
        Landing::Teachable => "Straight to the lesson",
    }
}

type PageRow = (i64, String, String, String, String, i64);

fn page_json(r: &PageRow) -> Value {
    json!({
        "id": r.0,
        "name": r.1,
        "html": r.3,
        "capture_credentials": r.2 == "credentials",
        "capture_passwords": false,
        "redirect_url": r.4,
        "modified_date": date(r.5),
    })
}

async fn find_page(db: &Db, scope: &PracticeScope, id: i64) -> ApiResult<PageRow> {
    let row: Option<PageRow> = with_db!(db, p => sqlx::query_as(
        "SELECT id, name, landing, html, redirect_url, modified_at FROM landing_pages WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    row.ok_or(ApiError::NotFound("Page not found"))
}

pub async fn pages(State(state): State<AppState>, scope: ApiScope) -> ApiResult {
    let rows: Vec<PageRow> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT id, name, landing, html, redirect_url, modified_at FROM landing_pages WHERE practice_id = $1 ORDER BY id")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(Json(rows.iter().map(page_json).collect::<Vec<_>>()).into_response())
}

pub async fn page(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<i64>,
) -> ApiResult {
    Ok(Json(page_json(&find_page(&state.db, &scope, id).await?)).into_response())
}

async fn save_page(
    db: &Db,
    scope: &PracticeScope,
    id: Option<i64>,
    pg: &PageIn,
    now: i64,
) -> ApiResult<i64> {
    let name = pg.name.trim();
    if name.is_empty() {
        return Err(ApiError::Bad("Page name not specified".into()));
    }
    let taken: Option<(i64,)> = with_db!(db, p => sqlx::query_as("SELECT id FROM landing_pages WHERE practice_id = $1 AND name = $2")
        .bind(scope.practice_id()).bind(name).fetch_optional(p).await)?;
    if taken.is_some_and(|(t,)| Some(t) != id) {
        return Err(ApiError::Conflict("Page name already in use".into()));
    }
    let landing = landing_key(landing_for(pg));
    let id = match id {
        Some(id) => {
            with_db!(db, p => sqlx::query("UPDATE landing_pages SET name = $1, landing = $2, html = $3, redirect_url = $4, modified_at = $5 WHERE id = $6 AND practice_id = $7")
                .bind(name).bind(landing).bind(&pg.html).bind(&pg.redirect_url).bind(now).bind(id).bind(scope.practice_id())
                .execute(p).await.map(|_| ()))?;
            id
        }
        None => {
            let (id,): (i64,) = with_db!(db, p => sqlx::query_as(
                "INSERT INTO landing_pages (practice_id, name, landing, html, redirect_url, modified_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                .bind(scope.practice_id()).bind(name).bind(landing).bind(&pg.html).bind(&pg.redirect_url).bind(now).fetch_one(p).await)?;
            id
        }
    };
    Ok(id)
}

pub async fn create_page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    bytes: Bytes,
) -> ApiResult {
    let pg: PageIn = body(&bytes)?;
    let id = save_page(&state.db, &scope, None, &pg, state.clock.now()).await?;
    audit(
        &state,
        &scope,
        &ip,
        Action::TemplateChanged,
        format!("created landing page {}", pg.name.trim()),
    )
    .await;
    Ok(created(page_json(&find_page(&state.db, &scope, id).await?)))
}

pub async fn update_page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> ApiResult {
    find_page(&state.db, &scope, id).await?;
    let pg: PageIn = body(&bytes)?;
    save_page(&state.db, &scope, Some(id), &pg, state.clock.now()).await?;
    audit(
        &state,
        &scope,
        &ip,
        Action::TemplateChanged,
        format!("changed landing page {}", pg.name.trim()),
    )
    .await;
    Ok(Json(page_json(&find_page(&state.db, &scope, id).await?)).into_response())
}

pub async fn delete_page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    Path(id): Path<i64>,
) -> ApiResult {
    let pg = find_page(&state.db, &scope, id).await?;
    with_db!(&state.db, p => sqlx::query("DELETE FROM landing_pages WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).execute(p).await.map(|_| ()))?;
    audit(
        &state,
        &scope,
        &ip,
        Action::TemplateChanged,
        format!("deleted landing page {}", pg.1),
    )
    .await;
    Ok(ok("Page Deleted Successfully"))
}

// ---------- sending profiles ----------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SmtpIn {
    name: String,
    host: String,
    username: String,
    password: String,
    from_address: String,
}

type ProfileRow = (i64, String, String, i64, String, String, i64);

async fn find_profile(db: &Db, scope: &PracticeScope, id: i64) -> ApiResult<ProfileRow> {
    let row: Option<ProfileRow> = with_db!(db, p => sqlx::query_as(
        "SELECT id, name, host, port, username, from_address, created_at FROM sending_profiles WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    row.ok_or(ApiError::NotFound("SMTP not found"))
}

fn profile_json(r: &ProfileRow) -> Value {
    json!({
        "id": r.0,
        "interface_type": "SMTP",
        "name": r.1,
        "host": format!("{}:{}", r.2, r.3),
        "username": r.4,
        // Never shown back, unlike GoPhish.
        "password": "",
        "from_address": r.5,
        "ignore_cert_errors": false,
        "headers": [],
        "modified_date": date(r.6),
    })
}

pub async fn profiles(State(state): State<AppState>, scope: ApiScope) -> ApiResult {
    let rows: Vec<ProfileRow> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT id, name, host, port, username, from_address, created_at FROM sending_profiles WHERE practice_id = $1 ORDER BY id")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(Json(rows.iter().map(profile_json).collect::<Vec<_>>()).into_response())
}

pub async fn profile(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<i64>,
) -> ApiResult {
    Ok(Json(profile_json(&find_profile(&state.db, &scope, id).await?)).into_response())
}

/// The parts of a GoPhish "From" (`Name <address>` or a bare address).
fn parse_from(from: &str) -> Option<(String, String)> {
    let mb: lettre::message::Mailbox = from.trim().parse().ok()?;
    EmailAddress::parse(mb.email.as_ref()).ok()?;
    Some((mb.name.unwrap_or_default(), mb.email.to_string()))
}

struct ProfileIn {
    name: String,
    host: String,
    port: u16,
    security: &'static str,
    username: String,
    password: String,
    envelope_from: String,
    from_address: String,
}

/// GoPhish's `host:port`; the connection security follows the port (465:
/// TLS, 587: STARTTLS, otherwise none), as can be changed on the profile's page.
fn profile_from(policy: &Policy, s: &SmtpIn) -> ApiResult<ProfileIn> {
    let name = s.name.trim();
    if name.is_empty() {
        return Err(ApiError::Bad("SMTP name not specified".into()));
    }
    let (host, port) = match s.host.trim().rsplit_once(':') {
        Some((h, p)) => (
            h.to_string(),
            p.parse::<u16>()
                .map_err(|_| ApiError::Bad("The host's port is not a number".into()))?,
        ),
        None => (s.host.trim().to_string(), 25),
    };
    if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
        return Err(ApiError::Bad("Host not specified".into()));
    }
    policy.check_host(&host).map_err(ApiError::Bad)?;
    let (_, address) = parse_from(&s.from_address).ok_or_else(|| {
        ApiError::Bad(
            "Invalid SMTP From address: use an address, like IT Support <it@example.org>".into(),
        )
    })?;
    let security = match port {
        465 => SmtpSecurity::Tls,
        587 => SmtpSecurity::Starttls,
        _ => SmtpSecurity::None,
    };
    Ok(ProfileIn {
        name: name.to_string(),
        host,
        port,
        security: match security {
            SmtpSecurity::Tls => "tls",
            SmtpSecurity::Starttls => "starttls",
            SmtpSecurity::None => "none",
        },
        username: s.username.clone(),
        password: s.password.clone(),
        envelope_from: address,
        from_address: s.from_address.trim().to_string(),
    })
}

pub async fn create_profile(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    bytes: Bytes,
) -> ApiResult {
    let p: ProfileIn = profile_from(&Policy::from_settings(&state.settings), &body(&bytes)?)?;
    let (id,): (i64,) = with_db!(&state.db, pool => sqlx::query_as(
        "INSERT INTO sending_profiles (practice_id, name, host, port, security, username, password, envelope_from, header_name, from_address, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
        .bind(scope.practice_id()).bind(&p.name).bind(&p.host).bind(i64::from(p.port)).bind(p.security).bind(&p.username)
        .bind(&p.password).bind(&p.envelope_from).bind(profiles::DEFAULT_HEADER).bind(&p.from_address).bind(state.clock.now())
        .fetch_one(pool).await)?;
    audit(
        &state,
        &scope,
        &ip,
        Action::SendingProfileChanged,
        format!("created sending profile {}", p.name),
    )
    .await;
    Ok(created(profile_json(
        &find_profile(&state.db, &scope, id).await?,
    )))
}

pub async fn update_profile(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> ApiResult {
    find_profile(&state.db, &scope, id).await?;
    let p: ProfileIn = profile_from(&Policy::from_settings(&state.settings), &body(&bytes)?)?;
    // An empty password keeps the saved one (GoPhish clients read it back empty).
    with_db!(&state.db, pool => sqlx::query(
        "UPDATE sending_profiles SET name = $1, host = $2, port = $3, security = $4, username = $5, \
         password = CASE WHEN $6 = '' THEN password ELSE $6 END, envelope_from = $7, from_address = $8 WHERE id = $9 AND practice_id = $10")
        .bind(&p.name).bind(&p.host).bind(i64::from(p.port)).bind(p.security).bind(&p.username).bind(&p.password)
        .bind(&p.envelope_from).bind(&p.from_address).bind(id).bind(scope.practice_id()).execute(pool).await.map(|_| ()))?;
    audit(
        &state,
        &scope,
        &ip,
        Action::SendingProfileChanged,
        format!("changed sending profile {}", p.name),
    )
    .await;
    Ok(Json(profile_json(&find_profile(&state.db, &scope, id).await?)).into_response())
}

pub async fn delete_profile(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    Path(id): Path<i64>,
) -> ApiResult {
    let p = find_profile(&state.db, &scope, id).await?;
    if in_use(&state.db, "profile_id", id).await? {
        return Err(ApiError::Bad(
            "This sending profile belongs to an exercise's record, so it cannot be deleted".into(),
        ));
    }
    with_db!(&state.db, pool => sqlx::query("DELETE FROM sending_profiles WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).execute(pool).await.map(|_| ()))?;
    audit(
        &state,
        &scope,
        &ip,
        Action::SendingProfileChanged,
        format!("deleted sending profile {}", p.1),
    )
    .await;
    Ok(ok("SMTP Deleted Successfully"))
}

// ---------- campaigns ----------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Named {
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CampaignIn {
    name: String,
    template: Named,
    page: Named,
    smtp: Named,
    groups: Vec<Named>,
    launch_date: Option<String>,
    send_by_date: Option<String>,
}

/// GoPhish's status words for ours.
fn status_word(c: &campaigns::Campaign, now: i64) -> &'static str {
    use campaigns::Status::*;
    match c.status {
        Scheduled if c.launch_at > now => "Queued",
        Scheduled | Sending | Paused => "In progress",
        Cancelled | Completed => "Completed",
    }
}

fn completed_date(c: &campaigns::Campaign) -> Value {
    if c.status.is_live() || c.status == campaigns::Status::Paused {
        Value::Null
    } else {
        json!(date(c.ends_at))
    }
}

async fn find_campaign(
    db: &Db,
    scope: &PracticeScope,
    id: CampaignId,
) -> ApiResult<(campaigns::Campaign, i64, Option<i64>)> {
    let c = campaigns::find(db, scope, id)
        .await?
        .ok_or(ApiError::NotFound("Campaign not found"))?;
    let (created_at, page_id): (i64, Option<i64>) = with_db!(db, p => sqlx::query_as(
        "SELECT created_at, page_id FROM campaigns WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_one(p).await)?;
    Ok((c, created_at, page_id))
}

fn stats(c: &campaigns::Campaign) -> Value {
    json!({
        "total": c.recipients,
        "sent": c.sent,
        "opened": c.opened,
        "clicked": c.clicked,
        "submitted_data": c.submitted,
        "email_reported": c.reported,
        "error": c.errors,
    })
}

fn summary_json(c: &campaigns::Campaign, created_at: i64, now: i64) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "status": status_word(c, now),
        "created_date": date(created_at),
        "launch_date": date(c.launch_at),
        "send_by_date": date(c.send_by),
        "completed_date": completed_date(c),
        "stats": stats(c),
    })
}

/// Each person's furthest step, as GoPhish words it.
fn result_status(send: &str, opened: bool, clicked: bool, submitted: bool) -> &'static str {
    match (send, submitted, clicked, opened) {
        ("queued", ..) => "Scheduled",
        ("error", ..) => "Error",
        ("cancelled", ..) => "Unsent",
        (_, true, ..) => "Submitted Data",
        (_, _, true, _) => "Clicked Link",
        (_, _, _, true) => "Email Opened",
        _ => "Email Sent",
    }
}

type ResultRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

async fn results_and_timeline(
    db: &Db,
    c: &campaigns::Campaign,
    created_at: i64,
) -> ApiResult<(Vec<Value>, Vec<Value>)> {
    let rows: Vec<ResultRow> = with_db!(db, p => sqlx::query_as(
        "SELECT id, email, full_name, job_role, send_status, sent_at, opened_at, clicked_at, submitted_at, reported_at \
         FROM campaign_recipients WHERE campaign_id = $1 ORDER BY id")
        .bind(c.id).fetch_all(p).await)?;
    let mut timeline = vec![
        json!({"campaign_id": c.id, "email": "", "time": date(created_at), "message": "Campaign Created", "details": ""}),
    ];
    let mut results = Vec::with_capacity(rows.len());
    for (id, email, full, role, send, sent, opened, clicked, submitted, reported) in rows {
        let (first, last) = split_name(&full);
        let last_change = [sent, opened, clicked, submitted, reported]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(created_at);
        results.push(json!({
            "id": id,
            "campaign_id": c.id,
            "email": email,
            "first_name": first,
            "last_name": last,
            "position": role,
            "status": result_status(&send, opened.is_some(), clicked.is_some(), submitted.is_some()),
            "ip": "",
            "latitude": 0.0,
            "longitude": 0.0,
            "send_date": sent.map(date),
            "reported": reported.is_some(),
            "modified_date": date(last_change),
        }));
        if let Some(t) = sent {
            timeline.push(json!({"campaign_id": c.id, "email": email, "time": date(t), "message": "Email Sent", "details": ""}));
        }
    }
    // What people did (scanners' hits are not people's, so they are left out).
    let events: Vec<(String, i64, String, String, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT e.kind, e.at, e.ip, e.user_agent, r.email FROM sim_events e JOIN campaign_recipients r ON r.id = e.recipient_id \
         WHERE e.campaign_id = $1 AND e.counted ORDER BY e.at, e.id")
        .bind(c.id).fetch_all(p).await)?;
    for (kind, at, ip, ua, email) in events {
        let message = match kind.as_str() {
            "open" => "Email Opened",
            "click" => "Clicked Link",
            "submit" => "Submitted Data",
            "report" => "Email Reported",
            _ => continue,
        };
        // GoPhish carries details as a JSON string; what was typed is never among them.
        let details =
            json!({"payload": {}, "browser": {"address": ip, "user-agent": ua}}).to_string();
        timeline.push(json!({"campaign_id": c.id, "email": email, "time": date(at), "message": message, "details": details}));
    }
    Ok((results, timeline))
}

async fn campaign_json(
    state: &AppState,
    scope: &PracticeScope,
    id: CampaignId,
) -> ApiResult<Value> {
    let (c, created_at, page_id) = find_campaign(&state.db, scope, id).await?;
    let now = state.clock.now();
    let template = match templates::find(&state.db, scope, c.template_id).await? {
        Some(t) => template_json(&state.db, scope, &t).await?,
        None => json!({}),
    };
    let page = match page_id {
        Some(pid) => match find_page(&state.db, scope, pid).await {
            Ok(row) => page_json(&row),
            Err(ApiError::NotFound(_)) => {
                json!({"id": 0, "name": landing_name(c.landing), "html": "", "capture_credentials": c.landing == Landing::Credentials, "capture_passwords": false, "redirect_url": "", "modified_date": date(created_at)})
            }
            Err(e) => return Err(e),
        },
        None => {
            json!({"id": 0, "name": landing_name(c.landing), "html": "", "capture_credentials": c.landing == Landing::Credentials, "capture_passwords": false, "redirect_url": "", "modified_date": date(created_at)})
        }
    };
    let smtp = match find_profile(&state.db, scope, c.profile_id).await {
        Ok(row) => profile_json(&row),
        Err(ApiError::NotFound(_)) => json!({}),
        Err(e) => return Err(e),
    };
    let (results, timeline) = results_and_timeline(&state.db, &c, created_at).await?;
    Ok(json!({
        "id": c.id,
        "name": c.name,
        "created_date": date(created_at),
        "launch_date": date(c.launch_at),
        "send_by_date": date(c.send_by),
        "completed_date": completed_date(&c),
        "template": template,
        "page": page,
        "smtp": smtp,
        "status": status_word(&c, now),
        "results": results,
        "timeline": timeline,
        "url": state.settings.sim_public_url,
    }))
}

async fn campaign_ids(db: &Db, scope: &PracticeScope) -> Result<Vec<CampaignId>, sqlx::Error> {
    let rows: Vec<(CampaignId,)> = with_db!(db, p => sqlx::query_as("SELECT id FROM campaigns WHERE practice_id = $1 ORDER BY id")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn campaigns(State(state): State<AppState>, scope: ApiScope) -> ApiResult {
    campaigns::complete_due(&state.db, state.clock.now()).await?;
    let mut out = Vec::new();
    for id in campaign_ids(&state.db, &scope).await? {
        out.push(campaign_json(&state, &scope, id).await?);
    }
    Ok(Json(out).into_response())
}

pub async fn campaign(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<CampaignId>,
) -> ApiResult {
    campaigns::complete_due(&state.db, state.clock.now()).await?;
    Ok(Json(campaign_json(&state, &scope, id).await?).into_response())
}

pub async fn campaign_summaries(State(state): State<AppState>, scope: ApiScope) -> ApiResult {
    let now = state.clock.now();
    campaigns::complete_due(&state.db, now).await?;
    let mut out = Vec::new();
    for id in campaign_ids(&state.db, &scope).await? {
        let (c, created_at, _) = find_campaign(&state.db, &scope, id).await?;
        out.push(summary_json(&c, created_at, now));
    }
    Ok(Json(json!({"total": out.len(), "campaigns": out})).into_response())
}

pub async fn campaign_summary(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<CampaignId>,
) -> ApiResult {
    let now = state.clock.now();
    campaigns::complete_due(&state.db, now).await?;
    let (c, created_at, _) = find_campaign(&state.db, &scope, id).await?;
    Ok(Json(summary_json(&c, created_at, now)).into_response())
}

pub async fn campaign_results(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<CampaignId>,
) -> ApiResult {
    campaigns::complete_due(&state.db, state.clock.now()).await?;
    let (c, created_at, _) = find_campaign(&state.db, &scope, id).await?;
    let (results, timeline) = results_and_timeline(&state.db, &c, created_at).await?;
    Ok(Json(json!({
        "id": c.id,
        "name": c.name,
        "status": status_word(&c, state.clock.now()),
        "results": results,
        "timeline": timeline,
    }))
    .into_response())
}

/// GoPhish's "complete": stop sending and stop counting from now on.
pub async fn complete_campaign(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    Path(id): Path<CampaignId>,
) -> ApiResult {
    let (c, ..) = find_campaign(&state.db, &scope, id).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    with_tx!(tx, c => {
        sqlx::query("UPDATE campaign_recipients SET send_status = 'cancelled' WHERE campaign_id = $1 AND send_status = 'queued'")
            .bind(id).execute(&mut *c).await?;
        sqlx::query("UPDATE campaigns SET status = 'completed', ends_at = CASE WHEN ends_at > $1 THEN $1 ELSE ends_at END \
                     WHERE id = $2 AND practice_id = $3 AND status IN ('scheduled', 'sending', 'paused')")
            .bind(now).bind(id).bind(scope.practice_id()).execute(&mut *c).await?;
    });
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::CampaignChanged,
        &format!("completed \"{}\"{VIA_API}", c.name),
        now,
    )
    .await?;
    tx.publish_after_commit(Change::Campaign(id));
    tx.commit().await?;
    Ok(ok("Campaign completed successfully!"))
}

pub async fn create_campaign(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    bytes: Bytes,
) -> ApiResult {
    let c: CampaignIn = body(&bytes)?;
    let db = &state.db;
    let practice_id = scope.practice_id();
    let now = state.clock.now();
    let name = c.name.trim();
    if name.is_empty() {
        return Err(ApiError::Bad("Campaign name not specified".into()));
    }
    let by_name = |table: &'static str, name: String| async move {
        let sql = format!(
            "SELECT id FROM {table} WHERE practice_id = $1 AND name = $2 ORDER BY id LIMIT 1"
        );
        let row: Option<(i64,)> = with_db!(db, p => sqlx::query_as(&sql).bind(practice_id).bind(name.trim()).fetch_optional(p).await)?;
        Ok::<_, ApiError>(row.map(|r| r.0))
    };
    let template_id = by_name("sim_templates", c.template.name.clone())
        .await?
        .ok_or_else(|| ApiError::Bad("Template not found".into()))?;
    let page_id = by_name("landing_pages", c.page.name.clone())
        .await?
        .ok_or_else(|| ApiError::Bad("Page not found".into()))?;
    let profile_id = by_name("sending_profiles", c.smtp.name.clone())
        .await?
        .ok_or_else(|| ApiError::Bad("Sending profile not found".into()))?;
    if c.groups.is_empty() {
        return Err(ApiError::Bad("No groups specified".into()));
    }
    let mut group_ids = Vec::new();
    for g in &c.groups {
        let id = by_name("sim_groups", g.name.clone())
            .await?
            .ok_or_else(|| ApiError::Bad(format!("Group {} not found", g.name.trim())))?;
        group_ids.push(id);
    }
    let template = find_template(db, &scope, template_id).await?;
    let (.., landing, _, _) = find_page(db, &scope, page_id).await?;
    let landing = landing_from(&landing);
    let profile = profiles::find(db, &scope, profile_id)
        .await?
        .ok_or(ApiError::NotFound("SMTP not found"))?;
    // GoPhish keeps the sender on the profile; Safety Net with the email.
    if template.content.from_address.is_empty() {
        let (_, _, _, _, _, from, _) = find_profile(db, &scope, profile_id).await?;
        let (from_name, from_address) = parse_from(&from).ok_or_else(|| {
            ApiError::Bad("Neither the template nor the sending profile has a From address: give the profile's from_address".into())
        })?;
        let from_name = if from_name.is_empty() {
            from_address.clone()
        } else {
            from_name
        };
        let from_name = from_name.replace(['{', '}'], "");
        with_db!(db, p => sqlx::query("UPDATE sim_templates SET from_name = $1, from_address = $2 WHERE id = $3 AND practice_id = $4")
            .bind(&from_name).bind(&from_address).bind(template_id).bind(practice_id).execute(p).await.map(|_| ()))?;
    }
    // The people: active staff in the groups, in a verified domain (checked again now).
    let verified = domains::verified(db, &scope).await?;
    let mut targets: Vec<Target> = Vec::new();
    for gid in &group_ids {
        let rows: Vec<(i64, Option<i64>, String, String, String)> = with_db!(db, p => sqlx::query_as(
            "SELECT s.id, s.department_id, s.email, s.full_name, s.job_role FROM sim_group_members m JOIN staff s ON s.id = m.staff_id \
             WHERE m.group_id = $1 AND s.practice_id = $2 AND s.active ORDER BY s.id")
            .bind(gid).bind(practice_id).fetch_all(p).await)?;
        for (staff_id, department_id, email, full_name, job_role) in rows {
            if domains::allowed(&email, &verified)
                && !targets.iter().any(|t| t.staff_id == staff_id)
            {
                targets.push(Target {
                    staff_id,
                    department_id,
                    email,
                    full_name,
                    job_role,
                });
            }
        }
    }
    if targets.is_empty() {
        return Err(ApiError::Bad(
            "No one in these groups can be sent an exercise: they must be current staff with an address in a verified domain".into(),
        ));
    }
    let date_or = |d: &Option<String>, what: &str, default: i64| -> ApiResult<i64> {
        match d.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(s) => parse_date(s).ok_or_else(|| {
                ApiError::Bad(format!(
                    "The {what} is not a date like 2026-11-23T09:00:00Z"
                ))
            }),
        }
    };
    let launch_at = date_or(&c.launch_date, "launch date", now)?.max(now);
    let send_by = date_or(&c.send_by_date, "send-by date", launch_at)?.max(launch_at);
    if send_by - launch_at > 14 * 86_400 {
        return Err(ApiError::Bad(
            "Sending can be spread over at most two weeks".into(),
        ));
    }
    let spec = Launch {
        name: name.to_string(),
        template_id,
        profile_id: profile.id,
        landing,
        launch_at,
        send_by,
        // GoPhish campaigns run until completed; ours finish by themselves after 90 days.
        ends_at: send_by + 90 * 86_400,
        business_hours: false,
        created_by: scope.user().user_id,
    };
    let n = targets.len();
    let mut tx = db.begin().await?;
    let id = campaigns::insert(&mut tx, &scope, &spec, &mut targets, now).await?;
    with_tx!(tx, c => sqlx::query("UPDATE campaigns SET page_id = $1 WHERE id = $2 AND practice_id = $3")
        .bind(page_id).bind(id).bind(practice_id).execute(&mut *c).await.map(|_| ()))?;
    audit::record(
        &mut tx,
        Some(practice_id),
        &Actor::user(scope.user(), &ip),
        Action::CampaignChanged,
        &format!("launched \"{name}\" to {n} people{VIA_API}"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(created(campaign_json(&state, &scope, id).await?))
}

// ---------- importing GoPhish JSON ----------

/// Imports templates, pages and groups from GoPhish JSON (one object or a
/// list, as GoPhish's API gives them). All of it is checked before any is
/// saved. Returns what was imported, in words, or what is wrong.
pub async fn import_json(
    state: &AppState,
    scope: &PracticeScope,
    ip: &str,
    text: &str,
) -> Result<String, String> {
    let value: Value = serde_json::from_str(text.trim()).map_err(|e| {
        format!("This is not GoPhish JSON ({e}). Paste what GoPhish's API returned, starting with [ or {{")
    })?;
    let items = match value {
        Value::Array(v) => v,
        v @ Value::Object(_) => vec![v],
        _ => return Err("Paste a GoPhish template, page or group, or a list of them".into()),
    };
    if items.is_empty() {
        return Err("There is nothing to import in that list".into());
    }
    enum Item {
        Template(TemplateIn),
        Page(PageIn),
        Group(GroupIn),
    }
    let practice = crate::people::accounts::practice_name(&state.db, scope.practice_id())
        .await
        .map_err(|e| e.to_string())?;
    let mut parsed = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, v) in items.into_iter().enumerate() {
        let n = i + 1;
        let name = v
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let err = |e: ApiError| match e {
            ApiError::Bad(m) | ApiError::Conflict(m) => format!("Item {n} ({name}): {m}"),
            other => format!("Item {n} ({name}): {other:?}"),
        };
        let item = if v.get("targets").is_some() {
            let g: GroupIn = serde_json::from_value(v).map_err(|e| format!("Item {n}: {e}"))?;
            staff_for(&state.db, scope, &g.targets).await.map_err(err)?;
            Item::Group(g)
        } else if v.get("subject").is_some() {
            let t: TemplateIn = serde_json::from_value(v).map_err(|e| format!("Item {n}: {e}"))?;
            template_from(&t, None, &practice).map_err(err)?;
            attachment_from(&t, &practice).map_err(err)?;
            Item::Template(t)
        } else if v.get("html").is_some() {
            let p: PageIn = serde_json::from_value(v).map_err(|e| format!("Item {n}: {e}"))?;
            if p.name.trim().is_empty() {
                return Err(format!("Item {n}: the page has no name"));
            }
            Item::Page(p)
        } else {
            return Err(format!(
                "Item {n} ({name}) is not a GoPhish template (with a subject), page (with html) or group (with targets)"
            ));
        };
        let (table, kind) = match &item {
            Item::Template(_) => ("sim_templates", "template"),
            Item::Page(_) => ("landing_pages", "landing page"),
            Item::Group(_) => ("sim_groups", "group"),
        };
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE practice_id = $1 AND name = $2");
        let (taken,): (i64,) = with_db!(&state.db, p => sqlx::query_as(&sql).bind(scope.practice_id()).bind(name.trim()).fetch_one(p).await)
            .map_err(|e| e.to_string())?;
        if taken > 0 || !seen.insert((table, name.trim().to_string())) {
            return Err(format!(
                "Item {n}: there is already a {kind} called \"{}\": rename one of them",
                name.trim()
            ));
        }
        parsed.push(item);
    }
    let now = state.clock.now();
    let (mut t, mut p, mut g) = (0, 0, 0);
    for item in parsed {
        let result = match &item {
            Item::Template(x) => insert_template(state, scope, x).await.map(|_| t += 1),
            Item::Page(x) => save_page(&state.db, scope, None, x, now)
                .await
                .map(|_| p += 1),
            Item::Group(x) => save_group(&state.db, scope, None, x, now)
                .await
                .map(|_| g += 1),
        };
        result.map_err(|e| match e {
            ApiError::Bad(m) | ApiError::Conflict(m) => m,
            other => format!("{other:?}"),
        })?;
    }
    let summary = format!("{t} templates, {p} landing pages and {g} groups");
    let _ = audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), ip),
        Action::TemplateChanged,
        &format!("imported from GoPhish: {summary}"),
        now,
    )
    .await;
    Ok(summary)
}
