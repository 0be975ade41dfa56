//! Group commit: ingest batches that arrive while a transaction is running are stored together in
//! the next one, so the commit (an fsync on SQLite, a WAL flush on PostgreSQL) and the index pages
//! the batches dirty are paid once for all of them. Each caller still gets its own outcomes, and
//! only after the shared commit: nothing is acknowledged before it is durable.
//!
//! Should the shared transaction fail for any reason other than the database being unavailable, each
//! batch of the group is stored again on its own, so one sender's batch can never fail another's.

use super::{IngestOutcome, Result, Store, StoreError};
use crate::domain::{Event, Scope};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// One caller's batch waiting for a transaction.
struct Job {
    events: Vec<Event>,
    scopes: Vec<Arc<Scope>>,
    now_ms: i64,
    reply: oneshot::Sender<Result<IngestOutcome>>,
}

pub struct GroupCommit {
    queue: mpsc::Sender<Job>,
    /// What the writer tasks need, taken when the first batch arrives: building a store (in a command,
    /// a test, a benchmark) starts no task; a store that never ingests never has one.
    idle: std::sync::Mutex<Option<Writers>>,
}

struct Writers {
    store: Arc<dyn Store>,
    waiting: Arc<Mutex<mpsc::Receiver<Job>>>,
    count: usize,
    max_events: usize,
}

impl GroupCommit {
    /// `writers` transactions may run at once (1 for SQLite, which has one writer anyway); each takes
    /// every batch waiting when it starts, up to `max_events` events.
    pub fn new(store: Arc<dyn Store>, writers: usize, max_events: usize) -> GroupCommit {
        let (queue, waiting) = mpsc::channel::<Job>(256);
        let writers = Writers { store, waiting: Arc::new(Mutex::new(waiting)), count: writers.max(1), max_events };
        GroupCommit { queue, idle: std::sync::Mutex::new(Some(writers)) }
    }

    pub async fn ingest(&self, events: Vec<Event>, scopes: Vec<Arc<Scope>>, now_ms: i64) -> Result<IngestOutcome> {
        self.start_writers();
        let (reply, answer) = oneshot::channel();
        let job = Job { events, scopes, now_ms, reply };
        self.queue.send(job).await.map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    fn start_writers(&self) {
        let taken = self.idle.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(w) = taken {
            for _ in 0..w.count {
                tokio::spawn(write(w.store.clone(), w.waiting.clone(), w.max_events));
            }
        }
    }
}

async fn write(store: Arc<dyn Store>, waiting: Arc<Mutex<mpsc::Receiver<Job>>>, max_events: usize) {
    loop {
        let jobs = {
            let mut waiting = waiting.lock().await;
            let Some(first) = waiting.recv().await else { return };
            let mut size = first.events.len();
            let mut jobs = vec![first];
            while size < max_events {
                match waiting.try_recv() {
                    Ok(job) => {
                        size += job.events.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
            jobs
        };
        commit(store.as_ref(), jobs).await;
    }
}

/// Stores the jobs' events in one transaction and answers each job with its share of the outcomes.
async fn commit(store: &dyn Store, mut jobs: Vec<Job>) {
    if jobs.len() == 1 {
        let job = jobs.pop().expect("one job");
        let _ = job.reply.send(store.ingest(job.events, job.scopes, job.now_ms).await);
        return;
    }
    // The newest clock of the group stamps all of it.
    let now_ms = jobs.iter().map(|j| j.now_ms).max().unwrap_or_default();
    let mut events = Vec::with_capacity(jobs.iter().map(|j| j.events.len()).sum());
    let mut scopes = Vec::with_capacity(events.capacity());
    for job in &jobs {
        events.extend(job.events.iter().cloned());
        scopes.extend(job.scopes.iter().cloned());
    }
    match store.ingest(events, scopes, now_ms).await {
        Ok(done) => {
            let mut outcomes = done.outcomes.into_iter();
            for job in jobs {
                let share = IngestOutcome { outcomes: outcomes.by_ref().take(job.events.len()).collect(), touched: done.touched.clone() };
                let _ = job.reply.send(Ok(share));
            }
        }
        Err(e) if e.is_unavailable() => {
            let e = Arc::new(e);
            for job in jobs {
                let _ = job.reply.send(Err(StoreError::Shared(e.clone())));
            }
        }
        Err(e) => {
            // Something in the group broke the shared transaction: each batch alone, so the error
            // reaches only the batch that caused it.
            tracing::warn!(error = %e, batches = jobs.len(), "a shared ingest transaction failed; storing its batches one by one");
            for job in jobs {
                let _ = job.reply.send(store.ingest(job.events, job.scopes, job.now_ms).await);
            }
        }
    }
}
