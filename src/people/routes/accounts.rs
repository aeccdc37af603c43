//! Accounts for staff from the staff page: inviting someone to choose a
//! password, and making or unmaking a practice manager.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::staff::{current_member, member};
use crate::auth::accounts::NewAccount;
use crate::auth::audit::{self, Action};
use crate::auth::{ManagerScope, Role};
use crate::people::accounts::{self, Invitation};
use crate::shared::{AppState, StaffId};
use crate::web::{AppError, ClientIp, Notice, Path, ValidForm};

pub async fn invite(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<StaffId>,
) -> Result<Response, AppError> {
    let m = current_member(&state, &scope, id, "be invited").await?;
    let practice = accounts::practice_name(&state.db, scope.practice_id()).await?;
    let now = state.clock.now();
    // The account (if new), the link, its email and the audit entry commit together.
    let mut tx = state.db.begin().await?;
    let user_id = match crate::auth::accounts::of_staff(&mut tx, scope.practice_id(), id).await? {
        Some(a) if a.has_password => {
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
                staff_id: Some(id),
            };
            accounts::open(&mut tx, &new, now)
                .await?
                .map_err(AppError::BadRequest)?
        }
    };
    let invitation = Invitation {
        user_id,
        email: &m.email,
        full_name: &m.full_name,
        practice_id: Some(scope.practice_id()),
        practice_name: &practice,
        inviter: &scope.user().full_name,
    };
    accounts::send_invitation(&mut tx, state.public_url(), &invitation, now).await?;
    let detail = format!("{} <{}>", m.full_name, m.email);
    audit::record_by(&mut tx, &scope, &ip, Action::InvitationSent, &detail, now).await?;
    tx.commit().await?;
    Ok(Notice::redirect(&format!("/staff/{id}"), "invited").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ManagerForm {
    manager: String,
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
