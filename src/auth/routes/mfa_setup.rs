//! Setting up two-step verification (an authenticator app and its QR
//! code), new recovery codes, and turning it off (for roles that may).

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::sign_in::CodeForm;
use crate::auth::audit::{self, Action, Actor};
use crate::auth::scope::{SignedIn, SignedInForEnrolment};
use crate::auth::views::{MfaEnrolPage, RecoveryCodesPage};
use crate::auth::{attempts, mfa, repo};
use crate::shared::AppState;
use crate::web::{AppError, ClientIp, FieldErrors, ValidForm};

pub async fn enrol_page(
    State(state): State<AppState>,
    SignedInForEnrolment(user): SignedInForEnrolment,
) -> Result<Response, AppError> {
    if user.mfa_enabled {
        return Ok(Redirect::to("/account").into_response());
    }
    let secret = match repo::pending_totp_secret(&state.db, user.user_id).await? {
        Some(s) => s,
        None => {
            let mut tx = state.db.begin().await?;
            let kept =
                repo::keep_pending_totp_secret(&mut tx, user.user_id, &mfa::new_secret()).await?;
            tx.commit().await?;
            kept
        }
    };
    Ok(MfaEnrolPage::show(&user, &secret, FieldErrors::default())?.into_response())
}

pub async fn enrol_confirm(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedInForEnrolment(user): SignedInForEnrolment,
    ValidForm(form): ValidForm<CodeForm>,
) -> Result<Response, AppError> {
    if user.mfa_enabled {
        return Ok(Redirect::to("/account").into_response());
    }
    let Some(secret) = repo::pending_totp_secret(&state.db, user.user_id).await? else {
        return Ok(Redirect::to("/account/mfa").into_response());
    };
    let now = state.clock.now();
    let Some(step) = mfa::verify(&secret, &form.code, now, None) else {
        let mut errors = FieldErrors::default();
        errors.add("code", "That code is not right. Enter the 6-digit code your authenticator app shows for Safety Net now.");
        return Ok(MfaEnrolPage::show(&user, &secret, errors)?.into_response());
    };
    let mut tx = state.db.begin().await?;
    repo::enable_totp(&mut tx, user.user_id, step).await?;
    let codes = mfa::replace_recovery_codes(&mut tx, user.user_id).await?;
    let actor = Actor::user(&user, &ip);
    let detail = "authenticator app";
    audit::record(
        &mut tx,
        user.practice_id,
        &actor,
        Action::MfaEnabled,
        detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(RecoveryCodesPage::show(&user, codes)?.into_response())
}

pub async fn regenerate_codes(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedIn(user): SignedIn,
) -> Result<Response, AppError> {
    if !user.mfa_enabled {
        return Ok(Redirect::to("/account/mfa").into_response());
    }
    let mut tx = state.db.begin().await?;
    let codes = mfa::replace_recovery_codes(&mut tx, user.user_id).await?;
    let (actor, now) = (Actor::user(&user, &ip), state.clock.now());
    let what = Action::RecoveryCodesRegenerated;
    audit::record(&mut tx, user.practice_id, &actor, what, "", now).await?;
    tx.commit().await?;
    Ok(RecoveryCodesPage::show(&user, codes)?.into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmPasswordForm {
    current: String,
}

pub async fn disable(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedIn(user): SignedIn,
    ValidForm(form): ValidForm<ConfirmPasswordForm>,
) -> Result<Response, AppError> {
    if user.role.requires_mfa() {
        return Err(AppError::Forbidden(
            "Practice managers and operators must keep two-step verification on, because their accounts can see everyone's details.",
        ));
    }
    let account = repo::account_by_id(&state.db, user.user_id)
        .await?
        .ok_or(AppError::SignInRequired)?;
    let reserved = attempts::reserve(&state, &account.email, &ip, account.practice_id).await?;
    let stored = account.password_hash;
    let Some(reserved) = attempts::verify_password(&state, reserved, form.current, stored).await?
    else {
        return Err(AppError::BadRequest(
            "Your password was not right, so two-step verification is still on.".into(),
        ));
    };
    let mut tx = state.db.begin().await?;
    attempts::succeeded(&mut tx, reserved).await?;
    repo::disable_totp(&mut tx, user.user_id).await?;
    let (actor, now) = (Actor::user(&user, &ip), state.clock.now());
    audit::record(
        &mut tx,
        user.practice_id,
        &actor,
        Action::MfaDisabled,
        "",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/account").into_response())
}
