//! What every job needs, built once per worker process.

use db::DbPool;
use sdk::SdkClient;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use transport::{JobQueue, ProgressBus};

use crate::pacing::Pacer;
use crate::settings::WorkerSettings;
use crate::settler::Settler;

/// Shared state of one worker process (cheap to clone).
#[derive(Clone)]
pub struct WorkerCtx {
    /// Database pool.
    pub pool: DbPool,
    /// Adapter client (one keep-alive pool).
    pub sdk: SdkClient,
    /// Queue, for fanning out chunk jobs and the sweep's re-queues.
    pub queue: Arc<dyn JobQueue>,
    /// Progress bus.
    pub bus: Arc<dyn ProgressBus>,
    /// Settlement batcher.
    pub settler: Settler,
    /// Calls in flight to the adapter from this process: an adaptive (or fixed) limit bounded by
    /// `WORKER_CONCURRENCY`, handed out in FIFO order so chunk jobs of different bulks take turns.
    pub pacer: Pacer,
    /// Party lookups in flight (verification): a second limiter of the same kind as `pacer`, with
    /// its own latency baseline since a lookup is one stage of a transfer's three, also bounded by
    /// `WORKER_CONCURRENCY` (a process verifying one run while paying another may have up to twice
    /// that many calls in flight; each limiter backs off on the rail's 504s).
    pub lookup_pacer: Pacer,
    /// Settings.
    pub settings: Arc<WorkerSettings>,
    /// Flips to `true` on shutdown: jobs stop claiming new rows.
    pub stopping: watch::Receiver<bool>,
    /// When each run's last throttled progress event went out from this process.
    pub progress_gate: Arc<Mutex<HashMap<String, Instant>>>,
}

impl WorkerCtx {
    /// Whether shutdown has begun.
    pub fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    /// Whether a throttled progress event of `bulk_id` may go out now (at most one per `every`);
    /// records it if so.
    pub fn progress_due(&self, bulk_id: &str, every: Duration) -> bool {
        let Ok(mut gate) = self.progress_gate.lock() else {
            return true;
        };
        let now = Instant::now();
        if gate.len() > 1_000 {
            gate.retain(|_, at| now.duration_since(*at) < every);
        }
        match gate.get(bulk_id) {
            Some(at) if now.duration_since(*at) < every => false,
            _ => {
                gate.insert(bulk_id.to_string(), now);
                true
            }
        }
    }

    /// Runs a blocking database closure on the blocking pool with a pooled connection.
    pub async fn db<T, F>(&self, f: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut db::DbConn) -> Result<T, db::DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let out = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await??;
        Ok(out)
    }
}
