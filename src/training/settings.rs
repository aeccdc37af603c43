//! A practice's training rules: pass mark, induction due date, refresher
//! interval, the DSPT compliance target and when reminders go out.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::audit::{self, Action, Actor};
use crate::auth::ManagerScope;
use crate::db::Db;
use crate::shared::{AppState, PracticeId};
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, ValidForm};
use crate::with_db;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainingSettings {
    /// Percentage of quiz answers needed to pass.
    pub pass_mark: i64,
    /// Days after a new starter's start date that induction is due.
    pub induction_due_days: i64,
    /// Months after completing a module that its refresher is due.
    pub refresher_months: i64,
    /// Percentage of staff trained that the DSPT asks for.
    pub compliance_target: i64,
    /// Days before a due date that a reminder is sent.
    pub reminder_days: i64,
}

impl Default for TrainingSettings {
    fn default() -> Self {
        Self {
            pass_mark: 80,
            induction_due_days: 28,
            refresher_months: 12,
            compliance_target: 95,
            reminder_days: 7,
        }
    }
}

pub async fn load(db: &Db, practice_id: PracticeId) -> Result<TrainingSettings, sqlx::Error> {
    let row: Option<(i64, i64, i64, i64, i64)> = with_db!(db, p => sqlx::query_as(
        "SELECT pass_mark, induction_due_days, refresher_months, compliance_target, reminder_days \
         FROM training_settings WHERE practice_id = $1")
        .bind(practice_id).fetch_optional(p).await)?;
    Ok(row
        .map(|(a, b, c, d, e)| TrainingSettings {
            pass_mark: a,
            induction_due_days: b,
            refresher_months: c,
            compliance_target: d,
            reminder_days: e,
        })
        .unwrap_or_default())
}

async fn save(db: &Db, practice_id: PracticeId, s: &TrainingSettings) -> Result<(), sqlx::Error> {
    with_db!(db, p => sqlx::query(
        "INSERT INTO training_settings (practice_id, pass_mark, induction_due_days, refresher_months, compliance_target, reminder_days) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (practice_id) DO UPDATE SET pass_mark = $2, \
         induction_due_days = $3, refresher_months = $4, compliance_target = $5, reminder_days = $6")
        .bind(practice_id).bind(s.pass_mark).bind(s.induction_due_days).bind(s.refresher_months)
        .bind(s.compliance_target).bind(s.reminder_days).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Template)]
#[template(path = "training/settings.html")]
struct SettingsPage {
    page: Page,
    form: SettingsForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SettingsForm {
    pass_mark: String,
    induction_due_days: String,
    refresher_months: String,
    compliance_target: String,
    reminder_days: String,
}

impl From<TrainingSettings> for SettingsForm {
    fn from(s: TrainingSettings) -> Self {
        Self {
            pass_mark: s.pass_mark.to_string(),
            induction_due_days: s.induction_due_days.to_string(),
            refresher_months: s.refresher_months.to_string(),
            compliance_target: s.compliance_target.to_string(),
            reminder_days: s.reminder_days.to_string(),
        }
    }
}

fn number(
    errors: &mut FieldErrors,
    field: &str,
    raw: &str,
    range: std::ops::RangeInclusive<i64>,
    what: &str,
) -> i64 {
    match raw.trim().trim_end_matches('%').trim().parse::<i64>() {
        Ok(n) if range.contains(&n) => n,
        _ => {
            errors.add(
                field,
                format!(
                    "Enter {what} as a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            );
            0
        }
    }
}

impl SettingsForm {
    fn parse(&self) -> Result<TrainingSettings, FieldErrors> {
        let mut e = FieldErrors::default();
        let s = TrainingSettings {
            pass_mark: number(
                &mut e,
                "pass_mark",
                &self.pass_mark,
                50..=100,
                "the pass mark",
            ),
            induction_due_days: number(
                &mut e,
                "induction_due_days",
                &self.induction_due_days,
                1..=365,
                "the days new starters have",
            ),
            refresher_months: number(
                &mut e,
                "refresher_months",
                &self.refresher_months,
                1..=36,
                "the months between refreshers",
            ),
            compliance_target: number(
                &mut e,
                "compliance_target",
                &self.compliance_target,
                1..=100,
                "the target",
            ),
            reminder_days: number(
                &mut e,
                "reminder_days",
                &self.reminder_days,
                0..=60,
                "the reminder days",
            ),
        };
        if e.is_empty() {
            Ok(s)
        } else {
            Err(e)
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let s = load(&state.db, scope.practice_id()).await?;
    render(SettingsPage {
        page: Page::for_user("Training rules", scope.user()),
        form: s.into(),
        errors: FieldErrors::default(),
    })
}

pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<SettingsForm>,
) -> Result<Response, AppError> {
    match form.parse() {
        Ok(s) => {
            save(&state.db, scope.practice_id(), &s).await?;
            audit::record_alone(
                &state.db,
                Some(scope.practice_id()),
                &Actor::user(scope.user(), &ip),
                Action::TrainingChanged,
                &format!(
                    "training rules: pass mark {}%, induction due {} days, refresher {} months, target {}%, reminders {} days before",
                    s.pass_mark, s.induction_due_days, s.refresher_months, s.compliance_target, s.reminder_days
                ),
                state.clock.now(),
            )
            .await?;
            Ok(Redirect::to("/training/manage?saved=settings").into_response())
        }
        Err(errors) => Ok(render(SettingsPage {
            page: Page::for_user("Training rules", scope.user()),
            form,
            errors,
        })?
        .into_response()),
    }
}
