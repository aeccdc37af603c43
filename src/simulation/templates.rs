//! Email templates for phishing exercises: the practice's own, started from
//! the built-in library or from scratch, each with its red flags explained.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::attachments::{self, AttachmentMeta, FileKind};
use super::library::{
    self, Difficulty, FlagPlace, Landing, PracticeNames, PremiseAlignment, RedFlag,
};
use super::render::{self, Content, Vars};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::Db;
use crate::shared::{AppState, EmailAddress, PracticeId};
use crate::web::{render as page_render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};
use crate::{with_db, with_tx};

/// Training modules a clicker can be given (the training capability fills them in).
pub const MODULES: [(&str, &str); 13] = [
    ("phishing", "Spotting phishing emails"),
    ("passwords", "Passwords and 2-step verification"),
    ("phone-scams", "Phone and in-person scams at reception"),
    ("ransomware", "Ransomware and what to do"),
    ("backups-updates", "Backups and updates"),
    ("patient-data", "Protecting patient information"),
    ("devices", "Devices, remote working and removable media"),
    ("social-media", "Social media and oversharing"),
    ("reporting", "Reporting incidents and near misses"),
    ("voice-cloning", "Cloned voices and deepfake calls"),
    (
        "service-desk-scams",
        "Fake IT calls, password resets and sign-in prompts",
    ),
    ("remote-access-scams", "Remote access scams"),
    ("ai-tools", "Using AI tools safely with patient information"),
];

pub fn module_title(key: &str) -> &'static str {
    MODULES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, t)| *t)
        .unwrap_or("Spotting phishing emails")
}

#[derive(Debug, Clone)]
pub struct SimTemplate {
    pub id: i64,
    pub name: String,
    pub library_id: Option<String>,
    pub content: Content,
    pub landing: Landing,
    pub training_module: String,
    pub cues: u8,
    pub premise: PremiseAlignment,
    pub red_flags: Vec<RedFlag>,
    /// The attached file, if any (its contents are loaded only to send or download it).
    pub attachment: Option<AttachmentMeta>,
}

impl SimTemplate {
    pub fn difficulty(&self) -> Difficulty {
        library::nist_difficulty(self.cues, self.premise)
    }
}

type Row = (
    i64,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
);
/// A template and its attachment's name, kind and size (never the file itself).
const SELECT: &str =
    "SELECT t.id, t.name, t.library_id, t.from_name, t.from_address, t.subject, t.html, t.text_body, t.landing, t.training_module, \
     t.cues, t.premise, t.red_flags_json, a.file_name, a.kind, a.size_bytes \
     FROM sim_templates t LEFT JOIN sim_template_attachments a ON a.template_id = t.id";

pub fn landing_from(s: &str) -> Landing {
    match s {
        "document" => Landing::Document,
        "teachable" => Landing::Teachable,
        _ => Landing::Credentials,
    }
}

pub fn landing_key(l: Landing) -> &'static str {
    match l {
        Landing::Credentials => "credentials",
        Landing::Document => "document",
        Landing::Teachable => "teachable",
    }
}

fn premise_from(s: &str) -> PremiseAlignment {
    match s {
        "low" => PremiseAlignment::Low,
        "high" => PremiseAlignment::High,
        _ => PremiseAlignment::Medium,
    }
}

fn premise_key(p: PremiseAlignment) -> &'static str {
    match p {
        PremiseAlignment::Low => "low",
        PremiseAlignment::Medium => "medium",
        PremiseAlignment::High => "high",
    }
}

fn template(r: Row) -> SimTemplate {
    SimTemplate {
        id: r.0,
        name: r.1,
        library_id: r.2,
        content: Content {
            from_name: r.3,
            from_address: r.4,
            subject: r.5,
            html: r.6,
            text: r.7,
        },
        landing: landing_from(&r.8),
        training_module: r.9,
        cues: u8::try_from(r.10).unwrap_or(0),
        premise: premise_from(&r.11),
        red_flags: serde_json::from_str(&r.12).unwrap_or_default(),
        attachment: match (r.13, r.14.as_deref().and_then(FileKind::from_key), r.15) {
            (Some(file_name), Some(kind), Some(size)) => Some(AttachmentMeta {
                file_name,
                kind,
                size,
            }),
            _ => None,
        },
    }
}

pub async fn all(db: &Db, scope: &PracticeScope) -> Result<Vec<SimTemplate>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE t.practice_id = $1 ORDER BY t.name, t.id");
    let rows: Vec<Row> =
        with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows.into_iter().map(template).collect())
}

pub async fn find(
    db: &Db,
    scope: &PracticeScope,
    id: i64,
) -> Result<Option<SimTemplate>, sqlx::Error> {
    find_in_practice(db, scope.practice_id(), id).await
}

/// For the sender and the tracking site, which reach a template through a campaign they already resolved.
pub async fn find_in_practice(
    db: &Db,
    practice_id: PracticeId,
    id: i64,
) -> Result<Option<SimTemplate>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE t.id = $1 AND t.practice_id = $2");
    let row: Option<Row> =
        with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(practice_id).fetch_optional(p).await)?;
    Ok(row.map(template))
}

pub(crate) async fn insert(
    db: &Db,
    practice_id: PracticeId,
    t: &SimTemplate,
    now: i64,
) -> Result<i64, AppError> {
    let flags = serde_json::to_string(&t.red_flags).map_err(anyhow::Error::from)?;
    let (id,): (i64,) = with_db!(db, p => sqlx::query_as(
        "INSERT INTO sim_templates (practice_id, name, library_id, from_name, from_address, subject, html, text_body, landing, training_module, \
         difficulty, cues, premise, red_flags_json, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id")
        .bind(practice_id).bind(&t.name).bind(t.library_id.as_deref()).bind(&t.content.from_name).bind(&t.content.from_address)
        .bind(&t.content.subject).bind(&t.content.html).bind(&t.content.text).bind(landing_key(t.landing)).bind(&t.training_module)
        .bind(t.difficulty().as_str()).bind(i64::from(t.cues)).bind(premise_key(t.premise)).bind(&flags).bind(now)
        .fetch_one(p).await)?;
    Ok(id)
}

/// The names the practice gave for lures that mention its own GP partner or PCN.
pub async fn practice_names(
    db: &Db,
    practice_id: PracticeId,
) -> Result<PracticeNames, sqlx::Error> {
    let row: Option<(String, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT lure_partner_name, lure_pcn_name FROM practices WHERE id = $1")
        .bind(practice_id).fetch_optional(p).await)?;
    Ok(row
        .map(|(partner, pcn)| PracticeNames { partner, pcn })
        .unwrap_or_default())
}

/// Copies a built-in lure into the practice's templates, with the practice's
/// own partner and PCN names (or neutral phrases) filled in.
pub async fn adopt(
    db: &Db,
    practice_id: PracticeId,
    lure_id: &str,
    now: i64,
) -> Result<Option<i64>, AppError> {
    let Some(l) = library::get(lure_id) else {
        return Ok(None);
    };
    let l = &l.for_practice(&practice_names(db, practice_id).await?);
    let t = SimTemplate {
        id: 0,
        name: l.name.clone(),
        library_id: Some(l.id.clone()),
        content: Content {
            from_name: l.from_name.clone(),
            from_address: l.from_address.clone(),
            subject: l.subject.clone(),
            html: l.html.clone(),
            text: l.text.clone(),
        },
        landing: l.landing,
        training_module: l.training_module.clone(),
        cues: l.cues,
        premise: l.premise_alignment,
        red_flags: l.red_flags.clone(),
        attachment: None,
    };
    Ok(Some(insert(db, practice_id, &t, now).await?))
}

#[derive(Template)]
#[template(path = "simulation/templates.html")]
struct ListPage {
    page: Page,
    templates: Vec<SimTemplate>,
    library: &'static [library::Lure],
    names: NamesForm,
    errors: FieldErrors,
    saved: bool,
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
    saved: bool,
) -> Result<Html<String>, AppError> {
    let names = match names {
        Some(n) => n,
        None => {
            let n = practice_names(&state.db, scope.practice_id()).await?;
            NamesForm {
                partner: n.partner,
                pcn: n.pcn,
            }
        }
    };
    page_render(ListPage {
        page: Page::for_user("Phishing email templates", scope.user()),
        templates: all(&state.db, scope).await?,
        library: library::all(),
        names,
        errors,
        saved,
    })
}

pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
    axum::extract::Query(q): axum::extract::Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    list_page(
        &state,
        &scope,
        None,
        FieldErrors::default(),
        q.saved.is_some(),
    )
    .await
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
        return Ok(list_page(&state, &scope, Some(form), errors, false)
            .await?
            .into_response());
    };
    let mut tx = state.db.begin().await?;
    with_tx!(&mut tx, c => sqlx::query(
        "UPDATE practices SET lure_partner_name = $1, lure_pcn_name = $2 WHERE id = $3")
        .bind(&partner).bind(&pcn).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))?;
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::TemplateChanged,
        "changed the partner and PCN names used in ready-made emails",
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/simulation/templates?saved=names#names").into_response())
}

pub async fn use_lure(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(lure_id): Path<String>,
) -> Result<Response, AppError> {
    let id = adopt(&state.db, scope.practice_id(), &lure_id, state.clock.now())
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::TemplateChanged,
        &format!("added {lure_id} from the library"),
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/simulation/templates/{id}")).into_response())
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct TemplateForm {
    pub name: String,
    pub from_name: String,
    pub from_address: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    pub landing: String,
    pub training_module: String,
    pub cues: String,
    pub premise: String,
    /// One red flag per line: `where | marker | explanation`.
    pub red_flags: String,
}

fn flags_to_text(flags: &[RedFlag]) -> String {
    flags
        .iter()
        .map(|f| {
            let place = match f.r#where {
                FlagPlace::From => "from",
                FlagPlace::Subject => "subject",
                FlagPlace::Body => "body",
                FlagPlace::Attachment => "attachment",
            };
            format!("{place} | {} | {}", f.marker, f.explanation)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl TemplateForm {
    fn from_template(t: &SimTemplate) -> Self {
        Self {
            name: t.name.clone(),
            from_name: t.content.from_name.clone(),
            from_address: t.content.from_address.clone(),
            subject: t.content.subject.clone(),
            html: t.content.html.clone(),
            text: t.content.text.clone(),
            landing: landing_key(t.landing).into(),
            training_module: t.training_module.clone(),
            cues: t.cues.to_string(),
            premise: premise_key(t.premise).into(),
            red_flags: flags_to_text(&t.red_flags),
        }
    }

    /// `attachment` is the name of the file already attached, which red flags
    /// about the attachment must be found in.
    fn parse(
        &self,
        practice_name: &str,
        attachment: Option<&AttachmentMeta>,
    ) -> Result<SimTemplate, FieldErrors> {
        let mut e = FieldErrors::default();
        let need = |e: &mut FieldErrors, field: &str, v: &str, msg: &str| {
            if v.trim().is_empty() {
                e.add(field, msg);
            }
        };
        need(
            &mut e,
            "name",
            &self.name,
            "Give the template a name the practice will recognise",
        );
        need(
            &mut e,
            "from_name",
            &self.from_name,
            "Enter the sender's name as the email will show it",
        );
        need(&mut e, "subject", &self.subject, "Enter a subject line");
        need(&mut e, "html", &self.html, "Enter the email's body");
        if EmailAddress::parse(&self.from_address).is_err() {
            e.add("from_address", "Enter the sender's address as the email will show it, like support@nhs-mail.example");
        }
        let cues = match self.cues.trim().parse::<u8>() {
            Ok(c) => c,
            Err(_) => {
                e.add(
                    "cues",
                    "Enter how many warning signs (cues) the email has, as a number",
                );
                0
            }
        };
        let mut red_flags = Vec::new();
        for (i, line) in self
            .red_flags
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let parts: Vec<&str> = line.splitn(3, '|').map(str::trim).collect();
            let place = match parts.first().map(|s| s.to_ascii_lowercase()).as_deref() {
                Some("from") => Some(FlagPlace::From),
                Some("subject") => Some(FlagPlace::Subject),
                Some("body") => Some(FlagPlace::Body),
                Some("attachment") => Some(FlagPlace::Attachment),
                _ => None,
            };
            match (place, parts.get(1), parts.get(2)) {
                (Some(place), Some(marker), Some(explanation)) if !marker.is_empty() && !explanation.is_empty() => {
                    red_flags.push(RedFlag { r#where: place, marker: marker.to_string(), explanation: explanation.to_string() })
                }
                _ => e.add(
                    "red_flags",
                    format!("Red flag line {} should read: where | words to highlight | explanation (where is from, subject, body or attachment)", i + 1),
                ),
            }
        }
        // Saved without anything live in it, whoever wrote or pasted it.
        let html = match super::sanitise::template_source(&self.html) {
            Ok(h) => h,
            Err(why) => {
                e.add("html", why);
                String::new()
            }
        };
        let t = SimTemplate {
            id: 0,
            name: self.name.trim().into(),
            library_id: None,
            content: Content {
                from_name: self.from_name.trim().into(),
                from_address: self.from_address.trim().into(),
                subject: self.subject.trim().into(),
                html,
                text: self.text.clone(),
            },
            landing: landing_from(&self.landing),
            training_module: MODULES
                .iter()
                .find(|(k, _)| *k == self.training_module)
                .map(|(k, _)| *k)
                .unwrap_or("phishing")
                .into(),
            cues,
            premise: premise_from(&self.premise),
            red_flags,
            attachment: attachment.cloned(),
        };
        if e.is_empty() {
            // The template must render for a real recipient, and its red flags must be findable.
            match render::render(&t.content, &Vars::sample(practice_name)) {
                Err(err) => e.add(err.field, err.message),
                Ok(r) => {
                    for f in &t.red_flags {
                        let found = match f.r#where {
                            FlagPlace::From => {
                                format!("{} <{}>", r.from_name, t.content.from_address)
                                    .contains(&f.marker)
                            }
                            FlagPlace::Subject => r.subject.contains(&f.marker),
                            FlagPlace::Body => {
                                r.html.contains(&render::html_escape(&f.marker))
                                    || r.html.contains(&f.marker)
                            }
                            FlagPlace::Attachment => continue,
                        };
                        if !found {
                            e.add("red_flags", format!("The red flag \"{}\" does not appear in the email as written. Copy the words exactly.", f.marker));
                        }
                    }
                    let name = attachment.map(|a| a.file_name.as_str());
                    for marker in attachments::flags_missing_from(&t.red_flags, name) {
                        e.add("red_flags", match name {
                            Some(n) => format!("The red flag \"{marker}\" is not in the attachment's name, {n:?}. Copy the words exactly."),
                            None => format!("The red flag \"{marker}\" is about an attachment, and this template has none yet. Save the template without it, add the attachment below, then add the red flag."),
                        });
                    }
                }
            }
        }
        if e.is_empty() {
            Ok(t)
        } else {
            Err(e)
        }
    }
}

#[derive(Template)]
#[template(path = "simulation/template_form.html")]
struct FormPage {
    page: Page,
    action: String,
    form: TemplateForm,
    errors: FieldErrors,
    existing: Option<i64>,
    modules: [(&'static str, &'static str); 13],
    difficulty: String,
    variables: String,
    attachment: Option<AttachmentMeta>,
    /// A problem with an upload, shown beside the attachment form.
    attachment_error: Option<String>,
    allowed: &'static str,
    max_mb: usize,
}

fn form_page(
    scope: &ManagerScope,
    existing: Option<i64>,
    form: TemplateForm,
    errors: FieldErrors,
    attachment: Option<AttachmentMeta>,
) -> FormPage {
    let difficulty = form
        .cues
        .trim()
        .parse::<u8>()
        .map(|c| {
            library::nist_difficulty(c, premise_from(&form.premise))
                .label()
                .to_string()
        })
        .unwrap_or_default();
    FormPage {
        page: Page::for_user(
            if existing.is_some() {
                "Edit template"
            } else {
                "New template"
            },
            scope.user(),
        ),
        action: existing
            .map(|id| format!("/simulation/templates/{id}"))
            .unwrap_or_else(|| "/simulation/templates/new".into()),
        form,
        errors,
        existing,
        modules: MODULES,
        difficulty,
        variables: render::VARIABLES
            .iter()
            .map(|v| format!("{{{{ {v} }}}}"))
            .collect::<Vec<_>>()
            .join("  "),
        attachment,
        attachment_error: None,
        allowed: attachments::ALLOWED,
        max_mb: attachments::MAX_BYTES / (1024 * 1024),
    }
}

/// The edit page for a saved template, with a problem from the attachment form if there was one.
pub(crate) fn edit_response(
    scope: &ManagerScope,
    t: SimTemplate,
    attachment_error: Option<String>,
) -> Result<Response, AppError> {
    let mut page = form_page(
        scope,
        Some(t.id),
        TemplateForm::from_template(&t),
        FieldErrors::default(),
        t.attachment.clone(),
    );
    if let Some(problem) = attachment_error {
        page.errors.add("file", problem.clone());
        page.attachment_error = Some(problem);
    }
    Ok(page_render(page)?.into_response())
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

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<TemplateForm>,
) -> Result<Response, AppError> {
    let practice = crate::people::accounts::practice_name(&state.db, scope.practice_id()).await?;
    let t = match form.parse(&practice, None) {
        Ok(t) => t,
        Err(errors) => {
            return Ok(page_render(form_page(&scope, None, form, errors, None))?.into_response())
        }
    };
    let id = insert(&state.db, scope.practice_id(), &t, state.clock.now()).await?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::TemplateChanged,
        &format!("created {}", t.name),
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/simulation/templates/{id}")).into_response())
}

pub async fn edit_page(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let t = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    edit_response(&scope, t, None)
}

pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<TemplateForm>,
) -> Result<Response, AppError> {
    let existing = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let practice = crate::people::accounts::practice_name(&state.db, scope.practice_id()).await?;
    let t = match form.parse(&practice, existing.attachment.as_ref()) {
        Ok(t) => t,
        Err(errors) => {
            return Ok(page_render(form_page(
                &scope,
                Some(id),
                form,
                errors,
                existing.attachment,
            ))?
            .into_response())
        }
    };
    let flags = serde_json::to_string(&t.red_flags).map_err(anyhow::Error::from)?;
    with_db!(&state.db, p => sqlx::query(
        "UPDATE sim_templates SET name = $1, from_name = $2, from_address = $3, subject = $4, html = $5, text_body = $6, landing = $7, \
         training_module = $8, difficulty = $9, cues = $10, premise = $11, red_flags_json = $12, updated_at = $13 WHERE id = $14 AND practice_id = $15")
        .bind(&t.name).bind(&t.content.from_name).bind(&t.content.from_address).bind(&t.content.subject).bind(&t.content.html)
        .bind(&t.content.text).bind(landing_key(t.landing)).bind(&t.training_module).bind(t.difficulty().as_str()).bind(i64::from(t.cues))
        .bind(premise_key(t.premise)).bind(&flags).bind(state.clock.now()).bind(id).bind(scope.practice_id())
        .execute(p).await.map(|_| ()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::TemplateChanged,
        &format!("changed {}", t.name),
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/simulation/templates/{id}")).into_response())
}

/// The email as a sample recipient would see it. Served with a CSP sandbox so
/// nothing in the template can run or reach the app, and shown in an iframe.
pub async fn preview(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let t = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
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

/// Stands for a brace of an imported email while template markers are added around it.
pub(crate) const BRACE: char = '\u{1}';

/// Writes each set-aside brace back so the template shows it as text: as a
/// plain `{` where the template language cannot read it as the start of a
/// marker, and as `{{ "{" }}` where the next character would make it one
/// (`{`, `%` or `#`, including the start of a marker added beside it).
pub(crate) fn braces_as_text(s: &str) -> String {
    let mut out: Vec<char> = Vec::with_capacity(s.len());
    for c in s.chars().rev() {
        if c == BRACE {
            if matches!(out.last(), Some('{' | '%' | '#')) {
                out.extend(r#"{{ "{" }}"#.chars().rev());
            } else {
                out.push('{');
            }
        } else {
            out.push(c);
        }
    }
    out.into_iter().rev().collect()
}

/// Turns a pasted raw email (.eml / MIME source) into a template: sender,
/// subject and bodies kept, every web link pointed at the tracked link, the
/// open pixel and a report footer added. Braces in the original are kept as
/// text, so nothing in a real email is run as template code.
pub fn from_raw_email(raw: &[u8]) -> Option<TemplateForm> {
    // Whatever is pasted, a failure inside the MIME parser (it has debug
    // assertions that odd structures trip) means "not an email", not a crash.
    std::panic::catch_unwind(|| import_raw_email(raw))
        .ok()
        .flatten()
}

fn import_raw_email(raw: &[u8]) -> Option<TemplateForm> {
    let msg = mail_parser::MessageParser::default().parse(raw)?;
    let (from_name, from_address) = msg
        .from()
        .and_then(|a| a.first())
        .map(|a| {
            (
                a.name().unwrap_or("").to_string(),
                a.address().unwrap_or("").to_string(),
            )
        })
        .unwrap_or_default();
    let subject = msg.subject().unwrap_or("").to_string();
    let html = msg.body_html(0).map(|h| h.into_owned());
    let text = msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    let html = match html {
        Some(h) => h,
        None => format!(
            "<p>{}</p>",
            render::html_escape(&text)
                .replace("\n\n", "</p><p>")
                .replace('\n', "<br>")
        ),
    };
    let url = regex_lite::Regex::new(r#"https?://[^\s"'<>)]+"#).expect("valid pattern");
    let href = regex_lite::Regex::new(r#"(?i)href\s*=\s*(["'])\s*https?://[^"']*(["'])"#)
        .expect("valid pattern");
    // Every brace of the original is set aside while links and the footer
    // are added, then written back as text (see `braces_as_text`).
    let protect = |s: &str| s.replace(BRACE, "").replace('{', &BRACE.to_string());
    let restore = |s: String| braces_as_text(&s);
    let html = href
        .replace_all(&protect(&html), "href=\"{{ link }}\"")
        .into_owned();
    // The attacker's live content goes: pixels, scripts, forms, frames, stylesheets, url()s.
    let mut html = super::sanitise::template_source(&html).ok()?;
    let footer = "{{ tracker }}<p style=\"font-size:12px;color:#666\">Not expecting this email? <a href=\"{{ report_link }}\">Report it</a></p>";
    html = match html.to_ascii_lowercase().rfind("</body>") {
        Some(i) => format!("{}{footer}{}", &html[..i], &html[i..]),
        None => format!("{html}{footer}"),
    };
    let text = format!(
        "{}\n\nNot expecting this email? Report it: {{{{ report_link }}}}\n",
        url.replace_all(&protect(&text), "{{ link }}")
    );
    Some(TemplateForm {
        name: if subject.is_empty() {
            "Imported email".into()
        } else {
            format!("Imported: {subject}")
        },
        from_name: restore(protect(&from_name)),
        from_address,
        subject: restore(protect(&subject)),
        html: restore(html),
        text: restore(text),
        landing: "credentials".into(),
        training_module: "phishing".into(),
        cues: "0".into(),
        premise: "medium".into(),
        red_flags: String::new(),
    })
}

#[derive(Template)]
#[template(path = "simulation/template_import.html")]
struct ImportPage {
    page: Page,
    raw: String,
    error: Option<String>,
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

/// The largest email that can be imported (real phishing emails with their
/// styling and pictures are often several hundred kilobytes).
pub const MAX_IMPORT_BYTES: usize = 2 * 1024 * 1024;
/// The import form and the template form that follows it: a form-encoded
/// email can be three times its size.
pub const FORM_LIMIT: usize = 3 * MAX_IMPORT_BYTES + 64 * 1024;

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
    match from_raw_email(form.raw.as_bytes()).filter(|_| !form.raw.trim().is_empty()) {
        Some(t) => {
            let mut errors = FieldErrors::default();
            errors.add("red_flags", "Add the red flags this email shows before saving: one per line, where | words | explanation");
            page_render(form_page(&scope, None, t, errors, None))
        }
        None => page_render(ImportPage {
            page: Page::for_user("Import an email", scope.user()),
            raw: form.raw,
            error: Some("That does not look like an email's source. In Outlook use File → Save As (.eml) or View source, and paste all of it.".into()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulation::fuzz;
    use proptest::prelude::*;

    fn content(f: &TemplateForm) -> Content {
        Content {
            from_name: f.from_name.clone(),
            from_address: f.from_address.clone(),
            subject: f.subject.clone(),
            html: f.html.clone(),
            text: f.text.clone(),
        }
    }

    #[test]
    fn the_example_with_an_attachment_saves_as_written() {
        let (t, a) = attachments::example();
        let saved = TemplateForm::from_template(&t)
            .parse("Riverside Surgery", Some(&a.meta))
            .expect("the example's red flags are all found");
        assert_eq!(saved.red_flags.len(), 3);
        let e = TemplateForm::from_template(&t)
            .parse("Riverside Surgery", None)
            .unwrap_err();
        assert!(
            e.get("red_flags").unwrap().contains("has none yet"),
            "{e:?}"
        );
    }

    #[test]
    fn braces_next_to_the_added_parts_stay_text() {
        for body in ["{", "x{", "{{", "{%", "{#", "{ {{ }}", "a{\r\n"] {
            for ctype in ["text/html", "text/plain"] {
                let raw = format!(
                    "From: A <a@b.example>\r\nSubject: S{body}\r\nContent-Type: {ctype}\r\n\r\n{body}https://evil.example/x {body}"
                );
                let f = from_raw_email(raw.as_bytes()).unwrap();
                let r = render::render(&content(&f), &Vars::sample("X"));
                assert!(
                    r.is_ok(),
                    "{body:?} as {ctype}: {r:?}\n{}\n{}",
                    f.html,
                    f.text
                );
            }
        }
    }

    /// Found by `any_email_imports_to_a_template_that_renders`: a digest with a
    /// uuencoded part and a boundary of "--" trips an assertion inside mail-parser.
    #[test]
    fn a_tangled_digest_is_refused_or_imported_not_a_crash() {
        let raw = b"MIME-Version: 1.0\r\nContent-Type: multipart/digest; boundary=\"--\"\r\n\r\n\r\n----\r\n\
            Content-Transfer-Encoding: x-uuencode\r\n\r\n{{\r\n----\r\nContent-Type: message/rfc822\r\n\r\n\
            From: Original Sender <orig@example.org>\r\nSubject: Original\r\nContent-Type: text/plain; charset=utf-8\r\n\
            Content-Transfer-Encoding: 7bit\r\n\r\n\r\n------\r\n";
        if let Some(f) = from_raw_email(raw) {
            assert!(render::render(&content(&f), &Vars::sample("X")).is_ok());
        }
    }

    mod fuzz_import {
        use super::*;

        proptest! {
            #![proptest_config(crate::simulation::fuzz::config(192))]

            /// Any pasted email either is refused or becomes a template that
            /// renders: nothing in it is run as template code.
            #[test]
            fn any_email_imports_to_a_template_that_renders(raw in fuzz::email()) {
                if let Some(f) = from_raw_email(&raw) {
                    let r = render::render(&content(&f), &Vars::sample("Riverside Surgery"));
                    prop_assert!(r.is_ok(), "{:?}\nhtml: {}\ntext: {}", r.err(), f.html, f.text);
                }
            }

            /// Braces and markers in an imported email come out exactly as they went in.
            #[test]
            fn imported_braces_render_as_themselves(body in "[a-zA-Z{}%# -]{1,60}") {
                let raw = format!("From: A <a@b.example>\r\nSubject: {body}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n");
                let f = from_raw_email(raw.as_bytes()).unwrap();
                let r = render::render(&content(&f), &Vars::sample("X")).unwrap();
                prop_assert_eq!(r.subject.trim(), body.trim());
                prop_assert!(r.text.starts_with(body.trim_end()), "{:?} from {:?}", r.text, f.text);
            }
        }
    }
}
