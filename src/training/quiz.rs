//! Quizzes: each attempt draws its questions from the module's bank and is
//! scored on the server against the bank, whatever the form sends. Passing
//! records a completion (with the time spent, for CPD) and closes the person's
//! assignments for that module.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use rand::seq::SliceRandom;

use super::content::{catalogue, Module, Question};
use super::learning::{reading_seconds, require_staff, reset_reading};
use super::{assignments, settings};
use crate::auth::PracticeScope;
use crate::db::Db;
use crate::shared::{AppState, StaffId};
use crate::web::{render, AppError, FieldErrors, Page, Path};
use crate::with_db;

/// Time on the quiz itself counts for CPD up to this much.
const MAX_QUIZ_SECONDS: i64 = 30 * 60;

#[derive(Template)]
#[template(path = "training/quiz_start.html")]
struct StartPage {
    page: Page,
    m: &'static Module,
    pass_mark: i64,
}

fn module(slug: &str) -> Result<&'static Module, AppError> {
    catalogue().module(slug).ok_or(AppError::NotFound)
}

pub async fn start_page(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let m = module(&slug)?;
    let pass_mark = settings::load(&state.db, scope.practice_id())
        .await?
        .pass_mark;
    render(StartPage {
        page: Page::for_user(format!("Quiz: {}", m.title), scope.user()),
        m,
        pass_mark,
    })
}

pub async fn start(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let m = module(&slug)?;
    let staff = require_staff(&scope)?;
    let mut ids: Vec<&str> = m.quiz.questions.iter().map(|q| q.id.as_str()).collect();
    ids.shuffle(&mut rand::thread_rng());
    ids.truncate(m.quiz.draw);
    let (id,): (i64,) = with_db!(&state.db, p => sqlx::query_as(
        "INSERT INTO quiz_attempts (practice_id, staff_id, module, questions, started_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(scope.practice_id()).bind(staff).bind(m.slug).bind(ids.join(",")).bind(state.clock.now())
        .fetch_one(p).await)?;
    Ok(Redirect::to(&format!("/training/attempts/{id}")).into_response())
}

struct Attempt {
    id: i64,
    module: &'static Module,
    questions: Vec<&'static Question>,
    started_at: i64,
    submitted: Option<(Vec<Option<usize>>, i64, bool)>,
}

type AttemptRow = (
    i64,
    String,
    String,
    i64,
    Option<String>,
    Option<i64>,
    Option<bool>,
);

async fn load(
    db: &Db,
    scope: &PracticeScope,
    staff: StaffId,
    id: i64,
) -> Result<Attempt, AppError> {
    let row: Option<AttemptRow> = with_db!(db, p => sqlx::query_as(
        "SELECT id, module, questions, started_at, answers, score, passed FROM quiz_attempts WHERE id = $1 AND practice_id = $2 AND staff_id = $3")
        .bind(id).bind(scope.practice_id()).bind(staff).fetch_optional(p).await)?;
    let (id, slug, questions, started_at, answers, score, passed) =
        row.ok_or(AppError::NotFound)?;
    let m = module(&slug)?;
    // A question withdrawn from the bank since the attempt began is left out.
    let questions: Vec<&Question> = questions
        .split(',')
        .filter_map(|q| m.quiz.question(q))
        .collect();
    let submitted = match (answers, score, passed) {
        (Some(a), Some(s), Some(p)) => Some((a.split(',').map(|x| x.parse().ok()).collect(), s, p)),
        _ => None,
    };
    Ok(Attempt {
        id,
        module: m,
        questions,
        started_at,
        submitted,
    })
}

pub struct Shown {
    pub id: String,
    pub number: usize,
    pub prompt: String,
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

fn shown(a: &Attempt, chosen: &HashMap<String, usize>) -> Vec<Shown> {
    a.questions
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
        .collect()
}

async fn result_page(
    state: &AppState,
    scope: &PracticeScope,
    a: &Attempt,
) -> Result<Response, AppError> {
    let (answers, score, passed) = a.submitted.clone().expect("only called once submitted");
    let pass_mark = settings::load(&state.db, scope.practice_id())
        .await?
        .pass_mark;
    let feedback = a
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let given = answers.get(i).copied().flatten();
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
    let completion: Option<(i64,)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT id FROM training_completions WHERE attempt_id = $1 AND practice_id = $2")
        .bind(a.id).bind(scope.practice_id()).fetch_optional(p).await)?;
    Ok(render(ResultPage {
        page: Page::for_user(format!("Quiz result: {}", a.module.title), scope.user()),
        m: a.module,
        score,
        total: a.questions.len(),
        passed,
        pass_mark,
        feedback,
        completion_id: completion.map(|c| c.0),
    })?
    .into_response())
}

pub async fn show(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(attempt_id): Path<i64>,
) -> Result<Response, AppError> {
    // Without a staff record no attempt can be yours.
    let staff = scope.user().staff_id.ok_or(AppError::NotFound)?;
    let a = load(&state.db, &scope, staff, attempt_id).await?;
    if a.submitted.is_some() {
        return result_page(&state, &scope, &a).await;
    }
    Ok(render(QuizPage {
        page: Page::for_user(format!("Quiz: {}", a.module.title), scope.user()),
        attempt_id: a.id,
        m: a.module,
        questions: shown(&a, &HashMap::new()),
        errors: FieldErrors::default(),
    })?
    .into_response())
}

/// What the person chose for each question, or what is wrong with it.
pub fn read_answers(
    questions: &[&Question],
    fields: &[(String, String)],
) -> (HashMap<String, usize>, FieldErrors) {
    let mut chosen = HashMap::new();
    let mut errors = FieldErrors::default();
    for (i, q) in questions.iter().enumerate() {
        let field = format!("q-{}", q.id);
        match fields.iter().find(|(k, _)| *k == field).map(|(_, v)| v.trim()) {
            None | Some("") => errors.add(&field, format!("Choose an answer for question {}", i + 1)),
            Some(v) => match v.parse::<usize>() {
                Ok(c) if c < q.choices.len() => {
                    chosen.insert(q.id.clone(), c);
                }
                _ => errors.add(&field, format!("The answer sent for question {} is not one of its choices: choose one of the answers shown", i + 1)),
            },
        }
    }
    (chosen, errors)
}

pub async fn submit(
    State(state): State<AppState>,
    scope: PracticeScope,
    Path(attempt_id): Path<i64>,
    axum_extra::extract::Form(fields): axum_extra::extract::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    // Without a staff record no attempt can be yours.
    let staff = scope.user().staff_id.ok_or(AppError::NotFound)?;
    let a = load(&state.db, &scope, staff, attempt_id).await?;
    if a.submitted.is_some() {
        // Sent twice (back button, double click): the first answers stand.
        return Ok(Redirect::to(&format!("/training/attempts/{}", a.id)).into_response());
    }
    let (chosen, errors) = read_answers(&a.questions, &fields);
    if !errors.is_empty() {
        return Ok(render(QuizPage {
            page: Page::for_user(format!("Quiz: {}", a.module.title), scope.user()),
            attempt_id: a.id,
            m: a.module,
            questions: shown(&a, &chosen),
            errors,
        })?
        .into_response());
    }
    let answers: Vec<usize> = a.questions.iter().map(|q| chosen[&q.id]).collect();
    let score = a
        .questions
        .iter()
        .zip(&answers)
        .filter(|(q, c)| q.answer == **c)
        .count() as i64;
    let total = a.questions.len() as i64;
    let pass_mark = settings::load(&state.db, scope.practice_id())
        .await?
        .pass_mark;
    let passed = total > 0 && score * 100 >= pass_mark * total;
    let now = state.clock.now();
    let joined = answers
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let updated = with_db!(&state.db, p => sqlx::query(
        "UPDATE quiz_attempts SET submitted_at = $1, answers = $2, score = $3, passed = $4 WHERE id = $5 AND practice_id = $6 AND submitted_at IS NULL")
        .bind(now).bind(&joined).bind(score).bind(passed).bind(a.id).bind(scope.practice_id())
        .execute(p).await.map(|r| r.rows_affected()))?;
    if updated == 1 && passed {
        let reading = reading_seconds(&state.db, scope.practice_id(), staff, a.module.slug).await?;
        let seconds = reading + (now - a.started_at).clamp(0, MAX_QUIZ_SECONDS);
        with_db!(&state.db, p => sqlx::query(
            "INSERT INTO training_completions (practice_id, staff_id, module, completed_at, seconds, score, total, attempt_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(scope.practice_id()).bind(staff).bind(a.module.slug).bind(now).bind(seconds).bind(score).bind(total).bind(a.id)
            .execute(p).await.map(|r| r.rows_affected()))?;
        assignments::complete(&state.db, scope.practice_id(), staff, a.module.slug, now).await?;
        reset_reading(&state.db, scope.practice_id(), staff, a.module.slug).await?;
    }
    Ok(Redirect::to(&format!("/training/attempts/{}", a.id)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: &str, n: usize, answer: usize) -> Question {
        Question {
            id: id.into(),
            prompt: "?".into(),
            choices: (0..n).map(|i| format!("choice {i}")).collect(),
            answer,
            explanation: "because".into(),
        }
    }

    #[test]
    fn answers_out_of_range_missing_or_not_numbers_are_refused_per_question() {
        let (a, b, c) = (q("a", 3, 0), q("b", 4, 1), q("c", 3, 2));
        let qs = vec![&a, &b, &c];
        let fields = vec![
            ("q-a".to_string(), "2".to_string()),
            ("q-b".to_string(), "7".to_string()),
            ("q-zzz".to_string(), "1".to_string()),
            ("q-c".to_string(), "-1".to_string()),
        ];
        let (chosen, errors) = read_answers(&qs, &fields);
        assert_eq!(chosen.get("a"), Some(&2));
        assert!(errors.has("q-b") && errors.has("q-c"));
        assert!(!errors.has("q-a"));
        let (_, errors) = read_answers(&qs, &[]);
        assert_eq!(errors.all().len(), 3, "every unanswered question is named");
    }
}
