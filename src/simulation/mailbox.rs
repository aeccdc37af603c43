//! The practice's reporting mailbox: where staff forward suspicious emails.
//! A background poller reads new messages over IMAP; each forwarded practice
//! email counts as a report (at the time it arrived) and its reporter is
//! thanked by email.

use std::time::Duration;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::events::{Kind, NewEvent};
use super::report_mailbox::{self, FoundReport, MailboxAuth, MailboxSecurity, MailboxSettings};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::ManagerScope;
use crate::db::Db;
use crate::net::outbound::Policy;
use crate::shared::{AppState, PracticeId};
use crate::web::{render, AppError, ClientIp, FieldErrors, Page};
use crate::with_db;

pub struct Mailbox {
    pub settings: MailboxSettings,
    pub active: bool,
    pub last_polled: Option<i64>,
    pub last_error: Option<String>,
    pub reports_found: i64,
}

/// settings, active, last polled, last error, reports found
type MailboxRow = (String, bool, Option<i64>, Option<String>, i64);

pub async fn load(db: &Db, practice_id: PracticeId) -> Result<Option<Mailbox>, AppError> {
    let row: Option<MailboxRow> = with_db!(db, p => sqlx::query_as(
        "SELECT settings_json, active, last_polled_at, last_error, reports_found FROM report_mailboxes WHERE practice_id = $1")
        .bind(practice_id).fetch_optional(p).await)?;
    Ok(match row {
        Some((json, active, last_polled, last_error, reports_found)) => Some(Mailbox {
            settings: serde_json::from_str(&json).map_err(anyhow::Error::from)?,
            active,
            last_polled,
            last_error,
            reports_found,
        }),
        None => None,
    })
}

/// Records the reports found in one poll. Only tokens of this practice's own
/// campaigns count; anything else is ignored.
pub async fn record(
    state: &AppState,
    practice_id: PracticeId,
    reports: &[FoundReport],
) -> Result<usize, AppError> {
    let mut counted = 0;
    for r in reports {
        for token in &r.tokens {
            type Row = (i64, i64, i64, String, Option<i64>, String, String);
            let hit: Option<Row> = with_db!(&state.db, p => sqlx::query_as(
                "SELECT r.id, r.campaign_id, r.staff_id, c.status, r.reported_at, r.email, c.name FROM campaign_recipients r \
                 JOIN campaigns c ON c.id = r.campaign_id WHERE r.token = $1 AND r.practice_id = $2")
                .bind(token.as_str()).bind(practice_id).fetch_optional(p).await)?;
            let Some((
                recipient_id,
                campaign_id,
                staff_id,
                status,
                reported_at,
                email,
                campaign_name,
            )) = hit
            else {
                continue;
            };
            if status == "cancelled" || status == "completed" {
                continue;
            }
            let at = r
                .received_at
                .unwrap_or_else(|| state.clock.now())
                .min(state.clock.now());
            super::events::store_now(
                &state.db,
                &NewEvent {
                    recipient_id,
                    campaign_id,
                    practice_id,
                    staff_id,
                    kind: Kind::Report,
                    counted: true,
                    reasons: format!(
                        "counted: forwarded to the reporting mailbox{}",
                        r.reporter
                            .as_deref()
                            .map(|f| format!(" by {f}"))
                            .unwrap_or_default()
                    ),
                    at,
                    ip: String::new(),
                    user_agent: "reporting mailbox".into(),
                    training_module: String::new(),
                    campaign_name,
                    already: [false; 4],
                },
            )
            .await?;
            counted += 1;
            if reported_at.is_none() {
                // Thank them at the address we hold, not whatever the forward says.
                let body = "Thank you for reporting that suspicious email. You did exactly the right thing.\n\nIt was a practice exercise, so there is nothing more to do. When a real one arrives, reporting it the same way lets the practice warn everyone quickly.\n\nSafety Net\n";
                let mut tx = state.db.begin().await?;
                crate::mail::outbox::enqueue(
                    &mut tx,
                    Some(practice_id),
                    "report_thanks",
                    &email,
                    "Thank you for reporting a suspicious email",
                    body,
                    state.clock.now(),
                )
                .await?;
                tx.commit().await?;
            }
        }
    }
    Ok(counted)
}

/// One pass over every active mailbox.
pub async fn poll_all(state: &AppState) -> Result<(), AppError> {
    let rows: Vec<(PracticeId, String)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT practice_id, settings_json FROM report_mailboxes WHERE active").fetch_all(p).await)?;
    for (practice_id, json) in rows {
        let Ok(settings) = serde_json::from_str::<MailboxSettings>(&json) else {
            continue;
        };
        let now = state.clock.now();
        let (error, found) =
            match report_mailbox::poll_once(&Policy::from_settings(&state.settings), &settings)
                .await
            {
                Ok(reports) => (None, record(state, practice_id, &reports).await? as i64),
                Err(e) => (Some(e.to_string()), 0),
            };
        with_db!(&state.db, p => sqlx::query(
            "UPDATE report_mailboxes SET last_polled_at = $1, last_error = $2, reports_found = reports_found + $3 WHERE practice_id = $4")
            .bind(now).bind(error).bind(found).bind(practice_id).execute(p).await.map(|_| ()))?;
    }
    Ok(())
}

pub async fn run_until_stopped(state: AppState, stop: CancellationToken) {
    loop {
        if let Err(e) = poll_all(&state).await {
            tracing::error!(error = ?e, "reporting mailbox poll failed");
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct MailboxForm {
    pub host: String,
    pub port: String,
    pub security: String,
    pub username: String,
    /// "password" or "oauth2".
    pub auth: String,
    pub secret: String,
    pub folder: String,
    pub ca_pem: String,
    pub active: String,
}

impl MailboxForm {
    fn from(m: &Mailbox) -> Self {
        let s = &m.settings;
        Self {
            host: s.host.clone(),
            port: s.port.to_string(),
            security: if matches!(s.security, MailboxSecurity::Tls) {
                "tls".into()
            } else {
                "starttls".into()
            },
            username: s.username.clone(),
            auth: if matches!(s.auth, MailboxAuth::OAuth2 { .. }) {
                "oauth2".into()
            } else {
                "password".into()
            },
            secret: String::new(),
            folder: s.folder.clone(),
            ca_pem: s.ca_pem.clone().unwrap_or_default(),
            active: if m.active {
                "yes".into()
            } else {
                String::new()
            },
        }
    }

    /// `old` keeps the saved password or token when the box is left empty.
    fn parse(
        &self,
        policy: &Policy,
        old: Option<&MailboxSettings>,
    ) -> Result<MailboxSettings, FieldErrors> {
        let mut e = FieldErrors::default();
        let host = self.host.trim();
        if host.is_empty() || host.contains(char::is_whitespace) {
            e.add(
                "host",
                "Enter the mail server's name, like outlook.office365.com or imap.example.org",
            );
        } else if let Err(why) = policy.check_host(host) {
            e.add("host", why);
        }
        let security = if self.security == "starttls" {
            MailboxSecurity::Starttls
        } else {
            MailboxSecurity::Tls
        };
        let port = if self.port.trim().is_empty() {
            security.default_port()
        } else {
            match self.port.trim().parse::<u16>() {
                Ok(p) if p > 0 => p,
                _ => {
                    e.add(
                        "port",
                        "Enter the port number: usually 993 for TLS or 143 for STARTTLS",
                    );
                    0
                }
            }
        };
        if self.username.trim().is_empty() {
            e.add(
                "username",
                "Enter the mailbox's user name (often its email address)",
            );
        }
        let secret = if self.secret.is_empty() {
            match old.map(|o| &o.auth) {
                Some(MailboxAuth::Password(p)) if self.auth != "oauth2" => Some(p.clone()),
                Some(MailboxAuth::OAuth2 { access_token }) if self.auth == "oauth2" => {
                    Some(access_token.clone())
                }
                _ => None,
            }
        } else {
            Some(self.secret.clone())
        };
        let Some(secret) = secret else {
            e.add("secret", "Enter the mailbox password, or an OAuth2 access token for Microsoft 365 and NHSmail");
            return Err(e);
        };
        if !e.is_empty() {
            return Err(e);
        }
        let folder = self.folder.trim();
        Ok(MailboxSettings {
            host: host.into(),
            port,
            security,
            username: self.username.trim().into(),
            auth: if self.auth == "oauth2" {
                MailboxAuth::OAuth2 {
                    access_token: secret,
                }
            } else {
                MailboxAuth::Password(secret)
            },
            folder: if folder.is_empty() {
                "INBOX".into()
            } else {
                folder.into()
            },
            ca_pem: Some(self.ca_pem.trim().to_string()).filter(|s| !s.is_empty()),
        })
    }
}

#[derive(Template)]
#[template(path = "simulation/mailbox.html")]
struct MailboxPage {
    page: Page,
    form: MailboxForm,
    errors: FieldErrors,
    status: Option<String>,
    result: Option<(bool, String)>,
}

async fn show(
    state: &AppState,
    scope: &ManagerScope,
    form: Option<MailboxForm>,
    errors: FieldErrors,
    result: Option<(bool, String)>,
) -> Result<Html<String>, AppError> {
    let saved = load(&state.db, scope.practice_id()).await?;
    let status = saved
        .as_ref()
        .map(|m| match (&m.last_error, m.last_polled) {
            (Some(e), _) => format!("Last check failed: {e}"),
            (None, Some(t)) => format!(
                "Last checked {}. {} reports found so far.",
                crate::ukclock::format(t),
                m.reports_found
            ),
            (None, None) => "Not checked yet: it is checked every minute.".into(),
        });
    let form = form
        .or_else(|| saved.as_ref().map(MailboxForm::from))
        .unwrap_or(MailboxForm {
            security: "tls".into(),
            port: "993".into(),
            folder: "INBOX".into(),
            auth: "password".into(),
            active: "yes".into(),
            ..Default::default()
        });
    render(MailboxPage {
        page: Page::for_user("Reporting mailbox", scope.user()),
        form,
        errors,
        status,
        result,
    })
}

pub async fn page(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    show(&state, &scope, None, FieldErrors::default(), None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MailboxAction {
    action: String,
}

pub async fn save(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    axum::extract::RawForm(raw): axum::extract::RawForm,
) -> Result<Response, AppError> {
    let form: MailboxForm = serde_urlencoded::from_bytes(&raw)
        .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
    let action: MailboxAction = serde_urlencoded::from_bytes(&raw).unwrap_or_default();
    let old = load(&state.db, scope.practice_id()).await?;
    let policy = Policy::from_settings(&state.settings);
    let settings = match form.parse(&policy, old.as_ref().map(|m| &m.settings)) {
        Ok(s) => s,
        Err(errors) => {
            return Ok(show(&state, &scope, Some(form), errors, None)
                .await?
                .into_response())
        }
    };
    if action.action == "test" {
        let result = match report_mailbox::test_connection(&policy, &settings).await {
            Ok(()) => (
                true,
                format!(
                    "Connected to {} and opened the folder {}.",
                    settings.host, settings.folder
                ),
            ),
            Err(e) => (false, format!("{}. {e}", e.kind().label())),
        };
        return Ok(show(
            &state,
            &scope,
            Some(form),
            FieldErrors::default(),
            Some(result),
        )
        .await?
        .into_response());
    }
    let json = serde_json::to_string(&settings).map_err(anyhow::Error::from)?;
    let active = form.active == "yes";
    with_db!(&state.db, p => sqlx::query(
        "INSERT INTO report_mailboxes (practice_id, settings_json, active, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (practice_id) DO UPDATE SET settings_json = $2, active = $3, last_error = NULL")
        .bind(scope.practice_id()).bind(&json).bind(active).bind(state.clock.now()).execute(p).await.map(|_| ()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::MailboxChanged,
        &format!(
            "{}@{}:{} ({})",
            settings.username,
            settings.host,
            settings.port,
            if active { "on" } else { "off" }
        ),
        state.clock.now(),
    )
    .await?;
    if action.action == "check" {
        poll_all(&state).await?;
    }
    Ok(Redirect::to("/simulation/mailbox").into_response())
}
