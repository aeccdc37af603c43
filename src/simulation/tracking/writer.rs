//! The event writer: every tracking hit is written durably before its
//! response goes out, and many concurrent hits share one transaction (group
//! commit). Per-recipient first-event times and campaign totals are kept up
//! to date here, so results never need to scan events.

use std::collections::{BTreeMap, HashSet};

use tokio::sync::{mpsc, oneshot};

use super::repo;
use crate::db::Db;
use crate::shared::{CampaignId, PracticeId, StaffId};
use crate::simulation::ids::RecipientId;
use crate::simulation::states::{Kind, Progress, Step};

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub recipient_id: RecipientId,
    pub campaign_id: CampaignId,
    pub practice_id: PracticeId,
    pub staff_id: StaffId,
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
    /// What the recipient had already done when the hit was looked up: a
    /// first time already set is not written again, which saves a statement
    /// per repeat hit.
    pub already: Progress,
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
        match repo::own_connection(&db) {
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
        let stored = repo::write(&db, &events).await.map_err(|e| e.to_string());
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
        let stored = repo::write_own(&conn, &events).map_err(|e| e.to_string());
        answer(&mut batch, stored);
    }
}

/// One first time a group of events sets: the step, when, and for whom
/// (each recipient once per step, at its earliest event in the group).
#[derive(Debug, PartialEq, Eq)]
pub struct FirstTimes {
    pub step: Step,
    pub at: i64,
    pub recipients: Vec<RecipientId>,
}

/// The first times a group of events sets, earlier times first within a
/// step, so a recipient's earliest is the one kept. Each first time is set
/// once: a later open never undoes a click, and what the recipient had
/// already done is not written again.
pub fn first_times(events: &[&NewEvent]) -> Vec<FirstTimes> {
    let mut seen: HashSet<(RecipientId, Step)> = HashSet::new();
    let mut groups: BTreeMap<(Step, i64), Vec<RecipientId>> = BTreeMap::new();
    for e in events {
        for step in e.kind.sets(e.counted) {
            if !e.already.has(*step) && seen.insert((e.recipient_id, *step)) {
                groups
                    .entry((*step, e.at))
                    .or_default()
                    .push(e.recipient_id);
            }
        }
    }
    groups
        .into_iter()
        .map(|((step, at), recipients)| FirstTimes {
            step,
            at,
            recipients,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(recipient_id: i64, kind: Kind, counted: bool, at: i64) -> NewEvent {
        NewEvent {
            recipient_id: RecipientId::new(recipient_id),
            campaign_id: CampaignId::new(1),
            practice_id: PracticeId::new(1),
            staff_id: StaffId::new(recipient_id),
            kind,
            counted,
            reasons: String::new(),
            at,
            ip: String::new(),
            user_agent: String::new(),
            training_module: "phishing".into(),
            campaign_name: "Test".into(),
            already: Progress::default(),
        }
    }

    #[test]
    fn a_group_sets_each_first_time_once_from_the_earliest_event() {
        let mut opened_before = event(3, Kind::Open, true, 100);
        opened_before.already.opened = true;
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
        let first = |step, at, ids: &[i64]| FirstTimes {
            step,
            at,
            recipients: ids.iter().copied().map(RecipientId::new).collect(),
        };
        assert_eq!(
            first_times(&refs),
            vec![
                first(Step::Opened, 100, &[1]),
                first(Step::Clicked, 101, &[1]),
                first(Step::Reported, 105, &[4]),
                first(Step::HiddenLink, 100, &[2]),
            ]
        );
    }
}
