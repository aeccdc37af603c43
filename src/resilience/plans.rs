//! Incident-response and disaster-recovery plans: started from our templates,
//! filled in with the practice's own people and numbers, approved and
//! versioned, and printed as a hard copy that works when the computers don't
//! (DSPT 7.3.2 asks when the contact list was last updated and printed).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::plan_content::{self, role_title, Phase, Statements, Step, ROLES};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::{is_unique_violation, Db};
use crate::pdf::{Align, Document, Weight};
use crate::shared::{AppState, PracticeId};
use crate::training::compliance::{pdf_response, practice_name};
use crate::training::content::Source;
use crate::ukclock;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};
use crate::with_db;

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct PlanRole {
    pub key: String,
    pub responsibilities: String,
    pub person: String,
    pub person_phone: String,
    pub deputy: String,
    pub deputy_phone: String,
}

impl PlanRole {
    pub fn title(&self) -> &'static str {
        role_title(&self.key)
    }

    /// The edit form's inputs: (field suffix, label, value).
    pub fn fields(&self) -> Vec<(&'static str, &'static str, &str)> {
        vec![
            ("person", "Named person", &self.person),
            ("person_phone", "Their phone", &self.person_phone),
            ("deputy", "Deputy", &self.deputy),
            ("deputy_phone", "Deputy's phone", &self.deputy_phone),
        ]
    }
}

impl Contact {
    pub fn fields(&self) -> Vec<(&'static str, &'static str, &str)> {
        vec![
            ("organisation", "Organisation", &self.organisation),
            ("name", "Name", &self.name),
            ("phone", "Phone", &self.phone),
            ("email", "Email", &self.email),
            ("notes", "Notes", &self.notes),
        ]
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Contact {
    pub name: String,
    pub organisation: String,
    pub phone: String,
    pub email: String,
    pub notes: String,
}

/// A practice's plan, stored as JSON so a template's shape carries over whole.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlanBody {
    pub title: String,
    pub summary: String,
    pub personal_data: bool,
    pub roles: Vec<PlanRole>,
    pub contacts: Vec<Contact>,
    pub phases: Vec<Phase>,
    pub continuity: Vec<String>,
    pub recovery: Vec<String>,
    pub statements: Statements,
    pub sources: Vec<Source>,
}

impl PlanBody {
    pub fn from_template(t: &plan_content::PlanTemplate, practice: &str) -> Self {
        let fill = |s: &str| s.replace("{{ practice_name }}", practice);
        let contact = |org: &str| Contact {
            organisation: org.to_string(),
            ..Default::default()
        };
        Self {
            title: t.title.clone(),
            summary: t.summary.clone(),
            personal_data: t.personal_data,
            roles: t
                .roles
                .iter()
                .map(|r| PlanRole {
                    key: r.key.clone(),
                    responsibilities: r.responsibilities.clone(),
                    ..Default::default()
                })
                .collect(),
            contacts: [
                "ICB GP IT service desk",
                "Clinical system supplier helpdesk",
                "NHSmail helpdesk",
                "Data protection officer",
                "Telephony supplier",
                "Building and alarm",
            ]
            .into_iter()
            .filter(|org| {
                // A national contact below replaces its empty line here.
                !t.national_contacts
                    .iter()
                    .filter_map(|k| plan_content::national_contact(k))
                    .any(|c| c.organisation.starts_with(org))
            })
            .map(contact)
            .chain(
                t.national_contacts
                    .iter()
                    .filter_map(|k| plan_content::national_contact(k))
                    .map(|c| Contact {
                        organisation: c.organisation.clone(),
                        phone: c.phone.clone(),
                        notes: c.when.clone(),
                        ..Default::default()
                    }),
            )
            .collect(),
            phases: t.phases.clone(),
            continuity: t.continuity.steps.clone(),
            recovery: t.recovery.steps.clone(),
            statements: Statements {
                patients: fill(&t.statements.patients),
                press: fill(&t.statements.press),
            },
            sources: t.sources.clone(),
        }
    }

    /// Every action in order, as an incident's checklist.
    pub fn checklist(&self) -> Vec<(String, Step)> {
        self.phases
            .iter()
            .flat_map(|p| p.steps.iter().map(move |s| (p.name.clone(), s.clone())))
            .collect()
    }

    fn phase_text(&self, i: usize) -> String {
        self.phases[i]
            .steps
            .iter()
            .map(|s| {
                if s.role == "everyone" {
                    s.text.clone()
                } else {
                    format!("[{}] {}", role_title(&s.role), s.text)
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// "[Incident lead] Call the ICB" → (incident-lead, "Call the ICB"); a line
/// without a known role in brackets is for everyone.
pub fn parse_step(line: &str) -> Step {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix('[') {
        if let Some((label, text)) = rest.split_once(']') {
            let label = label.trim();
            if let Some((key, _)) = ROLES
                .iter()
                .find(|(k, t)| t.eq_ignore_ascii_case(label) || k.eq_ignore_ascii_case(label))
            {
                return Step {
                    role: key.to_string(),
                    text: text.trim().to_string(),
                };
            }
        }
    }
    Step {
        role: "everyone".into(),
        text: line.to_string(),
    }
}

pub struct PlanRow {
    pub id: i64,
    pub template: String,
    pub body: PlanBody,
    pub version: i64,
    pub status: String,
    pub approved_version: Option<i64>,
    pub approved_by: Option<String>,
    pub approved_at: Option<i64>,
    pub review_on: Option<String>,
    pub last_printed_at: Option<i64>,
    pub last_printed_by: Option<String>,
    pub updated_at: i64,
}

impl PlanRow {
    pub fn approved_on(&self) -> String {
        self.approved_at
            .map(|t| ukclock::local_date(t).to_string())
            .unwrap_or_default()
    }
    pub fn printed(&self) -> String {
        match (self.last_printed_at, &self.last_printed_by) {
            (Some(t), Some(by)) => format!("{} by {by}", ukclock::format(t)),
            _ => "never".into(),
        }
    }
    pub fn updated(&self) -> String {
        ukclock::format(self.updated_at)
    }
    pub fn review_due(&self, today: time::Date) -> bool {
        self.review_on
            .as_deref()
            .and_then(crate::training::assignments::parse_date)
            .is_some_and(|d| d <= today)
    }
}

type Row = (
    i64,
    String,
    String,
    i64,
    String,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
);

const COLUMNS: &str = "id, template, body, version, status, approved_version, approved_by, approved_at, review_on, last_printed_at, last_printed_by, updated_at";

fn from_row(r: Row) -> Result<PlanRow, AppError> {
    let body: PlanBody = serde_json::from_str(&r.2)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("plan {} body: {e}", r.0)))?;
    Ok(PlanRow {
        id: r.0,
        template: r.1,
        body,
        version: r.3,
        status: r.4,
        approved_version: r.5,
        approved_by: r.6,
        approved_at: r.7,
        review_on: r.8,
        last_printed_at: r.9,
        last_printed_by: r.10,
        updated_at: r.11,
    })
}

pub async fn all(db: &Db, practice_id: PracticeId) -> Result<Vec<PlanRow>, AppError> {
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM plans WHERE practice_id = $1 ORDER BY id"))
        .bind(practice_id).fetch_all(p).await)?;
    rows.into_iter().map(from_row).collect()
}

pub async fn find(db: &Db, practice_id: PracticeId, id: i64) -> Result<PlanRow, AppError> {
    let row: Option<Row> = with_db!(db, p => sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM plans WHERE id = $1 AND practice_id = $2"))
        .bind(id).bind(practice_id).fetch_optional(p).await)?;
    from_row(row.ok_or(AppError::NotFound)?)
}

// ---- List and start from a template ---------------------------------------------------

#[derive(Template)]
#[template(path = "resilience/plans.html")]
struct PlansPage {
    page: Page,
    plans: Vec<PlanRow>,
    unused: Vec<(&'static str, &'static str, &'static str)>,
    is_manager: bool,
    today: time::Date,
}

pub async fn list(
    State(state): State<AppState>,
    scope: PracticeScope,
) -> Result<Html<String>, AppError> {
    let plans = all(&state.db, scope.practice_id()).await?;
    let unused = plan_content::templates()
        .iter()
        .filter(|t| !plans.iter().any(|p| p.template == t.slug))
        .map(|t| (t.slug.as_str(), t.title.as_str(), t.summary.as_str()))
        .collect();
    render(PlansPage {
        page: Page::for_user("Incident and recovery plans", scope.user()),
        plans,
        unused,
        is_manager: scope.role() == crate::auth::Role::Manager,
        today: ukclock::local_date(state.clock.now()),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewPlan {
    template: String,
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<NewPlan>,
) -> Result<Response, AppError> {
    let t = plan_content::template(&form.template)
        .ok_or_else(|| AppError::BadRequest("Choose one of the plan templates listed.".into()))?;
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let body = serde_json::to_string(&PlanBody::from_template(t, &practice))
        .map_err(|e| AppError::Unexpected(e.into()))?;
    let now = state.clock.now();
    let r: Result<(i64,), sqlx::Error> = with_db!(&state.db, p => sqlx::query_as(
        "INSERT INTO plans (practice_id, template, body, version, status, created_at, updated_at) VALUES ($1, $2, $3, 1, 'draft', $4, $4) RETURNING id")
        .bind(scope.practice_id()).bind(&t.slug).bind(&body).bind(now).fetch_one(p).await);
    let id = match r {
        Ok((id,)) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::BadRequest(format!(
                "The practice already has a {} plan: open it from the list of plans.",
                t.title
            )))
        }
        Err(e) => return Err(e.into()),
    };
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::PlanChanged,
        &format!("started the {} plan from the template", t.title),
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/resilience/plans/{id}/edit")).into_response())
}

// ---- Read and print -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "resilience/plan.html")]
struct PlanPage {
    page: Page,
    plan: PlanRow,
    is_manager: bool,
    print: bool,
    practice: String,
    /// Changes to make, from incident reviews: (date, text).
    notes: Vec<(String, String)>,
}

async fn notes(
    db: &Db,
    practice_id: PracticeId,
    plan_id: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows: Vec<(i64, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT created_at, text FROM plan_notes WHERE practice_id = $1 AND plan_id = $2 ORDER BY id")
        .bind(practice_id).bind(plan_id).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(at, t)| (ukclock::local_date(at).to_string(), t))
        .collect())
}

pub async fn show(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(plan_id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let plan = find(&state.db, scope.practice_id(), plan_id).await?;
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let notice = plan
        .review_due(ukclock::local_date(state.clock.now()))
        .then(|| {
            "This plan is due for review: check the names and numbers, then approve it again."
                .to_string()
        });
    render(PlanPage {
        page: Page::for_user(plan.body.title.clone(), scope.user()).with_notice(notice),
        is_manager: scope.role() == crate::auth::Role::Manager,
        notes: notes(&state.db, scope.practice_id(), plan_id).await?,
        plan,
        print: false,
        practice,
    })
}

async fn mark_printed(state: &AppState, scope: &PracticeScope, id: i64) -> Result<(), AppError> {
    with_db!(&state.db, p => sqlx::query("UPDATE plans SET last_printed_at = $1, last_printed_by = $2 WHERE id = $3 AND practice_id = $4")
        .bind(state.clock.now()).bind(&scope.user().full_name).bind(id).bind(scope.practice_id())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PrintQuery {
    printed: Option<String>,
}

/// A page laid out for paper. Opening it changes nothing (a link from
/// anywhere could open it); pressing "Print this plan" records the print.
pub async fn print(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(plan_id): Path<i64>,
    Query(q): Query<PrintQuery>,
) -> Result<Html<String>, AppError> {
    let plan = find(&state.db, scope.practice_id(), plan_id).await?;
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let mut page = Page::bare(plan.body.title.clone());
    page.scripts.push("/static/js/print.js");
    let recorded = q.printed.is_some();
    render(PlanPage {
        page: page.with_notice(recorded.then(|| {
            "Recorded as printed. If the print window did not open, use your browser's Print command."
                .to_string()
        })),
        notes: Vec::new(),
        plan,
        is_manager: false,
        print: true,
        practice,
    })
}

/// "Print this plan": records who printed it and when, then shows the page to print.
pub async fn record_print(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(plan_id): Path<i64>,
) -> Result<Response, AppError> {
    let plan = find(&state.db, scope.practice_id(), plan_id).await?;
    mark_printed(&state, &scope, plan.id).await?;
    Ok(Redirect::to(&format!("/resilience/plans/{}/print?printed=1", plan.id)).into_response())
}

pub fn plan_pdf(plan: &PlanRow, practice: &str, printed_by: &str, now: i64) -> Vec<u8> {
    let b = &plan.body;
    let status = match (plan.status.as_str(), plan.approved_version) {
        ("approved", _) => format!(
            "Version {}, approved {} by {}",
            plan.version,
            plan.approved_on(),
            plan.approved_by.clone().unwrap_or_default()
        ),
        (_, Some(v)) => format!(
            "Version {} (draft: changed since version {v} was approved)",
            plan.version
        ),
        _ => format!("Version {} (draft, not yet approved)", plan.version),
    };
    let mut doc = Document::new(
        &b.title,
        &format!(
            "{practice} · {} · {status} · printed {} by {printed_by}",
            b.title,
            ukclock::format(now)
        ),
    );
    doc.title(&format!("{}: {}", practice, b.title));
    doc.paragraph(&b.summary);
    doc.field("Status", &status);
    if let Some(r) = &plan.review_on {
        doc.field("Review by", r);
    }
    doc.paragraph("Keep this copy somewhere everyone can find it without a computer. Tick each action as it is done and write the time beside it.");
    doc.heading("Who does what");
    for r in &b.roles {
        doc.subheading(r.title());
        let person = if r.person.is_empty() {
            "(name to be filled in)".to_string()
        } else {
            format!("{} {}", r.person, r.person_phone)
        };
        doc.text_with(
            &format!("Named person: {person}"),
            11.0,
            Weight::Regular,
            Align::Left,
            0.0,
        );
        let deputy = if r.deputy.is_empty() {
            "(deputy to be filled in)".to_string()
        } else {
            format!("{} {}", r.deputy, r.deputy_phone)
        };
        doc.text_with(
            &format!("Deputy: {deputy}"),
            11.0,
            Weight::Regular,
            Align::Left,
            0.0,
        );
        doc.paragraph(&r.responsibilities);
    }
    doc.heading("Contact list");
    for c in &b.contacts {
        let line = [
            c.organisation.as_str(),
            c.name.as_str(),
            c.phone.as_str(),
            c.email.as_str(),
            c.notes.as_str(),
        ]
        .iter()
        .filter(|s| !s.trim().is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" · ");
        let line = if c.phone.trim().is_empty() {
            format!("{line} · (number to be filled in)")
        } else {
            line
        };
        doc.bullet(&line);
    }
    for phase in &b.phases {
        doc.heading(&phase.name);
        for s in &phase.steps {
            let who = if s.role == "everyone" {
                String::new()
            } else {
                format!("{}: ", role_title(&s.role))
            };
            doc.bullet_with("[  ]", &format!("{who}{}", s.text));
        }
    }
    doc.heading("Working while systems are restored");
    for s in &b.continuity {
        doc.bullet(s);
    }
    doc.heading("Getting data back");
    for (i, s) in b.recovery.iter().enumerate() {
        doc.bullet_with(&format!("{}.", i + 1), s);
    }
    doc.heading("Draft statement for patients");
    doc.paragraph(&b.statements.patients);
    doc.heading("Draft statement for the press");
    doc.paragraph(&b.statements.press);
    doc.subheading("Based on guidance from");
    for s in &b.sources {
        doc.bullet(&format!("{}: {}", s.publisher, s.title));
    }
    doc.finish()
}

/// The PDF to look at (a link); changes nothing.
pub async fn pdf(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(plan_id): Path<i64>,
) -> Result<Response, AppError> {
    let plan = find(&state.db, scope.practice_id(), plan_id).await?;
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let bytes = plan_pdf(&plan, &practice, &scope.user().full_name, state.clock.now());
    Ok(pdf_response(bytes, &format!("{}-plan.pdf", plan.template)))
}

/// "Download the PDF to print": records the print, then gives the PDF.
pub async fn pdf_to_print(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(plan_id): Path<i64>,
) -> Result<Response, AppError> {
    let plan = find(&state.db, scope.practice_id(), plan_id).await?;
    mark_printed(&state, &scope, plan.id).await?;
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let bytes = plan_pdf(&plan, &practice, &scope.user().full_name, state.clock.now());
    Ok(pdf_response(bytes, &format!("{}-plan.pdf", plan.template)))
}

// ---- Edit -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "resilience/plan_edit.html")]
struct EditPage {
    page: Page,
    plan_id: i64,
    body: PlanBody,
    phases: Vec<(usize, String, String)>,
    continuity: String,
    recovery: String,
    errors: FieldErrors,
}

impl EditPage {
    fn text_areas(&self) -> Vec<(&'static str, &'static str, &str)> {
        vec![
            (
                "continuity",
                "Working while systems are restored (one per line)",
                &self.continuity,
            ),
            (
                "recovery",
                "Getting data back (one step per line)",
                &self.recovery,
            ),
            (
                "patients",
                "Draft statement for patients",
                &self.body.statements.patients,
            ),
            (
                "press",
                "Draft statement for the press",
                &self.body.statements.press,
            ),
        ]
    }
}

fn edit_page(
    scope: &PracticeScope,
    plan_id: i64,
    mut body: PlanBody,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    // Three empty rows for new contacts.
    for _ in 0..3 {
        body.contacts.push(Contact::default());
    }
    let phases = (0..body.phases.len())
        .map(|i| (i, body.phases[i].name.clone(), body.phase_text(i)))
        .collect();
    render(EditPage {
        page: Page::for_user(format!("Edit: {}", body.title), scope.user()),
        plan_id,
        continuity: body.continuity.join("\n"),
        recovery: body.recovery.join("\n"),
        phases,
        body,
        errors,
    })
}

pub async fn edit(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(plan_id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let plan = find(&state.db, scope.practice_id(), plan_id).await?;
    edit_page(&scope, plan.id, plan.body, FieldErrors::default())
}

const MAX_FIELD: usize = 4000;
const MAX_LIST: usize = 80;

/// Rebuilds the plan from the form, keeping what the form does not carry
/// (title, summary, responsibilities, sources). Problems are collected, not fatal.
pub fn apply_form(old: &PlanBody, fields: &[(String, String)]) -> (PlanBody, FieldErrors) {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.replace('\r', ""))
            .unwrap_or_default()
    };
    let mut errors = FieldErrors::default();
    let check = |errors: &mut FieldErrors, field: &str, value: &str, what: &str| {
        if value.chars().count() > MAX_FIELD {
            errors.add(
                field,
                format!("{what} is too long: keep it under {MAX_FIELD} characters"),
            );
        }
    };
    let phone_ok = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_digit() || " +()-ext.".contains(c))
    };
    let mut body = old.clone();
    for r in body.roles.iter_mut() {
        for (suffix, slot) in [
            ("person", &mut r.person),
            ("person_phone", &mut r.person_phone),
            ("deputy", &mut r.deputy),
            ("deputy_phone", &mut r.deputy_phone),
        ] {
            *slot = get(&format!("role-{}-{suffix}", r.key)).trim().to_string();
        }
        let title = role_title(&r.key);
        for (suffix, value) in [
            ("person_phone", &r.person_phone),
            ("deputy_phone", &r.deputy_phone),
        ] {
            if !phone_ok(value) {
                errors.add(&format!("role-{}-{suffix}", r.key), format!("Enter the phone number for the {title} with digits and spaces only, like 01632 960123"));
            }
        }
        for (suffix, value) in [("person", &r.person), ("deputy", &r.deputy)] {
            if value.chars().count() > 200 {
                errors.add(
                    &format!("role-{}-{suffix}", r.key),
                    "Keep names under 200 characters",
                );
            }
        }
    }
    let mut contacts = Vec::new();
    let mut i = 0;
    while fields
        .iter()
        .any(|(n, _)| n.starts_with(&format!("contact-{i}-")))
    {
        let c = Contact {
            name: get(&format!("contact-{i}-name")).trim().to_string(),
            organisation: get(&format!("contact-{i}-organisation")).trim().to_string(),
            phone: get(&format!("contact-{i}-phone")).trim().to_string(),
            email: get(&format!("contact-{i}-email")).trim().to_string(),
            notes: get(&format!("contact-{i}-notes")).trim().to_string(),
        };
        if !phone_ok(&c.phone) {
            errors.add(
                &format!("contact-{i}-phone"),
                format!(
                    "Enter the phone number for contact {} with digits and spaces only",
                    i + 1
                ),
            );
        }
        if [&c.name, &c.organisation, &c.phone, &c.email, &c.notes]
            .iter()
            .any(|s| !s.is_empty())
        {
            contacts.push(c);
        }
        i += 1;
        if i > MAX_LIST {
            break;
        }
    }
    body.contacts = contacts;
    for (i, phase) in body.phases.iter_mut().enumerate() {
        let field = format!("phase-{i}");
        let text = get(&field);
        check(&mut errors, &field, &text, &phase.name);
        phase.steps = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(parse_step)
            .collect();
        if phase.steps.is_empty() {
            errors.add(
                &field,
                format!("Write at least one action for \"{}\"", phase.name),
            );
        }
    }
    for (field, list, what) in [
        (
            "continuity",
            &mut body.continuity,
            "Working while systems are restored",
        ),
        ("recovery", &mut body.recovery, "Getting data back"),
    ] {
        let text = get(field);
        check(&mut errors, field, &text, what);
        *list = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
    }
    body.statements.patients = get("patients").trim().to_string();
    body.statements.press = get("press").trim().to_string();
    check(
        &mut errors,
        "patients",
        &body.statements.patients,
        "The statement for patients",
    );
    check(
        &mut errors,
        "press",
        &body.statements.press,
        "The statement for the press",
    );
    (body, errors)
}

pub async fn save(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(plan_id): Path<i64>,
    axum_extra::extract::Form(fields): axum_extra::extract::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let plan = find(&state.db, scope.practice_id(), plan_id).await?;
    let (body, errors) = apply_form(&plan.body, &fields);
    if !errors.is_empty() {
        // Shown again exactly as typed, so nothing is lost while it is fixed.
        return Ok(edit_page(&scope, plan.id, body, errors)?.into_response());
    }
    if body == plan.body {
        return Ok(Redirect::to(&format!("/resilience/plans/{}", plan.id)).into_response());
    }
    let json = serde_json::to_string(&body).map_err(|e| AppError::Unexpected(e.into()))?;
    // Changing an approved plan starts the next version as a draft.
    let version = if plan.status == "approved" {
        plan.version + 1
    } else {
        plan.version
    };
    let now = state.clock.now();
    with_db!(&state.db, p => sqlx::query("UPDATE plans SET body = $1, version = $2, status = 'draft', updated_at = $3 WHERE id = $4 AND practice_id = $5")
        .bind(&json).bind(version).bind(now).bind(plan.id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::PlanChanged,
        &format!("edited the {} plan (version {version}, draft)", body.title),
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/resilience/plans/{}", plan.id)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ApproveForm {
    review_on: String,
}

/// Approval freezes this version (kept in plan_versions) and sets the review date.
pub async fn approve(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(plan_id): Path<i64>,
    ValidForm(form): ValidForm<ApproveForm>,
) -> Result<Response, AppError> {
    let plan = find(&state.db, scope.practice_id(), plan_id).await?;
    let now = state.clock.now();
    let today = ukclock::local_date(now);
    let review = match form.review_on.trim() {
        "" => ukclock::add_months(today, 12),
        s => crate::training::assignments::parse_date(s)
            .filter(|d| *d > today && *d <= ukclock::add_months(today, 12))
            .ok_or_else(|| AppError::BadRequest("Enter a review date within the next 12 months, for example 2027-06-30. The plan has not been approved yet.".into()))?,
    };
    if plan
        .body
        .roles
        .iter()
        .any(|r| r.key == "incident-lead" && r.person.is_empty())
    {
        return Err(AppError::BadRequest("Name the incident lead before approving the plan: edit the plan and fill in \"Who does what\". Nothing has been changed.".into()));
    }
    let json = serde_json::to_string(&plan.body).map_err(|e| AppError::Unexpected(e.into()))?;
    with_db!(&state.db, p => sqlx::query(
        "INSERT INTO plan_versions (plan_id, practice_id, version, body, approved_by, approved_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
        .bind(plan.id).bind(scope.practice_id()).bind(plan.version).bind(&json).bind(&scope.user().full_name).bind(now)
        .execute(p).await.map(|r| r.rows_affected()))?;
    with_db!(&state.db, p => sqlx::query(
        "UPDATE plans SET status = 'approved', approved_version = version, approved_by = $1, approved_at = $2, review_on = $3 WHERE id = $4 AND practice_id = $5")
        .bind(&scope.user().full_name).bind(now).bind(review.to_string()).bind(plan.id).bind(scope.practice_id())
        .execute(p).await.map(|r| r.rows_affected()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::PlanChanged,
        &format!(
            "approved version {} of the {} plan, review by {review}",
            plan.version, plan.body.title
        ),
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/resilience/plans/{}", plan.id)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_line_names_its_role_in_brackets_or_is_for_everyone() {
        assert_eq!(
            parse_step("[Incident lead] Call the ICB"),
            Step {
                role: "incident-lead".into(),
                text: "Call the ICB".into()
            }
        );
        assert_eq!(parse_step("[dpo] Assess the breach").role, "dpo");
        assert_eq!(parse_step("[Someone] Do it").role, "everyone");
        assert_eq!(parse_step("Pull the cable out").text, "Pull the cable out");
    }

    #[test]
    fn the_edit_form_round_trips_a_template_unchanged() {
        let t = plan_content::template("ransomware").unwrap();
        let body = PlanBody::from_template(t, "Riverside Surgery");
        assert!(body.statements.patients.contains("Riverside Surgery"));
        let mut fields: Vec<(String, String)> = Vec::new();
        for r in &body.roles {
            for s in ["person", "person_phone", "deputy", "deputy_phone"] {
                fields.push((format!("role-{}-{s}", r.key), String::new()));
            }
        }
        for (i, c) in body.contacts.iter().enumerate() {
            for (suffix, _, value) in c.fields() {
                fields.push((format!("contact-{i}-{suffix}"), value.to_string()));
            }
        }
        assert!(
            body.contacts.iter().any(|c| c.phone == "0300 303 5222"),
            "the ransomware plan starts with NHS England's 24/7 number"
        );
        for i in 0..body.phases.len() {
            fields.push((format!("phase-{i}"), body.phase_text(i)));
        }
        fields.push(("continuity".into(), body.continuity.join("\n")));
        fields.push(("recovery".into(), body.recovery.join("\n")));
        fields.push(("patients".into(), body.statements.patients.clone()));
        fields.push(("press".into(), body.statements.press.clone()));
        let (again, errors) = apply_form(&body, &fields);
        assert!(errors.is_empty());
        assert_eq!(again, body);
    }
}
