//! `gateway-worker`: configuration from the environment, then [`worker::run`] until SIGTERM/Ctrl-C.

use common::env::Env;
use std::sync::Arc;
use transport::{RedisBus, RedisQueue};
use worker::{JobSource, WorkerDeps, WorkerSettings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
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
    let queue = RedisQueue::connect(&settings.redis_url, &settings.redis_prefix, 100).await?;
    let bus = RedisBus::connect(&settings.redis_url, &settings.redis_prefix).await?;
    let deps = WorkerDeps {
        pool,
        queue: Arc::new(queue.clone()),
        bus: Arc::new(bus),
        source: JobSource::Redis(queue),
    };
    worker::run(settings, deps, common::shutdown::signal()).await
}
