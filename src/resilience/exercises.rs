//! Tabletop exercises (DSPT 7.2.1: test the plan at least once a year): pick a
//! scenario we wrote, run it with the team — timed injects, discussion notes,
//! who came — agree actions with owners, and print the after-action report.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::plan_content::{self, Scenario};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::ManagerScope;
use crate::db::Db;
use crate::pdf::Document;
use crate::shared::{AppState, PracticeId};
use crate::training::assignments::parse_date;
use crate::training::compliance::{pdf_response, practice_name};
use crate::ukclock;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};
use crate::with_db;

pub struct Listed {
    pub id: i64,
    pub title: String,
    pub run_on: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "resilience/exercises.html")]
struct ListPage {
    page: Page,
    scenarios: &'static [Scenario],
    exercises: Vec<Listed>,
    last_done: Option<String>,
    due: bool,
    errors: FieldErrors,
    form: NewForm,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewForm {
    scenario: String,
    run_on: String,
    facilitator: String,
}

async fn list_page(
    state: &AppState,
    scope: &ManagerScope,
    form: NewForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let rows: Vec<(i64, String, String, String)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT id, title, run_on, status FROM exercises WHERE practice_id = $1 ORDER BY run_on DESC, id DESC")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    let today = ukclock::local_date(state.clock.now());
    let last_done = rows
        .iter()
        .filter(|r| r.3 == "done")
        .map(|r| r.2.clone())
        .max();
    let due = last_done
        .as_deref()
        .and_then(parse_date)
        .is_none_or(|d| ukclock::add_months(d, 12) <= today);
    render(ListPage {
        page: Page::for_user("Tabletop exercises", scope.user()),
        scenarios: plan_content::scenarios(),
        exercises: rows
            .into_iter()
            .map(|(id, title, run_on, status)| Listed {
                id,
                title,
                run_on,
                status,
            })
            .collect(),
        last_done,
        due,
        errors,
        form,
    })
}

pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let form = NewForm {
        run_on: ukclock::local_date(state.clock.now() + 14 * 86_400).to_string(),
        facilitator: scope.user().full_name.clone(),
        ..Default::default()
    };
    list_page(&state, &scope, form, FieldErrors::default()).await
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<NewForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let scenario = plan_content::scenario(&form.scenario);
    if scenario.is_none() {
        errors.add("scenario", "Choose one of the scenarios");
    }
    let run_on = parse_date(&form.run_on);
    if run_on.is_none() {
        errors.add(
            "run_on",
            "Enter the date of the exercise, for example 2027-01-20",
        );
    }
    let facilitator = form.facilitator.trim();
    if facilitator.is_empty() || facilitator.chars().count() > 200 {
        errors.add("facilitator", "Enter who will run the exercise");
    }
    let (Some(s), Some(run_on), true) = (scenario, run_on, errors.is_empty()) else {
        return Ok(list_page(&state, &scope, form, errors)
            .await?
            .into_response());
    };
    let now = state.clock.now();
    let (id,): (i64,) = with_db!(&state.db, p => sqlx::query_as(
        "INSERT INTO exercises (practice_id, scenario, title, run_on, facilitator, status, notes, created_at) VALUES ($1, $2, $3, $4, $5, 'planned', '[]', $6) RETURNING id")
        .bind(scope.practice_id()).bind(&s.slug).bind(&s.title).bind(run_on.to_string()).bind(facilitator).bind(now).fetch_one(p).await)?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::ExerciseChanged,
        &format!("planned the tabletop exercise \"{}\" for {run_on}", s.title),
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/resilience/exercises/{id}")).into_response())
}

pub struct Exercise {
    pub id: i64,
    pub scenario: &'static Scenario,
    pub run_on: String,
    pub facilitator: String,
    pub status: String,
    pub started_at: Option<i64>,
    pub notes: Vec<String>,
}

type Row = (i64, String, String, String, String, Option<i64>, String);

async fn find(db: &Db, practice_id: PracticeId, id: i64) -> Result<Exercise, AppError> {
    let row: Option<Row> = with_db!(db, p => sqlx::query_as(
        "SELECT id, scenario, run_on, facilitator, status, started_at, notes FROM exercises WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(practice_id).fetch_optional(p).await)?;
    let r = row.ok_or(AppError::NotFound)?;
    let scenario = plan_content::scenario(&r.1).ok_or(AppError::NotFound)?;
    let notes: Vec<String> = serde_json::from_str(&r.6).unwrap_or_default();
    Ok(Exercise {
        id: r.0,
        scenario,
        run_on: r.2,
        facilitator: r.3,
        status: r.4,
        started_at: r.5,
        notes,
    })
}

pub struct InjectView {
    pub index: usize,
    pub at_minute: u32,
    pub title: String,
    pub text: String,
    pub questions: Vec<String>,
    pub notes: String,
    pub later: bool,
}

pub struct ActionRow {
    pub index: usize,
    pub text: String,
    pub owner: Option<i64>,
    pub due_on: String,
}

impl ActionRow {
    pub fn owned_by(&self, staff_id: &i64) -> bool {
        self.owner == Some(*staff_id)
    }
}

#[derive(Template)]
#[template(path = "resilience/exercise.html")]
struct RunPage {
    page: Page,
    e: Exercise,
    injects: Vec<InjectView>,
    debrief_notes: String,
    debrief_field: String,
    elapsed: Option<i64>,
    staff: Vec<(i64, String, bool)>,
    actions: Vec<ActionRow>,
    errors: FieldErrors,
}

async fn run_page(
    state: &AppState,
    scope: &ManagerScope,
    e: Exercise,
    actions: Vec<ActionRow>,
    attending: Option<Vec<i64>>,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let elapsed = e.started_at.map(|s| ((state.clock.now() - s) / 60).max(0));
    let injects: Vec<InjectView> = e
        .scenario
        .injects
        .iter()
        .enumerate()
        .map(|(i, inj)| InjectView {
            index: i,
            at_minute: inj.at_minute,
            title: inj.title.clone(),
            text: inj.text.clone(),
            questions: inj.questions.clone(),
            notes: e.notes.get(i).cloned().unwrap_or_default(),
            later: e.status != "done" && elapsed.is_some_and(|m| i64::from(inj.at_minute) > m),
        })
        .collect();
    let attending = match attending {
        Some(a) => a,
        None => {
            let rows: Vec<(i64,)> = with_db!(&state.db, p => sqlx::query_as("SELECT staff_id FROM exercise_attendees WHERE exercise_id = $1 AND practice_id = $2")
                .bind(e.id).bind(scope.practice_id()).fetch_all(p).await)?;
            rows.into_iter().map(|r| r.0).collect()
        }
    };
    let staff: Vec<(i64, String)> = with_db!(&state.db, p => sqlx::query_as("SELECT id, full_name FROM staff WHERE practice_id = $1 AND active ORDER BY full_name")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    let mut actions = actions;
    let base = actions.len();
    for k in 0..3 {
        actions.push(ActionRow {
            index: base + k,
            text: String::new(),
            owner: None,
            due_on: String::new(),
        });
    }
    let debrief_notes = e
        .notes
        .get(e.scenario.injects.len())
        .cloned()
        .unwrap_or_default();
    render(RunPage {
        page: Page::for_user(format!("Exercise: {}", e.scenario.title), scope.user()),
        debrief_field: format!("notes-{}", injects.len()),
        injects,
        debrief_notes,
        elapsed,
        staff: staff
            .into_iter()
            .map(|(id, n)| (id, n, attending.contains(&id)))
            .collect(),
        actions,
        e,
        errors,
    })
}

async fn saved_actions(
    db: &Db,
    practice_id: PracticeId,
    exercise_id: i64,
) -> Result<Vec<ActionRow>, sqlx::Error> {
    let rows: Vec<(String, Option<i64>, Option<String>)> = with_db!(db, p => sqlx::query_as(
        "SELECT text, staff_id, due_on FROM exercise_actions WHERE exercise_id = $1 AND practice_id = $2 ORDER BY id")
        .bind(exercise_id).bind(practice_id).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(index, (text, owner, due))| ActionRow {
            index,
            text,
            owner,
            due_on: due.unwrap_or_default(),
        })
        .collect())
}

pub async fn show(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(exercise_id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let e = find(&state.db, scope.practice_id(), exercise_id).await?;
    let actions = saved_actions(&state.db, scope.practice_id(), e.id).await?;
    run_page(&state, &scope, e, actions, None, FieldErrors::default()).await
}

/// Saves notes, attendance and actions; `step` = start, save or finish.
pub async fn save(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(exercise_id): Path<i64>,
    axum_extra::extract::Form(fields): axum_extra::extract::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut e = find(&state.db, scope.practice_id(), exercise_id).await?;
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.replace('\r', "").trim().to_string())
            .unwrap_or_default()
    };
    let mut errors = FieldErrors::default();
    let n = e.scenario.injects.len();
    let notes: Vec<String> = (0..=n).map(|i| get(&format!("notes-{i}"))).collect();
    for (i, note) in notes.iter().enumerate() {
        if note.chars().count() > 8000 {
            errors.add(
                &format!("notes-{i}"),
                "Keep each set of notes under 8,000 characters",
            );
        }
    }
    let staff_ids: Vec<(i64,)> = with_db!(&state.db, p => sqlx::query_as("SELECT id FROM staff WHERE practice_id = $1")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    let known = |id: i64| staff_ids.iter().any(|(s,)| *s == id);
    let attending: Vec<i64> = fields
        .iter()
        .filter(|(k, _)| k == "attended")
        .filter_map(|(_, v)| v.parse().ok())
        .filter(|id| known(*id))
        .collect();
    let mut actions = Vec::new();
    for i in 0..60 {
        if !fields.iter().any(|(k, _)| k == &format!("action-{i}-text")) {
            break;
        }
        let text = get(&format!("action-{i}-text"));
        let owner = get(&format!("action-{i}-owner"))
            .parse::<i64>()
            .ok()
            .filter(|id| known(*id));
        let due_on = get(&format!("action-{i}-due"));
        if text.is_empty() {
            continue;
        }
        if !due_on.is_empty() && parse_date(&due_on).is_none() {
            errors.add(
                &format!("action-{i}-due"),
                format!(
                    "Enter the due date for action {} as a date, for example 2027-03-31",
                    actions.len() + 1
                ),
            );
        }
        if text.chars().count() > 1000 {
            errors.add(
                &format!("action-{i}-text"),
                "Keep each action under 1,000 characters",
            );
        }
        actions.push(ActionRow {
            index: actions.len(),
            text,
            owner,
            due_on,
        });
    }
    let step = get("step");
    if step == "finish" && attending.is_empty() {
        errors.add(
            "attendance",
            "Tick who took part before finishing: the DSPT asks who attended",
        );
    }
    if !errors.is_empty() {
        e.notes = notes;
        return Ok(
            run_page(&state, &scope, e, actions, Some(attending), errors)
                .await?
                .into_response(),
        );
    }
    let now = state.clock.now();
    let notes_json = serde_json::to_string(&notes).map_err(|e| AppError::Unexpected(e.into()))?;
    let (status, started) = match step.as_str() {
        "start" => (e.status.clone(), Some(e.started_at.unwrap_or(now))),
        "finish" => ("done".to_string(), e.started_at.or(Some(now))),
        _ => (e.status.clone(), e.started_at),
    };
    with_db!(&state.db, p => sqlx::query("UPDATE exercises SET notes = $1, status = $2, started_at = $3, finished_at = CASE WHEN $2 = 'done' THEN COALESCE(finished_at, $4) ELSE finished_at END WHERE id = $5 AND practice_id = $6")
        .bind(&notes_json).bind(&status).bind(started).bind(now).bind(e.id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
    with_db!(&state.db, p => sqlx::query("DELETE FROM exercise_attendees WHERE exercise_id = $1 AND practice_id = $2")
        .bind(e.id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
    for id in &attending {
        with_db!(&state.db, p => sqlx::query("INSERT INTO exercise_attendees (exercise_id, practice_id, staff_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(e.id).bind(scope.practice_id()).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    }
    with_db!(&state.db, p => sqlx::query("DELETE FROM exercise_actions WHERE exercise_id = $1 AND practice_id = $2")
        .bind(e.id).bind(scope.practice_id()).execute(p).await.map(|r| r.rows_affected()))?;
    for a in &actions {
        let due = (!a.due_on.is_empty()).then_some(a.due_on.clone());
        with_db!(&state.db, p => sqlx::query("INSERT INTO exercise_actions (exercise_id, practice_id, text, staff_id, due_on) VALUES ($1, $2, $3, $4, $5)")
            .bind(e.id).bind(scope.practice_id()).bind(&a.text).bind(a.owner).bind(&due).execute(p).await.map(|r| r.rows_affected()))?;
    }
    if step == "finish" {
        audit::record_alone(
            &state.db,
            Some(scope.practice_id()),
            &Actor::user(scope.user(), &ip),
            Action::ExerciseChanged,
            &format!(
                "finished the tabletop exercise \"{}\" with {} people and {} actions",
                e.scenario.title,
                attending.len(),
                actions.len()
            ),
            now,
        )
        .await?;
    }
    Ok(Redirect::to(&format!("/resilience/exercises/{}", e.id)).into_response())
}

/// The after-action report: what was tested, who came, what was said, who does what next.
pub async fn report(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(exercise_id): Path<i64>,
) -> Result<Response, AppError> {
    let e = find(&state.db, scope.practice_id(), exercise_id).await?;
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let people: Vec<(String, String)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT s.full_name, s.job_role FROM exercise_attendees a JOIN staff s ON s.id = a.staff_id WHERE a.exercise_id = $1 AND a.practice_id = $2 ORDER BY s.full_name")
        .bind(e.id).bind(scope.practice_id()).fetch_all(p).await)?;
    let actions: Vec<(String, Option<String>, Option<String>)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT a.text, s.full_name, a.due_on FROM exercise_actions a LEFT JOIN staff s ON s.id = a.staff_id WHERE a.exercise_id = $1 AND a.practice_id = $2 ORDER BY a.id")
        .bind(e.id).bind(scope.practice_id()).fetch_all(p).await)?;
    let s = e.scenario;
    let mut doc = Document::new(
        &format!("After-action report: {}", s.title),
        &format!("{practice} · tabletop exercise {} · DSPT 7.2.1", e.run_on),
    );
    doc.title("After-action report");
    doc.field("Exercise", &s.title);
    doc.field("Practice", &practice);
    doc.field("Date", &e.run_on);
    doc.field("Facilitator", &e.facilitator);
    doc.field(
        "Status",
        if e.status == "done" {
            "Completed"
        } else {
            "Not finished yet"
        },
    );
    doc.paragraph(&s.summary);
    doc.heading("What the exercise tested");
    for o in &s.objectives {
        doc.bullet(o);
    }
    doc.heading(&format!("Who took part ({})", people.len()));
    for (name, role) in &people {
        doc.bullet(&format!("{name}, {role}"));
    }
    doc.heading("What was discussed");
    for (i, inj) in s.injects.iter().enumerate() {
        doc.subheading(&format!("Minute {}: {}", inj.at_minute, inj.title));
        let note = e.notes.get(i).map(String::as_str).unwrap_or("");
        doc.paragraph(if note.is_empty() { "(no notes)" } else { note });
    }
    doc.subheading("Debrief");
    let debrief = e
        .notes
        .get(s.injects.len())
        .map(String::as_str)
        .unwrap_or("");
    doc.paragraph(if debrief.is_empty() {
        "(no notes)"
    } else {
        debrief
    });
    doc.heading("Actions");
    if actions.is_empty() {
        doc.paragraph("No actions recorded.");
    }
    for (i, (text, owner, due)) in actions.iter().enumerate() {
        let who = owner.clone().unwrap_or_else(|| "owner to be agreed".into());
        let when = due.clone().map(|d| format!(", by {d}")).unwrap_or_default();
        doc.bullet_with(&format!("{}.", i + 1), &format!("{text} ({who}{when})"));
    }
    Ok(pdf_response(
        doc.finish(),
        &format!("after-action-report-{}.pdf", e.run_on),
    ))
}
