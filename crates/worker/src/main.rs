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
    worker::run(settings, deps, shutdown_signal()).await
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
