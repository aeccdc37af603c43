//! The sign-in, password, account and audit-log pages (askama templates in
//! `templates/auth/` and `templates/audit.html`) and how each is built.

use askama::Template;
use axum::response::Html;

use super::{mfa, SessionUser};
use crate::web::{render, AppError, FieldErrors, Page};

#[derive(Template)]
#[template(path = "auth/sign_in.html")]
pub struct SignInPage {
    pub page: Page,
    pub email: String,
    pub errors: FieldErrors,
    /// "Sign in with …" buttons, one per organisation provider.
    pub providers: Vec<ProviderButton>,
}

pub struct ProviderButton {
    pub id: String,
    pub name: String,
}

impl ProviderButton {
    pub fn all(s: &crate::config::Settings) -> Vec<Self> {
        s.oidc
            .providers
            .iter()
            .map(|p| Self {
                id: p.id.clone(),
                name: p.name.clone(),
            })
            .collect()
    }
}

impl SignInPage {
    /// The form again with what was typed (never the password) and what is wrong.
    pub fn again(
        s: &crate::config::Settings,
        email: String,
        errors: FieldErrors,
    ) -> Result<Html<String>, AppError> {
        render(Self {
            page: Page::bare("Sign in"),
            email,
            errors,
            providers: ProviderButton::all(s),
        })
    }
}

/// An invitation at a practice that signs in with its organisation's
/// account: no password to choose, a button instead.
#[derive(Template)]
#[template(path = "auth/invitation_organisation.html")]
pub struct OrganisationInvitationPage {
    pub page: Page,
    pub full_name: String,
    pub email: String,
    pub provider: ProviderButton,
}

/// Why signing in with the organisation's account stopped, and what to do.
#[derive(Template)]
#[template(path = "auth/sign_in_problem.html")]
pub struct SignInProblemPage {
    pub page: Page,
    pub heading: String,
    pub explanation: String,
}

#[derive(Template)]
#[template(path = "auth/sign_in_mfa.html")]
pub struct MfaPage {
    pub page: Page,
    pub errors: FieldErrors,
}

impl MfaPage {
    pub fn show(errors: FieldErrors) -> Result<Html<String>, AppError> {
        render(Self {
            page: Page::bare("Enter your security code"),
            errors,
        })
    }
}

#[derive(Template)]
#[template(path = "auth/forgot.html")]
pub struct ForgotPage {
    pub page: Page,
    pub email: String,
    pub errors: FieldErrors,
    pub sent_to: Option<String>,
}

/// Choosing a password from an emailed link: a reset or an invitation.
#[derive(Template)]
#[template(path = "auth/choose_password.html")]
pub struct ChoosePasswordPage {
    pub page: Page,
    pub heading: String,
    pub intro: String,
    pub action: String,
    pub errors: FieldErrors,
}

impl ChoosePasswordPage {
    pub fn reset(token: &str, errors: FieldErrors) -> Self {
        Self {
            page: Page::bare("Choose a new password").with_password_meter(),
            heading: "Choose a new password".into(),
            intro: String::new(),
            action: format!("/reset-password/{token}"),
            errors,
        }
    }

    pub fn invitation(full_name: &str, email: &str, token: &str, errors: FieldErrors) -> Self {
        Self {
            page: Page::bare("Welcome to Safety Net").with_password_meter(),
            heading: format!("Welcome, {full_name}"),
            intro: format!(
                "Choose a password for your Safety Net account ({email}). A good password is long and unique: three random words together work well, and a password manager can remember it for you."
            ),
            action: format!("/invitation/{token}"),
            errors,
        }
    }
}

#[derive(Template)]
#[template(path = "auth/account.html")]
pub struct AccountPage {
    pub page: Page,
    pub email: String,
    pub role: &'static str,
    pub mfa_enabled: bool,
    pub mfa_required: bool,
    pub codes_left: i64,
}

#[derive(Template)]
#[template(path = "auth/change_password.html")]
pub struct ChangePasswordPage {
    pub page: Page,
    pub errors: FieldErrors,
}

impl ChangePasswordPage {
    pub fn show(user: &SessionUser, errors: FieldErrors) -> Result<Html<String>, AppError> {
        render(Self {
            page: Page::for_user("Change your password", user).with_password_meter(),
            errors,
        })
    }
}

#[derive(Template)]
#[template(path = "auth/mfa_enrol.html")]
pub struct MfaEnrolPage {
    pub page: Page,
    pub required: bool,
    pub qr_svg: String,
    pub secret: String,
    pub errors: FieldErrors,
}

impl MfaEnrolPage {
    /// The QR code and the key to type, for the pending secret.
    pub fn show(
        user: &SessionUser,
        secret: &str,
        errors: FieldErrors,
    ) -> Result<Html<String>, AppError> {
        let url = mfa::provisioning_url(secret, &user.email)?;
        render(Self {
            page: Page::for_user("Set up two-step verification", user),
            required: user.role.requires_mfa(),
            qr_svg: mfa::qr_svg(&url)?,
            secret: super::domain::spaced(secret),
            errors,
        })
    }
}

#[derive(Template)]
#[template(path = "auth/recovery_codes.html")]
pub struct RecoveryCodesPage {
    pub page: Page,
    pub codes: Vec<String>,
}

impl RecoveryCodesPage {
    pub fn show(user: &SessionUser, codes: Vec<String>) -> Result<Html<String>, AppError> {
        render(Self {
            page: Page::for_user("Save your recovery codes", user),
            codes,
        })
    }
}

/// One line of the audit log as the page shows it.
pub struct Entry {
    pub when: String,
    pub who: String,
    pub action: &'static str,
    pub detail: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub page: Page,
    pub entries: Vec<Entry>,
    pub filter: super::routes::audit_log::AuditFilter,
    pub actions: Vec<(&'static str, &'static str)>,
    pub page_no: u32,
    pub more: bool,
    pub error: Option<String>,
}
