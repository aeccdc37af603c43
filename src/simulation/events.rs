//! The event writer: every tracking hit is written durably before its
//! response goes out, and many concurrent hits share one transaction (group
//! commit). Per-recipient first-event times and campaign totals are kept up
//! to date here, so results never need to scan events.

use std::collections::HashMap;

use tokio::sync::{mpsc, oneshot};

use crate::db::Db;
use crate::shared::PracticeId;
// The group writer inserts follow-ups itself, many rows per statement, on the
// hot path; everything else assigns them through `training::assignments`.
use crate::training::assignments::{follow_up_reason, FOLLOW_UP_SECS};
use crate::with_db;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Open,
    Click,
    Submit,
    Report,
    /// The hidden link only scanners follow.
    Honeypot,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Click => "click",
            Self::Submit => "submit",
            Self::Report => "report",
            Self::Honeypot => "honeypot",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub recipient_id: i64,
    pub campaign_id: i64,
    pub practice_id: PracticeId,
    pub staff_id: i64,
    pub kind: Kind,
    /// Whether this counts as a person's action (scanners and link checkers do not).
    pub counted: bool,
    /// Why it was or was not counted, shown to the manager.
    pub reasons: String,
    pub at: i64,
    pub ip: String,
    pub user_agent: String,
    /// The training a first counted click assigns.
    pub training_module: String,
    pub campaign_name: String,
    /// What the recipient had already done when the hit was looked up
    /// (opened, clicked, submitted, reported): a first time already set is
    /// not written again, which saves a statement per repeat hit.
    pub already: [bool; 4],
}

type Job = (NewEvent, oneshot::Sender<bool>);

#[derive(Clone)]
pub struct EventWriter {
    tx: mpsc::Sender<Job>,
}

/// Largest group of events committed together.
const GROUP: usize = 2048;

impl EventWriter {
    pub fn start(db: Db) -> Self {
        let (tx, rx) = mpsc::channel::<Job>(16_384);
        match own_connection(&db) {
            Some(conn) => {
                let spawned = std::thread::Builder::new()
                    .name("tracking-writer".into())
                    .spawn(move || run_own(conn, rx));
                if let Err(e) = spawned {
                    tracing::error!(error = ?e, "the tracking event writer could not start");
                }
            }
            None => {
                tokio::spawn(run(db, rx));
            }
        }
        Self { tx }
    }

    /// Returns once the event is committed; false if it could not be stored.
    pub async fn record(&self, e: NewEvent) -> bool {
        let (done, wait) = oneshot::channel();
        if self.tx.send((e, done)).await.is_err() {
            return false;
        }
        wait.await.unwrap_or(false)
    }
}

/// Takes what is waiting, up to a group, after the first job.
fn gather(first: Job, rx: &mut mpsc::Receiver<Job>, batch: &mut Vec<Job>) {
    batch.push(first);
    while batch.len() < GROUP {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
}

fn answer(batch: &mut Vec<Job>, stored: Result<(), String>) {
    if let Err(e) = &stored {
        tracing::error!(error = %e, n = batch.len(), "tracking events not stored");
    }
    for (_, done) in batch.drain(..) {
        let _ = done.send(stored.is_ok());
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(GROUP);
    while let Some(first) = rx.recv().await {
        gather(first, &mut rx, &mut batch);
        let events: Vec<&NewEvent> = batch.iter().map(|(e, _)| e).collect();
        let stored = write_batched(&db, &events).await.map_err(|e| e.to_string());
        answer(&mut batch, stored);
    }
}

/// The SQLite writer: a thread of its own with a connection of its own. Through
/// sqlx every statement is a hand-over to the connection's thread (and taking
/// one from the pool is another), and on a busy machine each hand-over can wait
/// a scheduler slice: a 100-event group took 10–30 ms. Here the whole
/// transaction is one piece of work, about 1 ms for 100 events. It ends when
/// the app, and so every sender, is gone.
fn run_own(conn: rusqlite::Connection, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(GROUP);
    while let Some(first) = rx.blocking_recv() {
        gather(first, &mut rx, &mut batch);
        let events: Vec<&NewEvent> = batch.iter().map(|(e, _)| e).collect();
        let stored = write_rusqlite(&conn, &events).map_err(|e| e.to_string());
        answer(&mut batch, stored);
    }
}

#[derive(Default)]
struct Totals {
    opened: i64,
    clicked: i64,
    submitted: i64,
    reported: i64,
}

impl Totals {
    /// One recipient's first time newly set in column `col` of [`FIRST_COLUMNS`].
    fn add(&mut self, col: usize) {
        match col {
            0 => self.opened += 1,
            1 => self.clicked += 1,
            2 => self.submitted += 1,
            3 => self.reported += 1,
            _ => {}
        }
    }
}

/// Rows per multi-row INSERT (9 values each, well inside both databases' limits).
const INSERT_CHUNK: usize = 1000;
/// First times kept on the recipient; the last, the hidden link, is never a person's.
const FIRST_COLUMNS: [&str; 5] = [
    "opened_at",
    "clicked_at",
    "submitted_at",
    "reported_at",
    "honeypot_at",
];

/// The first times a group of events sets: column, time, recipients, each
/// recipient once per column (its earliest event in the group).
fn first_times(events: &[&NewEvent]) -> Vec<(usize, i64, Vec<i64>)> {
    let mut seen: std::collections::HashSet<(i64, usize)> = std::collections::HashSet::new();
    let mut groups: std::collections::BTreeMap<(usize, i64), Vec<i64>> = Default::default();
    for e in events {
        // Each first time is set once; a later open never undoes a click.
        let wanted: [bool; 5] = match (e.kind, e.counted) {
            (Kind::Honeypot, _) => [false, false, false, false, true],
            (_, false) => continue,
            (Kind::Open, _) => [true, false, false, false, false],
            (Kind::Click, _) => [true, true, false, false, false],
            (Kind::Submit, _) => [true, true, true, false, false],
            (Kind::Report, _) => [false, false, false, true, false],
        };
        for (col, _) in wanted.iter().enumerate().filter(|(_, w)| **w) {
            let already = e.already.get(col).copied().unwrap_or(false);
            if !already && seen.insert((e.recipient_id, col)) {
                groups.entry((col, e.at)).or_default().push(e.recipient_id);
            }
        }
    }
    groups
        .into_iter()
        .map(|((col, at), ids)| (col, at, ids))
        .collect()
}

/// The SQLite writer's connection, set up as the pool's are (see
/// `Db::connect`). None for an in-memory database, which only the pool can see.
fn own_connection(db: &Db) -> Option<rusqlite::Connection> {
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

fn write_rusqlite(c: &rusqlite::Connection, events: &[&NewEvent]) -> rusqlite::Result<()> {
    let tx = rusqlite::Transaction::new_unchecked(c, rusqlite::TransactionBehavior::Immediate)?;
    let mut insert = tx.prepare(
        "INSERT INTO sim_events (campaign_id, recipient_id, practice_id, kind, counted, reasons, at, ip, user_agent) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for e in events {
        insert.execute(rusqlite::params![
            e.campaign_id,
            e.recipient_id,
            e.practice_id.get(),
            e.kind.as_str(),
            e.counted,
            e.reasons,
            e.at,
            e.ip,
            e.user_agent
        ])?;
    }
    let by_recipient: HashMap<i64, &NewEvent> =
        events.iter().rev().map(|e| (e.recipient_id, *e)).collect();
    let mut totals: HashMap<i64, Totals> = HashMap::new();
    let mut assign = tx.prepare(
        "INSERT INTO training_assignments (practice_id, staff_id, module, reason, campaign_id, assigned_at, due_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (col, at, ids) in first_times(events) {
        let mut set = tx.prepare_cached(&format!(
            "UPDATE campaign_recipients SET {c} = ?1 WHERE id = ?2 AND {c} IS NULL",
            c = FIRST_COLUMNS[col]
        ))?;
        for id in ids {
            if set.execute(rusqlite::params![at, id])? == 0 || col == 4 {
                continue;
            }
            let Some(e) = by_recipient.get(&id) else {
                continue;
            };
            totals.entry(e.campaign_id).or_default().add(col);
            if col == 1 {
                // A short, kind refresher: the teachable moment's follow-up.
                assign.execute(rusqlite::params![
                    e.practice_id.get(),
                    e.staff_id,
                    e.training_module,
                    follow_up_reason(&e.campaign_name),
                    e.campaign_id,
                    at,
                    at + FOLLOW_UP_SECS
                ])?;
            }
        }
    }
    for (cid, t) in &totals {
        tx.execute(
            "UPDATE campaigns SET opened = opened + ?1, clicked = clicked + ?2, submitted = submitted + ?3, reported = reported + ?4 WHERE id = ?5",
            rusqlite::params![t.opened, t.clicked, t.submitted, t.reported, cid],
        )?;
    }
    drop((insert, assign));
    tx.commit()
}

/// Stores one event at once, outside the group writer: for the reporting
/// mailbox, whose few reports a minute do not need grouping and whose "Check
/// now" runs in the app, which has no writer of its own.
pub async fn store_now(db: &Db, e: &NewEvent) -> Result<(), sqlx::Error> {
    write_batched(db, &[e]).await
}

/// PostgreSQL (and an in-memory SQLite database): a handful of set-based
/// statements per group, however many events and recipients it holds, since
/// each statement is a round trip.
async fn write_batched(db: &Db, events: &[&NewEvent]) -> Result<(), sqlx::Error> {
    let by_recipient: HashMap<i64, &NewEvent> =
        events.iter().rev().map(|e| (e.recipient_id, *e)).collect();
    let mut totals: HashMap<i64, Totals> = HashMap::new();
    with_db!(db, p => {
        let mut tx = p.begin().await?;
        for chunk in events.chunks(INSERT_CHUNK) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO sim_events (campaign_id, recipient_id, practice_id, kind, counted, reasons, at, ip, user_agent) ");
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(e.campaign_id).push_bind(e.recipient_id).push_bind(e.practice_id).push_bind(e.kind.as_str())
                    .push_bind(e.counted).push_bind(&e.reasons).push_bind(e.at).push_bind(&e.ip).push_bind(&e.user_agent);
            });
            qb.build().execute(&mut *tx).await?;
        }
        let mut clicked: Vec<(i64, i64)> = Vec::new();
        // Earlier times first, so the guard keeps a recipient's earliest.
        for (col, at, ids) in first_times(events) {
            for ids in ids.chunks(INSERT_CHUNK) {
                let mut qb = sqlx::QueryBuilder::new(format!("UPDATE campaign_recipients SET {c} = ", c = FIRST_COLUMNS[col]));
                qb.push_bind(at).push(format!(" WHERE {c} IS NULL AND id IN (", c = FIRST_COLUMNS[col]));
                let mut list = qb.separated(", ");
                for id in ids {
                    list.push_bind(*id);
                }
                qb.push(") RETURNING id");
                let set: Vec<(i64,)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                for (id,) in set.into_iter().filter(|_| col < 4) {
                    let Some(e) = by_recipient.get(&id) else { continue };
                    totals.entry(e.campaign_id).or_default().add(col);
                    if col == 1 {
                        clicked.push((id, at));
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
            qb.build().execute(&mut *tx).await?;
        }
        for (cid, t) in &totals {
            sqlx::query("UPDATE campaigns SET opened = opened + $1, clicked = clicked + $2, submitted = submitted + $3, reported = reported + $4 WHERE id = $5")
                .bind(t.opened).bind(t.clicked).bind(t.submitted).bind(t.reported).bind(cid).execute(&mut *tx).await?;
        }
        tx.commit().await?;
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(recipient_id: i64, kind: Kind, counted: bool, at: i64) -> NewEvent {
        NewEvent {
            recipient_id,
            campaign_id: 1,
            practice_id: PracticeId::new(1),
            staff_id: recipient_id,
            kind,
            counted,
            reasons: String::new(),
            at,
            ip: String::new(),
            user_agent: String::new(),
            training_module: "phishing".into(),
            campaign_name: "Test".into(),
            already: [false; 4],
        }
    }

    #[test]
    fn a_group_sets_each_first_time_once_from_the_earliest_event() {
        let mut opened_before = event(3, Kind::Open, true, 100);
        opened_before.already = [true, false, false, false];
        let events = [
            event(1, Kind::Open, true, 100),
            event(1, Kind::Click, true, 101),
            event(1, Kind::Open, true, 102),
            // A scanner's click sets nothing; its hidden link marks the recipient.
            event(2, Kind::Click, false, 100),
            event(2, Kind::Honeypot, false, 100),
            opened_before,
            event(4, Kind::Report, true, 105),
        ];
        let refs: Vec<&NewEvent> = events.iter().collect();
        let got = first_times(&refs);
        assert_eq!(
            got,
            vec![
                (0, 100, vec![1]),
                (1, 101, vec![1]),
                (3, 105, vec![4]),
                (4, 100, vec![2]),
            ]
        );
    }
}
