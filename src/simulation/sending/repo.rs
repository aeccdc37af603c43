//! Storage for sending: `campaigns`, `campaign_recipients` as the send
//! queue (a row per person, with its token and send time), and
//! `sending_profiles`. The tracking writer keeps the recipients' first times
//! and the campaigns' totals (`tracking::repo`); results are read in
//! `reporting::repo`.

use rand::seq::SliceRandom;

use super::campaigns::{Campaign, Launch, StatusChange, Target};
use super::profiles::{security_from_key, security_key, Profile};
use crate::auth::PracticeScope;
use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{CampaignId, PracticeId, StaffId};
use crate::simulation::ids::{PageId, ProfileId, RecipientId, TemplateId};
use crate::simulation::library::Landing;
use crate::simulation::states::{SendStatus, Status};
use crate::simulation::token::RecipientToken;
use crate::{with_db, with_tx};

// ---------- campaigns ----------

const CAMPAIGN: &str = "SELECT id, name, template_id, profile_id, landing, status, launch_at, send_by, ends_at, \
     recipients, sent, errors, opened, clicked, submitted, reported, created_at, page_id FROM campaigns";

struct CampaignRow {
    id: CampaignId,
    name: String,
    template_id: TemplateId,
    profile_id: ProfileId,
    landing: Landing,
    status: Status,
    launch_at: i64,
    send_by: i64,
    ends_at: i64,
    recipients: i64,
    sent: i64,
    errors: i64,
    opened: i64,
    clicked: i64,
    submitted: i64,
    reported: i64,
    created_at: i64,
    page_id: Option<PageId>,
}
named_row!(CampaignRow {
    id,
    name,
    template_id,
    profile_id,
    landing,
    status,
    launch_at,
    send_by,
    ends_at,
    recipients,
    sent,
    errors,
    opened,
    clicked,
    submitted,
    reported,
    created_at,
    page_id
});

impl From<CampaignRow> for Campaign {
    fn from(r: CampaignRow) -> Self {
        Campaign {
            id: r.id,
            name: r.name,
            template_id: r.template_id,
            profile_id: r.profile_id,
            landing: r.landing,
            status: r.status,
            launch_at: r.launch_at,
            send_by: r.send_by,
            ends_at: r.ends_at,
            recipients: r.recipients,
            sent: r.sent,
            errors: r.errors,
            opened: r.opened,
            clicked: r.clicked,
            submitted: r.submitted,
            reported: r.reported,
            created_at: r.created_at,
            page_id: r.page_id,
        }
    }
}

pub async fn find(
    db: &Db,
    scope: &PracticeScope,
    id: CampaignId,
) -> Result<Option<Campaign>, sqlx::Error> {
    let sql = format!("{CAMPAIGN} WHERE id = $1 AND practice_id = $2");
    let row: Option<CampaignRow> = with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    Ok(row.map(Campaign::from))
}

/// The practice's newest 200, newest first.
pub async fn list(db: &Db, scope: &PracticeScope) -> Result<Vec<Campaign>, sqlx::Error> {
    let sql = format!("{CAMPAIGN} WHERE practice_id = $1 ORDER BY id DESC LIMIT 200");
    let rows: Vec<CampaignRow> =
        with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows.into_iter().map(Campaign::from).collect())
}

/// An exercise not yet finished, with when its emails go.
pub struct Upcoming {
    pub id: CampaignId,
    pub name: String,
    pub status: Status,
    pub recipients: i64,
    pub sent: i64,
    /// The first and last send times still queued (None when all went).
    pub next_send: Option<i64>,
    pub last_send: Option<i64>,
    pub ends_at: i64,
}
named_row!(Upcoming {
    id,
    name,
    status,
    recipients,
    sent,
    next_send,
    last_send,
    ends_at
});

/// When the campaign's next queued email goes, if any is still queued.
pub async fn next_send(db: &Db, id: CampaignId) -> Result<Option<i64>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT MIN(send_at) FROM campaign_recipients WHERE campaign_id = $1 AND send_status = $2")
        .bind(id).bind(SendStatus::Queued).fetch_one(p).await)
}

/// The practice's exercises that are scheduled, running or paused, soonest first.
pub async fn unfinished(db: &Db, scope: &PracticeScope) -> Result<Vec<Upcoming>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT c.id, c.name, c.status, c.recipients, c.sent, c.ends_at, \
           (SELECT MIN(r.send_at) FROM campaign_recipients r WHERE r.campaign_id = c.id AND r.send_status = $2) AS next_send, \
           (SELECT MAX(r.send_at) FROM campaign_recipients r WHERE r.campaign_id = c.id AND r.send_status = $2) AS last_send \
         FROM campaigns c WHERE c.practice_id = $1 AND c.status IN ($3, $4, $5) ORDER BY c.launch_at, c.id LIMIT 20")
        .bind(scope.practice_id()).bind(SendStatus::Queued)
        .bind(Status::Scheduled).bind(Status::Sending).bind(Status::Paused)
        .fetch_all(p).await)
}

/// Every one of the practice's campaigns, oldest first.
pub async fn all(db: &Db, scope: &PracticeScope) -> Result<Vec<Campaign>, sqlx::Error> {
    let sql = format!("{CAMPAIGN} WHERE practice_id = $1 ORDER BY id");
    let rows: Vec<CampaignRow> =
        with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows.into_iter().map(Campaign::from).collect())
}

/// Stores a campaign and its recipients (each with a fresh token and a send
/// time, in random order) in the caller's transaction; the sender wakes when
/// it commits. The caller has already kept only targets in the practice's
/// verified domains.
pub async fn insert(
    tx: &mut Tx,
    scope: &PracticeScope,
    spec: &Launch,
    targets: &mut [Target],
    now: i64,
) -> Result<CampaignId, sqlx::Error> {
    targets.shuffle(&mut rand::thread_rng());
    let schedule = super::campaigns::schedule(spec, targets.len());
    let practice_id = scope.practice_id();
    let n = targets.len() as i64;
    let id = with_tx!(tx, c => {
        let id: CampaignId = sqlx::query_scalar(
            "INSERT INTO campaigns (practice_id, name, template_id, profile_id, landing, status, launch_at, send_by, ends_at, business_hours, created_by, created_at, recipients) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id")
            .bind(practice_id).bind(&spec.name).bind(spec.template_id).bind(spec.profile_id).bind(spec.landing).bind(Status::Scheduled)
            .bind(spec.launch_at).bind(spec.send_by).bind(spec.ends_at).bind(spec.business_hours).bind(spec.created_by).bind(now).bind(n)
            .fetch_one(&mut *c).await?;
        for (chunk, times) in targets.chunks(400).zip(schedule.chunks(400)) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO campaign_recipients (campaign_id, practice_id, staff_id, department_id, token, email, full_name, job_role, send_at, send_status) ");
            qb.push_values(chunk.iter().zip(times), |mut b, (t, at)| {
                b.push_bind(id).push_bind(practice_id).push_bind(t.staff_id).push_bind(t.department_id)
                    .push_bind(RecipientToken::generate().as_str().to_string()).push_bind(t.email.clone())
                    .push_bind(t.full_name.clone()).push_bind(t.job_role.clone()).push_bind(*at).push_bind(SendStatus::Queued);
            });
            qb.build().execute(&mut *c).await?;
        }
        id
    });
    Ok(id)
}

/// The GoPhish landing page a campaign was started with.
pub async fn set_page(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: CampaignId,
    page_id: PageId,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("UPDATE campaigns SET page_id = $1 WHERE id = $2 AND practice_id = $3")
        .bind(page_id).bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))
}

/// Makes a manager's change if the campaign is still in a state it can be
/// made from; false if it is not (it changed meanwhile). A cancelled
/// campaign's unsent emails are not sent.
pub async fn change_status(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: CampaignId,
    change: StatusChange,
) -> Result<bool, sqlx::Error> {
    if change == StatusChange::Cancel && tx.backend() == crate::db::Backend::Postgres {
        // Its unsent emails are locked first, in id order, as the sender and
        // the tracking writer lock recipients before their campaign: taking
        // the campaign first would deadlock with a sender recording outcomes.
        with_tx!(tx, c => sqlx::query("SELECT id FROM campaign_recipients WHERE campaign_id = $1 AND send_status = $2 ORDER BY id FOR UPDATE")
            .bind(id).bind(SendStatus::Queued).execute(&mut *c).await.map(|_| ()))?;
    }
    let from = change.from();
    let placeholders = (0..from.len())
        .map(|i| format!("${}", i + 4))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE campaigns SET status = $1 WHERE id = $2 AND practice_id = $3 AND status IN ({placeholders})"
    );
    let changed = with_tx!(tx, c => {
        let mut q = sqlx::query(&sql).bind(change.to()).bind(id).bind(scope.practice_id());
        for s in from {
            q = q.bind(*s);
        }
        q.execute(&mut *c).await.map(|r| r.rows_affected())
    })? > 0;
    if changed && change == StatusChange::Cancel {
        cancel_unsent(tx, id).await?;
    }
    Ok(changed)
}

async fn cancel_unsent(tx: &mut Tx, id: CampaignId) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("UPDATE campaign_recipients SET send_status = $1 WHERE campaign_id = $2 AND send_status = $3")
        .bind(SendStatus::Cancelled).bind(id).bind(SendStatus::Queued).execute(&mut *c).await.map(|_| ()))
}

/// Finishes a campaign now (GoPhish's "complete"): nothing more is sent and
/// nothing more counts.
pub async fn complete_now(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: CampaignId,
    now: i64,
) -> Result<(), sqlx::Error> {
    cancel_unsent(tx, id).await?;
    let [a, b, c_] = Status::UNFINISHED;
    with_tx!(tx, c => sqlx::query("UPDATE campaigns SET status = $1, ends_at = CASE WHEN ends_at > $2 THEN $2 ELSE ends_at END \
                 WHERE id = $3 AND practice_id = $4 AND status IN ($5, $6, $7)")
        .bind(Status::Completed).bind(now).bind(id).bind(scope.practice_id()).bind(a).bind(b).bind(c_)
        .execute(&mut *c).await.map(|_| ()))
}

/// Finishes campaigns whose end date has passed; anything still unsent is
/// not sent. Returns how many finished.
pub async fn complete_due(tx: &mut Tx, now: i64) -> Result<u64, sqlx::Error> {
    let [a, b, c_] = Status::UNFINISHED;
    with_tx!(tx, c => {
        sqlx::query("UPDATE campaign_recipients SET send_status = $1 WHERE send_status = $2 \
                     AND campaign_id IN (SELECT id FROM campaigns WHERE ends_at <= $3 AND status IN ($4, $5, $6))")
            .bind(SendStatus::Cancelled).bind(SendStatus::Queued).bind(now).bind(a).bind(b).bind(c_).execute(&mut *c).await?;
        sqlx::query("UPDATE campaigns SET status = $1 WHERE ends_at <= $2 AND status IN ($3, $4, $5)")
            .bind(Status::Completed).bind(now).bind(a).bind(b).bind(c_).execute(&mut *c).await.map(|r| r.rows_affected())
    })
}

/// Whether any campaign, of any practice, was sent with this template (its
/// record keeps it).
pub async fn uses_template(db: &Db, id: TemplateId) -> Result<bool, sqlx::Error> {
    let n: i64 = with_db!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM campaigns WHERE template_id = $1")
        .bind(id).fetch_one(p).await)?;
    Ok(n > 0)
}

/// Whether any campaign was sent through this profile.
pub async fn uses_profile(db: &Db, id: ProfileId) -> Result<bool, sqlx::Error> {
    let n: i64 = with_db!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM campaigns WHERE profile_id = $1")
        .bind(id).fetch_one(p).await)?;
    Ok(n > 0)
}

struct TargetRow {
    id: StaffId,
    department_id: Option<i64>,
    email: String,
    full_name: String,
    job_role: String,
}
named_row!(TargetRow {
    id,
    department_id,
    email,
    full_name,
    job_role
});

impl From<TargetRow> for Target {
    fn from(r: TargetRow) -> Self {
        Target {
            staff_id: r.id,
            department_id: r.department_id,
            email: r.email,
            full_name: r.full_name,
            job_role: r.job_role,
        }
    }
}

/// The practice's current staff (`people` owns them), by name, as they
/// would be sent an exercise.
pub async fn active_staff(db: &Db, scope: &PracticeScope) -> Result<Vec<Target>, sqlx::Error> {
    let rows: Vec<TargetRow> = with_db!(db, p => sqlx::query_as(
        "SELECT id, department_id, email, full_name, job_role FROM staff WHERE practice_id = $1 AND active ORDER BY full_name, id")
        .bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows.into_iter().map(Target::from).collect())
}

// ---------- the send queue ----------

/// A recipient claimed for sending.
pub struct Claimed {
    pub id: RecipientId,
    pub campaign_id: CampaignId,
    pub token: String,
    pub email: String,
    pub full_name: String,
    pub job_role: String,
    /// Including this one.
    pub send_attempts: i64,
}
named_row!(Claimed {
    id,
    campaign_id,
    token,
    email,
    full_name,
    job_role,
    send_attempts
});

/// Leases up to `batch` due emails of sending campaigns until `until`,
/// none of them sent through a profile in `skip` (whose lane is at work).
/// On PostgreSQL rows another node is claiming are skipped, not waited for.
pub async fn claim(
    tx: &mut Tx,
    now: i64,
    until: i64,
    batch: i64,
    skip: &[ProfileId],
) -> Result<Vec<Claimed>, sqlx::Error> {
    let skip_list = (7..skip.len() + 7)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let skip_sql = if skip.is_empty() {
        String::new()
    } else {
        format!("AND c.profile_id NOT IN ({skip_list}) ")
    };
    let lock = match tx.backend() {
        crate::db::Backend::Postgres => "FOR UPDATE OF r SKIP LOCKED",
        crate::db::Backend::Sqlite => "",
    };
    // The outer lease check stops two senders taking the same rows.
    let sql = format!(
        "UPDATE campaign_recipients SET locked_until = $1, send_attempts = send_attempts + 1 \
        WHERE id IN (SELECT r.id FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
                     WHERE r.send_status = $4 AND r.send_at <= $2 AND (r.locked_until IS NULL OR r.locked_until < $2) \
                       AND c.status IN ($5, $6) {skip_sql}ORDER BY r.send_at, r.id LIMIT $3 {lock}) \
          AND (locked_until IS NULL OR locked_until < $2) \
        RETURNING id, campaign_id, token, email, full_name, job_role, send_attempts"
    );
    let [a, b] = Status::SENDING;
    with_tx!(tx, c => {
        let mut q = sqlx::query_as(&sql).bind(until).bind(now).bind(batch).bind(SendStatus::Queued).bind(a).bind(b);
        for p in skip {
            q = q.bind(*p);
        }
        q.fetch_all(&mut *c).await
    })
}

/// Which of these campaigns are still sending (not paused, cancelled or finished).
pub async fn still_sending(db: &Db, ids: &[CampaignId]) -> Result<Vec<CampaignId>, sqlx::Error> {
    let mut live = Vec::new();
    let [a, b] = Status::SENDING;
    for id in ids {
        let n: i64 = with_db!(db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM campaigns WHERE id = $1 AND status IN ($2, $3)")
            .bind(*id).bind(a).bind(b).fetch_one(p).await)?;
        if n > 0 {
            live.push(*id);
        }
    }
    Ok(live)
}

/// How many exercise emails are due now and not yet sent (the metrics' queue depth).
pub async fn due_count(db: &Db, now: i64) -> Result<i64, sqlx::Error> {
    let [a, b] = Status::SENDING;
    with_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
         WHERE r.send_status = $1 AND r.send_at <= $2 AND c.status IN ($3, $4)")
        .bind(SendStatus::Queued).bind(now).bind(a).bind(b).fetch_one(p).await)
}

/// Extends the lease on claimed emails whose outcome is not recorded yet
/// (recording clears `locked_until`, and a sent or failed email is no longer queued).
pub async fn renew(tx: &mut Tx, ids: &[RecipientId], until: i64) -> Result<(), sqlx::Error> {
    for chunk in ids.chunks(500) {
        let list = (3..chunk.len() + 3)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE campaign_recipients SET locked_until = $1 \
             WHERE send_status = $2 AND locked_until IS NOT NULL AND id IN ({list})"
        );
        with_tx!(tx, c => {
            let mut q = sqlx::query(&sql).bind(until).bind(SendStatus::Queued);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *c).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// Where a campaign's emails come from: its practice, template and profile.
pub struct Source {
    pub practice_id: PracticeId,
    pub template_id: TemplateId,
    pub profile_id: ProfileId,
    pub practice_name: String,
}
named_row!(Source {
    practice_id,
    template_id,
    profile_id,
    practice_name
});

pub async fn source(db: &Db, campaign_id: CampaignId) -> Result<Source, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT c.practice_id, c.template_id, c.profile_id, pr.name AS practice_name FROM campaigns c JOIN practices pr ON pr.id = c.practice_id WHERE c.id = $1")
        .bind(campaign_id).fetch_one(p).await)
}

/// The practice's name, as an exercise's emails use it.
pub async fn practice_name(db: &Db, practice_id: PracticeId) -> Result<String, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar("SELECT name FROM practices WHERE id = $1")
        .bind(practice_id).fetch_one(p).await)
}

/// What happened to one claimed email.
pub enum Outcome {
    Sent,
    /// Try again after a wait that grows with the attempts.
    Retry(String),
    Failed(String),
    /// Not sent because its exercise was paused or cancelled meanwhile: the
    /// claim is let go and the attempt not counted.
    Release,
}

pub struct Done {
    pub id: RecipientId,
    pub campaign_id: CampaignId,
    pub attempts: i64,
    pub outcome: Outcome,
}

/// Writes a group of outcomes and the campaigns' totals; the first email
/// sent moves a scheduled campaign to sending.
pub async fn record_outcomes(tx: &mut Tx, results: &[Done], now: i64) -> Result<(), sqlx::Error> {
    // Campaign rows in id order, as the tracking writer locks them.
    let mut sent: std::collections::BTreeMap<CampaignId, i64> = Default::default();
    let mut failed: std::collections::BTreeMap<CampaignId, i64> = Default::default();
    with_tx!(tx, c => {
        for d in results {
            match &d.outcome {
                Outcome::Sent => {
                    sqlx::query("UPDATE campaign_recipients SET send_status = $1, sent_at = $2, locked_until = NULL, send_error = NULL WHERE id = $3")
                        .bind(SendStatus::Sent).bind(now).bind(d.id).execute(&mut *c).await?;
                    *sent.entry(d.campaign_id).or_default() += 1;
                }
                Outcome::Retry(e) => {
                    let wait = crate::mail::outbox::backoff_secs(d.attempts);
                    sqlx::query("UPDATE campaign_recipients SET send_at = $1, locked_until = NULL, send_error = $2 WHERE id = $3")
                        .bind(now + wait).bind(e).bind(d.id).execute(&mut *c).await?;
                }
                Outcome::Release => {
                    sqlx::query("UPDATE campaign_recipients SET locked_until = NULL, send_attempts = send_attempts - 1 WHERE id = $1")
                        .bind(d.id).execute(&mut *c).await?;
                }
                Outcome::Failed(e) => {
                    sqlx::query("UPDATE campaign_recipients SET send_status = $1, locked_until = NULL, send_error = $2 WHERE id = $3")
                        .bind(SendStatus::Error).bind(e).bind(d.id).execute(&mut *c).await?;
                    *failed.entry(d.campaign_id).or_default() += 1;
                }
            }
        }
        for (cid, n) in &sent {
            sqlx::query("UPDATE campaigns SET sent = sent + $1, status = CASE WHEN status = $2 THEN $3 ELSE status END WHERE id = $4")
                .bind(n).bind(Status::Scheduled).bind(Status::Sending).bind(cid).execute(&mut *c).await?;
        }
        for (cid, n) in &failed {
            sqlx::query("UPDATE campaigns SET errors = errors + $1 WHERE id = $2").bind(n).bind(cid).execute(&mut *c).await?;
        }
    });
    Ok(())
}

// ---------- sending profiles ----------

const PROFILE: &str = "SELECT id, name, host, port, security, username, password, envelope_from, header_name FROM sending_profiles";

struct ProfileRow {
    id: ProfileId,
    name: String,
    host: String,
    port: i64,
    security: String,
    username: String,
    password: String,
    envelope_from: String,
    header_name: String,
}
named_row!(ProfileRow {
    id,
    name,
    host,
    port,
    security,
    username,
    password,
    envelope_from,
    header_name
});

impl From<ProfileRow> for Profile {
    fn from(r: ProfileRow) -> Self {
        Profile {
            id: r.id,
            name: r.name,
            host: r.host,
            port: u16::try_from(r.port).unwrap_or(25),
            security: security_from_key(&r.security),
            username: r.username,
            password: r.password,
            envelope_from: r.envelope_from,
            header_name: r.header_name,
        }
    }
}

pub async fn profiles(db: &Db, scope: &PracticeScope) -> Result<Vec<Profile>, sqlx::Error> {
    let sql = format!("{PROFILE} WHERE practice_id = $1 ORDER BY name");
    let rows: Vec<ProfileRow> =
        with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows.into_iter().map(Profile::from).collect())
}

pub async fn profile(
    db: &Db,
    scope: &PracticeScope,
    id: ProfileId,
) -> Result<Option<Profile>, sqlx::Error> {
    let sql = format!("{PROFILE} WHERE id = $1 AND practice_id = $2");
    let row: Option<ProfileRow> = with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    Ok(row.map(Profile::from))
}

/// Loads a profile by id without a scope: only for the sender, which reads
/// ids from a campaign row it already scoped.
pub async fn profile_for_sending(db: &Db, id: ProfileId) -> Result<Option<Profile>, sqlx::Error> {
    let sql = format!("{PROFILE} WHERE id = $1");
    let row: Option<ProfileRow> =
        with_db!(db, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
    Ok(row.map(Profile::from))
}

/// Adds a profile; `from_address` is GoPhish's sender line (empty from the
/// app's own form).
pub async fn insert_profile(
    tx: &mut Tx,
    practice_id: PracticeId,
    p: &Profile,
    from_address: &str,
    now: i64,
) -> Result<ProfileId, sqlx::Error> {
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO sending_profiles (practice_id, name, host, port, security, username, password, envelope_from, header_name, from_address, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
        .bind(practice_id).bind(&p.name).bind(&p.host).bind(i64::from(p.port)).bind(security_key(p.security)).bind(&p.username)
        .bind(&p.password).bind(&p.envelope_from).bind(&p.header_name).bind(from_address).bind(now)
        .fetch_one(&mut *c).await)
}

/// Everything the profile form edits.
pub async fn update_profile(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: ProfileId,
    p: &Profile,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE sending_profiles SET name = $1, host = $2, port = $3, security = $4, username = $5, password = $6, envelope_from = $7, header_name = $8 \
         WHERE id = $9 AND practice_id = $10")
        .bind(&p.name).bind(&p.host).bind(i64::from(p.port)).bind(security_key(p.security)).bind(&p.username).bind(&p.password)
        .bind(&p.envelope_from).bind(&p.header_name).bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))
}

/// What a GoPhish profile carries; an empty password keeps the saved one
/// (GoPhish clients read it back empty) and the marking header stays.
pub async fn update_profile_from_gophish(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: ProfileId,
    p: &Profile,
    from_address: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE sending_profiles SET name = $1, host = $2, port = $3, security = $4, username = $5, \
         password = CASE WHEN $6 = '' THEN password ELSE $6 END, envelope_from = $7, from_address = $8 WHERE id = $9 AND practice_id = $10")
        .bind(&p.name).bind(&p.host).bind(i64::from(p.port)).bind(security_key(p.security)).bind(&p.username).bind(&p.password)
        .bind(&p.envelope_from).bind(from_address).bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))
}

pub async fn delete_profile(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: ProfileId,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("DELETE FROM sending_profiles WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))
}

/// A profile as GoPhish shows it.
pub struct ProfileListing {
    pub id: ProfileId,
    pub name: String,
    pub host: String,
    pub port: i64,
    pub username: String,
    pub from_address: String,
    pub created_at: i64,
}
named_row!(ProfileListing {
    id,
    name,
    host,
    port,
    username,
    from_address,
    created_at
});

const LISTING: &str =
    "SELECT id, name, host, port, username, from_address, created_at FROM sending_profiles";

pub async fn profile_listing(
    db: &Db,
    scope: &PracticeScope,
    id: ProfileId,
) -> Result<Option<ProfileListing>, sqlx::Error> {
    let sql = format!("{LISTING} WHERE id = $1 AND practice_id = $2");
    with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)
}

pub async fn profile_listings(
    db: &Db,
    scope: &PracticeScope,
) -> Result<Vec<ProfileListing>, sqlx::Error> {
    let sql = format!("{LISTING} WHERE practice_id = $1 ORDER BY id");
    with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)
}

/// The practice's first profile of this name (GoPhish clients name what a campaign uses).
pub async fn profile_id_by_name(
    db: &Db,
    scope: &PracticeScope,
    name: &str,
) -> Result<Option<ProfileId>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT id FROM sending_profiles WHERE practice_id = $1 AND name = $2 ORDER BY id LIMIT 1")
        .bind(scope.practice_id()).bind(name).fetch_optional(p).await)
}
