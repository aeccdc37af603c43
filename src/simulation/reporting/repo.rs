//! Storage for what comes back from an exercise: reading its results (from
//! the recipients' first times, never by scanning events), a manager's
//! override of a click, one person's own record, and the practice's
//! reporting mailbox (`report_mailboxes`).

use crate::auth::PracticeScope;
use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{CampaignId, PracticeId, StaffId};
use crate::simulation::ids::{EventId, RecipientId};
use crate::simulation::states::{Kind, SendStatus, Status};
use crate::{with_db, with_tx};

// ---------- results ----------

/// How long each reporter took, shortest first (an index range, not the events).
pub async fn report_delays(db: &Db, id: CampaignId) -> Result<Vec<i64>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT reported_at - sent_at FROM campaign_recipients WHERE campaign_id = $1 AND reported_at IS NOT NULL AND sent_at IS NOT NULL ORDER BY 1")
        .bind(id).fetch_all(p).await)
}

/// One department's figures (`name` None: staff in no department).
pub struct DepartmentFigures {
    pub name: Option<String>,
    pub people: i64,
    pub reported: i64,
    pub clicked: i64,
}
named_row!(DepartmentFigures {
    name,
    people,
    reported,
    clicked
});

pub async fn by_department(db: &Db, id: CampaignId) -> Result<Vec<DepartmentFigures>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT d.name, COUNT(*) AS people, COUNT(r.reported_at) AS reported, COUNT(r.clicked_at) AS clicked FROM campaign_recipients r \
         LEFT JOIN departments d ON d.id = r.department_id WHERE r.campaign_id = $1 AND r.sent_at IS NOT NULL GROUP BY d.name ORDER BY d.name")
        .bind(id).fetch_all(p).await)
}

/// One person's line in the results.
pub struct RecipientResult {
    pub full_name: String,
    pub email: String,
    pub department: Option<String>,
    pub send_status: SendStatus,
    pub send_error: Option<String>,
    pub sent_at: Option<i64>,
    pub opened_at: Option<i64>,
    pub clicked_at: Option<i64>,
    pub submitted_at: Option<i64>,
    pub reported_at: Option<i64>,
}
named_row!(RecipientResult {
    full_name,
    email,
    department,
    send_status,
    send_error,
    sent_at,
    opened_at,
    clicked_at,
    submitted_at,
    reported_at
});

const RESULT: &str = "SELECT r.full_name, r.email, d.name AS department, r.send_status, r.send_error, r.sent_at, r.opened_at, \
     r.clicked_at, r.submitted_at, r.reported_at \
     FROM campaign_recipients r LEFT JOIN departments d ON d.id = r.department_id WHERE r.campaign_id = $1 ORDER BY r.full_name, r.id";

/// A page of the results, by name.
pub async fn results_page(
    db: &Db,
    id: CampaignId,
    per_page: i64,
    page_no: i64,
) -> Result<Vec<RecipientResult>, sqlx::Error> {
    let sql = format!("{RESULT} LIMIT $2 OFFSET $3");
    with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(per_page).bind((page_no - 1) * per_page).fetch_all(p).await)
}

/// Every result, by name (the spreadsheet).
pub async fn all_results(db: &Db, id: CampaignId) -> Result<Vec<RecipientResult>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(RESULT).bind(id).fetch_all(p).await)
}

/// Opens, clicks and reports in one hour since launch.
pub struct HourFigures {
    pub hour: i64,
    pub opened: i64,
    pub clicked: i64,
    pub reported: i64,
}
named_row!(HourFigures {
    hour,
    opened,
    clicked,
    reported
});

/// Activity by hour since launch (the first 72 with any), from the
/// recipients' first times.
pub async fn by_hour(
    db: &Db,
    id: CampaignId,
    launch_at: i64,
) -> Result<Vec<HourFigures>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT h AS hour, SUM(o) AS opened, SUM(c) AS clicked, SUM(r) AS reported FROM ( \
            SELECT (opened_at - $2) / 3600 AS h, 1 AS o, 0 AS c, 0 AS r FROM campaign_recipients WHERE campaign_id = $1 AND opened_at IS NOT NULL \
            UNION ALL SELECT (clicked_at - $2) / 3600, 0, 1, 0 FROM campaign_recipients WHERE campaign_id = $1 AND clicked_at IS NOT NULL \
            UNION ALL SELECT (reported_at - $2) / 3600, 0, 0, 1 FROM campaign_recipients WHERE campaign_id = $1 AND reported_at IS NOT NULL \
         ) t GROUP BY h ORDER BY h LIMIT 72")
        .bind(id).bind(launch_at).fetch_all(p).await)
}

// ---------- clicks and overrides ----------

/// A click or hidden-link hit, with why it was or was not counted.
pub struct Click {
    pub id: EventId,
    pub full_name: String,
    pub kind: Kind,
    pub counted: bool,
    pub reasons: String,
    pub at: i64,
    pub overridden_by: Option<String>,
}
named_row!(Click {
    id,
    full_name,
    kind,
    counted,
    reasons,
    at,
    overridden_by
});

/// The latest clicks and hidden-link hits of a campaign (an index range, newest first).
pub async fn recent_clicks(
    db: &Db,
    scope: &PracticeScope,
    campaign_id: CampaignId,
) -> Result<Vec<Click>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        // The newest 50 of each kind from the index, then the newest 50 of those.
        "SELECT e.id, r.full_name, e.kind, e.counted, e.reasons, e.at, e.overridden_by FROM ( \
            SELECT id FROM (SELECT id FROM sim_events WHERE campaign_id = $1 AND kind = $3 ORDER BY id DESC LIMIT 50) a \
            UNION ALL SELECT id FROM (SELECT id FROM sim_events WHERE campaign_id = $1 AND kind = $4 ORDER BY id DESC LIMIT 50) b \
         ) x JOIN sim_events e ON e.id = x.id JOIN campaign_recipients r ON r.id = e.recipient_id \
         WHERE r.practice_id = $2 ORDER BY e.id DESC LIMIT 50")
        .bind(campaign_id).bind(scope.practice_id()).bind(Kind::Click).bind(Kind::Honeypot).fetch_all(p).await)
}

/// A click a manager may overturn, with what the change needs.
pub struct OverridableClick {
    pub recipient_id: RecipientId,
    pub at: i64,
    pub staff_id: StaffId,
    pub full_name: String,
    pub campaign_name: String,
    /// The follow-up training the campaign's template gives.
    pub training_module: String,
}
named_row!(OverridableClick {
    recipient_id,
    at,
    staff_id,
    full_name,
    campaign_name,
    training_module
});

pub async fn click(
    db: &Db,
    scope: &PracticeScope,
    campaign_id: CampaignId,
    event_id: EventId,
) -> Result<Option<OverridableClick>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT e.recipient_id, e.at, r.staff_id, r.full_name, c.name AS campaign_name, t.training_module FROM sim_events e \
         JOIN campaign_recipients r ON r.id = e.recipient_id JOIN campaigns c ON c.id = e.campaign_id \
         JOIN sim_templates t ON t.id = c.template_id \
         WHERE e.id = $1 AND e.campaign_id = $2 AND c.practice_id = $3 AND e.kind = $4")
        .bind(event_id).bind(campaign_id).bind(scope.practice_id()).bind(Kind::Click).fetch_optional(p).await)
}

/// How a recipient's first click changed: it appeared, went, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstClick {
    Appeared,
    Gone,
    Unchanged,
}

/// Counts (or stops counting) a click, and recomputes the recipient's first
/// click from the clicks that now count, and the campaign's total.
pub async fn reclassify(
    tx: &mut Tx,
    campaign_id: CampaignId,
    event_id: EventId,
    recipient_id: RecipientId,
    count: bool,
    by: &str,
    now: i64,
) -> Result<FirstClick, sqlx::Error> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE sim_events SET counted = $1, overridden_by = $2, overridden_at = $3 WHERE id = $4")
            .bind(count).bind(by).bind(now).bind(event_id).execute(&mut *c).await?;
        let first: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(at) FROM sim_events WHERE campaign_id = $1 AND recipient_id = $2 AND counted AND kind IN ($3, $4)")
            .bind(campaign_id).bind(recipient_id).bind(Kind::Click).bind(Kind::Submit).fetch_one(&mut *c).await?;
        let before: Option<i64> = sqlx::query_scalar("SELECT clicked_at FROM campaign_recipients WHERE id = $1")
            .bind(recipient_id).fetch_one(&mut *c).await?;
        sqlx::query("UPDATE campaign_recipients SET clicked_at = $1, opened_at = COALESCE(opened_at, $1) WHERE id = $2")
            .bind(first).bind(recipient_id).execute(&mut *c).await?;
        let change = match (before.is_some(), first.is_some()) {
            (false, true) => FirstClick::Appeared,
            (true, false) => FirstClick::Gone,
            _ => FirstClick::Unchanged,
        };
        let delta: i64 = match change {
            FirstClick::Appeared => 1,
            FirstClick::Gone => -1,
            FirstClick::Unchanged => 0,
        };
        if delta != 0 {
            sqlx::query("UPDATE campaigns SET clicked = clicked + $1 WHERE id = $2").bind(delta).bind(campaign_id).execute(&mut *c).await?;
        }
        Ok(change)
    })
}

// ---------- one person's record ----------

/// One exercise a person received.
pub struct Received {
    pub campaign_id: CampaignId,
    pub sent_at: i64,
    pub reported_at: Option<i64>,
    pub clicked_at: Option<i64>,
    pub submitted_at: Option<i64>,
}
named_row!(Received {
    campaign_id,
    sent_at,
    reported_at,
    clicked_at,
    submitted_at
});

/// The exercises this staff member received, newest first; a cancelled
/// exercise does not count.
pub async fn received(
    db: &Db,
    scope: &PracticeScope,
    staff_id: StaffId,
) -> Result<Vec<Received>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT r.campaign_id, r.sent_at, r.reported_at, r.clicked_at, r.submitted_at FROM campaign_recipients r \
         JOIN campaigns c ON c.id = r.campaign_id AND c.practice_id = r.practice_id \
         WHERE r.practice_id = $1 AND r.staff_id = $2 AND r.sent_at IS NOT NULL AND c.status <> $3 \
         ORDER BY r.sent_at DESC LIMIT 100")
        .bind(scope.practice_id()).bind(staff_id).bind(crate::simulation::states::Status::Cancelled)
        .fetch_all(p).await)
}

/// Training given after an exercise (`training` owns the table).
pub struct FollowUp {
    pub campaign_id: Option<CampaignId>,
    pub module: String,
    /// Matches an exercise run elsewhere's follow-up (which has no campaign).
    pub reason: String,
    pub completed_at: Option<i64>,
}
named_row!(FollowUp {
    campaign_id,
    module,
    reason,
    completed_at
});

pub async fn follow_ups(
    db: &Db,
    scope: &PracticeScope,
    staff_id: StaffId,
) -> Result<Vec<FollowUp>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT campaign_id, module, reason, completed_at FROM training_assignments WHERE practice_id = $1 AND staff_id = $2")
        .bind(scope.practice_id()).bind(staff_id).fetch_all(p).await)
}

// ---------- the reporting mailbox ----------

/// The practice's mailbox row (the settings as saved JSON).
pub struct MailboxRow {
    pub settings_json: String,
    pub active: bool,
    pub last_polled_at: Option<i64>,
    pub last_error: Option<String>,
    pub reports_found: i64,
    /// Why Safety Net can no longer sign in, until the manager fixes it.
    pub attention: Option<String>,
}
named_row!(MailboxRow {
    settings_json,
    active,
    last_polled_at,
    last_error,
    reports_found,
    attention
});

pub async fn mailbox(db: &Db, practice_id: PracticeId) -> Result<Option<MailboxRow>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT settings_json, active, last_polled_at, last_error, reports_found, attention FROM report_mailboxes WHERE practice_id = $1")
        .bind(practice_id).fetch_optional(p).await)
}

/// Why the practice's mailbox needs the manager, if it does (and is switched on).
pub async fn mailbox_attention(
    db: &Db,
    practice_id: PracticeId,
) -> Result<Option<String>, sqlx::Error> {
    let found: Option<Option<String>> = with_db!(db, p => sqlx::query_scalar(
        "SELECT attention FROM report_mailboxes WHERE practice_id = $1 AND active")
        .bind(practice_id).fetch_optional(p).await)?;
    Ok(found.flatten())
}

/// Saves the settings (a new mailbox, or changed ones: the last error goes,
/// and so does any "needs attention": the manager has looked, and the next
/// check tries again). `new_sign_in`: the way of signing in changed, so any
/// access token held is dropped; `new_refresh`: a new refresh token was
/// given, so one the provider rotated is dropped too.
pub async fn save_mailbox(
    tx: &mut Tx,
    scope: &PracticeScope,
    settings_json: &str,
    active: bool,
    new_sign_in: bool,
    new_refresh: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO report_mailboxes (practice_id, settings_json, active, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (practice_id) DO UPDATE SET settings_json = $2, active = $3, last_error = NULL, \
         oauth_access_token = CASE WHEN $5 THEN NULL ELSE report_mailboxes.oauth_access_token END, \
         oauth_issued_at = CASE WHEN $5 THEN NULL ELSE report_mailboxes.oauth_issued_at END, \
         oauth_expires_at = CASE WHEN $5 THEN NULL ELSE report_mailboxes.oauth_expires_at END, \
         oauth_refresh_token = CASE WHEN $6 THEN NULL ELSE report_mailboxes.oauth_refresh_token END, \
         oauth_claimed_until = CASE WHEN $5 THEN NULL ELSE report_mailboxes.oauth_claimed_until END, \
         attention = NULL, attention_since = NULL")
        .bind(scope.practice_id()).bind(settings_json).bind(active).bind(now).bind(new_sign_in).bind(new_refresh)
        .execute(&mut *c).await.map(|_| ()))
}

/// A mailbox to check.
pub struct ActiveMailbox {
    pub practice_id: PracticeId,
    pub settings_json: String,
}
named_row!(ActiveMailbox {
    practice_id,
    settings_json
});

pub async fn active_mailboxes(db: &Db) -> Result<Vec<ActiveMailbox>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT practice_id, settings_json FROM report_mailboxes WHERE active").fetch_all(p).await)
}

/// The OAuth2 tokens held for a mailbox, with the settings they belong to.
pub struct MailboxTokens {
    pub settings_json: String,
    pub oauth_access_token: Option<String>,
    pub oauth_issued_at: Option<i64>,
    pub oauth_expires_at: Option<i64>,
    /// A newer refresh token than the settings' own, where the provider rotated it.
    pub oauth_refresh_token: Option<String>,
    pub attention: Option<String>,
}
named_row!(MailboxTokens {
    settings_json,
    oauth_access_token,
    oauth_issued_at,
    oauth_expires_at,
    oauth_refresh_token,
    attention
});

pub async fn mailbox_tokens(
    db: &Db,
    practice_id: PracticeId,
) -> Result<Option<MailboxTokens>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT settings_json, oauth_access_token, oauth_issued_at, oauth_expires_at, oauth_refresh_token, attention \
         FROM report_mailboxes WHERE practice_id = $1")
        .bind(practice_id).fetch_optional(p).await)
}

/// Claims the asking for a new token until `until`, if no other node holds
/// the claim and the settings are still `settings_json`.
pub async fn claim_token_refresh(
    db: &Db,
    practice_id: PracticeId,
    settings_json: &str,
    now: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let n = with_db!(db, p => sqlx::query(
        "UPDATE report_mailboxes SET oauth_claimed_until = $1 WHERE practice_id = $2 AND settings_json = $3 \
         AND (oauth_claimed_until IS NULL OR oauth_claimed_until < $4)")
        .bind(until).bind(practice_id).bind(settings_json).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Lets go of the claim without a new token.
pub async fn release_token_refresh(db: &Db, practice_id: PracticeId) -> Result<(), sqlx::Error> {
    with_db!(db, p => sqlx::query(
        "UPDATE report_mailboxes SET oauth_claimed_until = NULL WHERE practice_id = $1")
        .bind(practice_id).execute(p).await.map(|_| ()))
}

/// Keeps a new access token (and the rotated refresh token, if the provider
/// sent one), if the settings are still those it was obtained for; the
/// mailbox no longer needs attention. False if the settings changed meanwhile.
#[allow(clippy::too_many_arguments)]
pub async fn store_token(
    tx: &mut Tx,
    practice_id: PracticeId,
    settings_json: &str,
    access_token: &str,
    issued_at: i64,
    expires_at: i64,
    rotated_refresh_token: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, c => sqlx::query(
        "UPDATE report_mailboxes SET oauth_access_token = $1, oauth_issued_at = $2, oauth_expires_at = $3, \
         oauth_refresh_token = COALESCE($4, oauth_refresh_token), oauth_claimed_until = NULL, attention = NULL, attention_since = NULL \
         WHERE practice_id = $5 AND settings_json = $6")
        .bind(access_token).bind(issued_at).bind(expires_at).bind(rotated_refresh_token).bind(practice_id).bind(settings_json)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Marks the mailbox as needing the manager (the token service refused for
/// good), if the settings are still `settings_json`. True only when it did
/// not already: the caller emails the manager then, and only then.
pub async fn mark_attention(
    tx: &mut Tx,
    practice_id: PracticeId,
    settings_json: &str,
    why: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, c => sqlx::query(
        "UPDATE report_mailboxes SET attention = $1, attention_since = $2, oauth_access_token = NULL, oauth_claimed_until = NULL \
         WHERE practice_id = $3 AND settings_json = $4 AND attention IS NULL")
        .bind(why).bind(now).bind(practice_id).bind(settings_json)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// What one check found: when, any problem, and how many reports it counted.
pub async fn polled(
    tx: &mut Tx,
    practice_id: PracticeId,
    now: i64,
    error: Option<&str>,
    found: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE report_mailboxes SET last_polled_at = $1, last_error = $2, reports_found = reports_found + $3 WHERE practice_id = $4")
        .bind(now).bind(error).bind(found).bind(practice_id).execute(&mut *c).await.map(|_| ()))
}

/// The recipient a forwarded token belongs to, in this practice only.
pub struct Reported {
    pub id: RecipientId,
    pub campaign_id: CampaignId,
    pub staff_id: StaffId,
    pub status: Status,
    pub reported_at: Option<i64>,
    pub email: String,
    pub campaign_name: String,
}
named_row!(Reported {
    id,
    campaign_id,
    staff_id,
    status,
    reported_at,
    email,
    campaign_name
});

pub async fn recipient_by_token(
    db: &Db,
    practice_id: PracticeId,
    token: &str,
) -> Result<Option<Reported>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT r.id, r.campaign_id, r.staff_id, c.status, r.reported_at, r.email, c.name AS campaign_name FROM campaign_recipients r \
         JOIN campaigns c ON c.id = r.campaign_id WHERE r.token = $1 AND r.practice_id = $2")
        .bind(token).bind(practice_id).fetch_optional(p).await)
}

/// One phishing exercise's totals, sent from here or run elsewhere.
pub struct ExerciseFact {
    /// When it was launched (or, run elsewhere, the UK midnight it started).
    pub at: i64,
    pub sent: i64,
    pub reported: i64,
    pub clicked: i64,
    /// 1 when run elsewhere (NHS England's service or another tool).
    pub elsewhere: i64,
}
named_row!(ExerciseFact {
    at,
    sent,
    reported,
    clicked,
    elsewhere
});

/// Every exercise since `since` that reached anyone: ours not cancelled, and
/// those run elsewhere, oldest first.
pub async fn exercises_since(
    db: &Db,
    practice: PracticeId,
    since: i64,
) -> Result<Vec<ExerciseFact>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT launch_at AS at, CAST(sent AS BIGINT) AS sent, CAST(reported AS BIGINT) AS reported, \
                CAST(clicked AS BIGINT) AS clicked, CAST(0 AS BIGINT) AS elsewhere \
         FROM campaigns WHERE practice_id = $1 AND launch_at >= $2 AND status <> 'cancelled' AND sent > 0 \
         UNION ALL \
         SELECT starts_at, CAST(sent AS BIGINT), CAST(reported AS BIGINT), CAST(clicked AS BIGINT), CAST(1 AS BIGINT) \
         FROM external_exercises WHERE practice_id = $1 AND starts_at >= $2 AND sent > 0 \
         ORDER BY 1")
        .bind(practice).bind(since).fetch_all(p).await)
}

// ---------- "Sign in as the mailbox" on its way (`mailbox_connections`) ----------

pub struct PendingConnection {
    pub practice_id: PracticeId,
    pub settings_json: String,
    pub active: bool,
    pub pkce_verifier: String,
    pub browser_hash: String,
    pub created_at: i64,
}
named_row!(PendingConnection {
    practice_id,
    settings_json,
    active,
    pkce_verifier,
    browser_hash,
    created_at
});

/// Keeps what was typed until the sign-in comes back; forgets stale ones.
#[allow(clippy::too_many_arguments)]
pub async fn begin_connection(
    tx: &mut Tx,
    state_hash: &str,
    practice_id: PracticeId,
    settings_json: &str,
    active: bool,
    pkce_verifier: &str,
    browser_hash: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => {
        sqlx::query("DELETE FROM mailbox_connections WHERE created_at < $1")
            .bind(now - 600).execute(&mut *c).await?;
        sqlx::query(
            "INSERT INTO mailbox_connections (state_hash, practice_id, settings_json, active, pkce_verifier, browser_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(state_hash).bind(practice_id).bind(settings_json).bind(active)
            .bind(pkce_verifier).bind(browser_hash).bind(now)
            .execute(&mut *c).await.map(|_| ())
    })
}

/// Takes the connection with this state, once, whichever node it reaches.
pub async fn take_connection(
    tx: &mut Tx,
    state_hash: &str,
) -> Result<Option<PendingConnection>, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_as(
        "DELETE FROM mailbox_connections WHERE state_hash = $1 \
         RETURNING practice_id, settings_json, active, pkce_verifier, browser_hash, created_at")
        .bind(state_hash).fetch_optional(&mut *c).await)
}
