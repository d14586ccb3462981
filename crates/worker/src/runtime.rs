//! Wiring: apalis workers over Redis (production) or apalis' in-memory storage (embedded mode), the
//! settler, the sweep, and graceful shutdown.

use apalis::prelude::*;
use db::DbPool;
use domain::{BulkJob, ChunkJob};
use sdk::SdkClient;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;
use tokio::sync::{Semaphore, watch};
use transport::queue::MemoryStorages;
use transport::{JobQueue, ProgressBus, RedisQueue};

use crate::context::WorkerCtx;
use crate::settings::WorkerSettings;
use crate::settler::Settler;
use crate::{jobs, recovery};

/// Where jobs come from.
pub enum JobSource {
    /// apalis-redis queues (production; several replicas share them).
    Redis(RedisQueue),
    /// apalis in-memory storages (embedded mode, one process).
    Memory(MemoryStorages),
}

/// Everything the worker needs from outside.
pub struct WorkerDeps {
    /// Database pool.
    pub pool: DbPool,
    /// Producer side of the queues (chunk fan-out, sweep re-queues).
    pub queue: Arc<dyn JobQueue>,
    /// Progress bus.
    pub bus: Arc<dyn ProgressBus>,
    /// Consumer side of the queues.
    pub source: JobSource,
}

async fn handle_bulk(job: BulkJob, ctx: Data<WorkerCtx>) -> Result<(), BoxDynError> {
    let span = tracing::info_span!("bulk_job", bulk_id = %job.bulk_id);
    jobs::bulk::run(&ctx, job)
        .instrument(span)
        .await
        .map_err(|e| {
            tracing::warn!(error = %format!("{e:#}"), "bulk job failed; apalis will retry");
            e.into()
        })
}

async fn handle_chunk(job: ChunkJob, ctx: Data<WorkerCtx>) -> Result<(), BoxDynError> {
    let span = tracing::info_span!("chunk_job", bulk_id = %job.bulk_id);
    jobs::chunk::run(&ctx, job)
        .instrument(span)
        .await
        .map_err(|e| {
            tracing::warn!(error = %format!("{e:#}"), "chunk job failed; apalis will retry");
            e.into()
        })
}

/// Runs the worker until `shutdown` resolves, then stops taking jobs, lets in-flight calls finish
/// (up to `SHUTDOWN_TIMEOUT`), commits what they returned, and returns.
pub async fn run(
    settings: WorkerSettings,
    deps: WorkerDeps,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let sdk = SdkClient::new(&settings.adapter_url, settings.adapter_timeout)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let (settler, settler_task) = Settler::start(
        deps.pool.clone(),
        deps.bus.clone(),
        settings.settle_batch,
        settings.settle_flush,
    );
    let settings = Arc::new(settings);
    let ctx = WorkerCtx {
        pool: deps.pool,
        sdk,
        queue: deps.queue,
        bus: deps.bus,
        settler: settler.clone(),
        in_flight: Arc::new(Semaphore::new(settings.concurrency)),
        settings: settings.clone(),
        stopping: stop_rx.clone(),
    };
    let sweep = tokio::spawn(recovery::run_loop(ctx.clone()));
    let name = format!("gw-{}", uuid::Uuid::new_v4().simple());
    let chunk_slots = settings.chunk_jobs_per_worker;

    let stop_signal = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
        Ok::<(), std::io::Error>(())
    };
    let grace = settings.shutdown_timeout;
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutdown requested: no new jobs; finishing in-flight transfers");
        let _ = stop_tx.send(true);
    });

    macro_rules! workers {
        ($bulk:expr, $chunk:expr) => {{
            let bulk_worker = WorkerBuilder::new(format!("{name}-bulk"))
                .backend($bulk)
                .data(ctx.clone())
                .concurrency(4)
                .retry(RetryPolicy::retries(5))
                .timeout(Duration::from_secs(120))
                .catch_panic()
                .enable_tracing()
                .build(handle_bulk);
            let chunk_worker = WorkerBuilder::new(format!("{name}-chunk"))
                .backend($chunk)
                .data(ctx.clone())
                .concurrency(chunk_slots)
                .retry(RetryPolicy::retries(5))
                .timeout(Duration::from_secs(3600))
                .catch_panic()
                .enable_tracing()
                .build(handle_chunk);
            let a = tokio::spawn(bulk_worker.run_until(stop_signal(stop_rx.clone())));
            let b = tokio::spawn(chunk_worker.run_until(stop_signal(stop_rx.clone())));
            (a, b)
        }};
    }
    let (a, b) = match deps.source {
        JobSource::Redis(q) => {
            let bulk = q
                .bulk_storage()
                .poll_with_interval(Duration::from_millis(50));
            let chunk = q
                .chunk_storage()
                .poll_with_interval(Duration::from_millis(20));
            workers!(bulk, chunk)
        }
        JobSource::Memory(m) => workers!(m.bulk, m.chunk),
    };
    tracing::info!(worker = %name, concurrency = settings.concurrency, "worker started");

    let mut stopped = stop_rx.clone();
    let _ = stopped.wait_for(|s| *s).await;
    let finish = async {
        let _ = a.await;
        let _ = b.await;
    };
    if tokio::time::timeout(grace, finish).await.is_err() {
        tracing::warn!("shutdown grace period over; unfinished rows will be recovered by lookup");
    }
    sweep.abort();
    drop(ctx);
    settler.flush().await;
    drop(settler);
    let _ = tokio::time::timeout(Duration::from_secs(10), settler_task).await;
    tracing::info!("worker stopped");
    Ok(())
}
