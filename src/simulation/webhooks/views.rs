//! The webhook pages: the list with each receiver's state, and the form
//! (with the signing secret, the events waiting and a test button).

use askama::Template;

use super::repo::{self, Webhook};
use super::routes::WebhookForm;
use super::signing::SIGNATURE_HEADER;
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::Db;
use crate::simulation::TestResult;
use crate::web::{FieldErrors, Page};

/// A webhook with what the manager needs to see about it.
pub struct Listed {
    pub hook: Webhook,
    pub waiting: i64,
    now: i64,
}

impl Listed {
    pub async fn load(
        db: &Db,
        scope: &PracticeScope,
        hook: Webhook,
        now: i64,
    ) -> Result<Self, sqlx::Error> {
        let waiting = repo::waiting(db, scope.practice_id(), hook.cursor_event_id).await?;
        Ok(Self { hook, waiting, now })
    }

    pub fn status(&self) -> String {
        if !self.hook.active {
            "Switched off".into()
        } else if self.hook.last_error.is_some() {
            if self.hook.next_attempt_at > self.now {
                format!(
                    "Not delivering: trying again at {}",
                    crate::ukclock::format(self.hook.next_attempt_at)
                )
            } else {
                "Not delivering: trying again now".into()
            }
        } else if self.waiting == 0 {
            "Up to date".into()
        } else {
            "Sending".into()
        }
    }

    pub fn last_success(&self) -> String {
        self.hook
            .last_success_at
            .map(crate::ukclock::format)
            .unwrap_or_else(|| "Nothing yet".into())
    }

    pub fn waiting_label(&self) -> String {
        match self.waiting {
            0 => "None".into(),
            1 => "1 event".into(),
            n => format!("{n} events"),
        }
    }

    pub fn problem(&self) -> &str {
        self.hook.last_error.as_deref().unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "simulation/webhooks.html")]
pub struct ListPage {
    pub page: Page,
    pub webhooks: Vec<Listed>,
}

#[derive(Template)]
#[template(path = "simulation/webhook_form.html")]
pub struct FormPage {
    pub page: Page,
    action: String,
    form: WebhookForm,
    errors: FieldErrors,
    existing: Option<Listed>,
    secret_hint: &'static str,
    pub test_result: Option<TestResult>,
    signature_header: &'static str,
}

pub fn form_page(
    scope: &ManagerScope,
    existing: Option<Listed>,
    form: WebhookForm,
    errors: FieldErrors,
) -> FormPage {
    let title = match &existing {
        Some(l) => format!("Webhook: {}", l.hook.name),
        None => "Add a webhook".into(),
    };
    FormPage {
        page: Page::for_user(title, scope.user()),
        action: existing
            .as_ref()
            .map(|l| format!("/simulation/webhooks/{}", l.hook.id))
            .unwrap_or_else(|| "/simulation/webhooks/new".into()),
        secret_hint: if existing.is_some() {
            "Leave empty to keep the current secret"
        } else {
            "Leave empty and Safety Net will make a strong one. The receiving system needs it to check each message"
        },
        form,
        errors,
        existing,
        test_result: None,
        signature_header: SIGNATURE_HEADER,
    }
}
