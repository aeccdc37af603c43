//! Clicks, with the reason each was or was not counted as a person's, and a
//! manager's power to overturn that judgement (audit-logged).

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::{Change, Db};
use crate::shared::{AppState, CampaignId, StaffId};
use crate::training::assignments;
use crate::web::{AppError, ClientIp, Path, ValidForm};
use crate::{with_db, with_tx};

pub struct ClickRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub counted: bool,
    pub reasons: String,
    pub when: String,
    pub overridden_by: Option<String>,
}

/// The latest clicks and hidden-link hits of a campaign (an index range, newest first).
pub async fn recent(
    db: &Db,
    scope: &PracticeScope,
    campaign_id: CampaignId,
) -> Result<Vec<ClickRow>, sqlx::Error> {
    type Row = (i64, String, String, bool, String, i64, Option<String>);
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(
        // The newest 50 of each kind from the index, then the newest 50 of those.
        "SELECT e.id, r.full_name, e.kind, e.counted, e.reasons, e.at, e.overridden_by FROM ( \
            SELECT id FROM (SELECT id FROM sim_events WHERE campaign_id = $1 AND kind = 'click' ORDER BY id DESC LIMIT 50) a \
            UNION ALL SELECT id FROM (SELECT id FROM sim_events WHERE campaign_id = $1 AND kind = 'honeypot' ORDER BY id DESC LIMIT 50) b \
         ) x JOIN sim_events e ON e.id = x.id JOIN campaign_recipients r ON r.id = e.recipient_id \
         WHERE r.practice_id = $2 ORDER BY e.id DESC LIMIT 50")
        .bind(campaign_id).bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, kind, counted, reasons, at, overridden_by)| ClickRow {
                id,
                name,
                kind,
                counted,
                reasons,
                when: crate::ukclock::format(at),
                overridden_by,
            },
        )
        .collect())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OverrideForm {
    /// "count" or "ignore".
    action: String,
}

pub async fn set(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path((campaign, event_id)): Path<(CampaignId, i64)>,
    ValidForm(form): ValidForm<OverrideForm>,
) -> Result<Response, AppError> {
    type Row = (i64, i64, String, i64, String, String);
    let row: Option<Row> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT e.recipient_id, e.at, e.kind, r.staff_id, r.full_name, c.name FROM sim_events e \
         JOIN campaign_recipients r ON r.id = e.recipient_id JOIN campaigns c ON c.id = e.campaign_id \
         WHERE e.id = $1 AND e.campaign_id = $2 AND c.practice_id = $3 AND e.kind = 'click'")
        .bind(event_id).bind(campaign).bind(scope.practice_id()).fetch_optional(p).await)?;
    let (recipient_id, at, _, staff_id, name, campaign_name) = row.ok_or(AppError::NotFound)?;
    let count = match form.action.as_str() {
        "count" => true,
        "ignore" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Choose whether to count this click or not.".into(),
            ))
        }
    };
    let now = state.clock.now();
    let practice_id = scope.practice_id();
    let module: Option<(String,)> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT t.training_module FROM campaigns c JOIN sim_templates t ON t.id = c.template_id WHERE c.id = $1")
        .bind(campaign).fetch_optional(p).await)?;
    let module = module.map(|m| m.0).unwrap_or_else(|| "phishing".into());
    let mut tx = state.db.begin().await?;
    let delta: i64 = with_tx!(tx, c => {
        sqlx::query("UPDATE sim_events SET counted = $1, overridden_by = $2, overridden_at = $3 WHERE id = $4")
            .bind(count).bind(&scope.user().email).bind(now).bind(event_id).execute(&mut *c).await?;
        // The recipient's first click is recomputed from the clicks that now count.
        let (first,): (Option<i64>,) = sqlx::query_as(
            "SELECT MIN(at) FROM sim_events WHERE campaign_id = $1 AND recipient_id = $2 AND counted AND kind IN ('click', 'submit')")
            .bind(campaign).bind(recipient_id).fetch_one(&mut *c).await?;
        let (before,): (Option<i64>,) = sqlx::query_as("SELECT clicked_at FROM campaign_recipients WHERE id = $1")
            .bind(recipient_id).fetch_one(&mut *c).await?;
        sqlx::query("UPDATE campaign_recipients SET clicked_at = $1, opened_at = COALESCE(opened_at, $1) WHERE id = $2")
            .bind(first).bind(recipient_id).execute(&mut *c).await?;
        let delta: i64 = match (before.is_some(), first.is_some()) {
            (false, true) => 1,
            (true, false) => -1,
            _ => 0,
        };
        if delta != 0 {
            sqlx::query("UPDATE campaigns SET clicked = clicked + $1 WHERE id = $2").bind(delta).bind(campaign).execute(&mut *c).await?;
        }
        delta
    });
    match delta {
        1 => {
            assignments::assign_follow_up(
                &mut tx,
                practice_id,
                StaffId::new(staff_id),
                &module,
                campaign,
                &campaign_name,
                at,
            )
            .await?
        }
        // It was a scanner after all: the refresher it triggered is withdrawn if not yet done.
        -1 => {
            assignments::withdraw_follow_up(&mut tx, practice_id, StaffId::new(staff_id), campaign)
                .await?
        }
        _ => {}
    }
    let detail = format!(
        "{} click by {name} in \"{campaign_name}\"",
        if count { "counted" } else { "stopped counting" }
    );
    audit::record(
        &mut tx,
        Some(practice_id),
        &Actor::user(scope.user(), &ip),
        Action::ClickReclassified,
        &detail,
        now,
    )
    .await?;
    // The recipient's first click may have moved or gone.
    tx.publish_after_commit(Change::Campaign(campaign));
    tx.commit().await?;
    Ok(Redirect::to(&format!("/simulation/campaigns/{campaign}#clicks")).into_response())
}
