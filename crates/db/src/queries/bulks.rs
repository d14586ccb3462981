//! Bulk transfers: creation (rows + reservation in one transaction), reads, state changes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use domain::{AuditAction, BulkState};

use crate::connection::DbConn;
use crate::error::{DbError, DbResult};
use crate::models::{Bulk, NewBulk, NewTransfer, now};
use crate::queries::audit::{self, Actor};
use crate::queries::{accounts, period, runs, webhooks};
use crate::schema::bulk_transfers::dsl as b;
use crate::schema::individual_transfers::dsl as t;

/// Rows per multi-row INSERT on SQLite: 12 binds a row stays well under its parameter limit.
const SQLITE_INSERT_CHUNK: usize = 2_000;

/// States of an earlier run with the same file that do not make a new upload a duplicate: nothing
/// of it was paid, or nothing will be.
const NOT_A_DUPLICATE: [&str; 3] = [
    BulkState::Failed.as_str(),
    BulkState::Rejected.as_str(),
    BulkState::Cancelled.as_str(),
];

/// Stores a bulk, all its transfer rows, the reservation of its total and its `bulk.uploaded` audit
/// event (not for a retry run) in ONE transaction: either everything is written or nothing is.
/// `rows[i].bulk_pk` is filled in here.
pub fn create(conn: &mut DbConn, bulk: &NewBulk, rows: &mut [NewTransfer]) -> DbResult<Bulk> {
    create_unique(conn, bulk, rows, None)
}

/// [`create`], refusing with [`DbError::DuplicateFile`] when the organisation already has a
/// non-FAILED bulk with the same file hash created since `duplicate_since`. The check runs inside the
/// transaction after the reservation has locked the payer account, so two identical uploads racing
/// each other cannot both pass it.
pub fn create_unique(
    conn: &mut DbConn,
    bulk: &NewBulk,
    rows: &mut [NewTransfer],
    duplicate_since: Option<NaiveDateTime>,
) -> DbResult<Bulk> {
    // The reservation is `total_amount`; settlement later consumes or releases each row's amount.
    // If the two disagreed, `reserved` would drift from Σ open rows forever: refuse up front.
    let sum = rows
        .iter()
        .try_fold(0_i64, |acc, r| acc.checked_add(r.amount));
    if sum != Some(bulk.total_amount) || i64::try_from(rows.len()).ok() != Some(bulk.total_count) {
        return Err(DbError::Corrupt(format!(
            "bulk totals ({} rows, {} minor units) do not match its {} rows (sum {sum:?})",
            bulk.total_count,
            bulk.total_amount,
            rows.len()
        )));
    }
    conn.transaction::<_, DbError, _>(|c| {
        // The first statement writes, so SQLite takes its write lock at once (no lock upgrade).
        let bulk_pk: i64 = diesel::insert_into(b::bulk_transfers)
            .values(bulk)
            .returning(b::id)
            .get_result(c)?;
        accounts::reserve(c, bulk.account_pk, Some(bulk_pk), bulk.total_amount)?;
        if let Some(since) = duplicate_since
            && let Some(prior) = b::bulk_transfers
                .filter(b::organisation_id.eq(bulk.organisation_id))
                .filter(b::file_sha256.eq(&bulk.file_sha256))
                .filter(b::created_at.ge(since))
                .filter(b::state.ne_all(NOT_A_DUPLICATE))
                .filter(b::id.ne(bulk_pk))
                .select(Bulk::as_select())
                .first(c)
                .optional()?
        {
            return Err(DbError::DuplicateFile(Box::new(prior)));
        }
        for r in rows.iter_mut() {
            r.bulk_pk = bulk_pk;
        }
        insert_transfers(c, rows)?;
        if let Some(p) = &bulk.period {
            // A payee claimed meanwhile by another run of the period: the primary key refuses it
            // and the whole upload rolls back; the caller names the lines.
            period::claim_bulk(c, bulk.organisation_id, p, bulk_pk).map_err(|e| match e {
                DbError::Conflict(_) => DbError::AlreadyPaidInPeriod(Vec::new()),
                other => other,
            })?;
        }
        webhooks::record(c, bulk_pk)?;
        let stored = get(c, bulk_pk)?;
        // A retry run is recorded by `runs::create_retry` as the retry it is, not as an upload.
        if stored.parent_bulk_pk.is_none() {
            audit::on_bulk(
                c,
                &stored,
                Actor::User(stored.created_by),
                AuditAction::BulkUploaded,
                serde_json::json!({
                    "count": stored.total_count,
                    "total": stored.total_amount,
                    "currency": stored.currency,
                    "fileSha256": stored.file_sha256,
                    "fileName": stored.file_name,
                    "period": stored.period,
                    "executeAt": stored.execute_at.map(domain::audit::rfc3339_micros),
                }),
            )?;
        }
        Ok(stored)
    })
}

/// Writes a run's rows, in file order (ids follow `line`: a block of a pain.001 is located by
/// counting rows).
///
/// PostgreSQL: one `COPY individual_transfers (…) FROM STDIN` in binary format for the whole run.
/// The multi-row INSERTs it replaces sent 12 bind parameters a row (24,000 per 2,000-row
/// statement), and parsing and binding them was about a third of a 100,000-row upload; COPY sends
/// each value once as bytes, with no statement to parse per chunk and no text escaping (a tab,
/// newline, backslash or `\N` in a payee name is just bytes). It runs inside the caller's
/// transaction like any statement, and a constraint it breaks (a duplicate `transfer_id`) is the
/// same database error as an INSERT's. See the crate README, "Upload", for the measurements.
///
/// SQLite keeps multi-row INSERTs: it has no COPY, and a prepared INSERT there is in-process.
fn insert_transfers(conn: &mut DbConn, rows: &[NewTransfer]) -> DbResult<()> {
    match conn {
        DbConn::Pg(c) => {
            let written = diesel::copy_from(t::individual_transfers)
                .from_insertable(rows)
                .execute(c)?;
            if written != rows.len() {
                return Err(DbError::Corrupt(format!(
                    "COPY wrote {written} of {} transfer rows",
                    rows.len()
                )));
            }
        }
        DbConn::Sqlite(c) => {
            for chunk in rows.chunks(SQLITE_INSERT_CHUNK) {
                diesel::insert_into(t::individual_transfers)
                    .values(chunk)
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// By primary key.
pub fn get(conn: &mut DbConn, id: i64) -> DbResult<Bulk> {
    Ok(b::bulk_transfers
        .find(id)
        .select(Bulk::as_select())
        .first(conn)?)
}

/// By public id, whatever the organisation (workers).
pub fn find(conn: &mut DbConn, bulk_id: &str) -> DbResult<Option<Bulk>> {
    Ok(b::bulk_transfers
        .filter(b::bulk_id.eq(bulk_id))
        .select(Bulk::as_select())
        .first(conn)
        .optional()?)
}

/// By public id, only if it belongs to `org` (API visibility rule).
pub fn find_for_org(conn: &mut DbConn, org: i64, bulk_id: &str) -> DbResult<Option<Bulk>> {
    // No stored id contains NUL, and PostgreSQL refuses NUL in a text parameter with an error
    // (SQLite just finds nothing): answer "absent" on both backends instead of failing.
    if bulk_id.contains('\0') {
        return Ok(None);
    }
    Ok(b::bulk_transfers
        .filter(b::bulk_id.eq(bulk_id))
        .filter(b::organisation_id.eq(org))
        .select(Bulk::as_select())
        .first(conn)
        .optional()?)
}

/// The organisation's bulks, newest first, strictly older than the cursor `before` (a primary key).
pub fn list_for_org(
    conn: &mut DbConn,
    org: i64,
    state: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<Bulk>> {
    list_filtered(conn, org, state, None, before, limit)
}

/// [`list_for_org`] also filtered by pension period.
pub fn list_filtered(
    conn: &mut DbConn,
    org: i64,
    state: Option<&str>,
    period: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<Bulk>> {
    let mut q = b::bulk_transfers
        .filter(b::organisation_id.eq(org))
        .select(Bulk::as_select())
        .order(b::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(s) = state {
        q = q.filter(b::state.eq(s.to_string()));
    }
    if let Some(p) = period {
        q = q.filter(b::period.eq(p.to_string()));
    }
    if let Some(before) = before {
        q = q.filter(b::id.lt(before));
    }
    Ok(q.load(conn)?)
}

/// The bulk created with this idempotency key by the organisation, if any.
pub fn find_by_idempotency_key(conn: &mut DbConn, org: i64, key: &str) -> DbResult<Option<Bulk>> {
    Ok(b::bulk_transfers
        .filter(b::organisation_id.eq(org))
        .filter(b::idempotency_key.eq(key))
        .select(Bulk::as_select())
        .first(conn)
        .optional()?)
}

/// The organisation's run uploaded with this pain.001 `GrpHdr/MsgId`, whatever its state (ISO
/// 20022 wants a MsgId unique per sender; a partial unique index makes it so).
pub fn find_by_msg_id(conn: &mut DbConn, org: i64, msg_id: &str) -> DbResult<Option<Bulk>> {
    Ok(b::bulk_transfers
        .filter(b::organisation_id.eq(org))
        .filter(b::msg_id.eq(msg_id))
        .select(Bulk::as_select())
        .first(conn)
        .optional()?)
}

/// A non-FAILED bulk of the organisation with the same file hash created since `since`.
pub fn find_recent_by_sha(
    conn: &mut DbConn,
    org: i64,
    sha: &str,
    since: NaiveDateTime,
) -> DbResult<Option<Bulk>> {
    Ok(b::bulk_transfers
        .filter(b::organisation_id.eq(org))
        .filter(b::file_sha256.eq(sha))
        .filter(b::created_at.ge(since))
        .filter(b::state.ne_all(NOT_A_DUPLICATE))
        .order(b::id.desc())
        .select(Bulk::as_select())
        .first(conn)
        .optional()?)
}

/// `PENDING → PROCESSING`; `false` if the bulk was not PENDING (a duplicate job, or a run
/// cancelled, or one still waiting for approval or its schedule).
pub fn mark_processing(conn: &mut DbConn, bulk_pk: i64) -> DbResult<bool> {
    match runs::transition(conn, bulk_pk, BulkState::Pending, BulkState::Processing) {
        Ok(_) => Ok(true),
        Err(DbError::InvalidState(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Public ids of the retry runs of a run, oldest first, with their states.
pub fn children(conn: &mut DbConn, bulk_pk: i64) -> DbResult<Vec<(String, String)>> {
    Ok(b::bulk_transfers
        .filter(b::parent_bulk_pk.eq(bulk_pk))
        .order(b::id.asc())
        .select((b::bulk_id, b::state))
        .load(conn)?)
}

/// Marks activity on a bulk (the sweep treats a PROCESSING bulk without activity as stalled).
pub fn touch(conn: &mut DbConn, bulk_pk: i64) -> DbResult<()> {
    diesel::update(b::bulk_transfers.find(bulk_pk))
        .set(b::updated_at.eq(now()))
        .execute(conn)?;
    Ok(())
}

/// Payment runs per state, over every organisation (the `gateway_runs` metric); states without a
/// run are absent.
pub fn count_by_state(conn: &mut DbConn) -> DbResult<Vec<(String, i64)>> {
    Ok(b::bulk_transfers
        .group_by(b::state)
        .select((b::state, diesel::dsl::count_star()))
        .load(conn)?)
}

/// Number of bulks, for tests that prove a refusal stored nothing.
pub fn count(conn: &mut DbConn) -> DbResult<i64> {
    Ok(b::bulk_transfers.count().get_result(conn)?)
}
