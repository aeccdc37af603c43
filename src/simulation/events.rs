//! The event writer: every tracking hit is written durably before its
//! response goes out, and many concurrent hits share one transaction (group
//! commit). Per-recipient first-event times and campaign totals are kept up
//! to date here, so results never need to scan events.

use std::collections::HashMap;

use tokio::sync::{mpsc, oneshot};

use crate::db::Db;
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
    pub practice_id: i64,
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
        tokio::spawn(run(db, rx));
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

async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(GROUP);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < GROUP {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let events: Vec<&NewEvent> = batch.iter().map(|(e, _)| e).collect();
        let ok = match write(&db, &events).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = ?e, n = events.len(), "tracking events not stored");
                false
            }
        };
        for (_, done) in batch.drain(..) {
            let _ = done.send(ok);
        }
    }
}

#[derive(Default)]
struct Totals {
    opened: i64,
    clicked: i64,
    submitted: i64,
    reported: i64,
}

/// Rows per multi-row INSERT (9 values each, well inside both databases' limits).
const INSERT_CHUNK: usize = 200;

async fn write(db: &Db, events: &[&NewEvent]) -> Result<(), sqlx::Error> {
    let mut totals: HashMap<i64, Totals> = HashMap::new();
    // First times already written in this group (recipient, column).
    let mut done: std::collections::HashSet<(i64, usize)> = std::collections::HashSet::new();
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
        for e in events {
            if !e.counted {
                continue;
            }
            // Each first time is set once; a later open never undoes a click.
            let wanted: [bool; 4] = match e.kind {
                Kind::Open => [true, false, false, false],
                Kind::Click => [true, true, false, false],
                Kind::Submit => [true, true, true, false],
                Kind::Report => [false, false, false, true],
                Kind::Honeypot => [false; 4],
            };
            for (i, col) in ["opened_at", "clicked_at", "submitted_at", "reported_at"].into_iter().enumerate() {
                if !wanted[i] || e.already[i] || !done.insert((e.recipient_id, i)) {
                    continue;
                }
                let sql = format!("UPDATE campaign_recipients SET {col} = $1 WHERE id = $2 AND {col} IS NULL");
                if sqlx::query(&sql).bind(e.at).bind(e.recipient_id).execute(&mut *tx).await?.rows_affected() == 1 {
                    let t = totals.entry(e.campaign_id).or_default();
                    match i {
                        0 => t.opened += 1,
                        1 => {
                            t.clicked += 1;
                            // A short, kind refresher: the teachable moment's follow-up.
                            sqlx::query("INSERT INTO training_assignments (practice_id, staff_id, module, reason, campaign_id, assigned_at, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                                .bind(e.practice_id).bind(e.staff_id).bind(&e.training_module)
                                .bind(format!("Follow-up to the practice exercise \"{}\"", e.campaign_name)).bind(e.campaign_id)
                                .bind(e.at).bind(e.at + 14 * 86_400).execute(&mut *tx).await?;
                        }
                        2 => t.submitted += 1,
                        _ => t.reported += 1,
                    }
                }
            }
        }
        for (cid, t) in &totals {
            sqlx::query("UPDATE campaigns SET opened = opened + $1, clicked = clicked + $2, submitted = submitted + $3, reported = reported + $4 WHERE id = $5")
                .bind(t.opened).bind(t.clicked).bind(t.submitted).bind(t.reported).bind(cid).execute(&mut *tx).await?;
        }
        tx.commit().await?;
    });
    Ok(())
}
