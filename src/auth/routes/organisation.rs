//! Signing in with the organisation's account (OpenID Connect; the protocol
//! is `auth::oidc`). "Sign in with …" starts here and sends the person to
//! their provider; the provider sends them back to the callback, which
//! checks everything, finds their account by email and starts a session.
//! Every refusal is a page saying what to do, and an audit entry.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use time::Duration as CookieAge;

use crate::auth::audit::{self, Action, Actor};
use crate::auth::oidc::{self, Client, Expected, Refusal, LOGIN_LIFETIME_SECS};
use crate::auth::session::{self, SessionOrigin, Stage};
use crate::auth::views::SignInProblemPage;
use crate::auth::{repo, tokens};
use crate::config::OidcProvider;
use crate::shared::{AppState, PracticeId};
use crate::web::{render, AppError, ClientIp, Page, Path};

/// Binds a sign-in to the browser that started it, so a link to someone
/// else's half-finished sign-in signs no one in (login CSRF).
const BROWSER_COOKIE: &str = "sn_oidc";

fn provider<'a>(state: &'a AppState, id: &str) -> Result<&'a OidcProvider, AppError> {
    state.settings.oidc.provider(id).ok_or(AppError::NotFound)
}

fn redirect_uri(state: &AppState, p: &OidcProvider) -> String {
    format!(
        "{}/sign-in/with/{}/callback",
        state.public_url().trim_end_matches('/'),
        p.id
    )
}

fn client(state: &AppState) -> Result<Client, Refusal> {
    let secs = state.settings.outbound.timeout_seconds.clamp(1, 30);
    Client::new(std::time::Duration::from_secs(secs))
}

fn browser_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build((BROWSER_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.https())
        .path("/sign-in/with")
        .max_age(CookieAge::seconds(LOGIN_LIFETIME_SECS))
        .build()
}

/// The refusal page, with its audit entry.
async fn refuse(
    state: &AppState,
    p: &OidcProvider,
    ip: String,
    email: Option<String>,
    practice_id: Option<PracticeId>,
    why: Refusal,
) -> Result<Response, AppError> {
    if let Refusal::ProviderUnavailable(detail) = &why {
        tracing::warn!(provider = %p.id, %detail, "organisation sign-in: provider unavailable");
    }
    let actor = Actor {
        user_id: None,
        email,
        ip: Some(ip),
    };
    let detail = format!("{} (OpenID Connect): {}", p.name, why.for_log());
    let now = state.clock.now();
    audit::record_alone(
        &state.db,
        practice_id,
        &actor,
        Action::SignInFailed,
        &detail,
        now,
    )
    .await?;
    let page = render(SignInProblemPage {
        page: Page::bare(why.heading()),
        heading: why.heading().into(),
        explanation: why.explanation(),
    })?;
    Ok((why.status(), page).into_response())
}

pub async fn start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(provider_id): Path<String>,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let p = provider(&state, &provider_id)?;
    let begun = async {
        let c = client(&state)?;
        let d = state.oidc_metadata.get(&c, p).await?;
        Client::start(&d, p, &redirect_uri(&state, p))
    }
    .await;
    let started = match begun {
        Ok(s) => s,
        Err(why) => return refuse(&state, p, ip, None, None, why).await,
    };
    let browser = tokens::new_secret();
    let mut tx = state.db.begin().await?;
    repo::insert_oidc_login(
        &mut tx,
        &tokens::digest(&started.state),
        &p.id,
        &started.nonce,
        &started.pkce_verifier,
        &tokens::digest(&browser),
        state.clock.now(),
        LOGIN_LIFETIME_SECS,
    )
    .await?;
    tx.commit().await?;
    let jar = jar.add(browser_cookie(&state, browser));
    Ok((jar, Redirect::to(&started.redirect)).into_response())
}

#[derive(Default)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    /// RFC 9207: which provider is answering.
    iss: Option<String>,
}

impl CallbackParams {
    /// Read leniently (the first of a repeated name wins; unknown names are
    /// ignored), so an odd address still gets the clear refusal page.
    fn parse(raw: Option<&str>) -> Self {
        let mut q = Self::default();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let slot = match k.as_ref() {
                "code" => &mut q.code,
                "state" => &mut q.state,
                "error" => &mut q.error,
                "error_description" => &mut q.error_description,
                "iss" => &mut q.iss,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(v.into_owned());
            }
        }
        q
    }
}

pub async fn callback(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(provider_id): Path<String>,
    RawQuery(raw): RawQuery,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let q = CallbackParams::parse(raw.as_deref());
    let p = provider(&state, &provider_id)?;
    let now = state.clock.now();
    // The state is used up before anything else, so it cannot be tried twice.
    let taken = match q.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => {
            let mut tx = state.db.begin().await?;
            let row = repo::take_oidc_login(&mut tx, &tokens::digest(s)).await?;
            tx.commit().await?;
            row
        }
        None => None,
    };
    let browser = jar_value(&jar, BROWSER_COOKIE);
    let jar = jar.remove(browser_cookie(&state, String::new()));
    let checked = (|| {
        let login = taken
            .filter(|l| l.provider == p.id)
            .filter(|l| browser.as_deref().map(tokens::digest) == Some(l.browser_hash.clone()))
            .ok_or(Refusal::UnknownState)?;
        if now - login.created_at > LOGIN_LIFETIME_SECS {
            return Err(Refusal::Expired);
        }
        if let Some(err) = &q.error {
            let said = q.error_description.clone().unwrap_or_else(|| err.clone());
            return Err(Refusal::ProviderSaidNo(said.chars().take(200).collect()));
        }
        if q.iss
            .as_deref()
            .is_some_and(|i| i.trim_end_matches('/') != p.issuer.trim_end_matches('/'))
        {
            return Err(Refusal::TokenRejected(
                "the answer came from another provider",
            ));
        }
        let code = q
            .code
            .clone()
            .filter(|c| !c.is_empty())
            .ok_or(Refusal::ProviderSaidNo(
                "no sign-in code was sent back".into(),
            ))?;
        Ok((login, code))
    })();
    let (login, code) = match checked {
        Ok(v) => v,
        Err(why) => return Ok((jar, refuse(&state, p, ip, None, None, why).await?).into_response()),
    };
    let identity = async {
        let c = client(&state)?;
        let d = state.oidc_metadata.get(&c, p).await?;
        let expect = Expected {
            issuer: &p.issuer,
            client_id: &p.client_id,
            nonce: &login.nonce,
            now: state.clock.now(),
            skew: p.clock_skew_seconds,
        };
        c.finish(
            &d,
            p,
            &redirect_uri(&state, p),
            &code,
            &login.pkce_verifier,
            &expect,
        )
        .await
    }
    .await;
    let identity = match identity {
        Ok(i) => i,
        Err(why) => return Ok((jar, refuse(&state, p, ip, None, None, why).await?).into_response()),
    };
    let email = identity.email.clone();
    let account = repo::account_by_email(&state.db, &email)
        .await?
        .filter(|a| a.active);
    let Some(account) = account else {
        let why = Refusal::UnknownAccount(email.clone());
        return Ok((jar, refuse(&state, p, ip, Some(email), None, why).await?).into_response());
    };
    if let Some(practice) = account.practice_id {
        if let Some(required) = required_provider(&state, practice).await? {
            if required.id != p.id {
                let why = Refusal::WrongProvider(required.name.clone());
                let r = refuse(&state, p, ip, Some(email), Some(practice), why).await?;
                return Ok((jar, r).into_response());
            }
        }
    }
    // The provider's second factor stands for ours; otherwise ours is asked for, if set up.
    let stage = if !identity.second_factor && account.totp_secret.is_some() {
        Stage::AwaitingMfa
    } else {
        Stage::Full
    };
    let origin = SessionOrigin {
        signed_in_with: p.id.clone(),
        provider_second_factor: identity.second_factor,
    };
    let mut tx = state.db.begin().await?;
    if let Some(old) = jar.get(session::COOKIE) {
        session::end(&mut tx, old.value()).await?;
    }
    let secret = session::start_from(&mut tx, account.id, stage, &origin, now).await?;
    // The first time, this is also accepting the invitation, if there was one.
    if repo::joined_with_provider(&mut tx, account.id, now).await?
        && account.password_hash.is_none()
    {
        let actor = Actor {
            user_id: Some(account.id),
            email: Some(account.email.clone()),
            ip: Some(ip.clone()),
        };
        let detail = format!("by signing in with {} (OpenID Connect)", p.name);
        let what = Action::InvitationAccepted;
        audit::record(&mut tx, account.practice_id, &actor, what, &detail, now).await?;
    }
    if stage == Stage::Full {
        let actor = Actor {
            user_id: Some(account.id),
            email: Some(account.email.clone()),
            ip: Some(ip),
        };
        let detail = format!(
            "{} (OpenID Connect){}",
            p.name,
            if identity.second_factor {
                ", with its two-step verification"
            } else {
                ""
            }
        );
        let what = Action::SignInSucceeded;
        audit::record(&mut tx, account.practice_id, &actor, what, &detail, now).await?;
    }
    tx.commit().await?;
    let jar = jar.add(session::cookie(&state, secret));
    let next = match stage {
        Stage::Full => "/",
        Stage::AwaitingMfa => "/sign-in/mfa",
    };
    Ok((jar, Redirect::to(next)).into_response())
}

fn jar_value(jar: &CookieJar, name: &str) -> Option<String> {
    jar.get(name).map(|c| c.value().to_string())
}

/// The provider a practice's people must sign in with, if the operator set
/// one and it is still configured (a provider taken out of the settings
/// must not lock a practice out).
pub async fn required_provider(
    state: &AppState,
    practice: PracticeId,
) -> Result<Option<&OidcProvider>, AppError> {
    let Some(id) = repo::practice_sign_in_provider(&state.db, practice).await? else {
        return Ok(None);
    };
    let found = state.settings.oidc.provider(&id);
    if found.is_none() {
        tracing::warn!(%practice, provider = %id, "the practice requires a sign-in provider that is no longer configured; passwords allowed");
    }
    Ok(found)
}

/// Used by the password page: the refusal for a practice that signs in elsewhere.
pub fn password_refused_because(p: &OidcProvider) -> String {
    oidc::Refusal::WrongProvider(p.name.clone()).explanation()
}
