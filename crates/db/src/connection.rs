//! One connection type over PostgreSQL and SQLite, its pool and the embedded migrations.

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{
    ConnectionManager, CustomizeConnection, ManageConnection, Pool, PooledConnection,
    R2D2Connection,
};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::DbError;

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// A connection to either backend; every query in this crate takes `&mut DbConn`.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// PostgreSQL (production).
    Pg(PgConnection),
    /// SQLite (embedded default).
    Sqlite(SqliteConnection),
}

/// Which backend a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// `sqlite://path`, `file:path` or a plain path.
    Sqlite,
}

impl Backend {
    /// Picks the backend from `DATABASE_URL`.
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// The pool type the binaries share.
pub type DbPool = Pool<Manager>;
/// A connection taken from the pool.
pub type PooledConn = PooledConnection<Manager>;

thread_local! {
    /// Whether a statement on this thread failed because its connection was lost, since the last
    /// connection this thread gave back to the pool.
    static LOST: Cell<bool> = const { Cell::new(false) };
}

/// Called where a diesel error becomes a [`DbError`]: the connection used on this thread was
/// lost. diesel does not always mark such a connection broken itself (a statement that fails
/// while being prepared leaves its transaction manager untouched), so [`Manager::has_broken`]
/// checks it when it comes back.
pub(crate) fn note_lost_connection() {
    LOST.with(|l| l.set(true));
}

/// How long after a broken connection came back to the pool every checkout is tested.
const SUSPECT_FOR: Duration = Duration::from_secs(10);

/// The pool's connection manager: diesel's, with the test on checkout (a `SELECT 1` round trip
/// before every use) skipped while no connection has broken.
///
/// A connection the server dropped (restart, `pg_terminate_backend`, a proxy's idle timeout) is
/// not tested before use: its next statement fails with a `ClosedConnection` or
/// `UnableToSendCommand` error ([`DbError::is_unavailable`]: the API answers 503, a job is
/// retried). When it comes back to the pool, `has_broken` finds it broken — diesel's own check
/// (its transaction manager in error), or, after such an error on the thread that used it
/// ([`note_lost_connection`]), a ping that fails — and r2d2 drops it and opens a fresh one. When the server went away, the other idle connections are
/// most likely dead too: for [`SUSPECT_FOR`] after a broken connection came back, every checkout
/// is tested again, so those are found and replaced by the ping instead of each failing a request.
/// A dropped server therefore costs the statements in flight at that moment, not one failure per
/// pooled connection, and a healthy pool pays no round trip per checkout.
#[derive(Debug)]
pub struct Manager {
    inner: ConnectionManager<DbConn>,
    /// Origin of `suspect_until_ms`.
    started: Instant,
    /// Until when (ms after `started`) checkouts are tested; 0 = never since start.
    suspect_until_ms: AtomicU64,
}

impl Manager {
    fn new(url: String) -> Manager {
        Manager {
            inner: ConnectionManager::new(url),
            started: Instant::now(),
            suspect_until_ms: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn suspicious(&self) -> bool {
        self.now_ms() < self.suspect_until_ms.load(Ordering::Relaxed)
    }
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, diesel::r2d2::Error> {
        self.inner.connect()
    }

    /// Called on every checkout (`test_on_check_out`); a round trip only while suspicious.
    fn is_valid(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        if self.suspicious() {
            conn.ping().map_err(diesel::r2d2::Error::QueryError)
        } else {
            Ok(())
        }
    }

    /// diesel's check (no round trip: the transaction manager's state), then, only when a
    /// statement on this thread lost its connection since the last return, a ping to confirm it
    /// (a lost flag from another connection costs one round trip, never a good connection). A
    /// broken connection makes the next checkouts tested.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        let lost = LOST.with(|l| l.replace(false));
        let broken = self.inner.has_broken(conn) || (lost && conn.ping().is_err());
        if broken {
            let until = self
                .now_ms()
                .saturating_add(u64::try_from(SUSPECT_FOR.as_millis()).unwrap_or(u64::MAX));
            self.suspect_until_ms.fetch_max(until, Ordering::Relaxed);
        }
        broken
    }
}

/// Turns `sqlite://path` into the path diesel expects; other URLs pass through.
pub fn normalise_url(url: &str) -> String {
    url.strip_prefix("sqlite://")
        .map(str::to_string)
        .unwrap_or_else(|| url.to_string())
}

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        if let DbConn::Sqlite(c) = conn {
            // WAL lets readers run beside the single writer; busy_timeout makes writers queue instead
            // of failing; foreign keys are off by default in SQLite. busy_timeout comes FIRST: switching
            // a fresh file to WAL needs an exclusive lock, and without the timeout every connection
            // opened at the same moment as another one fails at once with "database is locked".
            c.batch_execute(
                "PRAGMA busy_timeout = 15000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Builds a pool of `size` connections for `url` (PostgreSQL or SQLite).
pub fn connect(url: &str, size: u32) -> Result<DbPool, DbError> {
    check_postgres(url)?;
    build_pool(url, size, None)
}

/// The pool reports a refused PostgreSQL connection as diesel's `MultiConnection` sees it
/// ("Invalid connection url"), after its 10 s timeout: one direct connection first fails at once
/// with the real cause (refused, unknown host, authentication, missing database…).
fn check_postgres(url: &str) -> Result<(), DbError> {
    if Backend::from_url(url) != Backend::Postgres {
        return Ok(());
    }
    let mut conn = <PgConnection as diesel::Connection>::establish(url).map_err(|e| {
        DbError::Pool(format!(
            "cannot connect to PostgreSQL: {}",
            e.to_string().trim_end()
        ))
    })?;
    // The same connection measures the database's clock, which every age and expiry uses.
    crate::clock::sync_pg(&mut conn)?;
    Ok(())
}

/// [`connect`] with r2d2's `min_idle`: `None` opens all `size` connections up front (binaries),
/// `Some(n)` opens `n` and the rest on demand (tests, which would otherwise hold 16 PostgreSQL
/// connections per throw-away database and exhaust the server's `max_connections`).
pub(crate) fn build_pool(url: &str, size: u32, min_idle: Option<u32>) -> Result<DbPool, DbError> {
    let manager = Manager::new(normalise_url(url));
    Pool::builder()
        .max_size(size.max(1))
        .min_idle(min_idle)
        // `Manager::is_valid` decides whether a checkout costs a round trip (normally not).
        .test_on_check_out(true)
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(SqlitePragmas))
        .build(manager)
        .map_err(|e| DbError::Pool(e.to_string()))
}

/// Applies every pending migration for the connection's backend; returns how many ran.
/// Safe to call from several processes at once: an advisory lock serialises them on PostgreSQL, a
/// write transaction on SQLite.
pub fn run_migrations(conn: &mut DbConn) -> Result<usize, DbError> {
    let applied = match conn {
        DbConn::Pg(c) => {
            c.batch_execute("SELECT pg_advisory_lock(727274001)")?;
            let r = c.run_pending_migrations(PG_MIGRATIONS).map(|v| v.len());
            c.batch_execute("SELECT pg_advisory_unlock(727274001)")?;
            r
        }
        // SQLite has no advisory lock: BEGIN IMMEDIATE takes the write lock first (waiting up to
        // busy_timeout), so a second process starting at the same moment sees the migrations
        // already applied instead of failing on "table … already exists". Each migration's own
        // transaction becomes a savepoint inside this one.
        //
        // Foreign keys are off while migrations run (SQLite only lets that change outside a
        // transaction): a migration that changes a CHECK must rebuild its table, and dropping a
        // table others refer to would otherwise fail. They are checked once the migrations are in.
        DbConn::Sqlite(c) => {
            c.batch_execute("PRAGMA foreign_keys = OFF")?;
            let r = c.immediate_transaction(|c| {
                c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len())
            });
            c.batch_execute("PRAGMA foreign_keys = ON")?;
            let broken: i64 =
                diesel::sql_query("SELECT COUNT(*) AS n FROM pragma_foreign_key_check")
                    .get_result::<CountRow>(c)
                    .map(|r| r.n)?;
            if broken > 0 {
                return Err(DbError::Migration(format!(
                    "{broken} rows break a foreign key after the migrations"
                )));
            }
            r
        }
    };
    applied.map_err(|e| DbError::Migration(e.to_string()))
}

/// The backend of a live connection.
pub fn backend_of(conn: &DbConn) -> Backend {
    match conn {
        DbConn::Pg(_) => Backend::Postgres,
        DbConn::Sqlite(_) => Backend::Sqlite,
    }
}

/// A cheap round trip, for readiness checks.
pub fn ping(conn: &mut DbConn) -> Result<(), DbError> {
    conn.batch_execute("SELECT 1")?;
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct CountRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}
