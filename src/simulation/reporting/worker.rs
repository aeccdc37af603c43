//! Checks every active reporting mailbox once a minute: each forwarded
//! exercise email counts as a report (at the time it arrived), and its
//! reporter is thanked by email, in the same transaction. Only tokens of the
//! practice's own running exercises count; anything else is ignored.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::imap::{self, FoundReport, MailboxAuth, MailboxError, MailboxSettings};
use super::oauth::{self, Grant, TokenError};
use super::repo;
use crate::net::outbound::Policy;
use crate::shared::{AppState, PracticeId};
use crate::simulation::states::{Kind, Progress};
use crate::simulation::tracking::repo::write_in;
use crate::simulation::tracking::writer::NewEvent;
use crate::web::AppError;

const THANKS: &str = "Thank you for reporting that suspicious email. You did exactly the right thing.\n\nIt was a practice exercise, so there is nothing more to do. When a real one arrives, reporting it the same way lets the practice warn everyone quickly.\n\nSafety Net\n";

/// Records the reports found in one check; returns how many counted.
pub async fn record(
    state: &AppState,
    practice_id: PracticeId,
    reports: &[FoundReport],
) -> Result<usize, AppError> {
    let mut counted = 0;
    for r in reports {
        for token in &r.tokens {
            let Some(hit) =
                repo::recipient_by_token(&state.db, practice_id, token.as_str()).await?
            else {
                continue;
            };
            if hit.status.is_over() {
                continue;
            }
            let now = state.clock.now();
            let at = r.received_at.unwrap_or(now).min(now);
            let event = NewEvent {
                recipient_id: hit.id,
                campaign_id: hit.campaign_id,
                practice_id,
                staff_id: hit.staff_id,
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
                campaign_name: hit.campaign_name,
                already: Progress::default(),
            };
            let mut tx = state.db.begin().await?;
            write_in(&mut tx, &[&event]).await?;
            if hit.reported_at.is_none() {
                // Thank them at the address we hold, not whatever the forward says.
                crate::mail::outbox::enqueue(
                    &mut tx,
                    Some(practice_id),
                    "report_thanks",
                    &hit.email,
                    "Thank you for reporting a suspicious email",
                    THANKS,
                    now,
                )
                .await?;
            }
            tx.commit().await?;
            counted += 1;
        }
    }
    Ok(counted)
}

/// One pass over every active mailbox.
pub async fn poll_all(state: &AppState) -> Result<(), AppError> {
    for m in repo::active_mailboxes(&state.db).await? {
        let Ok(settings) = serde_json::from_str::<MailboxSettings>(&m.settings_json) else {
            continue;
        };
        let now = state.clock.now();
        let policy = Policy::from_settings(&state.settings);
        let (error, found) =
            match check(state, &policy, m.practice_id, &m.settings_json, &settings).await? {
                Ok(reports) => (None, record(state, m.practice_id, &reports).await? as i64),
                Err(e) => (Some(e), 0),
            };
        let mut tx = state.db.begin().await?;
        repo::polled(&mut tx, m.practice_id, now, error.as_deref(), found).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Reads the mailbox once, first getting an access token where Safety Net
/// gets its own: the one held if it is not about to run out, otherwise a new
/// one; and if the mail server refuses a held token, one new one more.
async fn check(
    state: &AppState,
    policy: &Policy,
    practice_id: PracticeId,
    settings_json: &str,
    settings: &MailboxSettings,
) -> Result<Result<Vec<FoundReport>, String>, AppError> {
    if settings.auth.oauth_client().is_none() {
        return Ok(imap::poll_once(policy, settings)
            .await
            .map_err(|e| e.to_string()));
    }
    let (token, fresh) =
        match access_token(state, policy, practice_id, settings_json, settings, None).await? {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
    match imap::poll_with(policy, settings, Some(&token)).await {
        Err(MailboxError::TokenRefused { .. }) if !fresh => {
            let token = match access_token(
                state,
                policy,
                practice_id,
                settings_json,
                settings,
                Some(&token),
            )
            .await?
            {
                Ok((t, _)) => t,
                Err(e) => return Ok(Err(e)),
            };
            Ok(imap::poll_with(policy, settings, Some(&token))
                .await
                .map_err(|e| e.to_string()))
        }
        r => Ok(r.map_err(|e| e.to_string())),
    }
}

/// How long one node may take to get a token before another may try.
const CLAIM_SECONDS: i64 = 60;
/// How long to wait for another node that is getting a token.
const WAIT_FOR_OTHER: Duration = Duration::from_secs(30);

/// An access token for the mailbox, and whether it was obtained just now.
/// The one held in the database if it is not about to run out (and is not
/// `refused`, one the mail server turned down); otherwise a new one from the
/// token service, asked by one node at a time and kept in the database.
/// A lasting refusal marks the mailbox as needing the manager, who is
/// emailed once. `Err` inside: why there is no token, in words.
pub async fn access_token(
    state: &AppState,
    policy: &Policy,
    practice_id: PracticeId,
    settings_json: &str,
    settings: &MailboxSettings,
    refused: Option<&str>,
) -> Result<Result<(String, bool), String>, AppError> {
    let Some(client) = settings.auth.oauth_client() else {
        return Ok(Err("This mailbox signs in without a token service.".into()));
    };
    let db = &state.db;
    let started = tokio::time::Instant::now();
    // Whether this call holds the claim to ask. What was read before the
    // claim is read again after it: another node may have just finished
    // asking, and its rotated refresh token must be the one used next.
    let mut claimed = false;
    let held = loop {
        let now = state.clock.now();
        let Some(held) = repo::mailbox_tokens(db, practice_id).await? else {
            return Ok(Err("The mailbox settings were removed.".into()));
        };
        let give_up = |why: String| async move {
            if claimed {
                repo::release_token_refresh(db, practice_id).await?;
            }
            Ok::<_, AppError>(Err(why))
        };
        if held.settings_json != settings_json {
            return give_up(
                "The settings changed during the check; the next check uses the new ones.".into(),
            )
            .await;
        }
        if let (Some(t), Some(issued), Some(expires)) = (
            &held.oauth_access_token,
            held.oauth_issued_at,
            held.oauth_expires_at,
        ) {
            if Some(t.as_str()) != refused && !oauth::needs_refresh(now, issued, expires) {
                if claimed {
                    repo::release_token_refresh(db, practice_id).await?;
                }
                return Ok(Ok((t.clone(), false)));
            }
        }
        if let Some(why) = &held.attention {
            // Already refused for good: asking again with the same details
            // would only be refused again, until the manager changes them.
            if refused.is_none() {
                return give_up(why.clone()).await;
            }
        }
        if claimed {
            break held;
        }
        if repo::claim_token_refresh(db, practice_id, settings_json, now, now + CLAIM_SECONDS)
            .await?
        {
            claimed = true;
            continue;
        }
        if started.elapsed() > WAIT_FOR_OTHER {
            return Ok(Err(
                "Another Safety Net server is getting a new access token; the next check uses it."
                    .into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };

    let grant = match &settings.auth {
        MailboxAuth::OAuth2Refresh { refresh_token, .. } => {
            Grant::Refresh(held.oauth_refresh_token.as_deref().unwrap_or(refresh_token))
        }
        _ => Grant::ClientCredentials,
    };
    let asked_at = state.clock.now();
    let outcome = oauth::request(policy, client, grant).await;
    let mut tx = db.begin().await?;
    let result = match outcome {
        Ok(token) => {
            let lifetime = token
                .expires_in
                .filter(|s| *s > 0)
                .unwrap_or(oauth::ASSUMED_LIFETIME);
            let stored = repo::store_token(
                &mut tx,
                practice_id,
                settings_json,
                &token.access_token,
                asked_at,
                asked_at + lifetime,
                token.refresh_token.as_deref(),
            )
            .await?;
            if !stored {
                // Saved again meanwhile: the token belongs to the old settings.
                tracing::info!(practice = %practice_id, "the mailbox settings changed while a token was obtained; it is not kept");
                tx.commit().await?;
                repo::release_token_refresh(db, practice_id).await?;
                return Ok(Err(
                    "The settings changed during the check; the next check uses the new ones."
                        .into(),
                ));
            }
            Ok((token.access_token, true))
        }
        Err(TokenError::Refused(why)) => {
            let why = format!("Safety Net could not get a new access token: {why}");
            if repo::mark_attention(&mut tx, practice_id, settings_json, &why, asked_at).await? {
                let body = attention_email(state, &settings.auth, &why);
                for to in
                    crate::training::assignments::repo::manager_emails(db, practice_id).await?
                {
                    crate::mail::outbox::enqueue(
                        &mut tx,
                        Some(practice_id),
                        "mailbox_attention",
                        &to,
                        "The reporting mailbox needs you to sign in again",
                        &body,
                        asked_at,
                    )
                    .await?;
                }
            }
            Err(why)
        }
        Err(TokenError::Unavailable(why)) => Err(format!(
            "Safety Net could not get a new access token: {why}"
        )),
    };
    tx.commit().await?;
    if result.is_err() {
        repo::release_token_refresh(db, practice_id).await?;
    }
    Ok(result)
}

/// What to do when the token service refuses for good, for the manager.
pub fn what_to_do(auth: &MailboxAuth) -> &'static str {
    match auth {
        MailboxAuth::OAuth2App { .. } => "Ask whoever looks after the app registration (often your ICB's IT team) to check it is still allowed to read the mailbox and, if its client secret has run out, to make a new one. Paste the new details into the reporting mailbox settings and save.",
        _ => "Sign in again as the reporting mailbox: on the reporting mailbox settings page press \u{201c}Save and sign in as the mailbox\u{201d} and sign in as its account (whoever set it up, often your ICB's IT team, can help), or paste a new refresh token there and save.",
    }
}

fn attention_email(state: &AppState, auth: &MailboxAuth, why: &str) -> String {
    format!(
        "Safety Net can no longer sign in to the practice's reporting mailbox, so emails that staff forward there are not being counted or thanked for now. Nothing has been lost: they will be read once it is fixed.\n\n\
         What happened: {why}\n\n\
         What to do: {}\n\n\
         The settings are here: {}/simulation/mailbox\n\n\
         You will not get this email again until the mailbox has been fixed.\n\nSafety Net\n",
        what_to_do(auth),
        state.public_url().trim_end_matches('/')
    )
}

pub async fn run_until_stopped(state: AppState, stop: CancellationToken) {
    loop {
        // One node polls the mailboxes (a report must be counted and thanked once).
        let now = state.clock.now();
        match crate::db::leases::hold(&state.db, "mailbox-poll", now, 180).await {
            Ok(true) => {
                let step = poll_all(&state).await;
                crate::metrics::job("reporting_mailboxes", step.is_ok());
                if let Err(e) = step {
                    tracing::error!(error = ?e, "reporting mailbox poll failed");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error = ?e, "taking the mailbox poll's lease failed"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
    }
}
