//! Individual transfers: paged reads for the API, claiming for the workers.

use diesel::prelude::*;
use domain::TransferStatus;

use crate::connection::DbConn;
use crate::error::DbResult;
use crate::models::{Transfer, now};
use crate::schema::bulk_transfers::dsl as b;
use crate::schema::individual_transfers::dsl as t;
use crate::schema::transfer_claims::dsl as tc;

diesel::define_sql_function! {
    /// SQL `COALESCE` of a nullable timestamp and a fallback (both backends have it).
    fn coalesce(x: diesel::sql_types::Nullable<diesel::sql_types::Timestamp>, y: diesel::sql_types::Timestamp) -> diesel::sql_types::Nullable<diesel::sql_types::Timestamp>;
}

/// A page of a bulk's transfers in file order, strictly after the cursor `after` (a primary key),
/// as the gateway's state machine sees them: a row in flight by range claim (PENDING on disk, see
/// [`claim`]) is returned — and filtered — as PROCESSING.
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
    let processing = TransferStatus::Processing.as_str();
    match status {
        Some(s) if s == TransferStatus::Pending.as_str() => {
            q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(TO_HAND_OUT));
        }
        Some(s) if s == processing => {
            q = q.filter(t::status.eq(processing).or(in_flight_by_range()));
        }
        Some(s) => q = q.filter(t::status.eq(s.to_string())),
        None => {}
    }
    if let Some(after) = after {
        q = q.filter(t::id.gt(after));
    }
    let mut rows: Vec<Transfer> = q.load(conn)?;
    let through: i64 = b::bulk_transfers
        .find(bulk_pk)
        .select(b::claimed_through)
        .first(conn)
        .optional()?
        .unwrap_or(0);
    for r in &mut rows {
        if r.in_flight_by_range(through) {
            r.status = TransferStatus::Processing.into();
        }
    }
    Ok(rows)
}

/// Row counts per status for one bulk, as the state machine sees them (rows in flight by range
/// claim counted as PROCESSING, as [`page`] shows them).
pub fn count_by_status(conn: &mut DbConn, bulk_pk: i64) -> DbResult<Vec<(String, i64)>> {
    let mut counts: Vec<(String, i64)> = t::individual_transfers
        .filter(t::bulk_pk.eq(bulk_pk))
        .group_by(t::status)
        .select((t::status, diesel::dsl::count_star()))
        .load(conn)?;
    let in_flight: i64 = t::individual_transfers
        .filter(t::bulk_pk.eq(bulk_pk))
        .filter(in_flight_by_range())
        .count()
        .get_result(conn)?;
    if in_flight > 0 {
        let processing = TransferStatus::Processing.as_str();
        for (status, n) in &mut counts {
            if status == TransferStatus::Pending.as_str() {
                *n -= in_flight;
            }
        }
        match counts.iter_mut().find(|(s, _)| s == processing) {
            Some((_, n)) => *n += in_flight,
            None => counts.push((processing.to_string(), in_flight)),
        }
        counts.retain(|(_, n)| *n > 0);
    }
    Ok(counts)
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

/// SQL condition: the row was handed out by a range claim (see [`claim`]) and no outcome is recorded
/// yet — in flight exactly as a PROCESSING row is. Literal SQL (a correlated read of the run's
/// `claimed_through`), valid in any statement on `individual_transfers` on both backends.
pub(crate) const IN_FLIGHT_BY_RANGE: &str = "(individual_transfers.status = 'PENDING' \
     AND individual_transfers.retry_at IS NULL AND individual_transfers.id <= \
     (SELECT bt.claimed_through FROM bulk_transfers bt WHERE bt.id = individual_transfers.bulk_pk))";

/// SQL condition: a PENDING row free to hand out — never handed out (above the run's
/// `claimed_through`) or handed back for another send (`retry_at` set).
pub(crate) const TO_HAND_OUT: &str = "(individual_transfers.status = 'PENDING' \
     AND (individual_transfers.retry_at IS NOT NULL OR individual_transfers.id > \
     (SELECT bt.claimed_through FROM bulk_transfers bt WHERE bt.id = individual_transfers.bulk_pk)))";

/// [`IN_FLIGHT_BY_RANGE`] as a diesel expression.
pub(crate) fn in_flight_by_range() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql::<diesel::sql_types::Bool>(IN_FLIGHT_BY_RANGE)
}

/// Hands out up to `limit` rows of a bulk to send, and returns them in id order, never the same row
/// to two claimers:
/// - rows handed back for another send whose backoff is over (`PENDING`, `retry_at` past) are
///   claimed one by one as before: `PENDING → PROCESSING`, `attempt_count + 1`;
/// - then rows never sent are handed out **by range**, without writing them (issue 18): the run's
///   `claimed_through` moves to the last row handed out and one `transfer_claims` record notes the
///   range and the time. Such a row stays `PENDING` with no `retry_at` until its outcome is
///   recorded, and counts as in flight ([`IN_FLIGHT_BY_RANGE`]): never handed out again, and
///   after a lost worker made UNKNOWN and looked up like a PROCESSING row
///   ([`crate::queries::sweep::expire_processing`]). The returned rows carry the attempt and its
///   time in memory; settlement writes them with the outcome.
///
/// PostgreSQL: the per-row claim skips rows another claimer holds; the range claim locks the run
/// row. SQLite has a single writer (BEGIN IMMEDIATE).
pub fn claim(conn: &mut DbConn, bulk_pk: i64, limit: i64) -> DbResult<Vec<Transfer>> {
    let pending = TransferStatus::Pending.as_str();
    let at = now();
    let resends = t::individual_transfers
        .filter(t::bulk_pk.eq(bulk_pk))
        .filter(t::status.eq(pending))
        .filter(t::retry_at.le(at))
        .order(t::id.asc())
        .limit(limit)
        .select(t::id);
    let through_of = b::bulk_transfers.find(bulk_pk).select(b::claimed_through);
    // The same statements on both backends; only how rows and the run are locked differs.
    macro_rules! claim_in_tx {
        ($c:expr, $ids:expr, $through:expr) => {{
            let mut rows: Vec<Transfer> = if $ids.is_empty() {
                Vec::new()
            } else {
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
                .get_results($c)?
            };
            let room = limit - rows.len() as i64;
            if room > 0 {
                // No such run: nothing to hand out.
                let through: i64 = $through.unwrap_or(i64::MAX);
                let mut first: Vec<Transfer> = t::individual_transfers
                    .filter(t::bulk_pk.eq(bulk_pk))
                    .filter(t::status.eq(pending))
                    .filter(t::retry_at.is_null())
                    .filter(t::id.gt(through))
                    .order(t::id.asc())
                    .limit(room)
                    .select(Transfer::as_select())
                    .load($c)?;
                if let (Some(lo), Some(hi)) =
                    (first.first().map(|r| r.id), first.last().map(|r| r.id))
                {
                    diesel::update(b::bulk_transfers.find(bulk_pk))
                        .set(b::claimed_through.eq(hi))
                        .execute($c)?;
                    diesel::insert_into(tc::transfer_claims)
                        .values((
                            tc::bulk_pk.eq(bulk_pk),
                            tc::first_id.eq(lo),
                            tc::last_id.eq(hi),
                            tc::claimed_at.eq(at),
                        ))
                        .execute($c)?;
                    // As the state machine sees them (nothing of this is written).
                    for r in &mut first {
                        r.status = TransferStatus::Processing.into();
                        r.claimed_at = Some(at);
                        r.attempt_count += 1;
                        r.first_attempt_at.get_or_insert(at);
                    }
                    rows.extend(first);
                }
            }
            Ok::<_, diesel::result::Error>(rows)
        }};
    }
    let mut rows = match conn {
        DbConn::Pg(c) => c.transaction::<_, diesel::result::Error, _>(|c| {
            // SKIP LOCKED: concurrent claimers each take different re-sends instead of queueing.
            let ids: Vec<i64> = resends.for_update().skip_locked().load(c)?;
            claim_in_tx!(c, ids, through_of.for_update().first(c).optional()?)
        })?,
        // BEGIN IMMEDIATE takes the write lock before the reads, so nothing interleaves.
        DbConn::Sqlite(c) => c.immediate_transaction::<_, diesel::result::Error, _>(|c| {
            let ids: Vec<i64> = resends.load(c)?;
            claim_in_tx!(c, ids, through_of.first(c).optional()?)
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

/// Whether a bulk still has rows to hand out ([`TO_HAND_OUT`]: PENDING and not in flight); the
/// worker keeps fanning out while it does.
pub fn has_pending(conn: &mut DbConn, bulk_pk: i64) -> DbResult<bool> {
    let one: Option<i64> = t::individual_transfers
        .filter(t::bulk_pk.eq(bulk_pk))
        .filter(t::status.eq(TransferStatus::Pending.as_str()))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(TO_HAND_OUT))
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
