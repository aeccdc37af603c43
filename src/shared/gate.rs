//! A fixed set of threads for heavy work that must not run without bound,
//! each keeping its scratch memory for its next job (password hashing: each
//! argon2 hash needs 19 MiB for its moment). Requests wait their turn briefly,
//! then are told the node is busy. One gate per process: it guards this
//! process's memory and cores, not a limit shared between nodes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

/// The gate was full for longer than the caller may wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateError {
    Busy,
    /// The worker threads have gone (only while the process shuts down).
    Stopped,
}

type Job<M> = Box<dyn FnOnce(&mut M) + Send>;

pub struct WorkGate<M> {
    permits: Semaphore,
    wait: Duration,
    jobs: std::sync::mpsc::Sender<Job<M>>,
    in_flight: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl<M: Default + 'static> WorkGate<M> {
    /// `size` 0 means one worker per CPU core. `name` names the threads.
    pub fn new(size: usize, wait: Duration, name: &str) -> Self {
        let size = if size == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            size
        };
        let (jobs, queue) = std::sync::mpsc::channel::<Job<M>>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for _ in 0..size {
            let queue = queue.clone();
            // The threads end when the gate is dropped and the queue closes.
            let _ = std::thread::Builder::new()
                .name(name.into())
                .spawn(move || {
                    let mut memory = M::default();
                    loop {
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&mut memory),
                            Err(_) => return,
                        }
                    }
                });
        }
        Self {
            permits: Semaphore::new(size),
            wait,
            jobs,
            in_flight: Arc::default(),
            peak: Arc::default(),
        }
    }

    /// The most jobs that have run at the same moment.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Runs `work` on a worker with that worker's kept memory.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut M) -> T + Send + 'static,
    ) -> Result<T, GateError> {
        let permit = match tokio::time::timeout(self.wait, self.permits.acquire()).await {
            Ok(Ok(p)) => p,
            _ => return Err(GateError::Busy),
        };
        let (in_flight, peak) = (self.in_flight.clone(), self.peak.clone());
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job<M> = Box::new(move |memory| {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let out = work(memory);
            in_flight.fetch_sub(1, Ordering::SeqCst);
            let _ = done.send(out);
        });
        self.jobs.send(job).map_err(|_| GateError::Stopped)?;
        let out = result.await.map_err(|_| GateError::Stopped)?;
        drop(permit);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_more_than_the_gate_size_run_at_once_and_a_long_wait_is_busy() {
        let gate = Arc::new(WorkGate::<Vec<u8>>::new(
            1,
            Duration::from_millis(50),
            "test",
        ));
        let slow = {
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.run(|m| {
                    m.push(1);
                    std::thread::sleep(Duration::from_millis(300));
                })
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(gate.run(|_| ()).await, Err(GateError::Busy));
        slow.await.unwrap().unwrap();
        // The worker kept its memory from the first job.
        assert_eq!(gate.run(|m| m.len()).await, Ok(1));
        assert_eq!(gate.peak(), 1);
    }
}
