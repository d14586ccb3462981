//! Revoked refresh tokens and failed-login records (shared by every API replica).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::connection::DbConn;
use crate::error::{DbError, DbResult};
use crate::schema::{login_failures::dsl as lf, revoked_tokens::dsl as rt};

/// Revokes a token id until `expires_at`; revoking twice returns `false` the second time.
pub fn revoke_token(conn: &mut DbConn, jti: &str, expires_at: NaiveDateTime) -> DbResult<bool> {
    let res = diesel::insert_into(rt::revoked_tokens)
        .values((rt::jti.eq(jti), rt::expires_at.eq(expires_at)))
        .execute(conn);
    match res {
        Ok(_) => Ok(true),
        Err(e) => match DbError::from(e) {
            DbError::Conflict(_) => Ok(false),
            other => Err(other),
        },
    }
}

/// Whether a token id was revoked.
pub fn is_revoked(conn: &mut DbConn, jti: &str) -> DbResult<bool> {
    let n: i64 = rt::revoked_tokens
        .filter(rt::jti.eq(jti))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Forgets revocations whose token has expired anyway.
pub fn purge_revoked(conn: &mut DbConn, now: NaiveDateTime) -> DbResult<usize> {
    Ok(diesel::delete(rt::revoked_tokens.filter(rt::expires_at.lt(now))).execute(conn)?)
}

/// Records one login attempt under `key` (before its password is checked); returns its id.
pub fn record_login_attempt(conn: &mut DbConn, key: &str, at: NaiveDateTime) -> DbResult<i64> {
    Ok(diesel::insert_into(lf::login_failures)
        .values((lf::username.eq(key), lf::failed_at.eq(at)))
        .returning(lf::id)
        .get_result(conn)?)
}

/// Attempts under `key` since `since` other than `mine`, and the newest of them.
pub fn other_attempts_since(
    conn: &mut DbConn,
    key: &str,
    mine: i64,
    since: NaiveDateTime,
) -> DbResult<(i64, Option<NaiveDateTime>)> {
    let q = lf::login_failures
        .filter(lf::username.eq(key))
        .filter(lf::failed_at.ge(since))
        .filter(lf::id.ne(mine));
    let count: i64 = q.count().get_result(conn)?;
    let newest: Option<NaiveDateTime> = q
        .select(lf::failed_at)
        .order(lf::failed_at.desc())
        .first(conn)
        .optional()?;
    Ok((count, newest))
}

/// Forgets one attempt (refused before its check, or the address's share of a success).
pub fn forget_login_attempt(conn: &mut DbConn, id: i64) -> DbResult<()> {
    diesel::delete(lf::login_failures.filter(lf::id.eq(id))).execute(conn)?;
    Ok(())
}

/// Clears the failures of `username` (after a successful login) and every record older than `before`.
pub fn clear_login_failures(
    conn: &mut DbConn,
    username: &str,
    before: NaiveDateTime,
) -> DbResult<()> {
    diesel::delete(
        lf::login_failures.filter(lf::username.eq(username).or(lf::failed_at.lt(before))),
    )
    .execute(conn)?;
    Ok(())
}

/// Forgets login attempts older than `before` (housekeeping; the throttle looks 15 minutes back).
pub fn purge_login_attempts(conn: &mut DbConn, before: NaiveDateTime) -> DbResult<usize> {
    Ok(diesel::delete(lf::login_failures.filter(lf::failed_at.lt(before))).execute(conn)?)
}
