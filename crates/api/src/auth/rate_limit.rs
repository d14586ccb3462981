//! Login throttling, stored in the database so every API replica sees the same counts.
//!
//! Every attempt is recorded *before* its password is checked, under two keys: the login name
//! (trimmed, lower-cased) and the client's address. An attempt is let through to the password
//! check only while the key has fewer than [`Limit::free`] other attempts in the last
//! [`WINDOW`], or once a growing wait after the newest of them has passed: [`Limit::first_wait`]
//! after the first attempt over the limit, doubling with each further one, at most [`MAX_WAIT`].
//! A refused attempt is forgotten (it does not lengthen the wait); a successful login clears the
//! name's attempts and its own share of the address's. Because the count includes attempts still
//! in flight, parallel guesses cannot slip past it: of 40 at once for one name at most 5 reach
//! bcrypt. A 429 is decided before the user is looked up, so it takes the same time whether the
//! account exists or not.
//!
//! The policy, for a user whose name an attacker guesses from elsewhere: after 5 failures within
//! 15 minutes, the next attempt waits 30 s after the last one, then 1, 2, 4… minutes, never more
//! than 15 minutes after the attacker's last attempt; the attacker's own address is stopped after
//! 50 failures within 15 minutes whatever names it tries.

use chrono::NaiveDateTime;
use db::DbConn;
use db::queries::security;

use crate::error::ApiError;

/// Length of the counting window.
pub const WINDOW: chrono::Duration = chrono::Duration::minutes(15);
/// Longest wait imposed.
pub const MAX_WAIT: chrono::Duration = chrono::Duration::minutes(15);

/// How many attempts a key gets before waits begin, and the first wait.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Attempts within [`WINDOW`] let through without waiting.
    pub free: i64,
    /// Wait after the first attempt over `free` (then doubling).
    pub first_wait: chrono::Duration,
}

/// Per login name.
pub const PER_NAME: Limit = Limit {
    free: 5,
    first_wait: chrono::Duration::seconds(30),
};
/// Per client address (an office behind one address shares it).
pub const PER_ADDRESS: Limit = Limit {
    free: 50,
    first_wait: chrono::Duration::seconds(30),
};

/// The key failures are counted under: the login as typed, trimmed and lower-cased, so case
/// variations do not get fresh attempts; prefixed so no login name can pose as an address key.
pub fn rate_key(login: &str) -> String {
    format!("name:{}", login.trim().to_lowercase())
}

/// The key of a client address.
pub fn address_key(addr: &str) -> String {
    format!("addr:{addr}")
}

/// The wait after `others` attempts, `limit.free` or more.
fn wait_after(limit: Limit, others: i64) -> chrono::Duration {
    let doublings = u32::try_from(others - limit.free)
        .unwrap_or(u32::MAX)
        .min(16);
    let wait = limit.first_wait * 2i32.pow(doublings);
    wait.min(MAX_WAIT)
}

/// Records an attempt under `key` and lets it through, or refuses it with 429 (`Retry-After`).
/// Returns the attempt's id.
pub fn admit(
    conn: &mut DbConn,
    key: &str,
    limit: Limit,
    now: NaiveDateTime,
) -> Result<i64, ApiError> {
    let mine = security::record_login_attempt(conn, key, now)?;
    let (others, newest) = security::other_attempts_since(conn, key, mine, now - WINDOW)?;
    if others < limit.free {
        return Ok(mine);
    }
    let free_at = newest.unwrap_or(now) + wait_after(limit, others);
    if now >= free_at {
        return Ok(mine);
    }
    security::forget_login_attempt(conn, mine)?;
    let secs = (free_at - now).num_seconds().max(1);
    Err(ApiError::TooManyRequests {
        retry_after_secs: u64::try_from(secs).unwrap_or(1),
    })
}

/// Forgets one admitted attempt (the address's share of a success, or an attempt refused by the
/// other key).
pub fn forget(conn: &mut DbConn, attempt: i64) -> Result<(), ApiError> {
    Ok(security::forget_login_attempt(conn, attempt)?)
}

/// Forgets the key's attempts after a successful login (and old records of everyone).
pub fn clear(conn: &mut DbConn, key: &str, now: NaiveDateTime) -> Result<(), ApiError> {
    Ok(security::clear_login_failures(conn, key, now - WINDOW)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_then_stop_growing() {
        assert_eq!(wait_after(PER_NAME, 5), chrono::Duration::seconds(30));
        assert_eq!(wait_after(PER_NAME, 6), chrono::Duration::seconds(60));
        assert_eq!(wait_after(PER_NAME, 8), chrono::Duration::seconds(240));
        assert_eq!(wait_after(PER_NAME, 40), MAX_WAIT);
        assert_eq!(wait_after(PER_NAME, i64::MAX), MAX_WAIT);
    }
}
