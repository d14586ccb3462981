//! Wiring: apalis workers over Redis (production) or apalis' in-memory storage (embedded mode), the
//! settler, the sweep, and graceful shutdown.

use apalis::prelude::*;
use db::DbPool;
use domain::{BulkJob, ChunkJob};
use sdk::{Operation, SdkClient};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tracing::Instrument;
use transport::queue::MemoryStorages;
use transport::{JobQueue, ProgressBus, RedisQueue};

use crate::context::WorkerCtx;
use crate::pacing::Pacer;
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
    common::metrics::register_worker();
    common::metrics::declare_adapter_operations(Operation::ALL.map(Operation::as_str));
    let sdk = SdkClient::new(&settings.adapter_url, settings.adapter_timeout)?
        .with_accept_mode(settings.accept_mode)
        .with_observer(Arc::new(|op: Operation, took| {
            common::metrics::adapter_request(op.as_str(), took)
        }));
    if !settings.resend_after_expiry() {
        tracing::error!(
            transfer_expiry_secs = settings.transfer_expiry.as_secs_f64(),
            adapter_expiry_secs = settings.adapter_expiry.as_secs_f64(),
            "TRANSFER_EXPIRY is not longer than the adapter's expiry (ADAPTER_EXPIRY): rows the \
             switch never saw will end FAILED instead of being sent again"
        );
    }
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
        pacer: Pacer::exported(settings.pacing, settings.concurrency, "transfers"),
        lookup_pacer: Pacer::exported(settings.pacing, settings.concurrency, "lookups"),
        settings: settings.clone(),
        stopping: stop_rx.clone(),
        progress_gate: Default::default(),
    };
    let sweep = tokio::spawn(recovery::run_loop(ctx.clone()));
    let hooks = tokio::spawn(crate::webhooks::run_loop(ctx.clone()));
    let endpoints = crate::health::start(&settings, ctx.pacer.clone(), stop_rx.clone()).await?;
    let addr_of = |want: fn(&crate::health::Health) -> bool| {
        endpoints.iter().find(|h| want(h)).map(|h| h.addr)
    };
    let (health, metrics) = (addr_of(|h| h.health), addr_of(|h| h.metrics));
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

    macro_rules! bulk_worker {
        ($backend:expr, $name:expr, $ctx:expr) => {
            WorkerBuilder::new($name)
                .backend($backend)
                .data($ctx)
                .concurrency(4)
                .retry(RetryPolicy::retries(5))
                .timeout(Duration::from_secs(120))
                .catch_panic()
                .enable_tracing()
                .build(handle_bulk)
        };
    }
    macro_rules! chunk_worker {
        ($backend:expr, $name:expr, $ctx:expr) => {
            WorkerBuilder::new($name)
                .backend($backend)
                .data($ctx)
                .concurrency(chunk_slots)
                .retry(RetryPolicy::retries(5))
                .timeout(Duration::from_secs(3600))
                .catch_panic()
                .enable_tracing()
                .build(handle_chunk)
        };
    }
    let (a, b) = match deps.source {
        JobSource::Redis(q) => {
            let (q1, c1, rx1, n1) = (q.clone(), ctx.clone(), stop_rx.clone(), name.clone());
            let a = tokio::spawn(keep_consuming(
                "bulk",
                q.clone(),
                stop_rx.clone(),
                move |round| {
                    let backend = q1
                        .bulk_storage()
                        .poll_with_interval(Duration::from_millis(50));
                    bulk_worker!(backend, consumer_name(&n1, "bulk", round), c1.clone())
                        .run_until(stop_signal(rx1.clone()))
                },
            ));
            let (c2, rx2, n2) = (ctx.clone(), stop_rx.clone(), name.clone());
            let q2 = q.clone();
            let b = tokio::spawn(keep_consuming("chunk", q2, stop_rx.clone(), move |round| {
                let backend = q
                    .chunk_storage()
                    .poll_with_interval(Duration::from_millis(20));
                chunk_worker!(backend, consumer_name(&n2, "chunk", round), c2.clone())
                    .run_until(stop_signal(rx2.clone()))
            }));
            (a, b)
        }
        JobSource::Memory(m) => {
            let bulk = bulk_worker!(m.bulk, consumer_name(&name, "bulk", 0), ctx.clone());
            let chunk = chunk_worker!(m.chunk, consumer_name(&name, "chunk", 0), ctx.clone());
            let a = tokio::spawn(bulk.run_until(stop_signal(stop_rx.clone())));
            let b = tokio::spawn(chunk.run_until(stop_signal(stop_rx.clone())));
            (a, b)
        }
    };
    tracing::info!(
        worker = %name, concurrency = settings.concurrency, pacing = ?settings.pacing,
        adapter_limit = ctx.pacer.limit(), health = ?health, metrics = ?metrics,
        "worker started"
    );

    let mut stopped = stop_rx.clone();
    let _ = stopped.wait_for(|s| *s).await;
    // Everything from here is bounded by SHUTDOWN_TIMEOUT, even with the database away (the
    // settler then retries forever): what is not committed by the deadline is left PROCESSING or
    // UNKNOWN and recovered by the next worker's sweep and lookups, never re-POSTed.
    let deadline = tokio::time::Instant::now() + grace;
    let finish = async {
        let _ = a.await;
        let _ = b.await;
    };
    if tokio::time::timeout_at(deadline, finish).await.is_err() {
        tracing::warn!("shutdown grace period over; unfinished rows will be recovered by lookup");
    }
    sweep.abort();
    hooks.abort();
    for h in endpoints {
        h.task.abort();
    }
    drop(ctx);
    let committed = tokio::time::timeout_at(deadline, settler.flush())
        .await
        .is_ok();
    drop(settler);
    if !committed
        || tokio::time::timeout_at(deadline, settler_task)
            .await
            .is_err()
    {
        tracing::error!(
            "SHUTDOWN_TIMEOUT reached before every result was committed (is the database \
             reachable?): those rows stay PROCESSING and are recovered by lookup"
        );
    }
    tracing::info!("worker stopped");
    Ok(())
}

/// `<worker>-<queue>`, then `<worker>-<queue>-<round>` for the consumers started again.
fn consumer_name(worker: &str, queue: &str, round: u32) -> String {
    match round {
        0 => format!("{worker}-{queue}"),
        n => format!("{worker}-{queue}-{n}"),
    }
}

/// Runs a job consumer until shutdown, building it again whenever it ends on its own: apalis-redis
/// stops a consumer for good at the first failed poll (Redis restarted or briefly unreachable),
/// which would leave this process alive, sweeping, but taking no job ever again. Each new round
/// registers under a new name, so the jobs the old one held are handed back by apalis' orphan
/// recovery (every job is idempotent). Before each start, due jobs are promoted in small steps
/// ([`RedisQueue::promote_due`]): apalis would try all at once and fail past ~8,000.
async fn keep_consuming<F, Fut>(
    queue: &'static str,
    redis: RedisQueue,
    mut stop: watch::Receiver<bool>,
    mut start: F,
) -> Result<(), WorkerError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<(), WorkerError>>,
{
    let mut round = 0u32;
    let mut pause = Duration::from_millis(500);
    loop {
        match redis.promote_due().await {
            Ok(0) => {}
            Ok(moved) => tracing::info!(queue, moved, "due jobs moved to the active list"),
            Err(e) => tracing::warn!(queue, error = %e, "could not move due jobs"),
        }
        let began = tokio::time::Instant::now();
        let res = start(round).await;
        if *stop.borrow() {
            return Ok(());
        }
        match res {
            Ok(()) => tracing::error!(queue, "job consumer ended on its own; starting it again"),
            Err(e) => tracing::error!(
                queue, error = %e,
                "job consumer failed (Redis unreachable?); starting it again"
            ),
        }
        if began.elapsed() > Duration::from_secs(60) {
            pause = Duration::from_millis(500);
        }
        round += 1;
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.wait_for(|s| *s) => return Ok(()),
        }
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}
