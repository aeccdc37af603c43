//! What a commit tells the rest of this process: "wake up, there is work"
//! (the system-email worker, the simulated-email sender) and "this changed"
//! (a [`Change`] that caches listen for, without the writer knowing them).
//!
//! A [`Tx`](super::Tx) collects both and sends them only after it commits,
//! so nobody wakes to find the rows not there yet, and no cache reloads the
//! old state in between.
//!
//! Across app nodes on one PostgreSQL, the same signals travel by
//! LISTEN/NOTIFY: a transaction's `pg_notify` is delivered only if it
//! commits, at the moment it commits, to every node listening. The payload
//! names the node that sent it, which skips its own (acted on at commit).
//! [`Db::listen_to_other_nodes`](super::Db::listen_to_other_nodes) hears
//! them and, after the link was lost, tells caches to forget everything, so
//! no node acts on state older than the moment it last heard.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{broadcast, Notify};

use crate::shared::CampaignId;

/// A background worker that waits for work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The system-email worker (`mail::worker`): an email was queued.
    Outbox,
    /// The simulated-email sender (`simulation::sending::worker`): an exercise started or resumed.
    Sender,
}

/// Something that changed, for caches to forget what they held about it.
/// Add a variant when a new cache needs to hear about a new kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// An exercise's status, or the way one of its events counts, changed.
    Campaign(CampaignId),
    /// Something may have changed unheard (the link to other nodes was down): forget everything.
    Everything,
}

/// The PostgreSQL NOTIFY channel the nodes share.
pub const CHANNEL: &str = "safetynet_signals";

/// A commit's wake-ups and changes as one NOTIFY payload, naming the node
/// that sent it, like `n:3f2a… w:sender c:12`.
pub fn payload(node: &str, wakes: &[Wake], changes: &[Change]) -> String {
    let wakes = wakes.iter().map(|w| match w {
        Wake::Outbox => "w:outbox".to_string(),
        Wake::Sender => "w:sender".to_string(),
    });
    let changes = changes.iter().map(|c| match c {
        Change::Campaign(id) => format!("c:{}", id.get()),
        Change::Everything => "all".to_string(),
    });
    std::iter::once(format!("n:{node}"))
        .chain(wakes)
        .chain(changes)
        .collect::<Vec<_>>()
        .join(" ")
}

/// How many changes a listener may fall behind before it is told it lagged
/// (and should forget everything).
const BACKLOG: usize = 1024;

pub struct Signals {
    outbox: Notify,
    sender: Notify,
    changes: broadcast::Sender<Change>,
    /// Wakes every task waiting in [`changed`](Signals::changed).
    changed: Notify,
    /// Counts every change published, so a listener can tell with one atomic
    /// read whether anything is waiting for it.
    published: AtomicU64,
}

impl std::fmt::Debug for Signals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signals")
            .field("published", &self.published)
            .finish()
    }
}

impl Default for Signals {
    fn default() -> Self {
        Self {
            outbox: Notify::new(),
            sender: Notify::new(),
            changes: broadcast::channel(BACKLOG).0,
            changed: Notify::new(),
            published: AtomicU64::new(0),
        }
    }
}

impl Signals {
    fn notify(&self, w: Wake) -> &Notify {
        match w {
            Wake::Outbox => &self.outbox,
            Wake::Sender => &self.sender,
        }
    }

    /// Wakes the worker now. Inside a transaction use `Tx::wake_after_commit`.
    pub fn wake(&self, w: Wake) {
        self.notify(w).notify_one();
    }

    /// Returns when someone calls [`wake`](Self::wake) for `w` (or already had).
    pub async fn woken(&self, w: Wake) {
        self.notify(w).notified().await;
    }

    /// Tells every listener. Inside a transaction use `Tx::publish_after_commit`.
    pub fn publish(&self, c: Change) {
        // No listeners is fine: nothing is cached.
        let _ = self.changes.send(c);
        self.published.fetch_add(1, Ordering::Release);
        self.changed.notify_waiters();
    }

    /// Returns when the next change is published (a task that then looks
    /// the state up again, such as a sender watching for a cancel).
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    /// A listener that sees every change published from now on.
    pub fn listen(&self) -> Listener {
        Listener {
            seen: self.published.load(Ordering::Acquire),
            rx: self.changes.subscribe(),
        }
    }

    /// Acts on a payload another node sent through the database; this
    /// node's own (`node`), already acted on at its commit, are skipped.
    pub fn hear(&self, node: &str, payload: &str) {
        let mut words = payload.split_whitespace().peekable();
        if let Some(from) = words.peek().and_then(|w| w.strip_prefix("n:")) {
            if from == node {
                return;
            }
            words.next();
        }
        for word in words {
            match word {
                "w:outbox" => self.wake(Wake::Outbox),
                "w:sender" => self.wake(Wake::Sender),
                "all" => self.publish(Change::Everything),
                other => match other.strip_prefix("c:").and_then(|id| id.parse().ok()) {
                    Some(id) => self.publish(Change::Campaign(CampaignId::new(id))),
                    // An unknown word (a newer node's): forget everything to be safe.
                    None => self.publish(Change::Everything),
                },
            }
        }
    }

    fn published(&self) -> u64 {
        self.published.load(Ordering::Acquire)
    }
}

/// What a listener learned since it last looked.
#[derive(Debug, PartialEq, Eq)]
pub enum Heard {
    Nothing,
    Changes(Vec<Change>),
    /// It fell too far behind to know what changed: forget everything.
    Lagged,
}

/// One cache's ear on the signals. It is polled, not run as a task, so a
/// change published before a request starts is always seen by that request.
pub struct Listener {
    seen: u64,
    rx: broadcast::Receiver<Change>,
}

impl Listener {
    /// What was published since the last call; one atomic read when nothing was.
    pub fn poll(&mut self, signals: &Signals) -> Heard {
        let published = signals.published();
        if published == self.seen {
            return Heard::Nothing;
        }
        self.seen = published;
        let mut heard = Vec::new();
        loop {
            match self.rx.try_recv() {
                Ok(c) => heard.push(c),
                Err(broadcast::error::TryRecvError::Empty) => break,
                Err(broadcast::error::TryRecvError::Lagged(_)) => {
                    // Skip to the newest and say so.
                    while self.rx.try_recv().is_ok() {}
                    return Heard::Lagged;
                }
                Err(broadcast::error::TryRecvError::Closed) => break,
            }
        }
        if heard.is_empty() {
            Heard::Nothing
        } else {
            Heard::Changes(heard)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listener_hears_each_change_once() {
        let s = Signals::default();
        let mut l = s.listen();
        assert_eq!(l.poll(&s), Heard::Nothing);
        s.publish(Change::Campaign(CampaignId::new(3)));
        s.publish(Change::Campaign(CampaignId::new(4)));
        assert_eq!(
            l.poll(&s),
            Heard::Changes(vec![
                Change::Campaign(CampaignId::new(3)),
                Change::Campaign(CampaignId::new(4))
            ])
        );
        assert_eq!(l.poll(&s), Heard::Nothing);
    }

    #[test]
    fn payloads_carry_wakes_and_changes_between_nodes() {
        let text = payload(
            "a1",
            &[Wake::Sender],
            &[Change::Campaign(CampaignId::new(12)), Change::Everything],
        );
        assert_eq!(text, "n:a1 w:sender c:12 all");
        let s = Signals::default();
        let mut l = s.listen();
        s.hear("a1", &text);
        assert_eq!(
            l.poll(&s),
            Heard::Nothing,
            "its own signals, already acted on"
        );
        s.hear("b2", &text);
        s.hear("b2", "n:a1 c:nonsense");
        assert_eq!(
            l.poll(&s),
            Heard::Changes(vec![
                Change::Campaign(CampaignId::new(12)),
                Change::Everything,
                Change::Everything
            ])
        );
    }

    #[test]
    fn a_listener_that_falls_behind_is_told() {
        let s = Signals::default();
        let mut l = s.listen();
        for i in 0..(BACKLOG as i64 + 5) {
            s.publish(Change::Campaign(CampaignId::new(i)));
        }
        assert_eq!(l.poll(&s), Heard::Lagged);
        assert_eq!(l.poll(&s), Heard::Nothing);
    }
}
