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

async fn write(db: &Db, events: &[&NewEvent]) -> Result<(), sqlx::Error> {
    let mut totals: HashMap<i64, Totals> = HashMap::new();
    with_db!(db, p => {
        let mut tx = p.begin().await?;
        for e in events {
            sqlx::query("INSERT INTO sim_events (campaign_id, recipient_id, practice_id, kind, counted, reasons, at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(e.campaign_id).bind(e.recipient_id).bind(e.practice_id).bind(e.kind.as_str()).bind(e.counted).bind(&e.reasons).bind(e.at)
                .bind(&e.ip).bind(&e.user_agent).execute(&mut *tx).await?;
            if !e.counted {
                continue;
            }
            let t = totals.entry(e.campaign_id).or_default();
            // Each first time is set once; a later open never undoes a click.
            let first = |col: &'static str| format!("UPDATE campaign_recipients SET {col} = $1 WHERE id = $2 AND {col} IS NULL");
            let (open, click, submit, report) = match e.kind {
                Kind::Open => (true, false, false, false),
                Kind::Click => (true, true, false, false),
                Kind::Submit => (true, true, true, false),
                Kind::Report => (false, false, false, true),
                Kind::Honeypot => (false, false, false, false),
            };
            if open && sqlx::query(&first("opened_at")).bind(e.at).bind(e.recipient_id).execute(&mut *tx).await?.rows_affected() == 1 {
                t.opened += 1;
            }
            if click && sqlx::query(&first("clicked_at")).bind(e.at).bind(e.recipient_id).execute(&mut *tx).await?.rows_affected() == 1 {
                t.clicked += 1;
                // A short, kind refresher: the teachable moment's follow-up.
                sqlx::query("INSERT INTO training_assignments (practice_id, staff_id, module, reason, campaign_id, assigned_at, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(e.practice_id).bind(e.staff_id).bind(&e.training_module)
                    .bind(format!("Follow-up to the practice exercise \"{}\"", e.campaign_name)).bind(e.campaign_id)
                    .bind(e.at).bind(e.at + 14 * 86_400).execute(&mut *tx).await?;
            }
            if submit && sqlx::query(&first("submitted_at")).bind(e.at).bind(e.recipient_id).execute(&mut *tx).await?.rows_affected() == 1 {
                t.submitted += 1;
            }
            if report && sqlx::query(&first("reported_at")).bind(e.at).bind(e.recipient_id).execute(&mut *tx).await?.rows_affected() == 1 {
                t.reported += 1;
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
