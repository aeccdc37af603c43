//! GoPhish sending profiles ("SMTP"): GoPhish's `host:port` and sender line
//! mapped onto the practice's own sending profiles. The password is never
//! shown back, unlike GoPhish's.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::json::{body, commit_audited, date, ok, ApiResult, Resource, Saving};
use super::{ApiError, ApiPath as Path, ApiScope};
use crate::auth::audit::Action;
use crate::auth::PracticeScope;
use crate::config::SmtpSecurity;
use crate::db::Db;
use crate::net::outbound::Policy;
use crate::shared::{AppState, EmailAddress};
use crate::simulation::ids::ProfileId;
use crate::simulation::sending::repo::{self, ProfileListing};
use crate::simulation::sending::{Profile, DEFAULT_HEADER};
use crate::web::ClientIp;

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct SmtpIn {
    name: String,
    host: String,
    username: String,
    password: String,
    from_address: String,
}

pub async fn find(db: &Db, scope: &PracticeScope, id: ProfileId) -> ApiResult<ProfileListing> {
    repo::profile_listing(db, scope, id)
        .await?
        .ok_or(ApiError::NotFound("SMTP not found"))
}

pub fn profile_json(p: &ProfileListing) -> Value {
    json!({
        "id": p.id,
        "interface_type": "SMTP",
        "name": p.name,
        "host": format!("{}:{}", p.host, p.port),
        "username": p.username,
        // Never shown back, unlike GoPhish.
        "password": "",
        "from_address": p.from_address,
        "ignore_cert_errors": false,
        "headers": [],
        "modified_date": date(p.created_at),
    })
}

pub async fn profiles(State(state): State<AppState>, scope: ApiScope) -> ApiResult {
    let all = repo::profile_listings(&state.db, &scope).await?;
    Ok(Json(all.iter().map(profile_json).collect::<Vec<_>>()).into_response())
}

pub async fn profile(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<ProfileId>,
) -> ApiResult {
    Ok(Json(profile_json(&find(&state.db, &scope, id).await?)).into_response())
}

/// The parts of a GoPhish "From" (`Name <address>` or a bare address).
pub fn parse_from(from: &str) -> Option<(String, String)> {
    let (name, address) = crate::simulation::sending::message::split_sender(from)?;
    EmailAddress::parse(&address).ok()?;
    Some((name, address))
}

/// Our profile for GoPhish's, and its sender line. GoPhish's `host:port`;
/// the connection security follows the port (465: TLS, 587: STARTTLS,
/// otherwise none), as can be changed on the profile's page.
fn profile_from(policy: &Policy, s: &SmtpIn) -> ApiResult<(Profile, String)> {
    let name = s.name.trim();
    if name.is_empty() {
        return Err(ApiError::Bad("SMTP name not specified".into()));
    }
    let (host, port) = match s.host.trim().rsplit_once(':') {
        Some((h, p)) => (
            h.to_string(),
            p.parse::<u16>()
                .map_err(|_| ApiError::Bad("The host's port is not a number".into()))?,
        ),
        None => (s.host.trim().to_string(), 25),
    };
    if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
        return Err(ApiError::Bad("Host not specified".into()));
    }
    policy.check_host(&host).map_err(ApiError::Bad)?;
    let (_, address) = parse_from(&s.from_address).ok_or_else(|| {
        ApiError::Bad(
            "Invalid SMTP From address: use an address, like IT Support <it@example.org>".into(),
        )
    })?;
    let profile = Profile {
        id: ProfileId::new(0),
        name: name.to_string(),
        host,
        port,
        security: match port {
            465 => SmtpSecurity::Tls,
            587 => SmtpSecurity::Starttls,
            _ => SmtpSecurity::None,
        },
        username: s.username.clone(),
        password: s.password.clone(),
        envelope_from: address,
        header_name: DEFAULT_HEADER.into(),
    };
    Ok((profile, s.from_address.trim().to_string()))
}

/// POST /api/smtp and PUT /api/smtp/{id}. An empty password keeps the
/// saved one (GoPhish clients read it back empty).
async fn save(
    state: &AppState,
    scope: &ApiScope,
    ip: &str,
    saving: Saving<ProfileId>,
    bytes: &Bytes,
) -> ApiResult {
    if let Some(id) = saving.id() {
        find(&state.db, scope, id).await?;
    }
    let (p, from) = profile_from(&Policy::from_settings(&state.settings), &body(bytes)?)?;
    let mut tx = state.db.begin().await?;
    let id = match saving {
        Saving::New => {
            repo::insert_profile(&mut tx, scope.practice_id(), &p, &from, state.clock.now()).await?
        }
        Saving::Existing(id) => {
            repo::update_profile_from_gophish(&mut tx, scope, id, &p, &from).await?;
            id
        }
    };
    let detail = format!("{} sending profile {}", saving.verb(), p.name);
    commit_audited(tx, state, scope, ip, Action::SendingProfileChanged, &detail).await?;
    Ok(saving.answer(profile_json(&find(&state.db, scope, id).await?)))
}

/// POST and PUT (see `json::Resource`).
pub struct Profiles;

impl Resource for Profiles {
    type Id = ProfileId;

    fn save<'a>(
        state: &'a AppState,
        scope: &'a ApiScope,
        ip: &'a str,
        saving: Saving<ProfileId>,
        bytes: &'a Bytes,
    ) -> impl std::future::Future<Output = ApiResult> + Send + 'a {
        save(state, scope, ip, saving, bytes)
    }
}

pub async fn delete_profile(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    Path(id): Path<ProfileId>,
) -> ApiResult {
    let p = find(&state.db, &scope, id).await?;
    if repo::uses_profile(&state.db, id).await? {
        return Err(ApiError::Bad(
            "This sending profile belongs to an exercise's record, so it cannot be deleted".into(),
        ));
    }
    let mut tx = state.db.begin().await?;
    repo::delete_profile(&mut tx, &scope, id).await?;
    let detail = format!("deleted sending profile {}", p.name);
    commit_audited(
        tx,
        &state,
        &scope,
        &ip,
        Action::SendingProfileChanged,
        &detail,
    )
    .await?;
    Ok(ok("SMTP Deleted Successfully"))
}
