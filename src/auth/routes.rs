//! Sign-in, two-step verification, sign-out, passwords, invitations.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::audit::{self, Action, Actor};
use super::scope::{MaybeSession, SignedIn, SignedInForEnrolment};
use super::session::{self, Stage};
use super::tokens::{self, Purpose};
use super::{attempts, mfa, password, Role};
use crate::mail::outbox;
use crate::shared::{AppState, EmailAddress, PracticeId, UserId};
use crate::web::routes::Routes;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};
use crate::with_db;

pub fn routes(r: Routes) -> Routes {
    use crate::web::routes::Access::*;
    r.get("/sign-in", Public, sign_in_page)
        .post("/sign-in", Public, sign_in)
        .get("/sign-in/mfa", Public, mfa_page)
        .post("/sign-in/mfa", Public, mfa_submit)
        .post("/sign-out", Public, sign_out)
        .get("/forgot-password", Public, forgot_page)
        .post("/forgot-password", Public, forgot_submit)
        .get("/reset-password/{token}", Public, reset_page)
        .post("/reset-password/{token}", Public, reset_submit)
        .get("/invitation/{token}", Public, invitation_page)
        .post("/invitation/{token}", Public, invitation_submit)
        .get("/account", SignedInOnly, account_page)
        .get("/account/password", SignedInOnly, change_password_page)
        .post("/account/password", SignedInOnly, change_password)
        .get("/account/mfa", SignedInOnly, mfa_enrol_page)
        .post("/account/mfa", SignedInOnly, mfa_enrol_confirm)
        .post(
            "/account/mfa/recovery-codes",
            SignedInOnly,
            regenerate_codes,
        )
        .post("/account/mfa/disable", SignedInOnly, mfa_disable)
}

/// The account row needed to sign someone in.
struct Account {
    id: UserId,
    email: String,
    full_name: String,
    practice_id: Option<PracticeId>,
    password_hash: Option<String>,
    totp_secret: Option<String>,
    totp_last_step: Option<i64>,
    active: bool,
}

type AccountRow = (
    UserId,
    String,
    String,
    String,
    Option<PracticeId>,
    Option<String>,
    Option<String>,
    Option<i64>,
    bool,
);
const ACCOUNT_COLUMNS: &str =
    "id, email, full_name, role, practice_id, password_hash, totp_secret, totp_last_step, active";

fn account_from(r: AccountRow) -> Option<Account> {
    // An account with an unknown role cannot sign in.
    Role::parse(&r.3)?;
    Some(Account {
        id: r.0,
        email: r.1,
        full_name: r.2,
        practice_id: r.4,
        password_hash: r.5,
        totp_secret: r.6,
        totp_last_step: r.7,
        active: r.8,
    })
}

async fn account_by_email(state: &AppState, email: &str) -> Result<Option<Account>, AppError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE email = $1");
    let row: Option<AccountRow> =
        with_db!(&state.db, p => sqlx::query_as(&sql).bind(email).fetch_optional(p).await)?;
    Ok(row.and_then(account_from))
}

async fn account_by_id(state: &AppState, id: UserId) -> Result<Option<Account>, AppError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = $1");
    let row: Option<AccountRow> =
        with_db!(&state.db, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
    Ok(row.and_then(account_from))
}

// ---------- sign-in ----------

#[derive(Template)]
#[template(path = "auth/sign_in.html")]
struct SignInPage {
    page: Page,
    email: String,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Notice {
    signed_out: Option<String>,
    reset: Option<String>,
    expired: Option<String>,
}

async fn sign_in_page(
    MaybeSession(s): MaybeSession,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    if s.is_some_and(|s| s.stage == Stage::Full) {
        return Ok(Redirect::to("/").into_response());
    }
    let notice = if n.signed_out.is_some() {
        Some("You have signed out.".to_string())
    } else if n.reset.is_some() {
        Some("Your password has been changed. Sign in with your new password.".to_string())
    } else if n.expired.is_some() {
        Some("You were signed out because you had not used Safety Net for a while.".to_string())
    } else {
        None
    };
    Ok(render(SignInPage {
        page: Page::bare("Sign in").with_notice(notice),
        email: String::new(),
        errors: FieldErrors::default(),
    })?
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignInForm {
    email: String,
    password: String,
}

async fn sign_in(
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
        return Ok(render(SignInPage {
            page: Page::bare("Sign in"),
            email: form.email,
            errors,
        })?
        .into_response());
    }
    let account = account_by_email(&state, &email_raw).await?;
    let practice_id = account.as_ref().and_then(|a| a.practice_id);
    // Counted before it is checked, so a burst of guesses cannot outrun the limit.
    let reserved = attempts::reserve(&state, &email_raw, &ip, practice_id).await?;
    let (ok, reserved) = attempts::verify_password(
        &state,
        reserved,
        form.password,
        account.as_ref().and_then(|a| a.password_hash.clone()),
    )
    .await?;
    let now = state.clock.now();
    let account = match account {
        Some(a) if ok && a.active => a,
        _ => {
            let actor = Actor {
                user_id: None,
                email: Some(email_raw.clone()),
                ip: Some(ip.clone()),
            };
            audit::record_alone(
                &state.db,
                practice_id,
                &actor,
                Action::SignInFailed,
                "wrong email or password",
                now,
            )
            .await?;
            errors.add(
                "email",
                "The email address or password is not right. Check them and try again.",
            );
            return Ok(render(SignInPage {
                page: Page::bare("Sign in"),
                email: form.email,
                errors,
            })?
            .into_response());
        }
    };
    attempts::succeeded(&state, reserved).await?;
    // A new session id at every sign-in, so a planted cookie is worthless.
    if let Some(old) = jar.get(session::COOKIE) {
        session::end(&state.db, old.value()).await?;
    }
    let stage = if account.totp_secret.is_some() {
        Stage::AwaitingMfa
    } else {
        Stage::Full
    };
    let secret = session::start(&state.db, account.id, stage, now).await?;
    let jar = jar.add(session::cookie(&state, secret));
    if stage == Stage::Full {
        let actor = Actor {
            user_id: Some(account.id),
            email: Some(account.email.clone()),
            ip: Some(ip),
        };
        audit::record_alone(
            &state.db,
            account.practice_id,
            &actor,
            Action::SignInSucceeded,
            "password",
            now,
        )
        .await?;
        Ok((jar, Redirect::to("/")).into_response())
    } else {
        Ok((jar, Redirect::to("/sign-in/mfa")).into_response())
    }
}

#[derive(Template)]
#[template(path = "auth/sign_in_mfa.html")]
struct MfaPage {
    page: Page,
    errors: FieldErrors,
}

async fn mfa_page(MaybeSession(s): MaybeSession) -> Result<Response, AppError> {
    match s {
        Some(u) if u.stage == Stage::AwaitingMfa => Ok(render(MfaPage {
            page: Page::bare("Enter your security code"),
            errors: FieldErrors::default(),
        })?
        .into_response()),
        Some(_) => Ok(Redirect::to("/").into_response()),
        None => Ok(Redirect::to("/sign-in").into_response()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeForm {
    code: String,
}

async fn mfa_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    MaybeSession(s): MaybeSession,
    jar: CookieJar,
    ValidForm(form): ValidForm<CodeForm>,
) -> Result<Response, AppError> {
    let Some(user) = s.filter(|u| u.stage == Stage::AwaitingMfa) else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let account = account_by_id(&state, user.user_id)
        .await?
        .ok_or(AppError::SignInRequired)?;
    let reserved = attempts::reserve(&state, &account.email, &ip, account.practice_id).await?;
    let now = state.clock.now();
    let actor = Actor::user(&user, &ip);
    let code = form.code.trim();
    let mut method = None;
    if let Some(secret) = &account.totp_secret {
        if let Some(step) = mfa::verify(secret, code, now, account.totp_last_step) {
            // Claims the code's time step: of several sessions sending the same code at once, one wins.
            let claimed = with_db!(&state.db, p => sqlx::query(
                "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)")
                .bind(step).bind(account.id).execute(p).await.map(|r| r.rows_affected()))?;
            if claimed == 1 {
                method = Some("authenticator code");
            }
        }
    }
    if method.is_none()
        && code.len() >= 8
        && mfa::use_recovery_code(&state.db, account.id, code, now).await?
    {
        audit::record_alone(
            &state.db,
            account.practice_id,
            &actor,
            Action::RecoveryCodeUsed,
            "",
            now,
        )
        .await?;
        method = Some("recovery code");
    }
    let Some(method) = method else {
        audit::record_alone(
            &state.db,
            account.practice_id,
            &actor,
            Action::MfaFailed,
            "",
            now,
        )
        .await?;
        let mut errors = FieldErrors::default();
        errors.add(
            "code",
            "That code is not right. Enter the 6-digit code your authenticator app shows now, or one of your recovery codes.",
        );
        return Ok(render(MfaPage {
            page: Page::bare("Enter your security code"),
            errors,
        })?
        .into_response());
    };
    attempts::succeeded(&state, reserved).await?;
    // Rotate again: the fully signed-in session gets a new id.
    with_db!(&state.db, p => sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(&user.session_hash).execute(p).await.map(|r| r.rows_affected()))?;
    let secret = session::start(&state.db, account.id, Stage::Full, now).await?;
    audit::record_alone(
        &state.db,
        account.practice_id,
        &actor,
        Action::SignInSucceeded,
        &format!("password and {method}"),
        now,
    )
    .await?;
    Ok((jar.add(session::cookie(&state, secret)), Redirect::to("/")).into_response())
}

async fn sign_out(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    MaybeSession(s): MaybeSession,
    jar: CookieJar,
) -> Result<Response, AppError> {
    if let Some(c) = jar.get(session::COOKIE) {
        session::end(&state.db, c.value()).await?;
    }
    if let Some(u) = s {
        audit::record_alone(
            &state.db,
            u.practice_id,
            &Actor::user(&u, &ip),
            Action::SignedOut,
            "",
            state.clock.now(),
        )
        .await?;
    }
    Ok((
        jar.add(session::removal(&state)),
        Redirect::to("/sign-in?signed_out=1"),
    )
        .into_response())
}

// ---------- forgotten password ----------

#[derive(Template)]
#[template(path = "auth/forgot.html")]
struct ForgotPage {
    page: Page,
    email: String,
    errors: FieldErrors,
    sent_to: Option<String>,
}

async fn forgot_page() -> Result<Html<String>, AppError> {
    render(ForgotPage {
        page: Page::bare("Reset your password"),
        email: String::new(),
        errors: FieldErrors::default(),
        sent_to: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailForm {
    email: String,
}

async fn forgot_submit(
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
    if let Some(account) = account_by_email(&state, email.as_str())
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
        let actor = Actor {
            user_id: Some(account.id),
            email: Some(account.email.clone()),
            ip: Some(ip),
        };
        audit::record(
            &mut tx,
            account.practice_id,
            &actor,
            Action::PasswordResetRequested,
            "",
            now,
        )
        .await?;
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

#[derive(Template)]
#[template(path = "auth/choose_password.html")]
struct ChoosePasswordPage {
    page: Page,
    heading: String,
    intro: String,
    action: String,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewPasswordForm {
    password: String,
    confirm: String,
}

fn check_new_password(form: &NewPasswordForm, personal: &[&str]) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if let Err(why) = password::check(&form.password, personal) {
        errors.add("password", why);
    } else if form.password != form.confirm {
        errors.add(
            "confirm",
            "The two passwords are different. Type the same password in both boxes.",
        );
    }
    errors
}

fn personal_words(a: &Account) -> Vec<String> {
    let mut words: Vec<String> = a
        .full_name
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    words.push(a.email.clone());
    if let Some((local, _)) = a.email.split_once('@') {
        words.extend(local.split(['.', '_', '-']).map(str::to_string));
    }
    words.push("safetynet".into());
    words.push("safety net".into());
    words
}

fn link_expired() -> AppError {
    AppError::BadRequest(
        "This link has expired or has already been used. Ask your practice manager for a new invitation, or use \"Forgotten your password?\" on the sign-in page.".into(),
    )
}

async fn reset_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Html<String>, AppError> {
    tokens::lookup(&state.db, &token, Purpose::Reset, state.clock.now())
        .await?
        .ok_or_else(link_expired)?;
    render(ChoosePasswordPage {
        page: Page::bare("Choose a new password").with_password_meter(),
        heading: "Choose a new password".into(),
        intro: String::new(),
        action: format!("/reset-password/{token}"),
        errors: FieldErrors::default(),
    })
}

async fn reset_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    ValidForm(form): ValidForm<NewPasswordForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let user_id = tokens::lookup(&state.db, &token, Purpose::Reset, now)
        .await?
        .ok_or_else(link_expired)?;
    let account = account_by_id(&state, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let words = personal_words(&account);
    let errors = check_new_password(&form, &words.iter().map(String::as_str).collect::<Vec<_>>());
    if !errors.is_empty() {
        return Ok(render(ChoosePasswordPage {
            page: Page::bare("Choose a new password").with_password_meter(),
            heading: "Choose a new password".into(),
            intro: String::new(),
            action: format!("/reset-password/{token}"),
            errors,
        })?
        .into_response());
    }
    if !tokens::consume(&state.db, &token, Purpose::Reset, now).await? {
        return Err(link_expired());
    }
    set_password(&state, account.id, form.password).await?;
    // Anyone who was signed in with the old password is signed out.
    session::end_all_for_user(&state.db, account.id, None).await?;
    let actor = Actor {
        user_id: Some(account.id),
        email: Some(account.email.clone()),
        ip: Some(ip),
    };
    audit::record_alone(
        &state.db,
        account.practice_id,
        &actor,
        Action::PasswordReset,
        "",
        now,
    )
    .await?;
    Ok(Redirect::to("/sign-in?reset=1").into_response())
}

async fn set_password(state: &AppState, user_id: UserId, password: String) -> Result<(), AppError> {
    let hash = password::hash_gated(&state.hashing, password).await?;
    with_db!(&state.db, p => sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(&hash).bind(user_id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

// ---------- invitations ----------

async fn invitation_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Html<String>, AppError> {
    let user_id = tokens::lookup(&state.db, &token, Purpose::Invite, state.clock.now())
        .await?
        .ok_or_else(link_expired)?;
    let account = account_by_id(&state, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    render(invitation_form(&account, &token, FieldErrors::default()))
}

fn invitation_form(account: &Account, token: &str, errors: FieldErrors) -> ChoosePasswordPage {
    ChoosePasswordPage {
        page: Page::bare("Welcome to Safety Net").with_password_meter(),
        heading: format!("Welcome, {}", account.full_name),
        intro: format!(
            "Choose a password for your Safety Net account ({}). A good password is long and unique: three random words together work well, and a password manager can remember it for you.",
            account.email
        ),
        action: format!("/invitation/{token}"),
        errors,
    }
}

async fn invitation_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    jar: CookieJar,
    ValidForm(form): ValidForm<NewPasswordForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let user_id = tokens::lookup(&state.db, &token, Purpose::Invite, now)
        .await?
        .ok_or_else(link_expired)?;
    let account = account_by_id(&state, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let words = personal_words(&account);
    let errors = check_new_password(&form, &words.iter().map(String::as_str).collect::<Vec<_>>());
    if !errors.is_empty() {
        return Ok(render(invitation_form(&account, &token, errors))?.into_response());
    }
    if !tokens::consume(&state.db, &token, Purpose::Invite, now).await? {
        return Err(link_expired());
    }
    set_password(&state, account.id, form.password).await?;
    let actor = Actor {
        user_id: Some(account.id),
        email: Some(account.email.clone()),
        ip: Some(ip),
    };
    audit::record_alone(
        &state.db,
        account.practice_id,
        &actor,
        Action::InvitationAccepted,
        "",
        now,
    )
    .await?;
    let secret = session::start(&state.db, account.id, Stage::Full, now).await?;
    Ok((jar.add(session::cookie(&state, secret)), Redirect::to("/")).into_response())
}

// ---------- your account ----------

#[derive(Template)]
#[template(path = "auth/account.html")]
struct AccountPage {
    page: Page,
    email: String,
    role: &'static str,
    mfa_enabled: bool,
    mfa_required: bool,
    codes_left: i64,
}

async fn account_page(
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

#[derive(Template)]
#[template(path = "auth/change_password.html")]
struct ChangePasswordPage {
    page: Page,
    errors: FieldErrors,
}

async fn change_password_page(SignedIn(user): SignedIn) -> Result<Html<String>, AppError> {
    render(ChangePasswordPage {
        page: Page::for_user("Change your password", &user).with_password_meter(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChangePasswordForm {
    current: String,
    password: String,
    confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedIn(user): SignedIn,
    ValidForm(form): ValidForm<ChangePasswordForm>,
) -> Result<Response, AppError> {
    let account = account_by_id(&state, user.user_id)
        .await?
        .ok_or(AppError::SignInRequired)?;
    let reserved = attempts::reserve(&state, &account.email, &ip, account.practice_id).await?;
    let words = personal_words(&account);
    let mut errors = FieldErrors::default();
    let (ok, reserved) = attempts::verify_password(
        &state,
        reserved,
        form.current.clone(),
        account.password_hash.clone(),
    )
    .await?;
    if ok {
        attempts::succeeded(&state, reserved).await?;
    } else {
        errors.add("current", "Your current password is not right.");
    }
    let nf = NewPasswordForm {
        password: form.password,
        confirm: form.confirm,
    };
    errors
        .0
        .extend(check_new_password(&nf, &words.iter().map(String::as_str).collect::<Vec<_>>()).0);
    if !errors.is_empty() {
        return Ok(render(ChangePasswordPage {
            page: Page::for_user("Change your password", &user).with_password_meter(),
            errors,
        })?
        .into_response());
    }
    set_password(&state, account.id, nf.password).await?;
    session::end_all_for_user(&state.db, account.id, Some(&user.session_hash)).await?;
    audit::record_alone(
        &state.db,
        account.practice_id,
        &Actor::user(&user, &ip),
        Action::PasswordChanged,
        "",
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/account").into_response())
}

// ---------- two-step verification ----------

#[derive(Template)]
#[template(path = "auth/mfa_enrol.html")]
struct MfaEnrolPage {
    page: Page,
    required: bool,
    qr_svg: String,
    secret: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "auth/recovery_codes.html")]
struct RecoveryCodesPage {
    page: Page,
    codes: Vec<String>,
}

async fn mfa_enrol_page(
    State(state): State<AppState>,
    SignedInForEnrolment(user): SignedInForEnrolment,
) -> Result<Response, AppError> {
    if user.mfa_enabled {
        return Ok(Redirect::to("/account").into_response());
    }
    let pending: (Option<String>,) = with_db!(&state.db, p => sqlx::query_as("SELECT totp_pending_secret FROM users WHERE id = $1")
        .bind(user.user_id).fetch_one(p).await)?;
    let secret = match pending.0 {
        Some(s) => s,
        None => {
            let s = mfa::new_secret();
            with_db!(&state.db, p => sqlx::query("UPDATE users SET totp_pending_secret = $1 WHERE id = $2")
                .bind(&s).bind(user.user_id).execute(p).await.map(|r| r.rows_affected()))?;
            s
        }
    };
    Ok(render(enrol_page(&user, secret, FieldErrors::default())?)?.into_response())
}

fn enrol_page(
    user: &super::SessionUser,
    secret: String,
    errors: FieldErrors,
) -> Result<MfaEnrolPage, AppError> {
    let url = mfa::provisioning_url(&secret, &user.email)?;
    Ok(MfaEnrolPage {
        page: Page::for_user("Set up two-step verification", user),
        required: user.role.requires_mfa(),
        qr_svg: mfa::qr_svg(&url)?,
        secret: spaced(&secret),
        errors,
    })
}

/// Groups of four make a long key easier to type into a phone.
fn spaced(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn mfa_enrol_confirm(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedInForEnrolment(user): SignedInForEnrolment,
    ValidForm(form): ValidForm<CodeForm>,
) -> Result<Response, AppError> {
    if user.mfa_enabled {
        return Ok(Redirect::to("/account").into_response());
    }
    let (pending,): (Option<String>,) = with_db!(&state.db, p => sqlx::query_as("SELECT totp_pending_secret FROM users WHERE id = $1")
        .bind(user.user_id).fetch_one(p).await)?;
    let Some(secret) = pending else {
        return Ok(Redirect::to("/account/mfa").into_response());
    };
    let now = state.clock.now();
    let Some(step) = mfa::verify(&secret, &form.code, now, None) else {
        let mut errors = FieldErrors::default();
        errors.add("code", "That code is not right. Enter the 6-digit code your authenticator app shows for Safety Net now.");
        return Ok(render(enrol_page(&user, secret, errors)?)?.into_response());
    };
    with_db!(&state.db, p => sqlx::query(
        "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_last_step = $1 WHERE id = $2")
        .bind(step).bind(user.user_id).execute(p).await.map(|r| r.rows_affected()))?;
    let codes = mfa::regenerate_recovery_codes(&state.db, user.user_id).await?;
    audit::record_alone(
        &state.db,
        user.practice_id,
        &Actor::user(&user, &ip),
        Action::MfaEnabled,
        "authenticator app",
        now,
    )
    .await?;
    Ok(render(RecoveryCodesPage {
        page: Page::for_user("Save your recovery codes", &user),
        codes,
    })?
    .into_response())
}

async fn regenerate_codes(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedIn(user): SignedIn,
) -> Result<Response, AppError> {
    if !user.mfa_enabled {
        return Ok(Redirect::to("/account/mfa").into_response());
    }
    let codes = mfa::regenerate_recovery_codes(&state.db, user.user_id).await?;
    audit::record_alone(
        &state.db,
        user.practice_id,
        &Actor::user(&user, &ip),
        Action::RecoveryCodesRegenerated,
        "",
        state.clock.now(),
    )
    .await?;
    Ok(render(RecoveryCodesPage {
        page: Page::for_user("Save your recovery codes", &user),
        codes,
    })?
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfirmPasswordForm {
    current: String,
}

async fn mfa_disable(
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
    let account = account_by_id(&state, user.user_id)
        .await?
        .ok_or(AppError::SignInRequired)?;
    let reserved = attempts::reserve(&state, &account.email, &ip, account.practice_id).await?;
    let (ok, reserved) =
        attempts::verify_password(&state, reserved, form.current, account.password_hash).await?;
    if ok {
        attempts::succeeded(&state, reserved).await?;
    } else {
        return Err(AppError::BadRequest(
            "Your password was not right, so two-step verification is still on.".into(),
        ));
    }
    with_db!(&state.db, p => {
        sqlx::query("UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1").bind(user.user_id).execute(p).await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user.user_id).execute(p).await?;
    });
    audit::record_alone(
        &state.db,
        user.practice_id,
        &Actor::user(&user, &ip),
        Action::MfaDisabled,
        "",
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/account").into_response())
}
