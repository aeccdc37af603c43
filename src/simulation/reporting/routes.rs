//! The reporting pages' handlers: an exercise's results and their
//! spreadsheet, a manager overturning a click (audit-logged), a person's
//! own exercises, and the reporting mailbox's settings (with "Test
//! connection" and "Check now").

use axum::extract::{Query, RawForm, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::connect;
use super::history;
use super::imap::{self, MailboxAuth, MailboxSettings};
use super::mailbox::{Mailbox, MailboxForm};
use super::oauth;
use super::repo::{self, FirstClick};
use super::results::{median_report, shown_departments, timeline};
use super::views::{ClickRow, DepartmentRow, MailboxPage, MinePage, RecipientRow, ShowPage};
use super::worker;
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::Change;
use crate::net::outbound::Policy;
use crate::shared::{AppState, CampaignId, PracticeId};
use crate::simulation::authoring;
use crate::simulation::ids::EventId;
use crate::simulation::sending::{self, Campaign};
use crate::simulation::TestResult;
use crate::training::assignments;
use crate::web::spreadsheet::Sheet;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};

/// One of the practice's campaigns, finished first if its end date has passed.
async fn campaign(
    state: &AppState,
    scope: &PracticeScope,
    id: CampaignId,
) -> Result<Campaign, AppError> {
    sending::complete_due(&state.db, state.clock.now()).await?;
    sending::repo::find(&state.db, scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    page: Option<i64>,
    left_out: Option<i64>,
}

/// An exercise's results.
pub async fn show(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<CampaignId>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    let c = campaign(&state, &scope, id).await?;
    let db = &state.db;
    let template_name = authoring::repo::find(db, scope.practice_id(), c.template_id)
        .await?
        .map(|t| t.name)
        .unwrap_or_default();
    let median_report = median_report(&repo::report_delays(db, id).await?);
    let min_group = state.settings.simulation.min_group_size;
    let (departments, hidden) = shown_departments(repo::by_department(db, id).await?, min_group);
    let per_page = 50;
    let pages = (c.recipients + per_page - 1) / per_page;
    let page_no = q.page.unwrap_or(1).clamp(1, pages.max(1));
    let recipients = repo::results_page(db, id, per_page, page_no).await?;
    let timeline = timeline(repo::by_hour(db, id, c.launch_at).await?, c.launch_at);
    let notice = q.left_out.filter(|n| *n > 0).map(|n| {
        format!("{n} staff were left out because their email address is not in one of the practice's verified domains.")
    });
    let clicks = repo::recent_clicks(db, &scope, id).await?;
    let timing = c.timing(crate::simulation::sending::repo::next_send(db, id).await?);
    let mut page = Page::for_user(c.name.clone(), scope.user())
        .with_notice(notice)
        .with_live_figures();
    if c.is_sending() {
        // "Watching delivery" works without JavaScript too.
        page = page.refreshing_every(30);
    }
    render(ShowPage {
        page,
        timing,
        template_name,
        median_report,
        departments: departments.into_iter().map(DepartmentRow::from).collect(),
        hidden_departments: hidden as i64,
        min_group,
        recipients: recipients.into_iter().map(RecipientRow::from).collect(),
        page_no,
        pages,
        timeline,
        clicks: clicks.into_iter().map(ClickRow::from).collect(),
        c,
    })
}

/// Every person's result as a spreadsheet (the download is audit-logged).
pub async fn export_csv(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<CampaignId>,
) -> Result<Response, AppError> {
    let c = sending::repo::find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut sheet = Sheet::new(&[
        "Name",
        "Email",
        "Department",
        "Sending",
        "Sent",
        "Opened",
        "Clicked",
        "Entered details",
        "Reported",
        "Minutes to report",
        "Sending error",
    ])?;
    let t = |v: Option<i64>| v.map(crate::ukclock::format).unwrap_or_default();
    for r in repo::all_results(&state.db, id).await? {
        let minutes = r
            .report_delay()
            .map(|d| (d / 60).to_string())
            .unwrap_or_default();
        sheet.row([
            r.full_name,
            r.email,
            r.department.unwrap_or_default(),
            r.send_status.as_str().to_string(),
            t(r.sent_at),
            t(r.opened_at),
            t(r.clicked_at),
            t(r.submitted_at),
            t(r.reported_at),
            minutes,
            r.send_error.unwrap_or_default(),
        ])?;
    }
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::StaffExported,
        &format!("results of \"{}\"", c.name),
        state.clock.now(),
    )
    .await?;
    sheet.download("exercise-results.csv")
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OverrideForm {
    /// "count" or "ignore".
    action: String,
}

/// A manager overturns the judgement on a click: a scanner's click counted
/// as a person's, or the other way round. The recipient's first click, the
/// campaign's total and the follow-up training change with it, in one
/// transaction with the audit entry.
pub async fn set_override(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path((campaign, event_id)): Path<(CampaignId, EventId)>,
    ValidForm(form): ValidForm<OverrideForm>,
) -> Result<Response, AppError> {
    let click = repo::click(&state.db, &scope, campaign, event_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let count = match form.action.as_str() {
        "count" => true,
        "ignore" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Choose whether to count this click or not.".into(),
            ))
        }
    };
    let now = state.clock.now();
    let practice_id: PracticeId = scope.practice_id();
    let mut tx = state.db.begin().await?;
    let change = repo::reclassify(
        &mut tx,
        campaign,
        event_id,
        click.recipient_id,
        count,
        &scope.user().email,
        now,
    )
    .await?;
    match change {
        FirstClick::Appeared => {
            assignments::assign_follow_up(
                &mut tx,
                practice_id,
                click.staff_id,
                &click.training_module,
                campaign,
                &click.campaign_name,
                click.at,
            )
            .await?
        }
        // It was a scanner after all: the refresher it triggered is withdrawn if not yet done.
        FirstClick::Gone => {
            assignments::withdraw_follow_up(&mut tx, practice_id, click.staff_id, campaign).await?
        }
        FirstClick::Unchanged => {}
    }
    let detail = format!(
        "{} click by {} in \"{}\"",
        if count { "counted" } else { "stopped counting" },
        click.full_name,
        click.campaign_name
    );
    audit::record(
        &mut tx,
        Some(practice_id),
        &Actor::user(scope.user(), &ip),
        Action::ClickReclassified,
        &detail,
        now,
    )
    .await?;
    // The recipient's first click may have moved or gone.
    tx.publish_after_commit(Change::Campaign(campaign));
    tx.commit().await?;
    Ok(Redirect::to(&format!("/simulation/campaigns/{campaign}#clicks")).into_response())
}

/// "Your phishing exercises", for the person signed in.
pub async fn mine(
    State(state): State<AppState>,
    scope: PracticeScope,
) -> Result<Html<String>, AppError> {
    let entries = match scope.user().staff_id {
        Some(staff_id) => history::for_staff(&state.db, &scope, staff_id).await?,
        None => Vec::new(),
    };
    let reported = entries.iter().filter(|e| e.reported.is_some()).count();
    render(MinePage {
        page: Page::for_user("Your phishing exercises", scope.user()),
        entries,
        reported,
    })
}

// ---------- the reporting mailbox's settings ----------

async fn saved_mailbox(
    state: &AppState,
    practice_id: PracticeId,
) -> Result<Option<Mailbox>, AppError> {
    match repo::mailbox(&state.db, practice_id).await? {
        Some(row) => Ok(Some(Mailbox::from_row(row).map_err(anyhow::Error::from)?)),
        None => Ok(None),
    }
}

async fn mailbox_page(
    state: &AppState,
    scope: &ManagerScope,
    form: Option<MailboxForm>,
    errors: FieldErrors,
    result: Option<TestResult>,
) -> Result<Html<String>, AppError> {
    let saved = saved_mailbox(state, scope.practice_id()).await?;
    let status = saved.as_ref().map(Mailbox::status);
    let attention = saved
        .as_ref()
        .and_then(|m| Some((m.attention.clone()?, m.what_to_do()?)));
    let form = form
        .or_else(|| saved.as_ref().map(MailboxForm::from_saved))
        .unwrap_or_else(MailboxForm::new_mailbox);
    render(MailboxPage {
        page: Page::for_user("Reporting mailbox", scope.user()),
        form,
        errors,
        status,
        result,
        attention,
    })
}

pub async fn mailbox(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    mailbox_page(&state, &scope, None, FieldErrors::default(), None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MailboxAction {
    /// "test", "check" or nothing (save).
    action: String,
}

pub async fn save_mailbox(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    jar: CookieJar,
    RawForm(raw): RawForm,
) -> Result<Response, AppError> {
    let mut form: MailboxForm = serde_urlencoded::from_bytes(&raw)
        .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
    let action: MailboxAction = serde_urlencoded::from_bytes(&raw).unwrap_or_default();
    form.connecting = action.action == "connect";
    let old = saved_mailbox(&state, scope.practice_id()).await?;
    let policy = Policy::from_settings(&state.settings);
    let settings = match form.parse(&policy, old.as_ref().map(|m| &m.settings)) {
        Ok(s) => s,
        Err(errors) => {
            return Ok(mailbox_page(&state, &scope, Some(form), errors, None)
                .await?
                .into_response())
        }
    };
    if action.action == "test" {
        let result = match test_mailbox(&state, &policy, &scope, old.as_ref(), &settings).await? {
            Ok(()) => TestResult::worked(format!(
                "Connected to {} and opened the folder {}.",
                settings.host, settings.folder
            )),
            Err(message) => TestResult::failed(message),
        };
        return Ok(mailbox_page(
            &state,
            &scope,
            Some(form),
            FieldErrors::default(),
            Some(result),
        )
        .await?
        .into_response());
    }
    let active = form.active == "yes";
    if form.connecting {
        // Saved only once the sign-in comes back with a refresh token.
        return connect::begin(&state, &scope, jar, &settings, active).await;
    }
    let json = serde_json::to_string(&settings).map_err(anyhow::Error::from)?;
    let now = state.clock.now();
    let old_auth = old.as_ref().map(|m| &m.settings.auth);
    let new_sign_in = old_auth != Some(&settings.auth);
    let new_refresh = match (old_auth, &settings.auth) {
        (
            Some(MailboxAuth::OAuth2Refresh {
                refresh_token: was, ..
            }),
            MailboxAuth::OAuth2Refresh { refresh_token, .. },
        ) => was != refresh_token,
        _ => true,
    };
    let mut tx = state.db.begin().await?;
    repo::save_mailbox(
        &mut tx,
        &scope,
        &json,
        active,
        new_sign_in,
        new_refresh,
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::MailboxChanged,
        &format!(
            "{}@{}:{} ({}; {}{})",
            settings.username,
            settings.host,
            settings.port,
            if active { "on" } else { "off" },
            match &settings.auth {
                MailboxAuth::Password(_) => "password",
                MailboxAuth::OAuth2 { .. } => "pasted access token",
                MailboxAuth::OAuth2Refresh { .. } => "refresh token",
                MailboxAuth::OAuth2App { .. } => "app registration",
            },
            match (new_sign_in, old.as_ref().and_then(|m| m.attention.as_ref())) {
                (true, Some(_)) => ", new sign-in details for a mailbox that needed attention",
                (true, None) => ", new sign-in details",
                (false, _) => "",
            }
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    if action.action == "check" {
        worker::poll_all(&state).await?;
    }
    Ok(Redirect::to("/simulation/mailbox").into_response())
}

/// Where the mailbox's sign-in page sends the manager back.
pub async fn mailbox_connected(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let answer = connect::Answer::parse(raw.as_deref());
    let outcome = connect::finish(&state, &scope, &ip, &jar, answer).await?;
    let jar = connect::forget(&state, jar);
    let result = match outcome {
        Ok(()) => TestResult::worked(
            "Connected: Safety Net signed in as the mailbox and will keep its access fresh by itself. It checks the mailbox every minute.".to_string(),
        ),
        Err(message) => TestResult::failed(message),
    };
    let page = mailbox_page(&state, &scope, None, FieldErrors::default(), Some(result)).await?;
    Ok((jar, page).into_response())
}

/// The test button: connect, sign in, open the folder. Where Safety Net
/// gets its own tokens it asks the token service first. A refresh token is
/// only tried once saved: some services replace it when it is used, and the
/// replacement must be kept.
async fn test_mailbox(
    state: &AppState,
    policy: &Policy,
    scope: &ManagerScope,
    old: Option<&Mailbox>,
    settings: &MailboxSettings,
) -> Result<Result<(), String>, AppError> {
    let failed = |e: imap::MailboxError| format!("{}. {e}", e.kind().label());
    let token = match &settings.auth {
        MailboxAuth::Password(_) | MailboxAuth::OAuth2 { .. } => None,
        MailboxAuth::OAuth2App { client } => {
            match oauth::request(policy, client, oauth::Grant::ClientCredentials).await {
                Ok(t) => Some(t.access_token),
                Err(e) => {
                    return Ok(Err(format!(
                        "Safety Net could not get an access token: {e}"
                    )))
                }
            }
        }
        MailboxAuth::OAuth2Refresh { .. } => {
            let saved = repo::mailbox(&state.db, scope.practice_id()).await?;
            match (old, saved) {
                (Some(o), Some(row)) if &o.settings == settings => {
                    match worker::access_token(state, policy, scope.practice_id(), &row.settings_json, settings, None).await? {
                        Ok((t, _)) => Some(t),
                        Err(e) => return Ok(Err(e)),
                    }
                }
                _ => return Ok(Err("Save these settings first, then use \"Save and check now\": some token services replace a refresh token each time it is used, so Safety Net only uses one it can keep.".into())),
            }
        }
    };
    Ok(
        imap::test_connection_with(policy, settings, token.as_deref())
            .await
            .map_err(failed),
    )
}
