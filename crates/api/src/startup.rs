//! Building and running the HTTP server; the same code serves production and the tests (port 0).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, middleware, web};
use anyhow::Context;
use db::{Backend, DbPool};
use transport::{JobQueue, MemoryBus, MemoryQueue, ProgressBus, RedisBus, RedisQueue};

use crate::auth::jwt::JwtKeys;
use crate::auth::password::Passwords;
use crate::settings::{QueueKind, Settings};
use crate::state::AppState;
use crate::{console, cors, error, openapi, request_id, routes};

/// Largest JSON body accepted (login, refresh, logout).
const JSON_LIMIT: usize = 64 * 1024;
/// Jobs fetched per batch by consumers of the same queue configuration (producers ignore it).
const QUEUE_BATCH: usize = 100;

/// The outside world the API talks to, built by the caller so tests (and the embedded mode) can
/// substitute their own.
pub struct AppDeps {
    /// Database pool (migrated).
    pub pool: DbPool,
    /// Where stored bulks are queued.
    pub queue: Arc<dyn JobQueue>,
    /// Progress events published by the workers.
    pub bus: Arc<dyn ProgressBus>,
}

impl AppDeps {
    /// Connects what `settings` names: the database (creating a SQLite file's folder and running
    /// pending migrations), and the Redis queue and bus — or in-memory ones with `QUEUE=memory`.
    pub async fn connect(settings: &Settings) -> anyhow::Result<AppDeps> {
        let pool = connect_database(&settings.database_url, settings.db_pool_size).await?;
        let (queue, bus): (Arc<dyn JobQueue>, Arc<dyn ProgressBus>) = match settings.queue {
            QueueKind::Redis => {
                let queue =
                    RedisQueue::connect(&settings.redis_url, &settings.redis_prefix, QUEUE_BATCH)
                        .await
                        .context("connecting the Redis queue (REDIS_URL)")?;
                let bus = RedisBus::connect(&settings.redis_url, &settings.redis_prefix)
                    .await
                    .context("connecting the Redis progress bus (REDIS_URL)")?;
                (Arc::new(queue), Arc::new(bus))
            }
            QueueKind::Memory => {
                // The consumer halves belong to an in-process worker; without one, pushes fail and
                // bulks wait in PENDING for the recovery sweep.
                let (queue, _consumers) = MemoryQueue::new();
                tracing::warn!("QUEUE=memory without an in-process worker: bulks stay PENDING");
                (Arc::new(queue), Arc::new(MemoryBus::default()))
            }
        };
        Ok(AppDeps { pool, queue, bus })
    }
}

/// Opens the pool on `url` and applies pending migrations.
pub async fn connect_database(url: &str, size: u32) -> anyhow::Result<DbPool> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || -> anyhow::Result<DbPool> {
        if Backend::from_url(&url) == Backend::Sqlite {
            let path = db::connection::normalise_url(&url);
            if let Some(dir) = std::path::Path::new(&path).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating the folder of {path}"))?;
            }
        }
        let pool = db::connect(&url, size).context("opening the database (DATABASE_URL)")?;
        let mut conn = pool.get().context("connecting to the database")?;
        let applied = db::run_migrations(&mut conn).context("running migrations")?;
        if applied > 0 {
            tracing::info!(applied, "database migrations applied");
        }
        Ok(pool)
    })
    .await
    .context("database set-up task")?
}

/// Measures the database's clock again every [`db::clock::RESYNC_EVERY`]: token times, throttle
/// windows and every expiry the API compares are on it ([`db::clock`]).
async fn keep_database_clock(pool: DbPool) {
    let mut tick = tokio::time::interval(db::clock::RESYNC_EVERY);
    tick.tick().await; // connect measured it already
    loop {
        tick.tick().await;
        let pool = pool.clone();
        let res = tokio::task::spawn_blocking(move || {
            let mut c = pool.get()?;
            db::clock::sync(&mut c)
        })
        .await;
        if let Ok(Err(e)) = res {
            tracing::warn!(error = %e, "measuring the database's clock failed; keeping the last offset");
        }
    }
}

/// A bound, not yet running, HTTP server.
pub struct Application {
    port: u16,
    server: Server,
    hub: crate::stream::ProgressHub,
}

impl Application {
    /// Binds `BIND_ADDR` and prepares the server (nothing is served until
    /// [`run_until_stopped`](Self::run_until_stopped) is awaited).
    pub async fn build(settings: Settings, deps: AppDeps) -> anyhow::Result<Application> {
        common::metrics::register_api();
        let cost = settings.bcrypt_cost;
        let passwords = tokio::task::spawn_blocking(move || Passwords::new(cost))
            .await
            .context("password set-up task")?
            .context("preparing bcrypt")?;
        let jwt = JwtKeys::new(
            &settings.jwt_secret,
            &settings.jwt_issuer,
            settings.access_token_ttl,
            settings.refresh_token_ttl,
        );
        let listener = TcpListener::bind(&settings.bind_addr)
            .with_context(|| format!("binding {} (BIND_ADDR)", settings.bind_addr))?;
        let port = listener.local_addr()?.port();
        let workers = settings.http_workers;
        let origins = std::sync::Arc::new(settings.cors_allowed_origins.clone());
        tokio::spawn(keep_database_clock(deps.pool.clone()));
        // One bus subscription per process, shared by every stream.
        let hub = crate::stream::ProgressHub::start(deps.bus.clone(), deps.pool.clone());
        let tickets = crate::stream::TicketKeys::new(&settings.jwt_secret, &settings.jwt_issuer);
        let state = web::Data::new(AppState {
            settings,
            pool: deps.pool,
            queue: deps.queue,
            bus: deps.bus,
            jwt,
            passwords,
            hub: hub.clone(),
            tickets,
            access: Default::default(),
            runs_cache: Default::default(),
            password_checks: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
        });
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(JSON_LIMIT)
                        .error_handler(error::json_error),
                )
                .app_data(web::QueryConfig::default().error_handler(error::query_error))
                .app_data(web::PathConfig::default().error_handler(error::path_error))
                .configure(routes::configure)
                .configure(openapi::configure)
                .configure(console::configure)
                .default_service(web::to(error::not_found))
                .wrap(middleware::from_fn({
                    let origins = origins.clone();
                    move |req, next| cors::cors(origins.clone(), req, next)
                }))
                .wrap(middleware::from_fn(request_id::request_id))
                .wrap(middleware::from_fn(crate::metrics::track))
        })
        .shutdown_timeout(10)
        // A client that closes its connection ends the request at once: a live stream waiting for
        // progress is dropped (freeing its subscription) instead of lingering until a write fails.
        .h1_allow_half_closed(false);
        if workers > 0 {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.run();
        tracing::info!(port, "HTTP server bound");
        Ok(Application { port, server, hub })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process's progress fan-out (tests check that streams free their subscriptions).
    pub fn hub(&self) -> crate::stream::ProgressHub {
        self.hub.clone()
    }

    /// A handle to stop the server (tests, embedded mode).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped (SIGINT/SIGTERM in production).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
