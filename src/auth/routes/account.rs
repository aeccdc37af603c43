//! Your account: what it is, and changing your password (the current one
//! first, checked against the sign-in limit like any other guess).

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::links::NewPasswordForm;
use crate::auth::audit::{self, Action, Actor};
use crate::auth::scope::SignedIn;
use crate::auth::views::{AccountPage, ChangePasswordPage};
use crate::auth::{attempts, mfa, password, repo, session};
use crate::shared::AppState;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, ValidForm};

pub async fn page(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> Result<Html<String>, AppError> {
    let codes_left = mfa::unused_recovery_codes(&state.db, user.user_id).await?;
    render(AccountPage {
        page: Page::for_user("Your account", &user),
        email: user.email.clone(),
        role: user.role.label(),
        mfa_enabled: user.mfa_enabled,
        mfa_required: user.role.requires_mfa(),
        codes_left,
    })
}

pub async fn password_page(SignedIn(user): SignedIn) -> Result<Html<String>, AppError> {
    ChangePasswordPage::show(&user, FieldErrors::default())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChangePasswordForm {
    current: String,
    password: String,
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedIn(user): SignedIn,
    ValidForm(form): ValidForm<ChangePasswordForm>,
) -> Result<Response, AppError> {
    let account = repo::account_by_id(&state.db, user.user_id)
        .await?
        .ok_or(AppError::SignInRequired)?;
    let reserved = attempts::reserve(&state, &account.email, &ip, account.practice_id).await?;
    let stored = account.password_hash.clone();
    let right = attempts::verify_password(&state, reserved, form.current, stored).await?;
    let mut errors = FieldErrors::default();
    if right.is_none() {
        errors.add("current", "Your current password is not right.");
    }
    let new = NewPasswordForm {
        password: form.password,
        confirm: form.confirm,
    };
    errors
        .0
        .extend(new.check(&account.full_name, &account.email).0);
    let reserved = match right {
        Some(reserved) if errors.is_empty() => reserved,
        right => {
            if let Some(reserved) = right {
                // The current password was right, so this was no failed guess.
                let mut tx = state.db.begin().await?;
                attempts::succeeded(&mut tx, reserved).await?;
                tx.commit().await?;
            }
            return Ok(ChangePasswordPage::show(&user, errors)?.into_response());
        }
    };
    let hash = password::hash_gated(&state.hashing, new.password).await?;
    let mut tx = state.db.begin().await?;
    attempts::succeeded(&mut tx, reserved).await?;
    repo::set_password_hash(&mut tx, account.id, &hash).await?;
    // Everywhere else they were signed in with the old password is signed out.
    session::end_all_for_user(&mut tx, account.id, Some(&user.session_hash)).await?;
    let (actor, now) = (Actor::user(&user, &ip), state.clock.now());
    audit::record(
        &mut tx,
        account.practice_id,
        &actor,
        Action::PasswordChanged,
        "",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/account").into_response())
}
