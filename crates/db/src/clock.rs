//! One clock for every process: the database's.
//!
//! Ages and expiries compare times written by different hosts (a row claimed by one worker is
//! judged lost by another's sweep; a token issued by one API process is checked by another), so
//! each host's own clock would let their skew decide: a sweep running an hour ahead would take
//! live claims for lost ones, one running behind would leave a dead worker's rows unrecovered
//! for an hour. Every process therefore measures the offset between its clock and PostgreSQL's
//! ([`sync`], at connect and then on a schedule) and [`now`] is its own clock corrected by that
//! offset: every timestamp the gateway writes and every one it compares with is on the
//! database's clock, to within the measurement's half round trip. Between two measurements the
//! local clock only advances (NTP slews are parts per million).
//!
//! SQLite runs inside the process, on the host's clock: the offset stays zero.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::RunQueryDsl;
use diesel::pg::PgConnection;

use crate::{DbConn, DbResult};

/// Database clock minus this host's clock, in microseconds.
static OFFSET_MICROS: AtomicI64 = AtomicI64::new(0);

/// A measurement whose round trip took longer than this is not used (its error would be half
/// of it).
const MAX_ROUND_TRIP: Duration = Duration::from_millis(500);

/// Offsets beyond this are logged at warn level when measured.
const WARN_OFFSET: chrono::TimeDelta = chrono::TimeDelta::seconds(2);

/// How often long-running processes measure again.
pub const RESYNC_EVERY: Duration = Duration::from_secs(60);

/// The database's current time, UTC, at microsecond precision (what both backends store).
pub fn now() -> NaiveDateTime {
    let t = chrono::Utc::now().naive_utc()
        + chrono::TimeDelta::microseconds(OFFSET_MICROS.load(Ordering::Relaxed));
    // Truncate to microseconds so a value read back equals the value written on both backends.
    t - chrono::TimeDelta::nanoseconds(i64::from(t.and_utc().timestamp_subsec_nanos() % 1000))
}

/// [`now`] as Unix seconds (token claims).
pub fn unix_now() -> i64 {
    now().and_utc().timestamp()
}

/// Host Unix seconds of the last [`sync_when_due`] measurement.
static LAST_SYNC: AtomicI64 = AtomicI64::new(0);

/// [`sync`] if the last measurement by this function is older than [`RESYNC_EVERY`] (one
/// caller at a time measures; the others return at once).
pub fn sync_when_due(conn: &mut DbConn) -> DbResult<()> {
    let now_secs = chrono::Utc::now().timestamp();
    let last = LAST_SYNC.load(Ordering::Relaxed);
    let every = i64::try_from(RESYNC_EVERY.as_secs()).unwrap_or(i64::MAX);
    if now_secs.saturating_sub(last) < every
        || LAST_SYNC
            .compare_exchange(last, now_secs, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return Ok(());
    }
    sync(conn).map(drop)
}

/// The offset in use (database minus host).
pub fn offset() -> chrono::TimeDelta {
    chrono::TimeDelta::microseconds(OFFSET_MICROS.load(Ordering::Relaxed))
}

#[derive(diesel::QueryableByName)]
struct DbNow {
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    at: NaiveDateTime,
}

/// Measures the database's clock against this host's and uses the result from now on; returns
/// the offset in use. SQLite: zero, without a query.
pub fn sync(conn: &mut DbConn) -> DbResult<chrono::TimeDelta> {
    match conn {
        DbConn::Pg(c) => sync_pg(c),
        DbConn::Sqlite(_) => Ok(offset()),
    }
}

/// [`sync`] on a plain PostgreSQL connection.
pub fn sync_pg(conn: &mut PgConnection) -> DbResult<chrono::TimeDelta> {
    let local_before = chrono::Utc::now().naive_utc();
    let started = Instant::now();
    // clock_timestamp(): the time of this statement, not of its transaction.
    let db: DbNow = diesel::sql_query("SELECT (clock_timestamp() AT TIME ZONE 'UTC') AS at")
        .get_result(conn)?;
    let round_trip = started.elapsed();
    if round_trip > MAX_ROUND_TRIP {
        tracing::debug!(
            round_trip_ms = round_trip.as_millis() as u64,
            "database clock not measured: round trip too long"
        );
        return Ok(offset());
    }
    let half = chrono::TimeDelta::from_std(round_trip / 2).unwrap_or_default();
    let measured = db.at - (local_before + half);
    let micros = measured.num_microseconds().unwrap_or(0);
    let previous = OFFSET_MICROS.swap(micros, Ordering::Relaxed);
    if measured.abs() > WARN_OFFSET && (micros - previous).abs() > 1_000_000 {
        tracing::warn!(
            offset_ms = measured.num_milliseconds(),
            "this host's clock is off the database's: every age and expiry uses the database's"
        );
    }
    Ok(measured)
}
