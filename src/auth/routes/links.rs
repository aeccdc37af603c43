//! The emailed links: asking for a password reset, choosing a new password
//! from the reset link, and choosing a first password from an invitation.
//! Using a link, the new password, the sessions it ends or starts and the
//! audit entry commit together; the slow password hash is made before.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::auth::audit::{self, Action, Actor};
use crate::auth::domain::personal_words;
use crate::auth::repo::{self, Account};
use crate::auth::routes::organisation;
use crate::auth::session::{self, Stage};
use crate::auth::tokens::{self, Purpose};
use crate::auth::views::{
    ChoosePasswordPage, ForgotPage, OrganisationInvitationPage, ProviderButton,
};
use crate::auth::{attempts, password};
use crate::mail::outbox;
use crate::shared::{AppState, EmailAddress};
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};

pub async fn forgot_page() -> Result<Html<String>, AppError> {
    render(ForgotPage {
        page: Page::bare("Reset your password"),
        email: String::new(),
        errors: FieldErrors::default(),
        sent_to: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EmailForm {
    email: String,
}

pub async fn forgot_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ValidForm(form): ValidForm<EmailForm>,
) -> Result<Html<String>, AppError> {
    let email = match EmailAddress::parse(&form.email) {
        Ok(e) => e,
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.push(e);
            return render(ForgotPage {
                page: Page::bare("Reset your password"),
                email: form.email,
                errors,
                sent_to: None,
            });
        }
    };
    // Requests count towards the sign-in limit, so the form cannot be used to flood a mailbox.
    attempts::reserve(&state, email.as_str(), &ip, None).await?;
    let now = state.clock.now();
    if let Some(account) = repo::account_by_email(&state.db, email.as_str())
        .await?
        .filter(|a| a.active)
    {
        // The link, its email and the audit entry commit together.
        let mut tx = state.db.begin().await?;
        let secret = tokens::issue(&mut tx, account.id, Purpose::Reset, now).await?;
        let link = format!("{}/reset-password/{secret}", state.public_url());
        let body = format!(
            "Hello {},\n\nSomeone (we hope you) asked to reset your Safety Net password.\n\nTo choose a new password, open this link within the next hour:\n{link}\n\nIf you did not ask for this, you can ignore this email: your password has not changed. You may want to tell your practice manager.\n\nSafety Net\n",
            account.full_name
        );
        outbox::enqueue(
            &mut tx,
            account.practice_id,
            "password_reset",
            account.email.as_str(),
            "Reset your Safety Net password",
            &body,
            now,
        )
        .await?;
        let actor = account_actor(&account, ip);
        let (p, what) = (account.practice_id, Action::PasswordResetRequested);
        audit::record(&mut tx, p, &actor, what, "", now).await?;
        tx.commit().await?;
    }
    // The same answer whether or not the account exists, so the form cannot be used to find staff.
    render(ForgotPage {
        page: Page::bare("Check your email"),
        email: String::new(),
        errors: FieldErrors::default(),
        sent_to: Some(email.as_str().to_string()),
    })
}

fn account_actor(a: &Account, ip: String) -> Actor {
    Actor {
        user_id: Some(a.id),
        email: Some(a.email.clone()),
        ip: Some(ip),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewPasswordForm {
    pub password: String,
    pub confirm: String,
}

impl NewPasswordForm {
    /// What is wrong with the new password for this account, if anything.
    pub fn check(&self, full_name: &str, email: &str) -> FieldErrors {
        let words = personal_words(full_name, email);
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let mut errors = FieldErrors::default();
        if let Err(why) = password::check(&self.password, &words) {
            errors.add("password", why);
        } else if self.password != self.confirm {
            errors.add(
                "confirm",
                "The two passwords are different. Type the same password in both boxes.",
            );
        }
        errors
    }
}

fn link_expired() -> AppError {
    AppError::BadRequest(
        "This link has expired or has already been used. Ask your practice manager for a new invitation, or use \"Forgotten your password?\" on the sign-in page.".into(),
    )
}

/// The account behind a live link, or the "expired" answer.
async fn link_account(
    state: &AppState,
    token: &str,
    purpose: Purpose,
) -> Result<Account, AppError> {
    let user_id = tokens::lookup(&state.db, token, purpose, state.clock.now())
        .await?
        .ok_or_else(link_expired)?;
    repo::account_by_id(&state.db, user_id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn reset_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Html<String>, AppError> {
    link_account(&state, &token, Purpose::Reset).await?;
    render(ChoosePasswordPage::reset(&token, FieldErrors::default()))
}

pub async fn reset_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    ValidForm(form): ValidForm<NewPasswordForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let account = link_account(&state, &token, Purpose::Reset).await?;
    let errors = form.check(&account.full_name, &account.email);
    if !errors.is_empty() {
        return Ok(render(ChoosePasswordPage::reset(&token, errors))?.into_response());
    }
    let hash = password::hash_gated(&state.hashing, form.password).await?;
    let mut tx = state.db.begin().await?;
    if !tokens::consume(&mut tx, &token, Purpose::Reset, now).await? {
        return Err(link_expired());
    }
    repo::set_password_hash(&mut tx, account.id, &hash).await?;
    // Anyone who was signed in with the old password is signed out.
    session::end_all_for_user(&mut tx, account.id, None).await?;
    let actor = account_actor(&account, ip);
    audit::record(
        &mut tx,
        account.practice_id,
        &actor,
        Action::PasswordReset,
        "",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/sign-in?reset=1").into_response())
}

pub async fn invitation_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Html<String>, AppError> {
    let a = link_account(&state, &token, Purpose::Invite).await?;
    if let Some(page) = organisation_invitation(&state, &a).await? {
        return Ok(page);
    }
    let page =
        ChoosePasswordPage::invitation(&a.full_name, &a.email, &token, FieldErrors::default());
    render(page)
}

/// The invitation page of a practice that must sign in with its
/// organisation's account, if the account's practice is one.
async fn organisation_invitation(
    state: &AppState,
    a: &Account,
) -> Result<Option<Html<String>>, AppError> {
    let Some(practice) = a.practice_id else {
        return Ok(None);
    };
    let Some(p) = organisation::required_provider(state, practice).await? else {
        return Ok(None);
    };
    let page = OrganisationInvitationPage {
        page: Page::bare("Welcome to Safety Net"),
        full_name: a.full_name.clone(),
        email: a.email.clone(),
        provider: ProviderButton {
            id: p.id.clone(),
            name: p.name.clone(),
        },
    };
    Ok(Some(render(page)?))
}

pub async fn invitation_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    jar: CookieJar,
    ValidForm(form): ValidForm<NewPasswordForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let a = link_account(&state, &token, Purpose::Invite).await?;
    // No password is set where the practice signs in with its organisation's account.
    if let Some(page) = organisation_invitation(&state, &a).await? {
        return Ok(page.into_response());
    }
    let errors = form.check(&a.full_name, &a.email);
    if !errors.is_empty() {
        let page = ChoosePasswordPage::invitation(&a.full_name, &a.email, &token, errors);
        return Ok(render(page)?.into_response());
    }
    let hash = password::hash_gated(&state.hashing, form.password).await?;
    let mut tx = state.db.begin().await?;
    if !tokens::consume(&mut tx, &token, Purpose::Invite, now).await? {
        return Err(link_expired());
    }
    repo::set_password_hash(&mut tx, a.id, &hash).await?;
    let actor = account_actor(&a, ip);
    audit::record(
        &mut tx,
        a.practice_id,
        &actor,
        Action::InvitationAccepted,
        "",
        now,
    )
    .await?;
    let secret = session::start(&mut tx, a.id, Stage::Full, now).await?;
    tx.commit().await?;
    Ok((jar.add(session::cookie(&state, secret)), Redirect::to("/")).into_response())
}
