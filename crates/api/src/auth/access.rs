//! Whether a signed access token still grants access: checked on every authenticated request.
//!
//! A valid signature is not enough. The token is refused when it was revoked (logout), when its
//! login session — its token family — was revoked (logout, or a rotated-away refresh token
//! presented again), when its user was deactivated, and when the user's role is no longer the one
//! the token names. Revocations are rows of `revoked_tokens` shared by every API process; each
//! process keeps a verdict for [`VERDICT_TTL`] so a burst of requests costs one lookup, which
//! bounds how long another process may still honour a token revoked elsewhere.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use db::queries::{security, users};
use db::{DbConn, DbError};

use super::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// How long a verdict is reused by one process.
pub const VERDICT_TTL: Duration = Duration::from_secs(1);
/// Verdicts kept at most (the map is emptied beyond, never grown without bound).
const MAX_VERDICTS: usize = 10_000;

/// The `revoked_tokens` key that revokes a whole token family.
pub fn family_key(family: &str) -> String {
    format!("family:{family}")
}

/// Why a well-signed token no longer grants access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Revoked,
    Disabled,
    RoleChanged,
    UnknownUser,
}

impl Refusal {
    fn error(self) -> ApiError {
        let (code, message) = match self {
            Refusal::Revoked => ("token_revoked", "this session was ended; log in again"),
            Refusal::Disabled => ("account_disabled", "this account is disabled"),
            Refusal::RoleChanged => ("role_changed", "your role changed; log in again"),
            Refusal::UnknownUser => ("invalid_token", "unknown user"),
        };
        ApiError::Unauthorized {
            code,
            message: message.into(),
        }
    }
}

/// The verdicts of this process, by access-token id.
#[derive(Debug, Default)]
pub struct AccessCache {
    verdicts: Mutex<HashMap<String, (Instant, Option<Refusal>)>>,
    /// Bumped by every [`forget_all`](Self::forget_all): a verdict read from the database before
    /// a revocation in this process is not stored after it.
    generation: AtomicU64,
}

impl AccessCache {
    fn get(&self, jti: &str) -> Option<Option<Refusal>> {
        let map = self.verdicts.lock().ok()?;
        map.get(jti)
            .filter(|(at, _)| at.elapsed() < VERDICT_TTL)
            .map(|(_, v)| *v)
    }

    fn put(&self, jti: &str, verdict: Option<Refusal>, generation: u64) {
        if let Ok(mut map) = self.verdicts.lock() {
            if self.generation.load(Ordering::SeqCst) != generation {
                return;
            }
            if map.len() >= MAX_VERDICTS {
                map.retain(|_, (at, _)| at.elapsed() < VERDICT_TTL);
            }
            if map.len() >= MAX_VERDICTS {
                map.clear();
            }
            map.insert(jti.to_string(), (Instant::now(), verdict));
        }
    }

    /// Forgets every verdict (this process revoked a token or a session: seen at once here; the
    /// other processes see it within [`VERDICT_TTL`]). Revocations are rare; a lookup is cheap.
    pub fn forget_all(&self) {
        if let Ok(mut map) = self.verdicts.lock() {
            self.generation.fetch_add(1, Ordering::SeqCst);
            map.clear();
        }
    }
}

fn verdict(c: &mut DbConn, user: &AuthUser) -> Result<Option<Refusal>, DbError> {
    if security::is_revoked(c, &user.jti)? {
        return Ok(Some(Refusal::Revoked));
    }
    if let Some(family) = &user.family
        && security::is_revoked(c, &family_key(family))?
    {
        return Ok(Some(Refusal::Revoked));
    }
    let row = match users::get(c, user.user_id) {
        Ok(u) => u,
        Err(DbError::NotFound) => return Ok(Some(Refusal::UnknownUser)),
        Err(e) => return Err(e),
    };
    if !row.active {
        return Ok(Some(Refusal::Disabled));
    }
    if row.role != user.role.as_str() || row.organisation_id != user.org_id {
        return Ok(Some(Refusal::RoleChanged));
    }
    Ok(None)
}

/// Refuses `user` (already authenticated by signature) when its access has ended.
pub async fn check(state: &AppState, user: &AuthUser) -> Result<(), ApiError> {
    let cached = state.access.get(&user.jti);
    let refusal = match cached {
        Some(v) => v,
        None => {
            let generation = state.access.generation.load(Ordering::SeqCst);
            let u = user.clone();
            let v = state.db(move |c| Ok(verdict(c, &u)?)).await?;
            state.access.put(&user.jti, v, generation);
            v
        }
    };
    match refusal {
        None => Ok(()),
        Some(r) => {
            tracing::info!(user_id = user.user_id, reason = ?r, "access token refused");
            Err(r.error())
        }
    }
}

/// Who holds a long-lived answer (a live stream): checked again while it lasts.
#[derive(Debug, Clone)]
pub struct Holder {
    /// The user.
    pub user_id: i64,
    /// The access token used, if any (a ticket stands for one).
    pub jti: Option<String>,
    /// The login session, if known.
    pub family: Option<String>,
}

/// Whether `holder` may still receive: the user exists and is active, and neither its token nor
/// its session was revoked.
pub fn still_holds(c: &mut DbConn, holder: &Holder) -> Result<bool, DbError> {
    if let Some(jti) = &holder.jti
        && security::is_revoked(c, jti)?
    {
        return Ok(false);
    }
    if let Some(family) = &holder.family
        && security::is_revoked(c, &family_key(family))?
    {
        return Ok(false);
    }
    match users::get(c, holder.user_id) {
        Ok(u) => Ok(u.active),
        Err(DbError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}
