//! What every handler shares: settings, database pool, job queue, progress bus, keys.

use std::sync::Arc;

use actix_web::web;
use db::{DbConn, DbError, DbPool};
use transport::{JobQueue, ProgressBus};

use crate::auth::jwt::JwtKeys;
use crate::auth::password::Passwords;
use crate::error::ApiError;
use crate::settings::Settings;

/// Application state, registered once as `web::Data<AppState>`.
pub struct AppState {
    /// Configuration.
    pub settings: Settings,
    /// Database pool (diesel calls block: go through [`AppState::db`]).
    pub pool: DbPool,
    /// Where stored bulks are handed to the workers.
    pub queue: Arc<dyn JobQueue>,
    /// Progress events from the workers (for the live stream).
    pub bus: Arc<dyn ProgressBus>,
    /// Token signing and verification.
    pub jwt: JwtKeys,
    /// Password hashing with the configured cost.
    pub passwords: Passwords,
    /// Fan-out of progress events to the live streams of this process.
    pub hub: crate::stream::ProgressHub,
    /// Signing of single-use stream tickets.
    pub tickets: crate::stream::TicketKeys,
    /// Password checks allowed at once (one per core): bcrypt is CPU-bound by design.
    pub password_checks: tokio::sync::Semaphore,
    /// This process's recent verdicts on access tokens (revoked, user disabled…).
    pub access: crate::auth::access::AccessCache,
    /// The last count of runs by state, for `/metrics`.
    pub runs_cache: crate::metrics::RunsCache,
}

impl AppState {
    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn db<F, T>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        run_db(self.pool.clone(), f).await
    }
}

/// Runs `f` with a connection from `pool` on the blocking thread pool.
pub async fn run_db<F, T>(pool: DbPool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    web::block(move || {
        let mut conn = pool.get().map_err(DbError::from)?;
        f(&mut conn)
    })
    .await?
}
