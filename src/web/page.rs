//! The page frame every template extends: title, navigation for the
//! signed-in person's role, and a one-line confirmation message.

use askama::Template;
use axum::response::Html;

use super::AppError;
use crate::auth::{Role, SessionUser};

#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone)]
pub struct Nav {
    pub name: String,
    pub role_label: &'static str,
    pub links: Vec<NavLink>,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub title: String,
    pub nav: Option<Nav>,
    /// A confirmation shown at the top in the NHS.UK success banner ("Staff
    /// member added"); `web::Notice` gives the one a `?done=` word asks for.
    pub notice: Option<String>,
    /// Extra scripts this page needs, from /static.
    pub scripts: Vec<&'static str>,
    /// A public page for patients: its footer speaks to them, not to staff.
    pub for_patients: bool,
    /// Reload the page every this many seconds (without JavaScript).
    pub refresh: Option<u32>,
}

impl Page {
    /// A page for someone not signed in.
    pub fn bare(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            nav: None,
            notice: None,
            scripts: Vec::new(),
            for_patients: false,
            refresh: None,
        }
    }

    /// A public page for patients (the lessons under /learn).
    pub fn for_patients(title: impl Into<String>) -> Self {
        Self {
            for_patients: true,
            ..Self::bare(title)
        }
    }

    pub fn for_user(title: impl Into<String>, user: &SessionUser) -> Self {
        let link = |href, label| NavLink { href, label };
        let links = match user.role {
            Role::Operator => vec![
                link("/operator", "Practices"),
                link("/operator/dspt", "DSPT readiness"),
                link("/account", "Your account"),
            ],
            Role::Manager => vec![
                link("/", "Home"),
                link("/staff", "Staff"),
                link("/simulation", "Phishing exercises"),
                link("/training/manage", "Training"),
                link("/resilience", "Resilience"),
                link("/dspt", "DSPT"),
                link("/departments", "Departments"),
                link("/audit", "Audit log"),
                link("/account", "Your account"),
            ],
            Role::Champion => vec![
                link("/", "Home"),
                link("/training", "Your training"),
                link("/my/exercises", "Your exercises"),
                link("/resilience", "Resilience"),
                link("/account", "Your account"),
            ],
            Role::Staff => {
                vec![
                    link("/", "Home"),
                    link("/training", "Your training"),
                    link("/my/exercises", "Your exercises"),
                    link("/resilience/plans", "Plans"),
                    link("/account", "Your account"),
                ]
            }
        };
        Self {
            title: title.into(),
            nav: Some(Nav {
                name: user.full_name.clone(),
                role_label: user.role.label(),
                links,
            }),
            notice: None,
            scripts: Vec::new(),
            for_patients: false,
            refresh: None,
        }
    }

    pub fn with_notice(mut self, notice: Option<String>) -> Self {
        self.notice = notice;
        self
    }

    /// Keeps the parts of the page marked `data-live` up to date while an
    /// element marked `data-live-refresh` is on it (an exercise sending).
    pub fn with_live_figures(mut self) -> Self {
        self.scripts.push("/static/js/live-figures.js");
        self
    }

    /// Reloads the page every `seconds` where JavaScript is off (the live
    /// figures script does the same job more gently where it is on).
    pub fn refreshing_every(mut self, seconds: u32) -> Self {
        self.refresh = Some(seconds);
        self
    }

    /// Adds the in-browser password strength meter (zxcvbn runs on the device;
    /// the password is never sent anywhere until the form is submitted).
    pub fn with_password_meter(mut self) -> Self {
        self.scripts.push("/static/vendor/zxcvbn/zxcvbn.js");
        self.scripts.push("/static/js/password-verdict.js");
        self.scripts.push("/static/js/password-meter.js");
        self
    }
}

pub fn render(t: impl Template) -> Result<Html<String>, AppError> {
    t.render()
        .map(Html)
        .map_err(|e| AppError::Unexpected(e.into()))
}
