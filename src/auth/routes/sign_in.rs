//! Signing in (password, then the security code where the account has
//! two-step verification) and signing out. Every guess is reserved against
//! the sign-in limit before it is checked (`auth::attempts`); a right one,
//! the new session and its audit entry commit together.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::auth::audit::{self, Action, Actor};
use crate::auth::routes::organisation;
use crate::auth::scope::MaybeSession;
use crate::auth::session::SessionOrigin;
use crate::auth::session::{self, Stage};
use crate::auth::views::{MfaPage, SignInPage};
use crate::auth::{attempts, mfa, repo};
use crate::shared::AppState;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, ValidForm};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Notice {
    signed_out: Option<String>,
    reset: Option<String>,
    expired: Option<String>,
}

impl Notice {
    fn text(&self) -> Option<String> {
        let text = if self.signed_out.is_some() {
            "You have signed out."
        } else if self.reset.is_some() {
            "Your password has been changed. Sign in with your new password."
        } else if self.expired.is_some() {
            "You were signed out because you had not used Safety Net for a while."
        } else {
            return None;
        };
        Some(text.to_string())
    }
}

pub async fn page(
    State(state): State<AppState>,
    MaybeSession(s): MaybeSession,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    if s.is_some_and(|s| s.stage == Stage::Full) {
        return Ok(Redirect::to("/").into_response());
    }
    Ok(render(SignInPage {
        page: Page::bare("Sign in").with_notice(n.text()),
        email: String::new(),
        errors: FieldErrors::default(),
        providers: crate::auth::views::ProviderButton::all(&state.settings),
    })?
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignInForm {
    email: String,
    password: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    ValidForm(form): ValidForm<SignInForm>,
) -> Result<Response, AppError> {
    let email_raw = form.email.trim().to_lowercase();
    let mut errors = FieldErrors::default();
    if email_raw.is_empty() {
        errors.add("email", "Enter your email address");
    }
    if form.password.is_empty() {
        errors.add("password", "Enter your password");
    }
    if !errors.is_empty() {
        return Ok(SignInPage::again(&state.settings, form.email, errors)?.into_response());
    }
    let account = repo::account_by_email(&state.db, &email_raw).await?;
    let practice_id = account.as_ref().and_then(|a| a.practice_id);
    // Counted before it is checked, so a burst of guesses cannot outrun the limit.
    let reserved = attempts::reserve(&state, &email_raw, &ip, practice_id).await?;
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let right = attempts::verify_password(&state, reserved, form.password, stored).await?;
    let now = state.clock.now();
    let (account, reserved) = match (account, right) {
        (Some(a), Some(r)) if a.active => (a, r),
        _ => {
            let actor = Actor {
                user_id: None,
                email: Some(email_raw),
                ip: Some(ip),
            };
            let why = "wrong email or password";
            audit::record_alone(
                &state.db,
                practice_id,
                &actor,
                Action::SignInFailed,
                why,
                now,
            )
            .await?;
            errors.add(
                "email",
                "The email address or password is not right. Check them and try again.",
            );
            return Ok(SignInPage::again(&state.settings, form.email, errors)?.into_response());
        }
    };
    // A practice the operator has moved to its organisation's sign-in takes no passwords.
    if let Some(practice) = account.practice_id {
        if let Some(required) = organisation::required_provider(&state, practice).await? {
            let actor = Actor {
                user_id: Some(account.id),
                email: Some(account.email.clone()),
                ip: Some(ip),
            };
            let why = format!(
                "password refused: the practice signs in with {}",
                required.name
            );
            let what = Action::SignInFailed;
            audit::record_alone(&state.db, Some(practice), &actor, what, &why, now).await?;
            errors.add("email", organisation::password_refused_because(required));
            return Ok(SignInPage::again(&state.settings, form.email, errors)?.into_response());
        }
    }
    let stage = if account.totp_secret.is_some() {
        Stage::AwaitingMfa
    } else {
        Stage::Full
    };
    let mut tx = state.db.begin().await?;
    attempts::succeeded(&mut tx, reserved).await?;
    // A new session id at every sign-in, so a planted cookie is worthless.
    if let Some(old) = jar.get(session::COOKIE) {
        session::end(&mut tx, old.value()).await?;
    }
    let secret = session::start(&mut tx, account.id, stage, now).await?;
    if stage == Stage::Full {
        let actor = Actor {
            user_id: Some(account.id),
            email: Some(account.email.clone()),
            ip: Some(ip),
        };
        let (p, what) = (account.practice_id, Action::SignInSucceeded);
        audit::record(&mut tx, p, &actor, what, "password", now).await?;
    }
    tx.commit().await?;
    let jar = jar.add(session::cookie(&state, secret));
    let next = match stage {
        Stage::Full => "/",
        Stage::AwaitingMfa => "/sign-in/mfa",
    };
    Ok((jar, Redirect::to(next)).into_response())
}

pub async fn code_page(MaybeSession(s): MaybeSession) -> Result<Response, AppError> {
    match s {
        Some(u) if u.stage == Stage::AwaitingMfa => {
            Ok(MfaPage::show(FieldErrors::default())?.into_response())
        }
        Some(_) => Ok(Redirect::to("/").into_response()),
        None => Ok(Redirect::to("/sign-in").into_response()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    pub code: String,
}

pub async fn code_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    MaybeSession(s): MaybeSession,
    jar: CookieJar,
    ValidForm(form): ValidForm<CodeForm>,
) -> Result<Response, AppError> {
    let Some(user) = s.filter(|u| u.stage == Stage::AwaitingMfa) else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let account = repo::account_by_id(&state.db, user.user_id)
        .await?
        .ok_or(AppError::SignInRequired)?;
    let reserved = attempts::reserve(&state, &account.email, &ip, account.practice_id).await?;
    let now = state.clock.now();
    let actor = Actor::user(&user, &ip);
    let practice_id = account.practice_id;
    let code = form.code.trim();
    let mut tx = state.db.begin().await?;
    let mut method = None;
    if let Some(secret) = &account.totp_secret {
        if let Some(step) = mfa::verify(secret, code, now, account.totp_last_step) {
            // Of several sessions sending the same code at once, one claims its time step.
            if repo::claim_totp_step(&mut tx, account.id, step).await? {
                method = Some("authenticator code");
            }
        }
    }
    if method.is_none()
        && code.len() >= 8
        && mfa::use_recovery_code(&mut tx, account.id, code, now).await?
    {
        audit::record(
            &mut tx,
            practice_id,
            &actor,
            Action::RecoveryCodeUsed,
            "",
            now,
        )
        .await?;
        method = Some("recovery code");
    }
    let Some(method) = method else {
        audit::record(&mut tx, practice_id, &actor, Action::MfaFailed, "", now).await?;
        tx.commit().await?;
        let mut errors = FieldErrors::default();
        errors.add(
            "code",
            "That code is not right. Enter the 6-digit code your authenticator app shows now, or one of your recovery codes.",
        );
        return Ok(MfaPage::show(errors)?.into_response());
    };
    attempts::succeeded(&mut tx, reserved).await?;
    // Rotate again: the fully signed-in session gets a new id.
    repo::delete_session(&mut tx, &user.session_hash).await?;
    // The first step stays as it was (a provider without its own second factor, say).
    let origin = SessionOrigin {
        signed_in_with: user.signed_in_with.clone(),
        provider_second_factor: false,
    };
    let secret = session::start_from(&mut tx, account.id, Stage::Full, &origin, now).await?;
    let first = match state.settings.oidc.provider(&user.signed_in_with) {
        Some(p) if !user.signed_in_with.is_empty() => format!("{} (OpenID Connect)", p.name),
        _ => "password".into(),
    };
    let detail = format!("{first} and {method}");
    audit::record(
        &mut tx,
        practice_id,
        &actor,
        Action::SignInSucceeded,
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((jar.add(session::cookie(&state, secret)), Redirect::to("/")).into_response())
}

pub async fn sign_out(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    MaybeSession(s): MaybeSession,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    if let Some(c) = jar.get(session::COOKIE) {
        session::end(&mut tx, c.value()).await?;
    }
    if let Some(u) = s {
        let actor = Actor::user(&u, &ip);
        let now = state.clock.now();
        audit::record(&mut tx, u.practice_id, &actor, Action::SignedOut, "", now).await?;
    }
    tx.commit().await?;
    Ok((
        jar.add(session::removal(&state)),
        Redirect::to("/sign-in?signed_out=1"),
    )
        .into_response())
}
