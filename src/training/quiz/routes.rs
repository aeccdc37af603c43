//! The quiz pages: the start page, starting an attempt, the questions, and
//! the result with feedback on each answer.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::domain::{cpd_seconds, draw, mark, read_answers, store_answers};
use super::{load, repo, Attempt};
use crate::auth::PracticeScope;
use crate::shared::AppState;
use crate::training::content::{KnownModule, Module};
use crate::training::my_training::{self, require_staff};
use crate::training::{assignments, settings};
use crate::web::{render, AppError, FieldErrors, Page, Path};

#[derive(Template)]
#[template(path = "training/quiz_start.html")]
struct StartPage {
    page: Page,
    m: &'static Module,
    pass_mark: i64,
}

pub async fn start_page(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(KnownModule(m)): Path<KnownModule>,
) -> Result<Html<String>, AppError> {
    let pass_mark = settings::load(&state.db, scope.practice_id())
        .await?
        .pass_mark;
    render(StartPage {
        page: Page::for_user(format!("Quiz: {}", m.title), scope.user()),
        m,
        pass_mark,
    })
}

/// Draws a fresh set of questions and opens the attempt.
pub async fn start(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(KnownModule(m)): Path<KnownModule>,
) -> Result<Response, AppError> {
    let staff = require_staff(&scope)?;
    let mut tx = state.db.begin().await?;
    let id = repo::insert_attempt(
        &mut tx,
        scope.practice_id(),
        staff,
        m.slug,
        &draw(m),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/training/attempts/{id}")).into_response())
}

pub struct Shown {
    pub id: String,
    pub number: usize,
    pub prompt: String,
    /// (choice number, text, chosen)
    pub choices: Vec<(usize, String, bool)>,
}

pub struct Feedback {
    pub number: usize,
    pub prompt: String,
    pub yours: String,
    pub right: String,
    pub correct: bool,
    pub explanation: String,
}

#[derive(Template)]
#[template(path = "training/quiz.html")]
struct QuizPage {
    page: Page,
    attempt_id: i64,
    m: &'static Module,
    questions: Vec<Shown>,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "training/quiz_result.html")]
struct ResultPage {
    page: Page,
    m: &'static Module,
    score: i64,
    total: usize,
    passed: bool,
    pass_mark: i64,
    feedback: Vec<Feedback>,
    completion_id: Option<i64>,
}

/// The questions, with what was chosen so far ticked.
fn quiz_page(
    scope: &PracticeScope,
    a: &Attempt,
    chosen: &HashMap<String, usize>,
    errors: FieldErrors,
) -> QuizPage {
    QuizPage {
        page: Page::for_user(format!("Quiz: {}", a.module.title), scope.user()),
        attempt_id: a.id,
        m: a.module,
        questions: a
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| Shown {
                id: q.id.clone(),
                number: i + 1,
                prompt: q.prompt.clone(),
                choices: q
                    .choices
                    .iter()
                    .enumerate()
                    .map(|(c, text)| (c, text.clone(), chosen.get(&q.id) == Some(&c)))
                    .collect(),
            })
            .collect(),
        errors,
    }
}

async fn result_page(
    state: &AppState,
    scope: &PracticeScope,
    a: &Attempt,
) -> Result<Response, AppError> {
    let done = a.submitted.as_ref().expect("only called once submitted");
    let pass_mark = settings::load(&state.db, scope.practice_id())
        .await?
        .pass_mark;
    let feedback = a
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let given = done.answers.get(i).copied().flatten();
            Feedback {
                number: i + 1,
                prompt: q.prompt.clone(),
                yours: given
                    .and_then(|g| q.choices.get(g))
                    .cloned()
                    .unwrap_or_default(),
                right: q.choices[q.answer].clone(),
                correct: given == Some(q.answer),
                explanation: q.explanation.clone(),
            }
        })
        .collect();
    let completion_id = repo::completion_of(&state.db, scope.practice_id(), a.id).await?;
    Ok(render(ResultPage {
        page: Page::for_user(format!("Quiz result: {}", a.module.title), scope.user()),
        m: a.module,
        score: done.score,
        total: a.questions.len(),
        passed: done.passed,
        pass_mark,
        feedback,
        completion_id,
    })?
    .into_response())
}

/// `/training/attempts/{attempt_id}`: the questions, or the result once submitted.
pub async fn show(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(attempt_id): Path<i64>,
) -> Result<Response, AppError> {
    // Without a staff record no attempt can be yours.
    let staff = scope.user().staff_id.ok_or(AppError::NotFound)?;
    let a = load(&state.db, scope.practice_id(), staff, attempt_id).await?;
    if a.submitted.is_some() {
        return result_page(&state, &scope, &a).await;
    }
    Ok(render(quiz_page(
        &scope,
        &a,
        &HashMap::new(),
        FieldErrors::default(),
    ))?
    .into_response())
}

/// Marks the answers. A pass records the completion, closes the module's
/// assignments and clears the lesson's place and reading time, with the
/// attempt's result, in one transaction.
pub async fn submit(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(attempt_id): Path<i64>,
    axum_extra::extract::Form(fields): axum_extra::extract::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    // Without a staff record no attempt can be yours.
    let staff = scope.user().staff_id.ok_or(AppError::NotFound)?;
    let practice_id = scope.practice_id();
    let a = load(&state.db, practice_id, staff, attempt_id).await?;
    let back = Redirect::to(&format!("/training/attempts/{}", a.id)).into_response();
    if a.submitted.is_some() {
        // Sent twice (back button, double click): the first answers stand.
        return Ok(back);
    }
    let (chosen, errors) = read_answers(&a.questions, &fields);
    if !errors.is_empty() {
        return Ok(render(quiz_page(&scope, &a, &chosen, errors))?.into_response());
    }
    let pass_mark = settings::load(&state.db, practice_id).await?.pass_mark;
    let marked = mark(&a.questions, &chosen, pass_mark);
    let now = state.clock.now();
    let slug = a.module.slug;
    let mut tx = state.db.begin().await?;
    let first = repo::submit(
        &mut tx,
        practice_id,
        a.id,
        &store_answers(&marked.answers),
        marked.score,
        marked.passed,
        now,
    )
    .await?;
    if first && marked.passed {
        let reading = my_training::repo::reading_seconds(&mut tx, practice_id, staff, slug).await?;
        repo::insert_completion(
            &mut tx,
            practice_id,
            &repo::NewCompletion {
                staff_id: staff,
                module: slug,
                completed_at: now,
                seconds: cpd_seconds(reading, a.started_at, now),
                score: marked.score,
                total: marked.total,
                attempt_id: a.id,
            },
        )
        .await?;
        assignments::repo::complete_open(&mut tx, practice_id, staff, slug, now).await?;
        my_training::repo::reset(&mut tx, practice_id, staff, slug).await?;
    }
    tx.commit().await?;
    Ok(back)
}
