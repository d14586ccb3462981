//! Batches transfer outcomes into settlement transactions and publishes progress.
//!
//! Every outcome goes through one channel to one task per worker, which commits them ~100 at a time
//! (or after a few milliseconds) with `db::queries::settle::settle_batch`. A failed commit (database
//! down) keeps the batch and retries with backoff: an answer received from the adapter is never
//! dropped. Progress is published after each commit, coalesced to at most 10 events a second per
//! bulk; a bulk's final event is published at once.

use db::DbPool;
use db::queries::settle::{BulkCounters, Resolution, SettleItem, settle_batch};
use domain::ProgressEvent;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use transport::ProgressBus;

/// Minimum gap between two intermediate events of one bulk from this worker.
const PROGRESS_GAP: Duration = Duration::from_millis(100);

enum Msg {
    Item(SettleItem),
    Flush(oneshot::Sender<()>),
}

/// Sends outcomes to the settlement task.
#[derive(Clone)]
pub struct Settler {
    tx: mpsc::UnboundedSender<Msg>,
}

impl Settler {
    /// Starts the settlement task; it ends when every `Settler` clone is dropped and all is committed.
    pub fn start(
        pool: DbPool,
        bus: Arc<dyn ProgressBus>,
        batch: usize,
        flush_every: Duration,
    ) -> (Settler, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = tokio::spawn(run(pool, bus, rx, batch, flush_every));
        (Settler { tx }, handle)
    }

    /// Queues one outcome for settlement.
    pub fn submit(&self, item: SettleItem) {
        if self.tx.send(Msg::Item(item)).is_err() {
            tracing::error!("settlement task is gone; the row will be recovered by lookup");
        }
    }

    /// Waits until everything submitted so far is committed.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

async fn run(
    pool: DbPool,
    bus: Arc<dyn ProgressBus>,
    mut rx: mpsc::UnboundedReceiver<Msg>,
    batch: usize,
    flush_every: Duration,
) {
    let mut progress = Coalescer::default();
    let mut pending: Vec<SettleItem> = Vec::with_capacity(batch);
    let mut waiters: Vec<oneshot::Sender<()>> = Vec::new();
    let mut tick = tokio::time::interval(PROGRESS_GAP);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut open = true;
    while open || !pending.is_empty() {
        tokio::select! {
            msg = rx.recv(), if open => match msg {
                Some(Msg::Item(i)) => pending.push(i),
                Some(Msg::Flush(w)) => waiters.push(w),
                None => open = false,
            },
            _ = tick.tick() => {
                progress.publish_due(bus.as_ref()).await;
                continue;
            }
        }
        // Gather what is already waiting, up to a batch, or until the flush window closes.
        let deadline = Instant::now() + flush_every;
        while open && pending.len() < batch {
            match tokio::time::timeout_at(deadline.into(), rx.recv()).await {
                Ok(Some(Msg::Item(i))) => pending.push(i),
                Ok(Some(Msg::Flush(w))) => {
                    waiters.push(w);
                    break;
                }
                Ok(None) => open = false,
                Err(_) => break,
            }
        }
        if !pending.is_empty() {
            let items = std::mem::take(&mut pending);
            let counters = commit_with_retry(&pool, items).await;
            for c in counters {
                progress.record(c);
            }
            progress.publish_due(bus.as_ref()).await;
        }
        for w in waiters.drain(..) {
            let _ = w.send(());
        }
    }
    progress.publish_all(bus.as_ref()).await;
}

/// Commits a batch, retrying while the database is unreachable (results are never dropped for that).
/// A batch that keeps failing for another reason is split so one bad row cannot block the others;
/// a single row that still cannot be recorded is left to the recovery sweep (it stays PROCESSING,
/// becomes UNKNOWN and is looked up), logged at error level.
async fn commit_with_retry(pool: &DbPool, items: Vec<SettleItem>) -> Vec<BulkCounters> {
    let mut out = Vec::new();
    let mut queue = vec![items];
    while let Some(batch) = queue.pop() {
        let mut backoff = Duration::from_millis(100);
        let mut failures = 0u32;
        let batch = Arc::new(batch);
        loop {
            let pool = pool.clone();
            let b = batch.clone();
            let res = tokio::task::spawn_blocking(move || {
                let mut conn = pool.get()?;
                settle_batch(&mut conn, &b)
            })
            .await;
            let err = match res {
                Ok(Ok(counters)) => {
                    record_metrics(&batch, &counters);
                    out.extend(counters);
                    break;
                }
                Ok(Err(e)) => e,
                Err(e) => db::DbError::Corrupt(format!("settlement task panicked: {e}")),
            };
            if !err.is_transient() {
                failures += 1;
            }
            if failures >= 3 {
                if batch.len() > 1 {
                    tracing::error!(error = %err, rows = batch.len(), "settlement keeps failing; settling rows one by one");
                    queue.extend(batch.iter().map(|i| vec![i.clone()]));
                } else {
                    tracing::error!(error = %err, transfer_pk = batch[0].transfer_pk,
                        "cannot record this outcome; the row will be recovered by lookup");
                }
                break;
            }
            tracing::warn!(error = %err, rows = batch.len(), "settlement failed; retrying (results kept)");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }
    out
}

/// Counts a committed batch: its size, the rows it made final (from the database's own count, so a
/// late duplicate that moved nothing is not counted) and the intermediate outcomes it recorded.
fn record_metrics(items: &[SettleItem], counters: &[BulkCounters]) {
    use common::metrics::{settlement_batch, transfer_outcome};
    settlement_batch(items.len());
    let sum = |f: fn(&BulkCounters) -> i64| {
        u64::try_from(counters.iter().map(f).sum::<i64>()).unwrap_or(0)
    };
    transfer_outcome("completed", sum(|c| c.newly_completed));
    transfer_outcome("failed", sum(|c| c.newly_failed));
    let count =
        |f: fn(&Resolution) -> bool| items.iter().filter(|i| f(&i.resolution)).count() as u64;
    transfer_outcome(
        "unknown",
        count(|r| matches!(r, Resolution::Unknown { .. })),
    );
    transfer_outcome("resend", count(|r| matches!(r, Resolution::Retry { .. })));
    transfer_outcome(
        "not_sent",
        count(|r| matches!(r, Resolution::Requeue { .. })),
    );
}

/// Latest counters per bulk and when each was last published.
#[derive(Default)]
struct Coalescer {
    latest: HashMap<String, (BulkCounters, bool)>, // counters, dirty
    last_sent: HashMap<String, Instant>,
}

impl Coalescer {
    fn record(&mut self, c: BulkCounters) {
        self.latest.insert(c.bulk_id.clone(), (c, true));
    }

    async fn publish_due(&mut self, bus: &dyn ProgressBus) {
        let now = Instant::now();
        let mut finished = Vec::new();
        for (bulk_id, (c, dirty)) in self.latest.iter_mut() {
            if !*dirty {
                continue;
            }
            let due = c.state.is_final()
                || self
                    .last_sent
                    .get(bulk_id)
                    .is_none_or(|t| now.duration_since(*t) >= PROGRESS_GAP);
            if due {
                publish(bus, c).await;
                *dirty = false;
                self.last_sent.insert(bulk_id.clone(), now);
                if c.state.is_final() {
                    finished.push(bulk_id.clone());
                }
            }
        }
        for b in finished {
            self.latest.remove(&b);
            self.last_sent.remove(&b);
        }
    }

    async fn publish_all(&mut self, bus: &dyn ProgressBus) {
        for (c, dirty) in self.latest.values() {
            if *dirty {
                publish(bus, c).await;
            }
        }
        self.latest.clear();
    }
}

async fn publish(bus: &dyn ProgressBus, c: &BulkCounters) {
    let ev = ProgressEvent::new(&c.bulk_id, c.state, c.succeeded, c.failed, c.total)
        .verification(i64::from(c.verification_version), 0);
    if let Err(e) = bus.publish(&ev).await {
        tracing::warn!(bulk_id = %c.bulk_id, error = %e, "progress not published");
    }
}
