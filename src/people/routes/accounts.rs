//! Accounts for staff from the staff page: inviting someone to choose a
//! password, and making or unmaking a practice manager.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::staff::{current_member, member};
use crate::auth::accounts::NewAccount;
use crate::auth::audit::{self, Action};
use crate::auth::{ManagerScope, Role};
use crate::db::Tx;
use crate::people::accounts::{self, Invitation};
use crate::people::repo::staff::StaffMember;
use crate::shared::{AppState, StaffId};
use crate::web::confirm::{self, Confirm};
use crate::web::{AppError, ClientIp, Notice, Path, ValidForm};

pub async fn invite(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<StaffId>,
) -> Result<Response, AppError> {
    let m = current_member(&state, &scope, id, "be invited").await?;
    let practice = accounts::practice_name(&state.db, scope.practice_id()).await?;
    // The account (if new), the link, its email and the audit entry commit together.
    let mut tx = state.db.begin().await?;
    invite_member(&mut tx, &state, &scope, &ip, &practice, &m).await?;
    tx.commit().await?;
    Ok(Notice::redirect(&format!("/staff/{id}"), "invited").into_response())
}

/// Opens `m`'s account if they have none, and queues their invitation and
/// its audit entry, in `tx`.
async fn invite_member(
    tx: &mut Tx,
    state: &AppState,
    scope: &ManagerScope,
    ip: &str,
    practice: &str,
    m: &StaffMember,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let user_id = match crate::auth::accounts::of_staff(tx, scope.practice_id(), m.id).await? {
        Some(a) if a.set_up => {
            return Err(AppError::BadRequest(format!(
                "{} already has an account. If they have forgotten their password, they can reset it from the sign-in page.",
                m.full_name
            )))
        }
        Some(a) => a.id,
        None => {
            let new = NewAccount {
                email: &m.email,
                full_name: &m.full_name,
                role: Role::for_staff(m.is_champion),
                practice_id: Some(scope.practice_id()),
                staff_id: Some(m.id),
            };
            accounts::open(tx, &new, now)
                .await?
                .map_err(AppError::BadRequest)?
        }
    };
    let invitation = Invitation {
        user_id,
        email: &m.email,
        full_name: &m.full_name,
        practice_id: Some(scope.practice_id()),
        practice_name: practice,
        inviter: &scope.user().full_name,
    };
    accounts::send_invitation(tx, state.public_url(), &invitation, now).await?;
    let detail = format!("{} <{}>", m.full_name, m.email);
    audit::record_by(tx, scope, ip, Action::InvitationSent, &detail, now).await?;
    Ok(())
}

/// `/staff/invite-all`: one invitation to everyone on the staff list who has
/// no account yet, after a confirmation page saying how many.
pub async fn invite_all(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<super::staff::ConfirmForm>,
) -> Result<Response, AppError> {
    let people = crate::people::repo::staff::without_account(&state.db, &scope).await?;
    if people.is_empty() {
        return Ok(Notice::redirect("/staff", "none-to-invite").into_response());
    }
    if !form.is_confirmed() {
        let n = people.len();
        let names: Vec<&str> = people
            .iter()
            .take(10)
            .map(|m| m.full_name.as_str())
            .collect();
        let more = if n > 10 {
            format!(" and {} more", n - 10)
        } else {
            String::new()
        };
        let page = confirm::ask(
            scope.user(),
            Confirm {
                heading: format!(
                    "Invite {n} {} to Safety Net?",
                    if n == 1 { "person" } else { "people" }
                ),
                explain: vec![
                    format!("Each gets an email from Safety Net asking them to choose a password within 7 days: {}{more}.", names.join(", ")),
                    "People who already have an account or an invitation are not emailed again.".into(),
                ],
                action: "/staff/invite-all".into(),
                fields: Vec::new(),
                yes: format!("Yes, send {n} invitation{}", if n == 1 { "" } else { "s" }),
                back: "/staff".into(),
            },
        )?;
        return Ok(page.into_response());
    }
    let practice = accounts::practice_name(&state.db, scope.practice_id()).await?;
    // All the invitations commit together: a failure sends none, and the
    // button can be pressed again.
    let mut tx = state.db.begin().await?;
    for m in &people {
        invite_member(&mut tx, &state, &scope, &ip, &practice, m).await?;
    }
    tx.commit().await?;
    Ok(Notice::redirect("/staff", &format!("invited-{}", people.len())).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ManagerForm {
    manager: String,
    /// "yes" from the confirmation page (giving manager access asks first).
    confirm: String,
}

pub async fn set_manager(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<StaffId>,
    ValidForm(form): ValidForm<ManagerForm>,
) -> Result<Response, AppError> {
    let m = member(&state, &scope, id).await?;
    if !m.account.has_account() {
        return Err(AppError::BadRequest(format!(
            "Invite {} to Safety Net first.",
            m.full_name
        )));
    }
    let make_manager = form.manager == "yes";
    if make_manager && !m.account.is_manager() && !confirm::confirmed(&form.confirm) {
        let page = confirm::ask(
            scope.user(),
            Confirm {
                heading: format!("Give {} practice manager access?", m.full_name),
                explain: vec![
                    format!("{} will be able to see everyone's training and exercise results, add and remove staff, run phishing exercises and change the practice's settings.", m.full_name),
                    "They will have to set up two-step verification the next time they sign in.".into(),
                ],
                action: format!("/staff/{id}/manager"),
                fields: vec![("manager", "yes".into())],
                yes: "Yes, give manager access".into(),
                back: format!("/staff/{id}"),
            },
        )?;
        return Ok(page.into_response());
    }
    let mut tx = state.db.begin().await?;
    // Counted in the change's transaction: the count decides the change.
    if !make_manager
        && m.account.is_manager()
        && crate::auth::accounts::active_manager_count(&mut tx, scope.practice_id()).await? <= 1
    {
        return Err(AppError::BadRequest(
            "A practice needs at least one practice manager. Make someone else a manager first."
                .into(),
        ));
    }
    let role = if make_manager {
        Role::Manager
    } else {
        Role::for_staff(m.is_champion)
    };
    crate::auth::accounts::set_role(&mut tx, scope.practice_id(), id, role).await?;
    let detail = format!("{} is now {}", m.full_name, role.label());
    let now = state.clock.now();
    audit::record_by(&mut tx, &scope, &ip, Action::RoleChanged, &detail, now).await?;
    tx.commit().await?;
    Ok(Notice::redirect(&format!("/staff/{id}"), "role").into_response())
}
