//! What every job needs, built once per worker process.

use db::DbPool;
use sdk::SdkClient;
use std::sync::Arc;
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
    /// Settings.
    pub settings: Arc<WorkerSettings>,
    /// Flips to `true` on shutdown: jobs stop claiming new rows.
    pub stopping: watch::Receiver<bool>,
}

impl WorkerCtx {
    /// Whether shutdown has begun.
    pub fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
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
