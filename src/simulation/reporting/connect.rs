//! "Sign in as the mailbox": the manager connects Microsoft 365 (or any
//! OAuth2 mail provider) by signing in once as the mailbox's account, with
//! offline access, instead of pasting a refresh token. The authorisation
//! code flow with PKCE: the settings typed wait in `mailbox_connections`
//! (so any node can finish, and nothing saved changes until it does); the
//! code that comes back is exchanged for a refresh token, and the settings
//! are saved with it, audited, in one transaction.

use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;

use super::imap::{MailboxAuth, MailboxSettings};
use super::oauth::{self, Grant};
use super::repo;
use crate::auth::audit::{self, Action, Actor};
use crate::auth::oidc::pkce_challenge;
use crate::auth::{tokens, ManagerScope};
use crate::net::outbound::Policy;
use crate::shared::AppState;
use crate::web::AppError;

const BROWSER_COOKIE: &str = "sn_mailbox_connect";
const LIFETIME: i64 = 600;

fn redirect_uri(state: &AppState) -> String {
    format!(
        "{}/simulation/mailbox/connected",
        state.public_url().trim_end_matches('/')
    )
}

fn browser_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build((BROWSER_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.https())
        .path("/simulation/mailbox")
        .max_age(time::Duration::seconds(LIFETIME))
        .build()
}

/// Keeps the settings typed and sends the manager to the sign-in page.
pub async fn begin(
    state: &AppState,
    scope: &ManagerScope,
    jar: CookieJar,
    settings: &MailboxSettings,
    active: bool,
) -> Result<Response, AppError> {
    let Some(client) = settings.auth.oauth_client() else {
        return Err(AppError::BadRequest(
            "Choose the refresh token sign-in to sign in as the mailbox.".into(),
        ));
    };
    let authorize = client.authorize_url.clone().unwrap_or_default();
    let mut url = url::Url::parse(&authorize).map_err(|_| {
        AppError::BadRequest("The sign-in page address is not a web address.".into())
    })?;
    let (state_value, verifier, browser) = (
        tokens::new_secret(),
        tokens::new_secret(),
        tokens::new_secret(),
    );
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", &redirect_uri(state))
        .append_pair("scope", &client.scope)
        .append_pair("state", &state_value)
        .append_pair("code_challenge", &pkce_challenge(&verifier))
        .append_pair("code_challenge_method", "S256")
        // Offline access is only given when consent is asked for.
        .append_pair("prompt", "consent")
        .append_pair("login_hint", &settings.username);
    let json = serde_json::to_string(settings).map_err(anyhow::Error::from)?;
    let mut tx = state.db.begin().await?;
    repo::begin_connection(
        &mut tx,
        &tokens::digest(&state_value),
        scope.practice_id(),
        &json,
        active,
        &verifier,
        &tokens::digest(&browser),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    let jar = jar.add(browser_cookie(state, browser));
    Ok((jar, Redirect::to(url.as_str())).into_response())
}

/// What came back from the sign-in page.
#[derive(Default)]
pub struct Answer {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

impl Answer {
    pub fn parse(raw: Option<&str>) -> Self {
        let mut a = Self::default();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let slot = match k.as_ref() {
                "code" => &mut a.code,
                "state" => &mut a.state,
                "error" => &mut a.error,
                _ => continue,
            };
            slot.get_or_insert_with(|| v.into_owned());
        }
        a
    }
}

/// Finishes the connection: Ok(()) once saved, or what to tell the manager.
pub async fn finish(
    state: &AppState,
    scope: &ManagerScope,
    ip: &str,
    jar: &CookieJar,
    answer: Answer,
) -> Result<Result<(), String>, AppError> {
    let again =
        "Nothing was changed. Press \u{201c}Save and sign in as the mailbox\u{201d} to try again.";
    let taken = match answer.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => {
            let mut tx = state.db.begin().await?;
            let row = repo::take_connection(&mut tx, &tokens::digest(s)).await?;
            tx.commit().await?;
            row
        }
        None => None,
    };
    let browser = jar.get(BROWSER_COOKIE).map(|c| tokens::digest(c.value()));
    let Some(pending) = taken
        .filter(|p| p.practice_id == scope.practice_id())
        .filter(|p| Some(&p.browser_hash) == browser.as_ref())
    else {
        return Ok(Err(format!(
            "This sign-in was used already, or it was started in another browser. {again}"
        )));
    };
    let now = state.clock.now();
    if now - pending.created_at > LIFETIME {
        return Ok(Err(format!(
            "Signing in took more than ten minutes. {again}"
        )));
    }
    if let Some(err) = answer.error {
        let said: String = err.chars().take(80).collect();
        return Ok(Err(format!(
            "The sign-in page did not let Safety Net in ({said}): perhaps it was cancelled, or the account may not give offline access. {again}"
        )));
    }
    let Some(code) = answer.code.filter(|c| !c.is_empty()) else {
        return Ok(Err(format!("The sign-in page sent no code back. {again}")));
    };
    let mut settings: MailboxSettings =
        serde_json::from_str(&pending.settings_json).map_err(anyhow::Error::from)?;
    let Some(client) = settings.auth.oauth_client().cloned() else {
        return Ok(Err(again.to_string()));
    };
    let policy = Policy::from_settings(&state.settings);
    let redirect = redirect_uri(state);
    let grant = Grant::Code {
        code: &code,
        verifier: &pending.pkce_verifier,
        redirect_uri: &redirect,
    };
    let token = match oauth::request(&policy, &client, grant).await {
        Ok(t) => t,
        Err(e) => {
            return Ok(Err(format!(
                "Safety Net could not finish signing in: {e} {again}"
            )))
        }
    };
    let Some(refresh_token) = token.refresh_token else {
        return Ok(Err(format!(
            "The sign-in gave no refresh token, so Safety Net could not keep the mailbox connected. Add offline_access to the scope. {again}"
        )));
    };
    settings.auth = MailboxAuth::OAuth2Refresh {
        client,
        refresh_token,
    };
    let json = serde_json::to_string(&settings).map_err(anyhow::Error::from)?;
    let mut tx = state.db.begin().await?;
    repo::save_mailbox(&mut tx, scope, &json, pending.active, true, true, now).await?;
    let detail = format!(
        "{}@{}:{} ({}; connected by signing in as the mailbox)",
        settings.username,
        settings.host,
        settings.port,
        if pending.active { "on" } else { "off" }
    );
    let actor = Actor::user(scope.user(), ip);
    let p = Some(scope.practice_id());
    audit::record(&mut tx, p, &actor, Action::MailboxChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Forgets the browser's part of a finished (or failed) connection.
pub fn forget(state: &AppState, jar: CookieJar) -> CookieJar {
    jar.remove(browser_cookie(state, String::new()))
}
