//! The practice manager's view of training: who is trained against the DSPT
//! target, who is overdue, by department; the role curricula; the training
//! needs analysis (DSPT 3.1.1); one person's training record.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::content::{catalogue, module_title, SLUGS};
use super::settings::{self, TrainingSettings};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::ManagerScope;
use crate::db::Db;
use crate::shared::{AppState, PracticeId, StaffId};
use crate::ukclock;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};
use crate::with_db;

pub struct Overdue {
    pub staff_id: i64,
    pub name: String,
    pub module_title: String,
    pub due: String,
}

pub struct DepartmentLine {
    pub name: String,
    pub staff: usize,
    pub trained: usize,
}

impl DepartmentLine {
    pub fn percent(&self) -> usize {
        (self.trained * 100).checked_div(self.staff).unwrap_or(0)
    }
}

pub struct PersonLine {
    pub staff_id: i64,
    pub name: String,
    pub department: String,
    pub missing: Vec<String>,
}

pub struct Summary {
    pub staff: usize,
    pub trained: usize,
    pub overdue: Vec<Overdue>,
    pub departments: Vec<DepartmentLine>,
    pub not_trained: Vec<PersonLine>,
}

impl Summary {
    pub fn percent(&self) -> usize {
        (self.trained * 100).checked_div(self.staff).unwrap_or(0)
    }
}

/// Every role's modules at this practice in one query: the manager's versions
/// over the shipped ones.
pub async fn curricula(
    db: &Db,
    practice_id: PracticeId,
) -> Result<HashMap<String, Vec<String>>, sqlx::Error> {
    let mut map: HashMap<String, Vec<String>> = catalogue()
        .roles
        .iter()
        .map(|r| (r.key.clone(), r.modules.clone()))
        .collect();
    let rows: Vec<(String, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT role_key, modules FROM training_curricula WHERE practice_id = $1")
        .bind(practice_id).fetch_all(p).await)?;
    for (key, modules) in rows {
        map.insert(
            key,
            modules
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        );
    }
    Ok(map)
}

type StaffRow = (i64, String, String, String, Option<String>);

/// Trained means: every module of the person's curriculum completed within the
/// refresher interval. Three indexed queries whatever the practice's size.
pub async fn summary(
    db: &Db,
    practice_id: PracticeId,
    s: &TrainingSettings,
    now: i64,
) -> Result<Summary, sqlx::Error> {
    let since = ukclock::end_of_day(ukclock::add_months(
        ukclock::local_date(now),
        -s.refresher_months,
    ));
    let staff: Vec<StaffRow> = with_db!(db, p => sqlx::query_as(
        "SELECT s.id, s.full_name, s.job_role, s.employment_type, d.name FROM staff s \
         LEFT JOIN departments d ON d.id = s.department_id WHERE s.practice_id = $1 AND s.active ORDER BY s.full_name")
        .bind(practice_id).fetch_all(p).await)?;
    let done: Vec<(i64, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT DISTINCT staff_id, module FROM training_completions WHERE practice_id = $1 AND completed_at > $2")
        .bind(practice_id).bind(since).fetch_all(p).await)?;
    let done: HashSet<(i64, String)> = done.into_iter().collect();
    let overdue_rows: Vec<(i64, String, String, i64)> = with_db!(db, p => sqlx::query_as(
        "SELECT a.staff_id, st.full_name, a.module, a.due_at FROM training_assignments a \
         JOIN staff st ON st.id = a.staff_id AND st.practice_id = a.practice_id AND st.active \
         WHERE a.practice_id = $1 AND a.completed_at IS NULL AND a.due_at < $2 ORDER BY a.due_at")
        .bind(practice_id).bind(now).fetch_all(p).await)?;
    let curricula = curricula(db, practice_id).await?;
    let mut departments: Vec<DepartmentLine> = Vec::new();
    let mut not_trained = Vec::new();
    let mut trained = 0;
    for (id, name, job_role, employment, dept) in &staff {
        let role = catalogue().role_for(job_role, employment);
        let modules = curricula.get(&role.key).cloned().unwrap_or_default();
        let missing: Vec<String> = modules
            .iter()
            .filter(|m| !done.contains(&(*id, (*m).clone())))
            .map(|m| module_title(m).to_string())
            .collect();
        let ok = missing.is_empty();
        let dept_name = dept.clone().unwrap_or_else(|| "No department".into());
        match departments.iter_mut().find(|d| d.name == dept_name) {
            Some(d) => {
                d.staff += 1;
                d.trained += usize::from(ok);
            }
            None => departments.push(DepartmentLine {
                name: dept_name.clone(),
                staff: 1,
                trained: usize::from(ok),
            }),
        }
        if ok {
            trained += 1;
        } else {
            not_trained.push(PersonLine {
                staff_id: *id,
                name: name.clone(),
                department: dept_name,
                missing,
            });
        }
    }
    departments.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Summary {
        staff: staff.len(),
        trained,
        overdue: overdue_rows
            .into_iter()
            .map(|(staff_id, name, module, due)| Overdue {
                staff_id,
                name,
                module_title: module_title(&module).to_string(),
                due: ukclock::local_date(due).to_string(),
            })
            .collect(),
        departments,
        not_trained,
    })
}

#[derive(Template)]
#[template(path = "training/manage.html")]
struct ManagePage {
    page: Page,
    s: TrainingSettings,
    c: Summary,
    met: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Notice {
    assigned: Option<u32>,
    saved: Option<String>,
}

pub async fn manage(
    State(state): State<AppState>,
    scope: ManagerScope,
    Query(n): Query<Notice>,
) -> Result<Html<String>, AppError> {
    let s = settings::load(&state.db, scope.practice_id()).await?;
    let c = summary(&state.db, scope.practice_id(), &s, state.clock.now()).await?;
    let notice = match (n.assigned, n.saved.as_deref()) {
        (Some(0), _) => Some("Nothing new to assign: everyone chosen already had it to do.".to_string()),
        (Some(k), _) => Some(format!("Training assigned: {k} new assignments. Each person will see it on their training page.")),
        (_, Some("settings")) => Some("Training rules saved.".to_string()),
        (_, Some("curricula")) => Some("Role curricula saved.".to_string()),
        (_, Some("tna")) => Some("Training needs analysis saved.".to_string()),
        _ => None,
    };
    let met = c.staff > 0 && c.percent() as i64 >= s.compliance_target;
    render(ManagePage {
        page: Page::for_user("Training and compliance", scope.user()).with_notice(notice),
        s,
        c,
        met,
    })
}

// ---- Role curricula ---------------------------------------------------------------

pub struct CurriculumRow {
    pub key: String,
    pub name: String,
    pub modules: Vec<(&'static str, String, bool)>,
}

#[derive(Template)]
#[template(path = "training/curricula.html")]
struct CurriculaPage {
    page: Page,
    roles: Vec<CurriculumRow>,
}

pub async fn curricula_page(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let map = curricula(&state.db, scope.practice_id()).await?;
    let roles = catalogue()
        .roles
        .iter()
        .map(|r| CurriculumRow {
            key: r.key.clone(),
            name: r.name.clone(),
            modules: catalogue()
                .modules
                .iter()
                .map(|m| {
                    let on = map
                        .get(&r.key)
                        .is_some_and(|v| v.iter().any(|x| x == m.slug));
                    (m.slug, m.title.clone(), on)
                })
                .collect(),
        })
        .collect();
    render(CurriculaPage {
        page: Page::for_user("Role curricula", scope.user()),
        roles,
    })
}

/// Checkboxes arrive as `role=module` pairs, one per ticked box.
pub async fn curricula_save(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    axum_extra::extract::Form(fields): axum_extra::extract::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut chosen: HashMap<&str, Vec<&str>> = catalogue()
        .roles
        .iter()
        .map(|r| (r.key.as_str(), Vec::new()))
        .collect();
    for (role, module) in &fields {
        let Some(list) = chosen.get_mut(role.as_str()) else {
            continue;
        };
        if let Some(slug) = SLUGS.iter().find(|s| **s == module) {
            if !list.contains(slug) {
                list.push(slug);
            }
        }
    }
    let mut changed = Vec::new();
    let before = curricula(&state.db, scope.practice_id()).await?;
    for role in &catalogue().roles {
        let mut list = chosen[role.key.as_str()].clone();
        list.sort_by_key(|m| SLUGS.iter().position(|s| s == m));
        let joined = list.join(",");
        if before.get(&role.key).map(|v| v.join(",")) == Some(joined.clone()) {
            continue;
        }
        with_db!(&state.db, p => sqlx::query(
            "INSERT INTO training_curricula (practice_id, role_key, modules) VALUES ($1, $2, $3) \
             ON CONFLICT (practice_id, role_key) DO UPDATE SET modules = $3")
            .bind(scope.practice_id()).bind(&role.key).bind(&joined).execute(p).await.map(|r| r.rows_affected()))?;
        changed.push(format!(
            "{}: {}",
            role.name,
            if list.is_empty() {
                "none".to_string()
            } else {
                list.join(", ")
            }
        ));
    }
    if !changed.is_empty() {
        audit::record_alone(
            &state.db,
            Some(scope.practice_id()),
            &Actor::user(scope.user(), &ip),
            Action::TrainingChanged,
            &format!("curricula changed: {}", changed.join("; ")),
            state.clock.now(),
        )
        .await?;
    }
    Ok(Redirect::to("/training/manage?saved=curricula").into_response())
}

// ---- Training needs analysis (DSPT 3.1.1) ----------------------------------------------

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct TnaForm {
    staff_groups: String,
    delivery: String,
    gaps: String,
    actions: String,
    review_on: String,
}

const TNA_MAX: usize = 10_000;

impl TnaForm {
    /// The long-text fields as (name, label, value), in page order.
    pub fn areas(&self) -> Vec<(&'static str, &'static str, &str)> {
        vec![
            (
                "staff_groups",
                "Staff groups and what each needs",
                &self.staff_groups,
            ),
            ("delivery", "How training is delivered", &self.delivery),
            ("gaps", "Gaps identified", &self.gaps),
            ("actions", "Actions, with who and by when", &self.actions),
        ]
    }

    fn starter() -> Self {
        Self {
            staff_groups: "Reception and care navigators: phone and in-person scams, phishing, patient data.\nClinicians (GPs, nurses, HCAs): phishing, patient data, devices and remote working.\nAdministration and secretaries: phishing, patient data, sending information safely.\nManagement: all of the above plus backups, updates and incident response.\nLocums and new starters: induction before using the clinical system.".into(),
            delivery: "Safety Net's modules (5–15 minutes each, quiz, CPD certificate), a cyber minute at each practice meeting, phishing exercises with a short lesson after a click, and tabletop exercises once a year.".into(),
            gaps: String::new(),
            actions: String::new(),
            review_on: String::new(),
        }
    }
}

type TnaRow = (String, String, String, String, Option<String>, i64, String);

async fn load_tna(
    db: &Db,
    practice_id: PracticeId,
) -> Result<Option<(TnaForm, String)>, sqlx::Error> {
    let row: Option<TnaRow> = with_db!(db, p => sqlx::query_as(
        "SELECT staff_groups, delivery, gaps, actions, review_on, updated_at, updated_by FROM training_needs_analysis WHERE practice_id = $1")
        .bind(practice_id).fetch_optional(p).await)?;
    Ok(row.map(|(a, b, c, d, e, at, by)| {
        (
            TnaForm {
                staff_groups: a,
                delivery: b,
                gaps: c,
                actions: d,
                review_on: e.unwrap_or_default(),
            },
            format!("Last updated {} by {by}", ukclock::format(at)),
        )
    }))
}

#[derive(Template)]
#[template(path = "training/tna.html")]
struct TnaPage {
    page: Page,
    form: TnaForm,
    updated: String,
    errors: FieldErrors,
}

pub async fn tna_page(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let (form, updated) = load_tna(&state.db, scope.practice_id())
        .await?
        .unwrap_or_else(|| {
            (
                TnaForm::starter(),
                "Not saved yet: the text below is a starting point to edit.".into(),
            )
        });
    render(TnaPage {
        page: Page::for_user("Training needs analysis", scope.user()),
        form,
        updated,
        errors: FieldErrors::default(),
    })
}

pub async fn tna_save(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<TnaForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    for (field, value) in [
        ("staff_groups", &form.staff_groups),
        ("delivery", &form.delivery),
        ("gaps", &form.gaps),
        ("actions", &form.actions),
    ] {
        if value.chars().count() > TNA_MAX {
            errors.add(field, format!("Keep this to {TNA_MAX} characters or fewer"));
        }
    }
    if form.staff_groups.trim().is_empty() {
        errors.add(
            "staff_groups",
            "Describe the staff groups and what each needs",
        );
    }
    let review = form.review_on.trim();
    if !review.is_empty() && super::assignments::parse_date(review).is_none() {
        errors.add(
            "review_on",
            "Enter the review date as a date, for example 2027-11-30",
        );
    }
    if !errors.is_empty() {
        return Ok(render(TnaPage {
            page: Page::for_user("Training needs analysis", scope.user()),
            form,
            updated: String::new(),
            errors,
        })?
        .into_response());
    }
    let review = (!review.is_empty()).then(|| review.to_string());
    with_db!(&state.db, p => sqlx::query(
        "INSERT INTO training_needs_analysis (practice_id, staff_groups, delivery, gaps, actions, review_on, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (practice_id) DO UPDATE SET staff_groups = $2, delivery = $3, \
         gaps = $4, actions = $5, review_on = $6, updated_at = $7, updated_by = $8")
        .bind(scope.practice_id()).bind(&form.staff_groups).bind(&form.delivery).bind(&form.gaps).bind(&form.actions)
        .bind(&review).bind(state.clock.now()).bind(&scope.user().full_name).execute(p).await.map(|r| r.rows_affected()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::TrainingChanged,
        "training needs analysis updated",
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/training/manage?saved=tna").into_response())
}

/// The TNA as a PDF for the DSPT evidence folder, with the current figures.
pub async fn tna_pdf(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Response, AppError> {
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let (form, updated) = load_tna(&state.db, scope.practice_id())
        .await?
        .unwrap_or_else(|| (TnaForm::starter(), "Not saved yet".into()));
    let s = settings::load(&state.db, scope.practice_id()).await?;
    let now = state.clock.now();
    let c = summary(&state.db, scope.practice_id(), &s, now).await?;
    let mut doc = crate::pdf::Document::new(
        "Training needs analysis",
        &format!(
            "{practice} · training needs analysis · printed {}",
            ukclock::format(now)
        ),
    );
    doc.title("Training needs analysis");
    doc.paragraph(&format!(
        "{practice}. Data Security and Protection Toolkit evidence item 3.1.1. {updated}."
    ));
    for (heading, text) in [
        ("Staff groups and what each needs", &form.staff_groups),
        ("How training is delivered", &form.delivery),
        ("Gaps identified", &form.gaps),
        ("Actions", &form.actions),
    ] {
        doc.heading(heading);
        if text.trim().is_empty() {
            doc.paragraph("(none recorded)");
        }
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            doc.paragraph(line.trim());
        }
    }
    doc.heading("Where training stands today");
    doc.paragraph(&format!(
        "{} of {} staff ({}%) completed their role's modules in the last {} months. The target is {}%.",
        c.trained, c.staff, c.percent(), s.refresher_months, s.compliance_target
    ));
    for d in &c.departments {
        doc.bullet(&format!(
            "{}: {} of {} trained ({}%)",
            d.name,
            d.trained,
            d.staff,
            d.percent()
        ));
    }
    if !form.review_on.is_empty() {
        doc.paragraph(&format!("Next review: {}", form.review_on));
    }
    Ok(pdf_response(doc.finish(), "training-needs-analysis.pdf"))
}

pub fn pdf_response(bytes: Vec<u8>, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

pub async fn practice_name(db: &Db, practice_id: PracticeId) -> Result<String, sqlx::Error> {
    let (name,): (String,) = with_db!(db, p => sqlx::query_as("SELECT name FROM practices WHERE id = $1")
        .bind(practice_id).fetch_one(p).await)?;
    Ok(name)
}

// ---- One person's training record, for the manager -----------------------------------

#[derive(Template)]
#[template(path = "training/person.html")]
struct PersonPage {
    page: Page,
    name: String,
    record: super::learning::Record,
}

pub async fn person(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(staff_id): Path<StaffId>,
) -> Result<Html<String>, AppError> {
    let row: Option<(String,)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT full_name FROM staff WHERE id = $1 AND practice_id = $2")
        .bind(staff_id).bind(scope.practice_id()).fetch_optional(p).await)?;
    let (name,) = row.ok_or(AppError::NotFound)?;
    let record =
        super::learning::record(&state.db, scope.practice_id(), staff_id, state.clock.now())
            .await?;
    render(PersonPage {
        page: Page::for_user(format!("Training record: {name}"), scope.user()),
        name,
        record,
    })
}
