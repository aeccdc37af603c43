//! The practice manager's sending pages: the exercises, starting one,
//! pausing, resuming or cancelling it, and the sending profiles (with a
//! test message). Each change commits with its audit entry.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::campaigns::{CampaignForm, Launch, StatusChange, Target};
use super::profiles::{ProfileForm, DEFAULT_HEADER};
use super::views::{
    profile_form, ConfirmPage, FormPage, ListPage, ProfileFormPage, ProfilesPage, StaffChoice,
};
use super::{message, repo, worker};
use crate::auth::audit::Action;
use crate::auth::ManagerScope;
use crate::db::{Change, Wake};
use crate::net::outbound::Policy;
use crate::people::departments;
use crate::shared::{AppState, CampaignId, EmailAddress};
use crate::simulation::authoring::repo as authoring;
use crate::simulation::domains;
use crate::simulation::ids::{ProfileId, TemplateId};
use crate::simulation::{commit_audited, TestResult};
use crate::web::confirm::{self, Confirm};
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};

pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    super::complete_due(&state.db, state.clock.now()).await?;
    let on_nhsmail = repo::active_staff(&state.db, &scope)
        .await?
        .iter()
        .filter(|t| domains::is_nhsmail(&t.email))
        .count();
    let nhsmail_agreed = domains::nhsmail_agreement(&state.db, scope.practice_id())
        .await?
        .is_some();
    render(ListPage {
        on_nhsmail,
        nhsmail_agreed,
        page: Page::for_user("Phishing exercises", scope.user()),
        campaigns: repo::list(&state.db, &scope).await?,
        external: crate::simulation::external::repo::list(&state.db, scope.practice_id()).await?,
        has_templates: !authoring::all(&state.db, &scope).await?.is_empty(),
        has_profiles: !repo::profiles(&state.db, &scope).await?.is_empty(),
        has_domains: !domains::verified(&state.db, &scope).await?.is_empty(),
    })
}

async fn form_page(
    state: &AppState,
    scope: &ManagerScope,
    form: CampaignForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let domains = domains::verified(&state.db, scope).await?;
    let staff = repo::active_staff(&state.db, scope)
        .await?
        .into_iter()
        .map(|t| StaffChoice {
            id: t.staff_id,
            in_domain: domains::allowed(&t.email, &domains),
            name: t.full_name,
        })
        .collect();
    render(FormPage {
        page: Page::for_user("Start a phishing exercise", scope.user()),
        form,
        errors,
        templates: authoring::all(&state.db, scope).await?,
        profiles: repo::profiles(&state.db, scope).await?,
        departments: departments::all(&state.db, scope).await?,
        staff,
        domains,
    })
}

pub async fn new_page(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    form_page(
        &state,
        &scope,
        CampaignForm::new_exercise(),
        FieldErrors::default(),
    )
    .await
}

/// Launches a campaign. Recipients outside the practice's verified domains are left out.
pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    form: Result<axum_extra::extract::Form<CampaignForm>, axum_extra::extract::FormRejection>,
) -> Result<Response, AppError> {
    let Ok(axum_extra::extract::Form(form)) = form else {
        return Err(AppError::BadRequest(
            "The form could not be read. Go back, check what you entered and try again.".into(),
        ));
    };
    // "Go back and change it" on the confirmation: the form as it was typed.
    if form.edit == "yes" {
        return Ok(form_page(&state, &scope, form, FieldErrors::default())
            .await?
            .into_response());
    }
    let mut errors = FieldErrors::default();
    let now = state.clock.now();
    let name = form.name(&mut errors);
    let template = match form.template_id.parse::<TemplateId>() {
        Ok(id) => authoring::find(&state.db, scope.practice_id(), id).await?,
        Err(_) => None,
    };
    if template.is_none() {
        errors.add("template_id", "Choose the email to send");
    }
    let profile = match form.profile_id.parse::<ProfileId>() {
        Ok(id) => repo::profile(&state.db, &scope, id).await?,
        Err(_) => None,
    };
    if profile.is_none() {
        errors.add(
            "profile_id",
            "Choose the sending profile (the mail server to send through)",
        );
    }
    let timing = form.timing(now, &mut errors);
    // Who receives it: active staff in the chosen group, and only in verified domains.
    let verified = domains::verified(&state.db, &scope).await?;
    let audience = form.audience();
    let (mut targets, left_out): (Vec<Target>, Vec<Target>) = repo::active_staff(&state.db, &scope)
        .await?
        .into_iter()
        .filter(|t| audience.includes(t))
        .partition(|t| domains::allowed(&t.email, &verified));
    let on_nhsmail = left_out
        .iter()
        .filter(|t| domains::is_nhsmail(&t.email))
        .count();
    if on_nhsmail > 0
        && domains::nhsmail_agreement(&state.db, scope.practice_id())
            .await?
            .is_none()
    {
        // NHSmail is refused outright with the reason, not silently left out.
        errors.add("audience", domains::nhsmail_refusal(on_nhsmail));
    } else if let Some(problem) = form.audience_problem(verified.is_empty(), targets.is_empty()) {
        errors.add("audience", problem);
    }
    let (Some(template), Some(profile), Some(timing), true) =
        (template, profile, timing, errors.is_empty())
    else {
        return Ok(form_page(&state, &scope, form, errors)
            .await?
            .into_response());
    };
    // One email is built before anything is stored: an exercise whose email
    // cannot be rendered or addressed is refused now, with the reason.
    if let Some(first) = targets.first() {
        let practice_name = repo::practice_name(&state.db, scope.practice_id()).await?;
        let parts = worker::load_parts(
            &state.db,
            scope.practice_id(),
            template.id,
            profile.id,
            practice_name,
        )
        .await?;
        if let Err(why) = message::check_launch(&parts, first, &state.settings.sim_public_url) {
            errors.add("template_id", why);
            return Ok(form_page(&state, &scope, form, errors)
                .await?
                .into_response());
        }
    }
    let spec = Launch {
        name: name.clone(),
        template_id: template.id,
        profile_id: profile.id,
        landing: form.landing_or(template.landing),
        launch_at: timing.launch_at,
        send_by: timing.send_by,
        ends_at: timing.ends_at,
        business_hours: form.business_hours == "yes",
        created_by: scope.user().user_id,
    };
    // Nothing is sent until the manager has read what will happen and said yes.
    if form.confirm != "yes" {
        let times = super::campaigns::schedule(&spec, targets.len());
        return Ok(render(ConfirmPage {
            page: Page::for_user("Check before you start", scope.user()),
            what: super::campaigns::what_will_happen(targets.len(), &times, now),
            email: template.name.clone(),
            left_out: left_out.len(),
            ends: crate::ukclock::format(spec.ends_at),
            business_hours: spec.business_hours,
            form,
        })?
        .into_response());
    }
    let detail = format!(
        "launched \"{name}\" to {} people ({} left out: not in a verified domain)",
        targets.len(),
        left_out.len()
    );
    // The exercise and its audit entry commit together; then the sender wakes.
    let mut tx = state.db.begin().await?;
    let id = repo::insert(&mut tx, &scope, &spec, &mut targets, now).await?;
    tx.wake_after_commit(Wake::Sender);
    commit_audited(tx, &state, &scope, &ip, Action::CampaignChanged, &detail).await?;
    Ok(Redirect::to(&format!(
        "/simulation/campaigns/{id}?left_out={}",
        left_out.len()
    ))
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    /// "pause", "resume" or "cancel".
    action: String,
    /// "yes" from the confirmation page (cancelling asks first).
    confirm: String,
}

pub async fn change_status(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<CampaignId>,
    ValidForm(form): ValidForm<StatusForm>,
) -> Result<Response, AppError> {
    let c = repo::find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(change) = StatusChange::parse(&form.action) else {
        return Err(AppError::BadRequest(
            "Choose pause, resume or cancel.".into(),
        ));
    };
    let cannot = || {
        AppError::BadRequest(format!(
            "This exercise is {}, so it cannot be changed that way.",
            c.status.label().to_lowercase()
        ))
    };
    if !change.from().contains(&c.status) {
        return Err(cannot());
    }
    if form.action == "cancel" && !confirm::confirmed(&form.confirm) {
        let left = c.recipients - c.sent;
        let mut explain = vec![
            "Emails not yet sent will not be sent, and the exercise cannot be restarted. Its results so far are kept.".to_string(),
        ];
        if left > 0 {
            explain.push(format!(
                "{left} of {} emails have not gone yet.",
                c.recipients
            ));
        }
        return Ok(confirm::ask(
            scope.user(),
            Confirm {
                heading: format!("Cancel the exercise \"{}\"?", c.name),
                explain,
                action: format!("/simulation/campaigns/{id}/status"),
                fields: vec![("action", "cancel".into())],
                yes: "Yes, cancel the exercise".into(),
                back: format!("/simulation/campaigns/{id}"),
            },
        )?
        .into_response());
    }
    let mut tx = state.db.begin().await?;
    if !repo::change_status(&mut tx, &scope, id, change).await? {
        return Err(cannot());
    }
    // The tracking site forgets what it knew, and the sender looks again.
    tx.publish_after_commit(Change::Campaign(id));
    tx.wake_after_commit(Wake::Sender);
    let detail = format!("{} \"{}\"", change.verb(), c.name);
    commit_audited(tx, &state, &scope, &ip, Action::CampaignChanged, &detail).await?;
    Ok(Redirect::to(&format!("/simulation/campaigns/{id}")).into_response())
}

// ---------- sending profiles ----------

/// One of the practice's profiles, or "Page not found".
async fn profile(
    state: &AppState,
    scope: &ManagerScope,
    id: ProfileId,
) -> Result<super::Profile, AppError> {
    repo::profile(&state.db, scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn profiles(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    render(ProfilesPage {
        page: Page::for_user("Sending profiles", scope.user()),
        profiles: repo::profiles(&state.db, &scope).await?,
    })
}

pub async fn new_profile_page(scope: ManagerScope) -> Result<Html<String>, AppError> {
    let form = ProfileForm {
        port: "587".into(),
        security: "starttls".into(),
        header_name: DEFAULT_HEADER.into(),
        ..Default::default()
    };
    render(profile_form(&scope, None, form, FieldErrors::default()))
}

/// Saves the profile form: a new profile (`existing` None) or changes to
/// one, which keeps its password when the box is left empty.
async fn save_profile(
    state: &AppState,
    scope: &ManagerScope,
    ip: &str,
    existing: Option<super::Profile>,
    form: ProfileForm,
) -> Result<Response, AppError> {
    let id = existing.as_ref().map(|p| p.id);
    let old_password = existing.as_ref().map(|p| p.password.as_str());
    let p = match form.parse(&Policy::from_settings(&state.settings), old_password) {
        Ok(p) => p,
        Err(errors) => return Ok(render(profile_form(scope, id, form, errors))?.into_response()),
    };
    let mut tx = state.db.begin().await?;
    let (id, verb) = match id {
        Some(id) => {
            repo::update_profile(&mut tx, scope, id, &p).await?;
            (id, "changed")
        }
        None => {
            let now = state.clock.now();
            (
                repo::insert_profile(&mut tx, scope.practice_id(), &p, "", now).await?,
                "added",
            )
        }
    };
    let detail = format!("{verb} {} ({}:{})", p.name, p.host, p.port);
    commit_audited(tx, state, scope, ip, Action::SendingProfileChanged, &detail).await?;
    Ok(Redirect::to(&format!("/simulation/profiles/{id}")).into_response())
}

pub async fn create_profile(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<ProfileForm>,
) -> Result<Response, AppError> {
    save_profile(&state, &scope, &ip, None, form).await
}

pub async fn edit_profile_page(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<ProfileId>,
) -> Result<Html<String>, AppError> {
    let p = profile(&state, &scope, id).await?;
    render(profile_form(
        &scope,
        Some(id),
        ProfileForm::from_profile(&p),
        FieldErrors::default(),
    ))
}

pub async fn update_profile(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<ProfileId>,
    ValidForm(form): ValidForm<ProfileForm>,
) -> Result<Response, AppError> {
    let existing = profile(&state, &scope, id).await?;
    save_profile(&state, &scope, &ip, Some(existing), form).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TestForm {
    to: String,
}

/// Sends one plain test message now and shows what the mail server said.
pub async fn send_test(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<ProfileId>,
    ValidForm(form): ValidForm<TestForm>,
) -> Result<Html<String>, AppError> {
    let p = profile(&state, &scope, id).await?;
    let mut page: ProfileFormPage = profile_form(
        &scope,
        Some(id),
        ProfileForm::from_profile(&p),
        FieldErrors::default(),
    );
    page.test_to = form.to.clone();
    let domains = domains::verified(&state.db, &scope).await?;
    let result = match EmailAddress::parse(&form.to) {
        Err(e) => TestResult::failed(e.message),
        Ok(to) if !domains::allowed(to.as_str(), &domains) && to.as_str() != scope.user().email => TestResult::failed(
            format!("{to} is not in one of the practice's verified email domains. Send the test to yourself or to a verified domain."),
        ),
        Ok(to) => match message::send_test(&Policy::from_settings(&state.settings), &p, to.as_str()).await {
            Ok(()) => TestResult::worked(format!("The mail server accepted a test message to {to}.")),
            Err((kind, why)) => TestResult::failed(format!("{}. The test message was not sent: {why}.", kind.label())),
        },
    };
    page.test_result = Some(result);
    render(page)
}
