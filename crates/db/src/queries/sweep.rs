//! What the recovery sweep reads and claims. Every function is safe to run from every worker replica
//! at once: each hand-over is a conditional UPDATE, so only one replica wins a given bulk or row.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use domain::{BulkState, TransferStatus};

use crate::connection::DbConn;
use crate::error::DbResult;
use crate::models::{Transfer, now};
use crate::schema::bulk_transfers::dsl as b;
use crate::schema::individual_transfers::dsl as t;
use crate::schema::transfer_claims::dsl as tc;

/// A bulk the sweep should push to the queue again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StalledBulk {
    /// Primary key.
    pub bulk_pk: i64,
    /// Public id.
    pub bulk_id: String,
    /// State when found (`PENDING`: the bulk job was lost; `PROCESSING` or `VERIFYING`: its chunk
    /// jobs were).
    pub state: String,
}

/// A bulk that is not PROCESSING, or has a row to hand out — PENDING and not in flight by range
/// claim (literal SQL: a correlated EXISTS).
const NEEDS_FAN_OUT: &str = "(bulk_transfers.state <> 'PROCESSING' OR EXISTS (SELECT 1 FROM \
     individual_transfers it WHERE it.bulk_pk = bulk_transfers.id AND it.status = 'PENDING' \
     AND (it.retry_at IS NOT NULL OR it.id > bulk_transfers.claimed_through)))";

/// Bulks PENDING or VERIFYING, or PROCESSING with PENDING rows, untouched since `idle_before`; each returned bulk
/// was taken over by this caller (its `updated_at` bumped under a condition), so one replica only
/// re-queues it.
pub fn take_stalled_bulks(
    conn: &mut DbConn,
    idle_before: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<StalledBulk>> {
    let candidates: Vec<(i64, String, String, NaiveDateTime)> = b::bulk_transfers
        .filter(b::state.eq_any([
            BulkState::Pending.as_str(),
            BulkState::Processing.as_str(),
            BulkState::Verifying.as_str(),
        ]))
        .filter(b::updated_at.lt(idle_before))
        // Only bulks with work to hand out, chosen in SQL: a PROCESSING bulk whose rows are all
        // in flight, UNKNOWN or final needs nothing, and skipping it after the LIMIT would let 100
        // such bulks hide a lost one for ever. Taken bulks are touched, so the next pass pages on.
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(NEEDS_FAN_OUT))
        .order(b::id.asc())
        .limit(limit)
        .select((b::id, b::bulk_id, b::state, b::updated_at))
        .load(conn)?;
    let mut taken = Vec::new();
    let at = now();
    for (bulk_pk, bulk_id, state, seen) in candidates {
        if state == BulkState::Processing.as_str()
            && !crate::queries::transfers::has_pending(conn, bulk_pk)?
        {
            continue; // rows are all in flight or final: nothing to fan out
        }
        let n = diesel::update(
            b::bulk_transfers
                .find(bulk_pk)
                .filter(b::updated_at.eq(seen))
                .filter(b::state.eq(&state)),
        )
        .set(b::updated_at.eq(at))
        .execute(conn)?;
        if n == 1 {
            taken.push(StalledBulk {
                bulk_pk,
                bulk_id,
                state,
            });
        }
    }
    Ok(taken)
}

/// Rows left in flight since before `claimed_before` (their worker died or lost its result) become
/// UNKNOWN, due for lookup now; they are never POSTed again. Returns how many. In flight means
/// PROCESSING (claimed one by one) or handed out by a range claim older than `claimed_before` and
/// still PENDING with no `retry_at` (see [`crate::queries::transfers::claim`]); such claims are
/// deleted once judged, so the claims table holds only recent ones.
pub fn expire_processing(conn: &mut DbConn, claimed_before: NaiveDateTime) -> DbResult<usize> {
    let at = now();
    let mut n = diesel::update(
        t::individual_transfers
            .filter(t::status.eq(TransferStatus::Processing.as_str()))
            .filter(t::claimed_at.lt(claimed_before)),
    )
    .set((
        t::status.eq(TransferStatus::Unknown.as_str()),
        t::error_message.eq(Some(LOST)),
        t::next_lookup_at.eq(Some(at)),
        // As for any UNKNOWN row, the transfer's expiry is counted from now, a moment no earlier
        // than its POST could have left (see `settle`), so "not found" cannot end it too soon.
        t::claimed_at.eq(Some(at)),
        t::updated_at.eq(at),
    ))
    .execute(conn)?;
    loop {
        let old: Vec<(i64, i64, i64, i64, NaiveDateTime)> = tc::transfer_claims
            .filter(tc::claimed_at.lt(claimed_before))
            .order(tc::id.asc())
            .limit(500)
            .select((
                tc::id,
                tc::bulk_pk,
                tc::first_id,
                tc::last_id,
                tc::claimed_at,
            ))
            .load(conn)?;
        if old.is_empty() {
            break;
        }
        for (id, bulk_pk, first_id, last_id, claimed_at) in old {
            // One transaction per claim: the replica whose DELETE removes it judges its rows.
            n += conn.transaction::<_, crate::DbError, _>(|c| {
                if diesel::delete(tc::transfer_claims.find(id)).execute(c)? == 0 {
                    return Ok(0);
                }
                Ok(diesel::update(
                    t::individual_transfers
                        .filter(t::bulk_pk.eq(bulk_pk))
                        .filter(t::status.eq(TransferStatus::Pending.as_str()))
                        .filter(t::id.ge(first_id))
                        .filter(t::id.le(last_id))
                        .filter(t::retry_at.is_null()),
                )
                .set((
                    t::status.eq(TransferStatus::Unknown.as_str()),
                    t::error_message.eq(Some(LOST)),
                    t::next_lookup_at.eq(Some(at)),
                    t::claimed_at.eq(Some(at)),
                    t::attempt_count.eq(t::attempt_count + 1),
                    t::first_attempt_at.eq(Some(claimed_at)),
                    t::updated_at.eq(at),
                ))
                .execute(c)?)
            })?;
        }
    }
    Ok(n)
}

/// Why a row in flight became UNKNOWN without an answer.
const LOST: &str = "worker stopped before recording the outcome";

/// Claims up to `limit` UNKNOWN rows whose lookup is due at `at`, pushing their next lookup to
/// `lease_until` so no other replica looks them up meanwhile. Rows parked (no next lookup) stay put.
pub fn claim_due_lookups(
    conn: &mut DbConn,
    at: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<Transfer>> {
    let unknown = TransferStatus::Unknown.as_str();
    let candidates: Vec<(i64, Option<NaiveDateTime>)> = t::individual_transfers
        .filter(t::status.eq(unknown))
        .filter(t::next_lookup_at.le(at))
        .order(t::next_lookup_at.asc())
        .limit(limit)
        .select((t::id, t::next_lookup_at))
        .load(conn)?;
    let mut out = Vec::with_capacity(candidates.len());
    for (id, seen) in candidates {
        let n = diesel::update(
            t::individual_transfers
                .find(id)
                .filter(t::status.eq(unknown))
                .filter(t::next_lookup_at.eq(seen)),
        )
        .set(t::next_lookup_at.eq(Some(lease_until)))
        .execute(conn)?;
        if n == 1 {
            out.push(crate::queries::transfers::get(conn, id)?);
        }
    }
    Ok(out)
}

/// Stops automatic lookups of an UNKNOWN row that stayed unknown too long: it stays UNKNOWN with
/// its money reserved until an operator resolves it.
pub fn park_unknown(conn: &mut DbConn, transfer_pk: i64, reason: &str) -> DbResult<bool> {
    let n = diesel::update(
        t::individual_transfers
            .find(transfer_pk)
            .filter(t::status.eq(TransferStatus::Unknown.as_str())),
    )
    .set((
        t::next_lookup_at.eq(None::<NaiveDateTime>),
        t::error_message.eq(Some(reason)),
        t::updated_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
