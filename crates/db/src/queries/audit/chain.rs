//! The chain's head (the lock every append takes) and the check of the whole chain.

use std::fmt;

use diesel::prelude::*;
use domain::{AuditHash, ChainBreak};

use crate::connection::DbConn;
use crate::error::{DbError, DbResult};
use crate::schema::audit_head::dsl as h;

/// Events read per query by [`verify_chain`].
const VERIFY_BATCH: i64 = 1_000;

/// The result of [`verify_chain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    /// Every event links to the one before and hashes to its stored hash.
    Intact {
        /// Events checked.
        events: i64,
    },
    /// The first event that does not.
    Broken {
        /// Its id (for events missing at the end, the first id missing).
        event_id: i64,
        /// What is wrong with it.
        why: ChainBreak,
    },
}

impl fmt::Display for ChainCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainCheck::Intact { events } => write!(f, "audit chain intact: {events} events"),
            ChainCheck::Broken { event_id, why } => {
                write!(f, "audit chain broken at event {event_id}: {why}")
            }
        }
    }
}

fn corrupt_head() -> DbError {
    DbError::Corrupt("the audit chain's head row (audit_head, id 1) is missing".to_string())
}

/// Takes the chain's lock by moving its head one event on; returns the new event's id and the hash
/// it follows. Must be the first statement of the append's transaction (see the module docs).
pub(super) fn lock_head(c: &mut DbConn) -> DbResult<(i64, AuditHash)> {
    let n = diesel::update(h::audit_head.find(1))
        .set(h::last_id.eq(h::last_id + 1))
        .execute(c)?;
    if n != 1 {
        return Err(corrupt_head());
    }
    head(c)
}

/// Records the hash of the event just inserted as the chain's last.
pub(super) fn move_head(c: &mut DbConn, hash: &str) -> DbResult<()> {
    let n = diesel::update(h::audit_head.find(1))
        .set(h::last_hash.eq(hash))
        .execute(c)?;
    if n != 1 {
        return Err(corrupt_head());
    }
    Ok(())
}

/// The head as stored: the last event's id and hash.
pub(super) fn head(c: &mut DbConn) -> DbResult<(i64, AuditHash)> {
    let (last_id, last_hash): (i64, String) = h::audit_head
        .find(1)
        .select((h::last_id, h::last_hash))
        .first(c)
        .optional()?
        .ok_or_else(corrupt_head)?;
    let hash = AuditHash::parse(&last_hash)
        .map_err(|e| DbError::Corrupt(format!("audit_head.last_hash: {e}")))?;
    Ok((last_id, hash))
}

/// Recomputes the whole chain in id order, [`VERIFY_BATCH`] events per query: each event must
/// follow the one before (id + 1), link to its hash (`prev_hash`) and hash to its stored `hash`;
/// the last one must be the head's. Events appended while it runs (after the head was read) are
/// left for the next check. Only a database failure is an `Err`.
pub fn verify_chain(conn: &mut DbConn) -> DbResult<ChainCheck> {
    let (head_id, head_hash) = head(conn)?;
    let (mut prev_id, mut prev) = (0_i64, AuditHash::GENESIS);
    while prev_id < head_id {
        let batch = super::range(conn, prev_id, VERIFY_BATCH.min(head_id - prev_id))?;
        if batch.is_empty() {
            break;
        }
        for e in &batch {
            match e.chained().check(prev_id, &prev, &e.prev_hash, &e.hash) {
                Ok(hash) => (prev_id, prev) = (e.id, hash),
                Err(why) => {
                    return Ok(ChainCheck::Broken {
                        event_id: e.id,
                        why,
                    });
                }
            }
        }
    }
    if prev_id < head_id {
        let expected = prev_id + 1;
        return Ok(ChainCheck::Broken {
            event_id: expected,
            why: ChainBreak::Missing { expected },
        });
    }
    if prev != head_hash {
        return Ok(ChainCheck::Broken {
            event_id: prev_id,
            why: ChainBreak::HeadMismatch,
        });
    }
    Ok(ChainCheck::Intact { events: prev_id })
}
