//! GoPhish campaigns: launching one from named template, page, profile and
//! groups (to the practice's own staff in verified domains only, checked
//! again at launch), its summary and results in GoPhish's words, and
//! GoPhish's "complete".

use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::json::{body, commit_audited, created, date, ok, parse_date, split_name, ApiResult};
use super::pages::{self, landing_json, page_json};
use super::profiles::{self, parse_from, profile_json};
use super::templates::template_json;
use super::{repo, ApiError, ApiPath as Path, ApiScope};
use crate::auth::audit::Action;
use crate::auth::PracticeScope;
use crate::db::{Change, Db, Wake};
use crate::shared::{AppState, CampaignId};
use crate::simulation::authoring::repo as authoring;
use crate::simulation::domains;
use crate::simulation::sending::{self, Campaign, Launch, Target};
use crate::simulation::states::{Kind, Progress, SendStatus, Status, Step};
use crate::web::ClientIp;

// Serialize: the description shows the empty default.
#[derive(Deserialize, serde::Serialize, Default, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = NamedRef)]
pub struct Named {
    name: String,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct CampaignIn {
    name: String,
    template: Named,
    page: Named,
    smtp: Named,
    groups: Vec<Named>,
    launch_date: Option<String>,
    send_by_date: Option<String>,
}

/// GoPhish's status words for ours.
fn status_word(c: &Campaign, now: i64) -> &'static str {
    use Status::*;
    match c.status {
        Scheduled if c.launch_at > now => "Queued",
        Scheduled | Sending | Paused => "In progress",
        Cancelled | Completed => "Completed",
    }
}

fn completed_date(c: &Campaign) -> Value {
    if c.status.is_over() {
        json!(date(c.ends_at))
    } else {
        Value::Null
    }
}

fn stats(c: &Campaign) -> Value {
    json!({
        "total": c.recipients,
        "sent": c.sent,
        "opened": c.opened,
        "clicked": c.clicked,
        "submitted_data": c.submitted,
        "email_reported": c.reported,
        "error": c.errors,
    })
}

fn summary_json(c: &Campaign, now: i64) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "status": status_word(c, now),
        "created_date": date(c.created_at),
        "launch_date": date(c.launch_at),
        "send_by_date": date(c.send_by),
        "completed_date": completed_date(c),
        "stats": stats(c),
    })
}

/// Each person's furthest step, as GoPhish words it.
fn result_status(send: SendStatus, progress: Progress) -> &'static str {
    match send {
        SendStatus::Queued => "Scheduled",
        SendStatus::Error => "Error",
        SendStatus::Cancelled => "Unsent",
        SendStatus::Sent => match progress.furthest() {
            Some(Step::Submitted) => "Submitted Data",
            Some(Step::Clicked) => "Clicked Link",
            Some(Step::Opened) => "Email Opened",
            _ => "Email Sent",
        },
    }
}

async fn results_and_timeline(db: &Db, c: &Campaign) -> ApiResult<(Vec<Value>, Vec<Value>)> {
    let rows = repo::results(db, c.id).await?;
    let mut timeline = vec![
        json!({"campaign_id": c.id, "email": "", "time": date(c.created_at), "message": "Campaign Created", "details": ""}),
    ];
    let mut results = Vec::with_capacity(rows.len());
    for r in rows {
        let (first, last) = split_name(&r.full_name);
        let last_change = [
            r.sent_at,
            r.opened_at,
            r.clicked_at,
            r.submitted_at,
            r.reported_at,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(c.created_at);
        let progress = Progress::from_times(
            r.opened_at,
            r.clicked_at,
            r.submitted_at,
            r.reported_at,
            None,
        );
        results.push(json!({
            "id": r.id,
            "campaign_id": c.id,
            "email": r.email,
            "first_name": first,
            "last_name": last,
            "position": r.job_role,
            "status": result_status(r.send_status, progress),
            "ip": "",
            "latitude": 0.0,
            "longitude": 0.0,
            "send_date": r.sent_at.map(date),
            "reported": progress.reported,
            "modified_date": date(last_change),
        }));
        if let Some(t) = r.sent_at {
            timeline.push(json!({"campaign_id": c.id, "email": r.email, "time": date(t), "message": "Email Sent", "details": ""}));
        }
    }
    // What people did (scanners' hits are not people's, so they are left out).
    for e in repo::counted_events(db, c.id).await? {
        let message = match e.kind {
            Kind::Open => "Email Opened",
            Kind::Click => "Clicked Link",
            Kind::Submit => "Submitted Data",
            Kind::Report => "Email Reported",
            Kind::Honeypot => continue,
        };
        // GoPhish carries details as a JSON string; what was typed is never among them.
        let details =
            json!({"payload": {}, "browser": {"address": e.ip, "user-agent": e.user_agent}})
                .to_string();
        timeline.push(json!({"campaign_id": c.id, "email": e.email, "time": date(e.at), "message": message, "details": details}));
    }
    Ok((results, timeline))
}

/// One of the practice's campaigns, finished first if its end date has passed.
async fn find(state: &AppState, scope: &PracticeScope, id: CampaignId) -> ApiResult<Campaign> {
    sending::complete_due(&state.db, state.clock.now()).await?;
    sending::repo::find(&state.db, scope, id)
        .await?
        .ok_or(ApiError::NotFound("Campaign not found"))
}

async fn campaign_json(state: &AppState, scope: &PracticeScope, c: Campaign) -> ApiResult<Value> {
    let db = &state.db;
    let now = state.clock.now();
    let template = match authoring::find(db, scope.practice_id(), c.template_id).await? {
        Some(t) => template_json(db, scope, &t).await?,
        None => json!({}),
    };
    let page = match c.page_id {
        Some(pid) => match pages::find(db, scope, pid).await {
            Ok(p) => page_json(&p),
            Err(ApiError::NotFound(_)) => landing_json(c.landing, c.created_at),
            Err(e) => return Err(e),
        },
        None => landing_json(c.landing, c.created_at),
    };
    let smtp = match profiles::find(db, scope, c.profile_id).await {
        Ok(p) => profile_json(&p),
        Err(ApiError::NotFound(_)) => json!({}),
        Err(e) => return Err(e),
    };
    let (results, timeline) = results_and_timeline(db, &c).await?;
    Ok(json!({
        "id": c.id,
        "name": c.name,
        "created_date": date(c.created_at),
        "launch_date": date(c.launch_at),
        "send_by_date": date(c.send_by),
        "completed_date": completed_date(&c),
        "template": template,
        "page": page,
        "smtp": smtp,
        "status": status_word(&c, now),
        "results": results,
        "timeline": timeline,
        "url": state.settings.sim_public_url,
    }))
}

pub async fn campaigns(State(state): State<AppState>, scope: ApiScope) -> ApiResult {
    sending::complete_due(&state.db, state.clock.now()).await?;
    let mut out = Vec::new();
    for c in sending::repo::all(&state.db, &scope).await? {
        out.push(campaign_json(&state, &scope, c).await?);
    }
    Ok(Json(out).into_response())
}

pub async fn campaign(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<CampaignId>,
) -> ApiResult {
    let c = find(&state, &scope, id).await?;
    Ok(Json(campaign_json(&state, &scope, c).await?).into_response())
}

pub async fn campaign_summaries(State(state): State<AppState>, scope: ApiScope) -> ApiResult {
    let now = state.clock.now();
    sending::complete_due(&state.db, now).await?;
    let out: Vec<Value> = sending::repo::all(&state.db, &scope)
        .await?
        .iter()
        .map(|c| summary_json(c, now))
        .collect();
    Ok(Json(json!({"total": out.len(), "campaigns": out})).into_response())
}

pub async fn campaign_summary(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<CampaignId>,
) -> ApiResult {
    let c = find(&state, &scope, id).await?;
    Ok(Json(summary_json(&c, state.clock.now())).into_response())
}

pub async fn campaign_results(
    State(state): State<AppState>,
    scope: ApiScope,
    Path(id): Path<CampaignId>,
) -> ApiResult {
    let c = find(&state, &scope, id).await?;
    let (results, timeline) = results_and_timeline(&state.db, &c).await?;
    Ok(Json(json!({
        "id": c.id,
        "name": c.name,
        "status": status_word(&c, state.clock.now()),
        "results": results,
        "timeline": timeline,
    }))
    .into_response())
}

/// GoPhish's "complete": stop sending and stop counting from now on.
pub async fn complete_campaign(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    Path(id): Path<CampaignId>,
) -> ApiResult {
    let c = sending::repo::find(&state.db, &scope, id)
        .await?
        .ok_or(ApiError::NotFound("Campaign not found"))?;
    let mut tx = state.db.begin().await?;
    sending::repo::complete_now(&mut tx, &scope, id, state.clock.now()).await?;
    tx.publish_after_commit(Change::Campaign(id));
    let detail = format!("completed \"{}\"", c.name);
    commit_audited(tx, &state, &scope, &ip, Action::CampaignChanged, &detail).await?;
    Ok(ok("Campaign completed successfully!"))
}

/// A date GoPhish sent, or `default` if it sent none.
fn date_or(d: &Option<String>, what: &str, default: i64) -> ApiResult<i64> {
    match d.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => parse_date(s).ok_or_else(|| {
            ApiError::Bad(format!(
                "The {what} is not a date like 2026-11-23T09:00:00Z"
            ))
        }),
    }
}

pub async fn create_campaign(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ApiScope,
    bytes: Bytes,
) -> ApiResult {
    let c: CampaignIn = body(&bytes)?;
    let db = &state.db;
    let now = state.clock.now();
    let name = c.name.trim();
    if name.is_empty() {
        return Err(ApiError::Bad("Campaign name not specified".into()));
    }
    let template_id = authoring::id_by_name(db, &scope, c.template.name.trim())
        .await?
        .ok_or_else(|| ApiError::Bad("Template not found".into()))?;
    let page_id = repo::page_id_by_name(db, &scope, c.page.name.trim())
        .await?
        .ok_or_else(|| ApiError::Bad("Page not found".into()))?;
    let profile_id = sending::repo::profile_id_by_name(db, &scope, c.smtp.name.trim())
        .await?
        .ok_or_else(|| ApiError::Bad("Sending profile not found".into()))?;
    if c.groups.is_empty() {
        return Err(ApiError::Bad("No groups specified".into()));
    }
    let mut group_ids = Vec::new();
    for g in &c.groups {
        let id = repo::group_id_by_name(db, &scope, g.name.trim())
            .await?
            .ok_or_else(|| ApiError::Bad(format!("Group {} not found", g.name.trim())))?;
        group_ids.push(id);
    }
    let template = authoring::find(db, scope.practice_id(), template_id)
        .await?
        .ok_or(ApiError::NotFound("Template not found"))?;
    let landing = pages::find(db, &scope, page_id).await?.landing;
    let profile = profiles::find(db, &scope, profile_id).await?;
    // GoPhish keeps the sender on the profile; Safety Net with the email.
    let sender = if template.content.from_address.is_empty() {
        let (from_name, from_address) = parse_from(&profile.from_address).ok_or_else(|| {
            ApiError::Bad("Neither the template nor the sending profile has a From address: give the profile's from_address".into())
        })?;
        // A bare address stays bare: no display name.
        Some((from_name.replace(['{', '}'], ""), from_address))
    } else {
        None
    };
    // The people: active staff in the groups, in a verified domain (checked again now).
    let verified = domains::verified(db, &scope).await?;
    let mut targets: Vec<Target> = Vec::new();
    for gid in &group_ids {
        for t in repo::group_targets(db, &scope, *gid).await? {
            if domains::allowed(&t.email, &verified)
                && !targets.iter().any(|k| k.staff_id == t.staff_id)
            {
                targets.push(t);
            }
        }
    }
    if targets.is_empty() {
        return Err(ApiError::Bad(
            "No one in these groups can be sent an exercise: they must be current staff with an address in a verified domain".into(),
        ));
    }
    // One email is built before anything is stored (with the sender the
    // launch is about to give the template): refused now, with the reason.
    {
        let practice_name = sending::repo::practice_name(db, scope.practice_id()).await?;
        let mut parts = sending::worker::load_parts(
            db,
            scope.practice_id(),
            template_id,
            profile_id,
            practice_name,
        )
        .await
        .map_err(ApiError::Unexpected)?;
        if let Some((from_name, from_address)) = &sender {
            parts.template.content.from_name = from_name.clone();
            parts.template.content.from_address = from_address.clone();
            parts.prepared = crate::simulation::render::Prepared::new(&parts.template.content);
        }
        sending::message::check_launch(&parts, &targets[0], &state.settings.sim_public_url)
            .map_err(ApiError::Bad)?;
    }
    let launch_at = date_or(&c.launch_date, "launch date", now)?.max(now);
    let send_by = date_or(&c.send_by_date, "send-by date", launch_at)?.max(launch_at);
    if send_by - launch_at > 14 * 86_400 {
        return Err(ApiError::Bad(
            "Sending can be spread over at most two weeks".into(),
        ));
    }
    let spec = Launch {
        name: name.to_string(),
        template_id,
        profile_id,
        landing,
        launch_at,
        send_by,
        // GoPhish campaigns run until completed; ours finish by themselves after 90 days.
        ends_at: send_by + 90 * 86_400,
        business_hours: false,
        created_by: scope.user().user_id,
    };
    let n = targets.len();
    let mut tx = db.begin().await?;
    if let Some((from_name, from_address)) = &sender {
        authoring::set_sender(&mut tx, &scope, template_id, from_name, from_address).await?;
    }
    let id = sending::repo::insert(&mut tx, &scope, &spec, &mut targets, now).await?;
    sending::repo::set_page(&mut tx, &scope, id, page_id).await?;
    tx.wake_after_commit(Wake::Sender);
    let detail = format!("launched \"{name}\" to {n} people");
    commit_audited(tx, &state, &scope, &ip, Action::CampaignChanged, &detail).await?;
    let c = sending::repo::find(db, &scope, id)
        .await?
        .ok_or(ApiError::NotFound("Campaign not found"))?;
    Ok(created(campaign_json(&state, &scope, c).await?))
}
