//! Practices, as an operator (ICB / PCN / federation IT) sees them: the list
//! with aggregate figures, creating a practice and its practice manager,
//! and adding another manager. Operators never see individual staff beyond
//! the practice managers.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::audit::{self, Action, Actor};
use crate::auth::{OperatorScope, SessionUser};
use crate::db::Tx;
use crate::people::accounts::{self, Invitation};
use crate::people::practices;
use crate::people::repo::practices as stored;
use crate::people::views::{NewPracticePage, PracticePage, PracticesPage};
use crate::shared::{AppState, EmailAddress, FieldError, PersonName, PracticeId};
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};

pub async fn list(
    State(state): State<AppState>,
    operator: OperatorScope,
) -> Result<Html<String>, AppError> {
    let user = operator.into_user();
    let min_group = state.settings.simulation.min_group_size;
    render(PracticesPage {
        page: Page::for_user("Practices", &user),
        practices: practices::summaries(&state.db, state.clock.now(), min_group).await?,
        dspt: crate::dspt::operator::readiness_by_practice(&state.db).await?,
    })
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct NewPracticeForm {
    pub name: String,
    pub ods_code: String,
    pub manager_name: String,
    pub manager_email: String,
    /// The NHSmail agreement's reference (its own form on the practice's page).
    pub nhsmail_reference: String,
    /// "withdraw" to remove the agreement.
    pub nhsmail_action: String,
    /// The provider everyone must sign in with; empty: passwords too.
    pub sign_in_provider: String,
}

impl NewPracticeForm {
    /// The manager's name and address, each checked, errors under the form's own fields.
    fn manager(&self, errors: &mut FieldErrors) -> Option<(PersonName, EmailAddress)> {
        let name = errors.take(
            PersonName::parse(&self.manager_name)
                .map_err(|e| FieldError::new("manager_name", e.message)),
        );
        let email = errors.take(
            EmailAddress::parse(&self.manager_email)
                .map_err(|e| FieldError::new("manager_email", e.message)),
        );
        name.zip(email)
    }
}

pub async fn new_page(operator: OperatorScope) -> Result<Html<String>, AppError> {
    let form = NewPracticeForm::default();
    NewPracticePage::show(operator.user(), form, FieldErrors::default())
}

fn parse_ods(raw: &str) -> Result<Option<String>, FieldError> {
    let s = raw.trim().to_ascii_uppercase();
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() <= 10 && s.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(Some(s))
    } else {
        Err(FieldError::new(
            "ods_code",
            "Enter the practice's ODS code, like A81001, or leave it blank",
        ))
    }
}

/// A new manager for `practice`: their staff record and account, the
/// invitation and its audit entry, in `tx`. `Err` says why the manager
/// could not be added (then `tx` is dropped, and nothing of them is kept).
async fn add_and_invite(
    tx: &mut Tx,
    state: &AppState,
    operator: &SessionUser,
    ip: &str,
    (practice_id, practice_name): (PracticeId, &str),
    (name, email): (&PersonName, &EmailAddress),
) -> Result<Result<(), String>, AppError> {
    let now = state.clock.now();
    let user_id = match practices::add_manager(tx, practice_id, name, email, now).await? {
        Ok(id) => id,
        Err(why) => return Ok(Err(why)),
    };
    let invitation = Invitation {
        user_id,
        email: email.as_str(),
        full_name: name.as_str(),
        practice_id: Some(practice_id),
        practice_name,
        inviter: &operator.full_name,
    };
    accounts::send_invitation(tx, state.public_url(), &invitation, now).await?;
    audit::record(
        tx,
        Some(practice_id),
        &Actor::user(operator, ip),
        Action::InvitationSent,
        &format!("practice manager {name} <{email}>"),
        now,
    )
    .await?;
    Ok(Ok(()))
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    operator: OperatorScope,
    ValidForm(form): ValidForm<NewPracticeForm>,
) -> Result<Response, AppError> {
    let user = operator.into_user();
    let mut errors = FieldErrors::default();
    let name = form.name.trim().to_string();
    if name.is_empty() || name.len() > 120 {
        errors.add("name", "Enter the practice's name, like Riverside Surgery");
    }
    let ods = errors.take(parse_ods(&form.ods_code));
    let manager = form.manager(&mut errors);
    let (Some(ods), Some(manager), true) = (ods, manager, errors.is_empty()) else {
        return Ok(NewPracticePage::show(&user, form, errors)?.into_response());
    };
    let now = state.clock.now();
    // The practice first, on its own: if its manager cannot be added, the practice stays.
    let mut tx = state.db.begin().await?;
    let practice_id = practices::create(&mut tx, &name, ods.as_deref(), now).await?;
    let actor = Actor::user(&user, &ip);
    let what = Action::PracticeCreated;
    audit::record(&mut tx, Some(practice_id), &actor, what, &name, now).await?;
    tx.commit().await?;
    let mut tx = state.db.begin().await?;
    let practice = (practice_id, name.as_str());
    if let Err(why) = add_and_invite(
        &mut tx,
        &state,
        &user,
        &ip,
        practice,
        (&manager.0, &manager.1),
    )
    .await?
    {
        // Say what went wrong with the manager and let the operator add one.
        return Err(AppError::BadRequest(format!(
            "{name} was added, but its practice manager was not: {why}"
        )));
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/operator/practices/{practice_id}")).into_response())
}

async fn show_page(
    state: &AppState,
    user: &SessionUser,
    id: PracticeId,
    form: NewPracticeForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let min_group = state.settings.simulation.min_group_size;
    let practice = practices::summary_of(&state.db, id, state.clock.now(), min_group)
        .await?
        .ok_or(AppError::NotFound)?;
    // Trends only, never people: a practice smaller than the minimum group
    // shows none, since its figures could point at someone.
    let tiles = if practice.active_staff >= min_group {
        let scope = crate::auth::system_scope_for(id, "the operator's trend tiles");
        crate::dashboard::tiles(state, &scope, crate::dashboard::Audience::Operator).await?
    } else {
        Vec::new()
    };
    render(PracticePage {
        page: Page::for_user(practice.name.clone(), user),
        managers: crate::auth::accounts::managers(&state.db, id).await?,
        domains: crate::simulation::domains::list_for(&state.db, id).await?,
        nhsmail: crate::simulation::domains::nhsmail_agreement(&state.db, id).await?,
        sign_in_providers: crate::auth::views::ProviderButton::all(&state.settings),
        sign_in_required: crate::auth::accounts::required_sign_in(state, id)
            .await?
            .map(|p| p.id.clone()),
        practice,
        form,
        errors,
        tiles,
        dashboard_heading: "Trends",
        min_group,
    })
}

pub async fn show(
    State(state): State<AppState>,
    operator: OperatorScope,
    Path(id): Path<PracticeId>,
) -> Result<Html<String>, AppError> {
    let (form, errors) = (NewPracticeForm::default(), FieldErrors::default());
    show_page(&state, operator.user(), id, form, errors).await
}

pub async fn add_manager(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    operator: OperatorScope,
    Path(id): Path<PracticeId>,
    ValidForm(form): ValidForm<NewPracticeForm>,
) -> Result<Response, AppError> {
    let user = operator.into_user();
    let practice_name = stored::name(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::default();
    let Some((name, email)) = form.manager(&mut errors) else {
        return Ok(show_page(&state, &user, id, form, errors)
            .await?
            .into_response());
    };
    let mut tx = state.db.begin().await?;
    let practice = (id, practice_name.as_str());
    if let Err(why) = add_and_invite(&mut tx, &state, &user, &ip, practice, (&name, &email)).await?
    {
        drop(tx);
        errors.add("manager_email", why);
        return Ok(show_page(&state, &user, id, form, errors)
            .await?
            .into_response());
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/operator/practices/{id}")).into_response())
}

/// An operator records (or withdraws) the reference of an agreement that
/// lets the practice's own exercises go to NHSmail (nhs.net) addresses.
pub async fn nhsmail_agreement(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    operator: OperatorScope,
    Path(id): Path<PracticeId>,
    ValidForm(form): ValidForm<NewPracticeForm>,
) -> Result<Response, AppError> {
    let user = operator.into_user();
    stored::name(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let withdraw = form.nhsmail_action == "withdraw";
    let reference = form.nhsmail_reference.trim().to_string();
    if !withdraw && (reference.is_empty() || reference.chars().count() > 120) {
        let mut errors = FieldErrors::default();
        errors.add(
            "nhsmail_reference",
            "Enter the agreement's reference (up to 120 characters), as NHS England or the NHSmail team gave it",
        );
        return Ok(show_page(&state, &user, id, form, errors)
            .await?
            .into_response());
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let kept = (!withdraw).then_some(reference.as_str());
    crate::simulation::domains::set_nhsmail_agreement(&mut tx, id, kept, &user.email, now).await?;
    let detail = match kept {
        Some(r) => format!("recorded NHSmail agreement {r}: exercises may go to nhs.net"),
        None => "withdrew the NHSmail agreement: nothing goes to nhs.net".to_string(),
    };
    let actor = Actor::user(&user, &ip);
    audit::record(
        &mut tx,
        Some(id),
        &actor,
        Action::DomainChanged,
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/operator/practices/{id}")).into_response())
}

/// An operator requires the practice's people to sign in with one of the
/// organisation sign-ins (or allows passwords again). Sessions already open
/// carry on until they end.
pub async fn sign_in_rule(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    operator: OperatorScope,
    Path(id): Path<PracticeId>,
    ValidForm(form): ValidForm<NewPracticeForm>,
) -> Result<Response, AppError> {
    let user = operator.into_user();
    stored::name(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let chosen = form.sign_in_provider.trim();
    let provider = if chosen.is_empty() {
        None
    } else {
        let Some(p) = state.settings.oidc.provider(chosen) else {
            let mut errors = FieldErrors::default();
            errors.add(
                "sign_in_provider",
                "Choose one of the sign-ins listed: that one is not in Safety Net's settings",
            );
            return Ok(show_page(&state, &user, id, form, errors)
                .await?
                .into_response());
        };
        Some(p)
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    crate::auth::accounts::require_sign_in(&mut tx, id, provider.map(|p| p.id.as_str())).await?;
    let detail = match provider {
        Some(p) => format!(
            "everyone at the practice now signs in with {}; passwords are refused",
            p.name
        ),
        None => "passwords allowed again beside the organisation sign-ins".to_string(),
    };
    let actor = Actor::user(&user, &ip);
    audit::record(
        &mut tx,
        Some(id),
        &actor,
        Action::SignInRuleChanged,
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/operator/practices/{id}")).into_response())
}
