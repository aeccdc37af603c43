//! GoPhish groups: named lists of the practice's own staff. A target must be
//! a current member of staff with an address in a verified domain; anyone
//! else is refused, by address.

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::json::{body, commit_audited, date, ok, split_name, ApiResult, Resource, Saving};
use super::{repo, ApiError, ApiPath as Path, ApiScope};
use crate::auth::audit::Action;
use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::shared::{AppState, StaffId};
use crate::simulation::domains;
use crate::simulation::ids::GroupId;
use crate::web::ClientIp;

// Serialize: the description shows the empty default.
#[derive(Deserialize, serde::Serialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct TargetIn {
    email: String,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct GroupIn {
    pub name: String,
    pub targets: Vec<TargetIn>,
}

/// The staff ids for a group's targets: active staff of the practice with an
/// address in a verified domain. Anyone else is refused, by address.
pub async fn staff_for(
    db: &Db,
    scope: &PracticeScope,
    targets: &[TargetIn],
) -> Result<Vec<StaffId>, ApiError> {
    if targets.is_empty() {
        return Err(ApiError::Bad("Add at least one target to the group".into()));
    }
    let verified = domains::verified(db, scope).await?;
    let staff: std::collections::HashMap<String, StaffId> = repo::staff_emails(db, scope)
        .await?
        .into_iter()
        .map(|s| (s.email.to_lowercase(), s.id))
        .collect();
    let mut ids = BTreeSet::new();
    let (mut not_staff, mut outside) = (Vec::new(), Vec::new());
    for t in targets {
        let email = t.email.trim().to_lowercase();
        match staff.get(&email) {
            None => not_staff.push(email),
            Some(_) if !domains::allowed(&email, &verified) => outside.push(email),
            Some(id) => {
                ids.insert(*id);
            }
        }
    }
    if !not_staff.is_empty() || !outside.is_empty() {
        let mut parts = Vec::new();
        if !not_staff.is_empty() {
            parts.push(format!(
                "not current staff of the practice (add them under Staff first): {}",
                not_staff.join(", ")
            ));
        }
        if !outside.is_empty() {
            parts.push(format!(
                "not in one of the practice's verified email domains: {}",
                outside.join(", ")
            ));
        }
        return Err(ApiError::Bad(format!(
            "Safety Net only sends exercises to the practice's own staff. These addresses are {}",
            parts.join("; and these are ")
        )));
    }
    Ok(ids.into_iter().collect())
}

async fn find(db: &Db, scope: &PracticeScope, id: GroupId) -> ApiResult<repo::Group> {
    repo::group(db, scope, id)
        .await?
        .ok_or(ApiError::NotFound("Group not found"))
}

async fn group_json(db: &Db, scope: &PracticeScope, id: GroupId) -> ApiResult<Value> {
    let g = find(db, scope, id).await?;
    let targets: Vec<Value> = repo::members(db, scope, id)
        .await?
        .into_iter()
        .map(|m| {
            let (first, last) = split_name(&m.full_name);
            json!({"id": m.id, "email": m.email, "first_name": first, "last_name": last, "position": m.job_role})
        })
        .collect();
    Ok(json!({"id": id, "name": g.name, "modified_date": date(g.modified_at), "targets": targets}))
}

fn summary_json(g: &repo::Group) -> Value {
    json!({"id": g.id, "name": g.name, "modified_date": date(g.modified_at), "num_targets": g.members})
}

pub async fn groups(State(state): State<AppState>, scope: ApiScope) -> ApiResult {
    let mut out = Vec::new();
    for g in repo::groups(&state.db, &scope).await? {
        out.push(group_json(&state.db, &scope, g.id).await?);
    }
    Ok(Json(out).into_response())
}

pub async fn group(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<GroupId>,
) -> ApiResult {
    Ok(Json(group_json(&state.db, &scope, id).await?).into_response())
}

pub async fn group_summaries(State(state): State<AppState>, scope: ApiScope) -> ApiResult {
    let out: Vec<Value> = repo::groups(&state.db, &scope)
        .await?
        .iter()
        .map(summary_json)
        .collect();
    Ok(Json(json!({"total": out.len(), "groups": out})).into_response())
}

pub async fn group_summary(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<GroupId>,
) -> ApiResult {
    Ok(Json(summary_json(&find(&state.db, &scope, id).await?)).into_response())
}

/// Checks a group and stores it in the caller's transaction (new when
/// `saving` is `New`); returns its id.
pub async fn write(
    tx: &mut Tx,
    db: &Db,
    scope: &PracticeScope,
    saving: Saving<GroupId>,
    g: &GroupIn,
    now: i64,
) -> ApiResult<GroupId> {
    let name = g.name.trim();
    if name.is_empty() {
        return Err(ApiError::Bad("Group name not specified".into()));
    }
    let members = staff_for(db, scope, &g.targets).await?;
    if repo::group_name_taken(db, scope, name, saving.id()).await? {
        return Err(ApiError::Conflict("Group name already in use".into()));
    }
    Ok(repo::save_group(tx, scope, saving.id(), name, &members, now).await?)
}

/// POST /api/groups and PUT /api/groups/{id}.
async fn save(
    state: &AppState,
    scope: &ApiScope,
    ip: &str,
    saving: Saving<GroupId>,
    bytes: &Bytes,
) -> ApiResult {
    if let Some(id) = saving.id() {
        find(&state.db, scope, id).await?;
    }
    let g: GroupIn = body(bytes)?;
    let mut tx = state.db.begin().await?;
    let id = write(&mut tx, &state.db, scope, saving, &g, state.clock.now()).await?;
    let detail = format!("{} group \"{}\"", saving.verb(), g.name.trim());
    commit_audited(tx, state, scope, ip, Action::CampaignChanged, &detail).await?;
    Ok(saving.answer(group_json(&state.db, scope, id).await?))
}

/// POST and PUT (see `json::Resource`).
pub struct Groups;

impl Resource for Groups {
    type Id = GroupId;

    fn save<'a>(
        state: &'a AppState,
        scope: &'a ApiScope,
        ip: &'a str,
        saving: Saving<GroupId>,
        bytes: &'a Bytes,
    ) -> impl std::future::Future<Output = ApiResult> + Send + 'a {
        save(state, scope, ip, saving, bytes)
    }
}

pub async fn delete_group(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    Path(id): Path<GroupId>,
) -> ApiResult {
    let g = find(&state.db, &scope, id).await?;
    let mut tx = state.db.begin().await?;
    repo::delete_group(&mut tx, &scope, id).await?;
    let detail = format!("deleted group {}", Value::from(g.name));
    commit_audited(tx, &state, &scope, &ip, Action::CampaignChanged, &detail).await?;
    Ok(ok("Group deleted successfully!"))
}
