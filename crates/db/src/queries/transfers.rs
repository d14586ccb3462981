//! Individual transfers: paged reads for the API, claiming for the workers.

use diesel::prelude::*;
use domain::TransferStatus;

use crate::connection::DbConn;
use crate::error::DbResult;
use crate::models::{Transfer, now};
use crate::schema::individual_transfers::dsl as t;

diesel::define_sql_function! {
    /// SQL `COALESCE` of a nullable timestamp and a fallback (both backends have it).
    fn coalesce(x: diesel::sql_types::Nullable<diesel::sql_types::Timestamp>, y: diesel::sql_types::Timestamp) -> diesel::sql_types::Nullable<diesel::sql_types::Timestamp>;
}

/// A page of a bulk's transfers in file order, strictly after the cursor `after` (a primary key).
pub fn page(
    conn: &mut DbConn,
    bulk_pk: i64,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<Transfer>> {
    let mut q = t::individual_transfers
        .filter(t::bulk_pk.eq(bulk_pk))
        .select(Transfer::as_select())
        .order(t::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(t::status.eq(s.to_string()));
    }
    if let Some(after) = after {
        q = q.filter(t::id.gt(after));
    }
    Ok(q.load(conn)?)
}

/// Row counts per status for one bulk.
pub fn count_by_status(conn: &mut DbConn, bulk_pk: i64) -> DbResult<Vec<(String, i64)>> {
    Ok(t::individual_transfers
        .filter(t::bulk_pk.eq(bulk_pk))
        .group_by(t::status)
        .select((t::status, diesel::dsl::count_star()))
        .load(conn)?)
}

/// Total number of transfer rows (tests).
pub fn count(conn: &mut DbConn) -> DbResult<i64> {
    Ok(t::individual_transfers.count().get_result(conn)?)
}

/// By primary key.
pub fn get(conn: &mut DbConn, id: i64) -> DbResult<Transfer> {
    Ok(t::individual_transfers
        .find(id)
        .select(Transfer::as_select())
        .first(conn)?)
}

/// Claims up to `limit` PENDING rows of a bulk that are due (`retry_at` unset or past) —
/// `PENDING → PROCESSING`, `attempt_count + 1`, `first_attempt_at` set on the first claim — and
/// returns them. Concurrent claimers never get the same row: PostgreSQL skips rows another claimer
/// holds, SQLite has a single writer. A bulk with nothing due returns an empty list.
pub fn claim(conn: &mut DbConn, bulk_pk: i64, limit: i64) -> DbResult<Vec<Transfer>> {
    let pending = TransferStatus::Pending.as_str();
    let at = now();
    let candidates = t::individual_transfers
        .filter(t::bulk_pk.eq(bulk_pk))
        .filter(t::status.eq(pending))
        .filter(t::retry_at.is_null().or(t::retry_at.le(at)))
        .order(t::id.asc())
        .limit(limit)
        .select(t::id);
    // The same UPDATE on both backends; only how the candidate ids are locked differs.
    macro_rules! mark_claimed {
        ($c:expr, $ids:expr) => {{
            if $ids.is_empty() {
                return Ok(Vec::new());
            }
            diesel::update(
                t::individual_transfers
                    .filter(t::id.eq_any(&$ids))
                    .filter(t::status.eq(pending)),
            )
            .set((
                t::status.eq(TransferStatus::Processing.as_str()),
                t::claimed_at.eq(at),
                t::updated_at.eq(at),
                t::attempt_count.eq(t::attempt_count + 1),
                t::first_attempt_at.eq(coalesce(t::first_attempt_at, at)),
                t::retry_at.eq(None::<chrono::NaiveDateTime>),
            ))
            .returning(Transfer::as_returning())
            .get_results($c)
        }};
    }
    let mut rows = match conn {
        // SKIP LOCKED: concurrent claimers each take different rows instead of queueing.
        DbConn::Pg(c) => c.transaction::<_, diesel::result::Error, _>(|c| {
            let ids: Vec<i64> = candidates.for_update().skip_locked().load(c)?;
            mark_claimed!(c, ids)
        })?,
        // BEGIN IMMEDIATE takes the write lock before the read, so the select-then-update pair
        // cannot interleave with another claimer.
        DbConn::Sqlite(c) => c.immediate_transaction::<_, diesel::result::Error, _>(|c| {
            let ids: Vec<i64> = candidates.load(c)?;
            mark_claimed!(c, ids)
        })?,
    };
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Flags a row whose quote, accepted by the adapter itself, carried a payee fee above the
/// gateway's maximum (`fee_above_limit`). Independent of the row's status and of settlement.
pub fn flag_fee_above_limit(conn: &mut DbConn, transfer_pk: i64) -> DbResult<bool> {
    let n = diesel::update(t::individual_transfers.find(transfer_pk))
        .set(t::fee_above_limit.eq(true))
        .execute(conn)?;
    Ok(n == 1)
}

/// By the UUID sent to the adapter (operators find rows by what the switch shows them).
pub fn find_by_mojaloop_id(conn: &mut DbConn, mojaloop_id: &str) -> DbResult<Option<Transfer>> {
    Ok(t::individual_transfers
        .filter(t::mojaloop_transfer_id.eq(mojaloop_id))
        .select(Transfer::as_select())
        .first(conn)
        .optional()?)
}

/// Whether a bulk still has PENDING rows (the worker keeps fanning out while it does).
pub fn has_pending(conn: &mut DbConn, bulk_pk: i64) -> DbResult<bool> {
    let one: Option<i64> = t::individual_transfers
        .filter(t::bulk_pk.eq(bulk_pk))
        .filter(t::status.eq(TransferStatus::Pending.as_str()))
        .select(t::id)
        .first(conn)
        .optional()?;
    Ok(one.is_some())
}

/// The earliest `retry_at` of a bulk's PENDING rows that are waiting out a backoff (`None` when
/// none is): a chunk job that finds nothing due waits until then instead of ending.
pub fn next_retry_at(conn: &mut DbConn, bulk_pk: i64) -> DbResult<Option<chrono::NaiveDateTime>> {
    Ok(t::individual_transfers
        .filter(t::bulk_pk.eq(bulk_pk))
        .filter(t::status.eq(TransferStatus::Pending.as_str()))
        .filter(t::retry_at.is_not_null())
        .select(diesel::dsl::min(t::retry_at))
        .first::<Option<chrono::NaiveDateTime>>(conn)?)
}
