//! Failed-login throttling, stored in the database so every API replica sees the same count.
//!
//! After [`MAX_FAILURES`] failed logins for one login name within [`WINDOW`], further attempts are
//! refused with 429 and `Retry-After` until the oldest failure leaves the window. The check runs
//! before the password is verified, so a locked account costs no bcrypt time.

use chrono::NaiveDateTime;
use db::DbConn;
use db::queries::security;

use crate::error::ApiError;

/// Failures tolerated within [`WINDOW`].
pub const MAX_FAILURES: i64 = 5;
/// Length of the counting window.
pub const WINDOW: chrono::Duration = chrono::Duration::minutes(15);

/// The key failures are counted under: the login as typed, trimmed and lower-cased, so case
/// variations do not get fresh attempts.
pub fn rate_key(login: &str) -> String {
    login.trim().to_lowercase()
}

/// Refuses with 429 when the key has used up its attempts.
pub fn check(conn: &mut DbConn, key: &str, now: NaiveDateTime) -> Result<(), ApiError> {
    let (count, oldest) = security::login_failures_since(conn, key, now - WINDOW)?;
    if count < MAX_FAILURES {
        return Ok(());
    }
    let free_at = oldest.unwrap_or(now) + WINDOW;
    let secs = (free_at - now).num_seconds().max(1);
    Err(ApiError::TooManyRequests {
        retry_after_secs: u64::try_from(secs).unwrap_or(1),
    })
}

/// Records one failure.
pub fn record_failure(conn: &mut DbConn, key: &str, now: NaiveDateTime) -> Result<(), ApiError> {
    Ok(security::record_login_failure(conn, key, now)?)
}

/// Forgets the key's failures after a successful login (and old records of everyone).
pub fn clear(conn: &mut DbConn, key: &str, now: NaiveDateTime) -> Result<(), ApiError> {
    Ok(security::clear_login_failures(conn, key, now - WINDOW)?)
}
