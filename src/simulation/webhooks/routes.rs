//! The practice manager's webhook pages: the list, adding one, changing it
//! (address, secret, on or off, skipping what is waiting) and sending a
//! signed test event. Each change commits with its audit entry.

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use url::Url;

use super::client::{self, Payload, Recipient};
use super::repo::{self, Webhook};
use super::signing;
use super::views::{form_page, ListPage, Listed};
use crate::auth::audit::Action;
use crate::auth::ManagerScope;
use crate::net::outbound::Policy;
use crate::shared::AppState;
use crate::simulation::commit_audited;
use crate::simulation::ids::WebhookId;
use crate::simulation::TestResult;
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct WebhookForm {
    pub name: String,
    pub url: String,
    pub secret: String,
    /// "yes" when the box is ticked.
    pub active: String,
    /// "yes": move the cursor to the latest event, giving up on those waiting.
    pub skip_waiting: String,
}

struct Parsed {
    name: String,
    url: Url,
    secret: String,
}

impl WebhookForm {
    pub fn from_hook(h: &Webhook) -> Self {
        Self {
            name: h.name.clone(),
            url: h.url.clone(),
            secret: String::new(),
            active: if h.active {
                "yes".into()
            } else {
                String::new()
            },
            skip_waiting: String::new(),
        }
    }

    /// `existing_secret` keeps the saved secret when the box is left empty;
    /// a new webhook gets a random one.
    async fn parse(
        &self,
        policy: &Policy,
        existing_secret: Option<&str>,
    ) -> Result<Parsed, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            e.add(
                "name",
                "Give the webhook a name, like \"Security dashboard\"",
            );
        } else if name.chars().count() > 100 {
            e.add("name", "The name must be 100 characters or fewer");
        }
        let url = match client::check_url(policy, &self.url).await {
            Ok(u) => Some(u),
            Err(msg) => {
                e.add("url", msg);
                None
            }
        };
        let typed = self.secret.trim();
        let secret = match (typed.is_empty(), existing_secret) {
            (true, Some(old)) => old.to_string(),
            (true, None) => signing::new_secret(),
            (false, _) if typed.chars().count() < 16 => {
                e.add("secret", "Use at least 16 characters, or leave the box empty and Safety Net will make a strong secret");
                String::new()
            }
            (false, _) if typed.len() > 200 => {
                e.add("secret", "The secret must be 200 characters or fewer");
                String::new()
            }
            (false, _) => typed.to_string(),
        };
        match url {
            Some(url) if e.is_empty() => Ok(Parsed {
                name: name.to_string(),
                url,
                secret,
            }),
            _ => Err(e),
        }
    }
}

/// The host only: a path or query may itself carry a receiver's token.
fn host_of(url: &Url) -> String {
    url.host_str().unwrap_or("").to_string()
}

/// One of the practice's webhooks with what the manager sees about it, or "Page not found".
async fn existing(
    state: &AppState,
    scope: &ManagerScope,
    id: WebhookId,
) -> Result<Listed, AppError> {
    let hook = repo::find(&state.db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Listed::load(&state.db, scope, hook, state.clock.now()).await?)
}

pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let now = state.clock.now();
    let mut webhooks = Vec::new();
    for hook in repo::all(&state.db, &scope).await? {
        webhooks.push(Listed::load(&state.db, &scope, hook, now).await?);
    }
    render(ListPage {
        page: Page::for_user("Webhooks", scope.user()),
        webhooks,
    })
}

pub async fn new_page(scope: ManagerScope) -> Result<Html<String>, AppError> {
    render(form_page(
        &scope,
        None,
        WebhookForm::default(),
        FieldErrors::default(),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<WebhookForm>,
) -> Result<Response, AppError> {
    let w = match form
        .parse(&Policy::from_settings(&state.settings), None)
        .await
    {
        Ok(w) => w,
        Err(errors) => return Ok(render(form_page(&scope, None, form, errors))?.into_response()),
    };
    let mut tx = state.db.begin().await?;
    let id = repo::insert(
        &mut tx,
        &scope,
        &w.name,
        w.url.as_str(),
        &w.secret,
        state.clock.now(),
    )
    .await?;
    let detail = format!(
        "added webhook \"{}\" sending events to {}",
        w.name,
        host_of(&w.url)
    );
    commit_audited(tx, &state, &scope, &ip, Action::WebhookChanged, &detail).await?;
    Ok(Redirect::to(&format!("/simulation/webhooks/{id}?added=1")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EditQuery {
    added: Option<u8>,
    saved: Option<u8>,
}

pub async fn edit_page(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<WebhookId>,
    Query(q): Query<EditQuery>,
) -> Result<Html<String>, AppError> {
    let l = existing(&state, &scope, id).await?;
    let form = WebhookForm::from_hook(&l.hook);
    let mut page = form_page(&scope, Some(l), form, FieldErrors::default());
    page.page.notice = if q.added.is_some() {
        Some("Webhook added. Copy its signing secret (below) into the receiving system, then send a test event.".into())
    } else if q.saved.is_some() {
        Some("Changes saved".into())
    } else {
        None
    };
    render(page)
}

pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<WebhookId>,
    ValidForm(form): ValidForm<WebhookForm>,
) -> Result<Response, AppError> {
    let old = existing(&state, &scope, id).await?;
    let w = match form
        .parse(
            &Policy::from_settings(&state.settings),
            Some(&old.hook.secret),
        )
        .await
    {
        Ok(w) => w,
        Err(errors) => {
            return Ok(render(form_page(&scope, Some(old), form, errors))?.into_response())
        }
    };
    let active = form.active == "yes";
    let skip = form.skip_waiting == "yes";
    let mut tx = state.db.begin().await?;
    repo::update(
        &mut tx,
        &scope,
        id,
        &w.name,
        w.url.as_str(),
        &w.secret,
        active,
        skip,
    )
    .await?;
    let mut detail = format!(
        "changed webhook \"{}\" sending events to {}, {}",
        w.name,
        host_of(&w.url),
        if active {
            "switched on"
        } else {
            "switched off"
        }
    );
    if w.secret != old.hook.secret {
        detail.push_str(", new signing secret");
    }
    if skip && old.waiting > 0 {
        detail.push_str(&format!(
            ", skipped {} waiting to send",
            old.waiting_label()
        ));
    }
    commit_audited(tx, &state, &scope, &ip, Action::WebhookChanged, &detail).await?;
    Ok(Redirect::to(&format!("/simulation/webhooks/{id}?saved=1")).into_response())
}

/// Sends a signed test event now and shows what the receiver answered. The
/// webhook's place in the events is not touched.
pub async fn send_test(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<WebhookId>,
) -> Result<Html<String>, AppError> {
    let l = existing(&state, &scope, id).await?;
    let reasons = format!("a test sent by {} from Safety Net", scope.user().full_name);
    let body = serde_json::to_vec(&Payload {
        event: "test",
        counted: false,
        reasons: &reasons,
        time: client::rfc3339(state.clock.now()),
        campaign_id: 0,
        campaign: "",
        recipient: Recipient {
            email: "",
            name: "",
        },
        ip: "",
        user_agent: "",
        event_id: 0,
    })
    .map_err(|e| AppError::Unexpected(e.into()))?;
    let policy = Policy::from_settings(&state.settings);
    let result = match client::check_url(&policy, &l.hook.url).await {
        Err(reason) => TestResult::failed(reason),
        Ok(url) => {
            match client::post(&client::http_client(&policy), &url, &l.hook.secret, body).await {
                Ok(answer) if answer.accepted() => TestResult::worked(answer.describe()),
                Ok(answer) => TestResult::failed(answer.describe()),
                Err(reason) => TestResult::failed(reason),
            }
        }
    };
    let form = WebhookForm::from_hook(&l.hook);
    let mut page = form_page(&scope, Some(l), form, FieldErrors::default());
    page.test_result = Some(result);
    render(page)
}
