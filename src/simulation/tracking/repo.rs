//! Storage for the tracking site: who a token belongs to (one indexed
//! lookup, or a whole exercise at once), and writing a group of events with
//! everything they change in one transaction: the `sim_events` rows, the
//! recipients' first times, the campaigns' totals, and a first click's
//! follow-up training.
//!
//! The follow-up is the one write here into another capability's table
//! (`training_assignments`): it goes in many rows to a statement on the hot
//! path, with training's own `FOLLOW_UP_SECS` and reason. Everywhere else it
//! is assigned through `training::assignments::assign_follow_up`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::hit::{CampaignFacts, Hit};
use super::writer::{first_times, NewEvent};
use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{CampaignId, PracticeId, StaffId};
use crate::simulation::ids::{RecipientId, TemplateId};
use crate::simulation::library::Landing;
use crate::simulation::states::{Progress, Status, Step};
use crate::training::assignments::{follow_up_reason, FOLLOW_UP_SECS};
use crate::{with_db, with_tx};

/// One statement serves both a single token and a whole exercise.
const HIT: &str = "SELECT r.token, r.id AS recipient_id, r.campaign_id, r.practice_id, r.staff_id, r.sent_at, \
        c.landing, c.template_id, c.name AS campaign_name, r.full_name, r.email, r.job_role, t.training_module, \
        pr.name AS practice_name, pr.sim_report_link, c.status, c.ends_at, \
        r.opened_at, r.clicked_at, r.submitted_at, r.reported_at, r.honeypot_at \
     FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id JOIN sim_templates t ON t.id = c.template_id \
     JOIN practices pr ON pr.id = r.practice_id";

/// A recipient and their exercise, as a hit needs them.
pub struct HitRow {
    token: String,
    recipient_id: RecipientId,
    campaign_id: CampaignId,
    practice_id: PracticeId,
    staff_id: StaffId,
    sent_at: Option<i64>,
    landing: Landing,
    template_id: TemplateId,
    campaign_name: String,
    full_name: String,
    email: String,
    job_role: String,
    training_module: String,
    practice_name: String,
    sim_report_link: bool,
    pub status: Status,
    ends_at: i64,
    opened_at: Option<i64>,
    clicked_at: Option<i64>,
    submitted_at: Option<i64>,
    reported_at: Option<i64>,
    honeypot_at: Option<i64>,
}
named_row!(HitRow {
    token,
    recipient_id,
    campaign_id,
    practice_id,
    staff_id,
    sent_at,
    landing,
    template_id,
    campaign_name,
    full_name,
    email,
    job_role,
    training_module,
    practice_name,
    sim_report_link,
    status,
    ends_at,
    opened_at,
    clicked_at,
    submitted_at,
    reported_at,
    honeypot_at
});

impl HitRow {
    pub fn facts(&self) -> CampaignFacts {
        CampaignFacts {
            id: self.campaign_id,
            practice_id: self.practice_id,
            template_id: self.template_id,
            name: self.campaign_name.clone(),
            landing: self.landing,
            training_module: self.training_module.clone(),
            practice_name: self.practice_name.clone(),
            report_link: self.sim_report_link,
            status: self.status,
            ends_at: self.ends_at,
        }
    }

    /// The token and its recipient, sharing `campaign`.
    pub fn into_hit(self, campaign: Arc<CampaignFacts>) -> (String, Hit) {
        let progress = Progress::from_times(
            self.opened_at,
            self.clicked_at,
            self.submitted_at,
            self.reported_at,
            self.honeypot_at,
        );
        (
            self.token,
            Hit {
                recipient_id: self.recipient_id,
                staff_id: self.staff_id,
                sent_at: self.sent_at,
                full_name: self.full_name,
                email: self.email,
                job_role: self.job_role,
                progress,
                campaign,
            },
        )
    }
}

pub async fn hit_by_token(db: &Db, token: &str) -> Result<Option<HitRow>, sqlx::Error> {
    let sql = format!("{HIT} WHERE r.token = $1");
    with_db!(db, p => sqlx::query_as(&sql).bind(token).fetch_optional(p).await)
}

/// Every recipient the exercise has been sent to, unless it was cancelled.
pub async fn sent_hits(db: &Db, campaign_id: CampaignId) -> Result<Vec<HitRow>, sqlx::Error> {
    let sql =
        format!("{HIT} WHERE r.campaign_id = $1 AND r.sent_at IS NOT NULL AND c.status <> $2");
    with_db!(db, p => sqlx::query_as(&sql).bind(campaign_id).bind(Status::Cancelled).fetch_all(p).await)
}

/// A running exercise and how many it has been sent to.
pub struct Running {
    pub id: CampaignId,
    pub sent: i64,
}
named_row!(Running { id, sent });

/// Exercises under way that have gone out to someone, newest first.
pub async fn running(db: &Db, now: i64) -> Result<Vec<Running>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, sent FROM campaigns WHERE status IN ($2, $3) AND sent > 0 AND ends_at > $1 ORDER BY launch_at DESC, id DESC")
        .bind(now).bind(Status::Sending).bind(Status::Paused).fetch_all(p).await)
}

/// What a group of events adds to each campaign's totals.
#[derive(Default)]
struct Totals {
    opened: i64,
    clicked: i64,
    submitted: i64,
    reported: i64,
}

impl Totals {
    /// One recipient's first time newly set for `step`.
    fn add(&mut self, step: Step) {
        match step {
            Step::Opened => self.opened += 1,
            Step::Clicked => self.clicked += 1,
            Step::Submitted => self.submitted += 1,
            Step::Reported => self.reported += 1,
            Step::HiddenLink => {}
        }
    }
}

/// Rows per multi-row INSERT (9 values each, well inside both databases' limits).
const INSERT_CHUNK: usize = 1000;

/// The SQLite writer's connection, set up as the pool's are (see
/// `Db::connect`). None for an in-memory database, which only the pool can see.
pub fn own_connection(db: &Db) -> Option<rusqlite::Connection> {
    let path = db.sqlite_file()?;
    let open = || -> rusqlite::Result<rusqlite::Connection> {
        let c = rusqlite::Connection::open(&path)?;
        c.busy_timeout(std::time::Duration::from_secs(10))?;
        c.pragma_update(None, "synchronous", "NORMAL")?;
        c.pragma_update(None, "foreign_keys", "ON")?;
        c.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(c)
    };
    open()
        .map_err(|e| tracing::warn!(error = ?e, "tracking events go through the pool"))
        .ok()
}

/// Writes a group on the SQLite writer's own connection: one transaction,
/// prepared statements, no hand-overs between threads.
pub fn write_own(c: &rusqlite::Connection, events: &[&NewEvent]) -> rusqlite::Result<()> {
    let tx = rusqlite::Transaction::new_unchecked(c, rusqlite::TransactionBehavior::Immediate)?;
    let mut insert = tx.prepare(
        "INSERT INTO sim_events (campaign_id, recipient_id, practice_id, kind, counted, reasons, at, ip, user_agent) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for e in events {
        insert.execute(rusqlite::params![
            e.campaign_id.get(),
            e.recipient_id.get(),
            e.practice_id.get(),
            e.kind.as_str(),
            e.counted,
            e.reasons,
            e.at,
            e.ip,
            e.user_agent
        ])?;
    }
    let by_recipient: HashMap<RecipientId, &NewEvent> =
        events.iter().rev().map(|e| (e.recipient_id, *e)).collect();
    let mut totals: HashMap<CampaignId, Totals> = HashMap::new();
    let mut assign = tx.prepare(
        "INSERT INTO training_assignments (practice_id, staff_id, module, reason, campaign_id, assigned_at, due_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for first in first_times(events) {
        let mut set = tx.prepare_cached(&format!(
            "UPDATE campaign_recipients SET {c} = ?1 WHERE id = ?2 AND {c} IS NULL",
            c = first.step.column()
        ))?;
        for id in first.recipients {
            if set.execute(rusqlite::params![first.at, id.get()])? == 0 || !first.step.is_persons()
            {
                continue;
            }
            let Some(e) = by_recipient.get(&id) else {
                continue;
            };
            totals.entry(e.campaign_id).or_default().add(first.step);
            if first.step == Step::Clicked {
                // A short, kind refresher: the teachable moment's follow-up.
                assign.execute(rusqlite::params![
                    e.practice_id.get(),
                    e.staff_id.get(),
                    e.training_module,
                    follow_up_reason(&e.campaign_name),
                    e.campaign_id.get(),
                    first.at,
                    first.at + FOLLOW_UP_SECS
                ])?;
            }
        }
    }
    for (cid, t) in &totals {
        tx.execute(
            "UPDATE campaigns SET opened = opened + ?1, clicked = clicked + ?2, submitted = submitted + ?3, reported = reported + ?4 WHERE id = ?5",
            rusqlite::params![t.opened, t.clicked, t.submitted, t.reported, cid.get()],
        )?;
    }
    drop((insert, assign));
    tx.commit()
}

/// Writes a group through the pool (PostgreSQL, and an in-memory SQLite
/// database): a handful of set-based statements, however many events and
/// recipients it holds, since each statement is a round trip.
///
/// Run again whole if the database aborts it as a deadlock (another node's
/// writer) rather than failing every request in the group.
pub async fn write(db: &Db, events: &[&NewEvent]) -> Result<(), sqlx::Error> {
    crate::retry_tx!(db, tx => write_in(&mut tx, events).await)
}

/// [`write`] in the caller's transaction (the reporting mailbox's report
/// goes with its thank-you email).
pub async fn write_in(tx: &mut Tx, events: &[&NewEvent]) -> Result<(), sqlx::Error> {
    let by_recipient: HashMap<RecipientId, &NewEvent> =
        events.iter().rev().map(|e| (e.recipient_id, *e)).collect();
    // Rows are locked in one order by every writer on every node (recipients
    // by id, then campaigns by id), so two groups cannot wait for each other.
    let mut totals: BTreeMap<CampaignId, Totals> = BTreeMap::new();
    let mut touched: Vec<RecipientId> = first_times(events)
        .into_iter()
        .flat_map(|f| f.recipients)
        .collect();
    touched.sort();
    touched.dedup();
    let lock_first = tx.backend() == crate::db::Backend::Postgres;
    with_tx!(tx, c => {
        if lock_first {
            for ids in touched.chunks(INSERT_CHUNK) {
                let mut qb = sqlx::QueryBuilder::new("SELECT id FROM campaign_recipients WHERE id IN (");
                let mut list = qb.separated(", ");
                for id in ids {
                    list.push_bind(*id);
                }
                qb.push(") ORDER BY id FOR UPDATE");
                qb.build().execute(&mut *c).await?;
            }
        }
        for chunk in events.chunks(INSERT_CHUNK) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO sim_events (campaign_id, recipient_id, practice_id, kind, counted, reasons, at, ip, user_agent) ");
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(e.campaign_id).push_bind(e.recipient_id).push_bind(e.practice_id).push_bind(e.kind)
                    .push_bind(e.counted).push_bind(&e.reasons).push_bind(e.at).push_bind(&e.ip).push_bind(&e.user_agent);
            });
            qb.build().execute(&mut *c).await?;
        }
        let mut clicked: Vec<(RecipientId, i64)> = Vec::new();
        // Earlier times first, so the guard keeps a recipient's earliest.
        for first in first_times(events) {
            let column = first.step.column();
            for ids in first.recipients.chunks(INSERT_CHUNK) {
                let mut qb = sqlx::QueryBuilder::new(format!("UPDATE campaign_recipients SET {column} = "));
                qb.push_bind(first.at).push(format!(" WHERE {column} IS NULL AND id IN ("));
                let mut list = qb.separated(", ");
                for id in ids {
                    list.push_bind(*id);
                }
                qb.push(") RETURNING id");
                let set: Vec<RecipientId> = qb.build_query_scalar().fetch_all(&mut *c).await?;
                for id in set.into_iter().filter(|_| first.step.is_persons()) {
                    let Some(e) = by_recipient.get(&id) else { continue };
                    totals.entry(e.campaign_id).or_default().add(first.step);
                    if first.step == Step::Clicked {
                        clicked.push((id, first.at));
                    }
                }
            }
        }
        // A short, kind refresher: the teachable moment's follow-up to a first click.
        for chunk in clicked.chunks(INSERT_CHUNK) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO training_assignments (practice_id, staff_id, module, reason, campaign_id, assigned_at, due_at) ");
            qb.push_values(chunk, |mut b, (id, at)| {
                let e = by_recipient[id];
                b.push_bind(e.practice_id).push_bind(e.staff_id).push_bind(&e.training_module)
                    .push_bind(follow_up_reason(&e.campaign_name)).push_bind(e.campaign_id)
                    .push_bind(*at).push_bind(*at + FOLLOW_UP_SECS);
            });
            qb.build().execute(&mut *c).await?;
        }
        for (cid, t) in &totals {
            sqlx::query("UPDATE campaigns SET opened = opened + $1, clicked = clicked + $2, submitted = submitted + $3, reported = reported + $4 WHERE id = $5")
                .bind(t.opened).bind(t.clicked).bind(t.submitted).bind(t.reported).bind(cid).execute(&mut *c).await?;
        }
    });
    Ok(())
}
