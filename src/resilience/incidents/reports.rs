//! Anyone at the practice can report an incident or a near miss ("I nearly
//! clicked", "a visitor looked at a screen"): a short form — what happened,
//! when, anything already done — that reaches the practice managers and the
//! reporter's department's cyber champions by email at once, and that the
//! reporter can see afterwards. Reporting is always thanked, never judged.
//!
//! [`near_misses_for_department`] lists a department's reports for its
//! champion's page.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::repo::{self, NewReport};
use crate::auth::audit::Action;
use crate::auth::PracticeScope;
use crate::db::Db;
use crate::mail::outbox;
use crate::resilience::scope::audit;
use crate::resilience::sql::from_row;
use crate::resilience::staff;
use crate::shared::AppState;
use crate::ukclock;
use crate::web::{render, AppError, ClientIp, FieldErrors, Notice, Page, ValidForm};

/// A report as the pages show it.
pub struct Report {
    pub id: i64,
    pub reporter_name: String,
    pub department: Option<String>,
    pub what: String,
    pub happened: String,
    pub done_already: String,
    pub created_at: i64,
}

from_row!(Report, r => Ok(Report {
    id: r.try_get("id")?,
    reporter_name: r.try_get("reporter_name")?,
    department: r.try_get("department")?,
    what: r.try_get("what")?,
    happened: r.try_get("happened")?,
    done_already: r.try_get("done_already")?,
    created_at: r.try_get("created_at")?,
}));

impl Report {
    /// When it was reported, "4 Dec 2026 09:12".
    pub fn reported(&self) -> String {
        ukclock::format(self.created_at)
    }
}

/// A department's reports (incidents and near misses), newest first, at most
/// `limit`: what the department's cyber champion sees.
pub async fn near_misses_for_department(
    db: &Db,
    scope: &PracticeScope,
    department_id: i64,
    limit: i64,
) -> Result<Vec<Report>, sqlx::Error> {
    repo::reports(db, scope, Some(department_id), limit).await
}

/// Every report at the practice, newest first, at most `limit` (the manager's view).
pub async fn recent(
    db: &Db,
    scope: &PracticeScope,
    limit: i64,
) -> Result<Vec<Report>, sqlx::Error> {
    repo::reports(db, scope, None, limit).await
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ReportForm {
    pub what: String,
    pub happened: String,
    pub done_already: String,
}

const LONG: usize = 4000;

impl ReportForm {
    /// The three answers trimmed, or what to fix beside each field.
    pub fn check(&self) -> Result<(String, String, String), FieldErrors> {
        let mut errors = FieldErrors::default();
        let (what, happened, done) = (
            self.what.trim(),
            self.happened.trim(),
            self.done_already.trim(),
        );
        if what.is_empty() {
            errors.add(
                "what",
                "Say what happened, or nearly happened, in a few words",
            );
        } else if what.chars().count() > LONG {
            errors.add(
                "what",
                format!("Keep it under {LONG} characters; the practice manager can ask for more"),
            );
        }
        if happened.is_empty() {
            errors.add(
                "happened",
                "Say when it happened, for example \"this morning about 10\" or \"last Tuesday\"",
            );
        } else if happened.chars().count() > 200 {
            errors.add("happened", "Keep when it happened under 200 characters");
        }
        if done.chars().count() > LONG {
            errors.add("done_already", format!("Keep it under {LONG} characters"));
        }
        if errors.is_empty() {
            Ok((what.to_string(), happened.to_string(), done.to_string()))
        } else {
            Err(errors)
        }
    }
}

#[derive(Template)]
#[template(path = "resilience/incident_report.html")]
struct ReportPage {
    page: Page,
    form: ReportForm,
    errors: FieldErrors,
    mine: Vec<Report>,
}

const NOTICES: &[(&str, &str)] = &[(
    "sent",
    "Thank you for reporting it. Your practice manager and your department's cyber champion have been told.",
)];

async fn report_page(
    state: &AppState,
    scope: &PracticeScope,
    form: ReportForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<Html<String>, AppError> {
    render(ReportPage {
        page: Page::for_user("Report an incident or near miss", scope.user()).with_notice(notice),
        mine: repo::reports_by(&state.db, scope, scope.user().user_id).await?,
        form,
        errors,
    })
}

/// `/resilience/incidents/report`: the form, and the person's own reports.
pub async fn page(
    State(state): State<AppState>,
    scope: PracticeScope,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    let notice = notice.say(NOTICES);
    report_page(
        &state,
        &scope,
        ReportForm::default(),
        FieldErrors::default(),
        notice,
    )
    .await
}

pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: PracticeScope,
    ValidForm(form): ValidForm<ReportForm>,
) -> Result<Response, AppError> {
    let (what, happened, done) = match form.check() {
        Ok(ok) => ok,
        Err(errors) => {
            return Ok(report_page(&state, &scope, form, errors, None)
                .await?
                .into_response())
        }
    };
    let db = &state.db;
    let user = scope.user();
    let department_id = match user.staff_id {
        Some(id) => staff::department_of(db, &scope, id).await?,
        None => None,
    };
    let mut to: Vec<String> = crate::auth::accounts::managers(db, scope.practice_id())
        .await?
        .into_iter()
        .map(|m| m.email)
        .collect();
    if let Some(d) = department_id {
        to.extend(staff::champion_emails(db, &scope, d).await?);
    }
    to.retain(|a| !a.eq_ignore_ascii_case(&user.email));
    to.sort_by_key(|a| a.to_lowercase());
    to.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    let now = state.clock.now();
    let base = state.public_url().trim_end_matches('/');
    let subject = format!(
        "{} reported something that happened or nearly happened",
        user.full_name
    );
    let body = format!(
        "{} has reported an incident or near miss in Safety Net.\n\nWhat happened:\n{what}\n\nWhen:\n{happened}\n\nAlready done:\n{}\n\nPlease thank them: reporting is always the right thing to do. If it needs the incident plan, declare an incident here:\n{base}/resilience/incidents\n",
        user.full_name,
        if done.is_empty() { "(nothing said)" } else { &done }
    );
    // The report, its emails and the audit entry commit together.
    let mut tx = db.begin().await?;
    let new = NewReport {
        reporter_id: user.user_id,
        reporter_name: &user.full_name,
        staff_id: user.staff_id,
        department_id,
        what: &what,
        happened: &happened,
        done_already: &done,
    };
    let id = file(&mut tx, &scope, &new, &to, (&subject, &body), now).await?;
    let detail = format!(
        "report {id} of an incident or near miss by {}",
        user.full_name
    );
    audit(&mut tx, &scope, &ip, Action::IncidentChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(Notice::redirect("/resilience/incidents/report", "sent").into_response())
}

/// A report filed by a champion from their log ("I clicked something" made
/// an incident report in one step): stored in `tx` and the practice manager
/// told, as for a report a member of staff makes.
#[allow(clippy::too_many_arguments)]
pub async fn file_for_champion(
    tx: &mut crate::db::Tx,
    state: &AppState,
    scope: &PracticeScope,
    department_id: Option<i64>,
    what: &str,
    happened: &str,
    done: &str,
    now: i64,
) -> Result<i64, AppError> {
    let user = scope.user();
    let managers: Vec<String> = crate::auth::accounts::managers(&state.db, scope.practice_id())
        .await?
        .into_iter()
        .map(|m| m.email)
        .filter(|a| !a.eq_ignore_ascii_case(&user.email))
        .collect();
    let new = NewReport {
        reporter_id: user.user_id,
        reporter_name: &user.full_name,
        staff_id: None,
        department_id,
        what,
        happened,
        done_already: done,
    };
    let base = state.public_url().trim_end_matches('/').to_string();
    let subject = format!(
        "{} passed on a near miss from their department",
        user.full_name
    );
    let body = format!(
        "{} (cyber champion) has passed on something a colleague told them.\n\nWhat happened:\n{what}\n\nWhen:\n{happened}\n\nWhat the champion advised:\n{}\n\nPlease thank the colleague: telling someone is always the right thing to do. If it needs the incident plan, declare an incident here:\n{base}/resilience/incidents\n",
        user.full_name,
        if done.is_empty() { "(nothing said)" } else { done }
    );
    file(tx, scope, &new, &managers, (&subject, &body), now).await
}

/// Stores a report and queues its email to each of `to`, in `tx`.
async fn file(
    tx: &mut crate::db::Tx,
    scope: &PracticeScope,
    new: &NewReport<'_>,
    to: &[String],
    (subject, body): (&str, &str),
    now: i64,
) -> Result<i64, AppError> {
    let id = repo::insert_report(tx, scope, new, now).await?;
    for addr in to {
        outbox::enqueue(
            tx,
            Some(scope.practice_id()),
            "incident-report",
            addr,
            subject,
            body,
            now,
        )
        .await?;
    }
    Ok(id)
}
