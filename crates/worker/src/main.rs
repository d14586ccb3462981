//! `gateway-worker`: configuration from the environment, then [`worker::run`] until SIGTERM/Ctrl-C;
//! the process exits within `SHUTDOWN_TIMEOUT` (plus a second) of the signal, database or not.

use common::env::Env;
use std::sync::Arc;
use transport::{RedisBus, RedisQueue};
use worker::{JobSource, WorkerDeps, WorkerSettings};

/// Jobs fetched per poll of each queue.
const FETCH_BATCH: usize = 2;

/// How long the runtime waits, once [`worker::run`] has returned, for blocking database calls
/// still running (a pool checkout waits up to its connection timeout): the stop stays bounded by
/// `SHUTDOWN_TIMEOUT` plus this.
const BLOCKING_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = rt.block_on(run());
    rt.shutdown_timeout(BLOCKING_GRACE);
    result
}

async fn run() -> anyhow::Result<()> {
    let settings = match WorkerSettings::from_env(&Env::process()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("configuration error: {e}");
            std::process::exit(2);
        }
    };
    common::telemetry::init(settings.log_format, "info");
    let pool = db::connect(&settings.database_url, settings.db_pool_size)?;
    {
        let mut conn = pool.get()?;
        db::run_migrations(&mut conn)?;
    }
    // Jobs here are chunks of hundreds of rows, not single rows: fetch a few at a time so one
    // replica does not take every lane of a bulk while the others sit idle.
    let queue =
        RedisQueue::connect(&settings.redis_url, &settings.redis_prefix, FETCH_BATCH).await?;
    let bus = RedisBus::connect(&settings.redis_url, &settings.redis_prefix).await?;
    let deps = WorkerDeps {
        pool,
        queue: Arc::new(queue.clone()),
        bus: Arc::new(bus),
        source: JobSource::Redis(queue),
    };
    worker::run(settings, deps, common::shutdown::signal()).await
}
