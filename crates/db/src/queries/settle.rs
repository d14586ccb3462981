//! Recording transfer outcomes with their money, many at once.
//!
//! One call is one transaction: each row's final status, the ledger CONSUME (success) or RELEASE
//! (failure) with its journal line, the bulk counters, and — when the last row becomes final — the
//! bulk's final state. A row already final is skipped (its conditional UPDATE matches nothing), so a
//! duplicate job or a late result can never move money twice. Batching matters: every settlement
//! touches the same account and bulk rows, so one transaction per ~100 results instead of one per
//! row is what lets the gateway settle thousands of transfers a second.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use domain::{BulkState, LedgerKind, TransferStatus};
use std::collections::BTreeMap;

use crate::connection::DbConn;
use crate::error::{DbError, DbResult};
use crate::models::{NewLedgerEntry, now};
use crate::queries::transfers::{coalesce, in_flight_by_range};
use crate::queries::{accounts, period, webhooks};
use crate::schema::bulk_transfers::dsl as b;
use crate::schema::individual_transfers::dsl as t;
use crate::schema::ledger_entries::dsl as le;

/// What became of one transfer.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// Money moved: consume the reservation.
    Completed,
    /// Certainly not paid: release the reservation.
    Failed {
        /// FSPIOP or gateway code.
        code: String,
        /// Human text.
        message: String,
    },
    /// Outcome not known (`PROCESSING → UNKNOWN`); money stays reserved until a lookup decides.
    Unknown {
        /// Why it is unknown.
        reason: String,
        /// When to look it up.
        next_lookup_at: NaiveDateTime,
    },
    /// The POST certainly never reached the adapter (it was down): `PROCESSING → PENDING`, so the
    /// row is sent later. Only for requests that were never sent.
    Requeue {
        /// Why.
        reason: String,
    },
    /// The adapter's answer (or the switch, after the transfer's expiry) proves the transfer never
    /// reached its transfer stage, for a passing reason: `PROCESSING | UNKNOWN → PENDING`, to be
    /// sent again with the same `transferId` not before `retry_at` (`resend_count + 1`). The money
    /// stays reserved.
    Retry {
        /// The stage's code (`PARTY_LOOKUP_TIMEOUT`, `QUOTE_TIMEOUT`, an FSPIOP code…).
        code: String,
        /// What happened.
        message: String,
        /// Not sent again before this.
        retry_at: NaiveDateTime,
    },
    /// A lookup could not decide yet; try again later (row stays UNKNOWN).
    Reschedule {
        /// When to look it up again.
        next_lookup_at: NaiveDateTime,
    },
}

/// One outcome to record.
#[derive(Debug, Clone, PartialEq)]
pub struct SettleItem {
    /// `individual_transfers.id`.
    pub transfer_pk: i64,
    /// The outcome.
    pub resolution: Resolution,
}

/// A bulk's counters after the batch, for progress events.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkCounters {
    /// Bulk primary key.
    pub bulk_pk: i64,
    /// Public id.
    pub bulk_id: String,
    /// State after the batch.
    pub state: BulkState,
    /// Rows COMPLETED.
    pub succeeded: i64,
    /// Rows FAILED.
    pub failed: i64,
    /// Rows in the bulk.
    pub total: i64,
    /// Whether this batch made the bulk final.
    pub became_final: bool,
    /// Rows of the bulk this batch made COMPLETED (rows already final are not counted).
    pub newly_completed: i64,
    /// Rows of the bulk this batch made FAILED.
    pub newly_failed: i64,
    /// Verifications of the run ended (for the events' `seq`, see [`domain::ProgressEvent`]).
    pub verification_version: i32,
}

#[derive(Default)]
struct Delta {
    ok: i64,
    ok_amount: i64,
    ko: i64,
    ko_amount: i64,
    entries: Vec<(i64, LedgerKind, i64)>, // (transfer_pk, kind, amount)
}

/// The statuses a row may NOT become `to` from, by the domain's state machine, as a filter. For
/// COMPLETED and FAILED that is "none of PENDING, COMPLETED, FAILED, CANCELLED" — written as a
/// negation on purpose: `IN ('PROCESSING','UNKNOWN')` matches the partial index on in-flight rows,
/// which PostgreSQL then scans in full (dead entries of every row claimed so far included), making
/// each settlement slower as a bulk progresses; `<> ALL(...)` lets it go by primary key only.
fn not_from(to: TransferStatus) -> Vec<&'static str> {
    TransferStatus::not_sources(to)
        .into_iter()
        .map(TransferStatus::as_str)
        .collect()
}

/// `attempt_count` after an outcome: a row sent by range claim (still PENDING) counts its attempt
/// now; a row claimed one by one counted it at its claim.
fn attempt_counted()
-> diesel::dsl::Eq<t::attempt_count, diesel::expression::SqlLiteral<diesel::sql_types::Integer>> {
    t::attempt_count.eq(diesel::dsl::sql::<diesel::sql_types::Integer>(
        "attempt_count + CASE WHEN status = 'PENDING' THEN 1 ELSE 0 END",
    ))
}

/// The statuses a row may become `to` from, as a filter. A row in flight by range claim is
/// PENDING on disk and PROCESSING in the state machine: each filter adds [`in_flight_by_range`].
fn from(to: TransferStatus) -> Vec<&'static str> {
    TransferStatus::sources(to)
        .into_iter()
        .map(TransferStatus::as_str)
        .collect()
}

/// Records a batch of outcomes in one transaction and returns the counters of every bulk whose
/// counters changed. Rows already final are ignored.
pub fn settle_batch(conn: &mut DbConn, items: &[SettleItem]) -> DbResult<Vec<BulkCounters>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    conn.transaction::<_, DbError, _>(|c| settle_in_tx(c, items))
}

fn settle_in_tx(c: &mut DbConn, items: &[SettleItem]) -> DbResult<Vec<BulkCounters>> {
    let at = now();
    let mut deltas: BTreeMap<i64, Delta> = BTreeMap::new();

    let completed: Vec<i64> = items
        .iter()
        .filter(|i| i.resolution == Resolution::Completed)
        .map(|i| i.transfer_pk)
        .collect();
    if !completed.is_empty() {
        let rows: Vec<(i64, i64, i64)> = diesel::update(
            t::individual_transfers
                .filter(t::id.eq_any(&completed))
                .filter(
                    t::status
                        .ne_all(not_from(TransferStatus::Completed))
                        .or(in_flight_by_range()),
                ),
        )
        .set((
            attempt_counted(),
            t::first_attempt_at.eq(coalesce(t::first_attempt_at, at)),
            t::status.eq(TransferStatus::Completed.as_str()),
            t::completed_at.eq(Some(at)),
            t::updated_at.eq(at),
            t::next_lookup_at.eq(None::<NaiveDateTime>),
            t::error_code.eq(None::<String>),
            t::error_message.eq(None::<String>),
        ))
        .returning((t::id, t::bulk_pk, t::amount))
        .get_results(c)?;
        for (id, bulk_pk, amount) in rows {
            let d = deltas.entry(bulk_pk).or_default();
            d.ok += 1;
            d.ok_amount += amount;
            d.entries.push((id, LedgerKind::Consume, amount));
        }
    }

    for item in items {
        match &item.resolution {
            Resolution::Completed => {}
            Resolution::Failed { code, message } => {
                let row: Option<(i64, i64, i64)> = diesel::update(
                    t::individual_transfers.find(item.transfer_pk).filter(
                        t::status
                            .ne_all(not_from(TransferStatus::Failed))
                            .or(in_flight_by_range()),
                    ),
                )
                .set((
                    attempt_counted(),
                    t::first_attempt_at.eq(coalesce(t::first_attempt_at, at)),
                    t::status.eq(TransferStatus::Failed.as_str()),
                    t::error_code.eq(Some(code.as_str())),
                    t::error_message.eq(Some(message.as_str())),
                    t::completed_at.eq(Some(at)),
                    t::updated_at.eq(at),
                    t::next_lookup_at.eq(None::<NaiveDateTime>),
                ))
                .returning((t::id, t::bulk_pk, t::amount))
                .get_result(c)
                .optional()?;
                if let Some((id, bulk_pk, amount)) = row {
                    let d = deltas.entry(bulk_pk).or_default();
                    d.ko += 1;
                    d.ko_amount += amount;
                    d.entries.push((id, LedgerKind::Release, amount));
                }
            }
            Resolution::Unknown {
                reason,
                next_lookup_at,
            } => {
                diesel::update(
                    t::individual_transfers.find(item.transfer_pk).filter(
                        t::status
                            .eq_any(from(TransferStatus::Unknown))
                            .or(in_flight_by_range()),
                    ),
                )
                .set((
                    attempt_counted(),
                    t::first_attempt_at.eq(coalesce(t::first_attempt_at, at)),
                    t::status.eq(TransferStatus::Unknown.as_str()),
                    t::error_message.eq(Some(reason.as_str())),
                    t::next_lookup_at.eq(Some(*next_lookup_at)),
                    // From now on `claimed_at` is when the outcome became unknown, which is after
                    // the last POST left: "not found at the switch after the transfer's expiry" is
                    // then measured from a moment no earlier than the send, never from the claim
                    // (a POST retried while the adapter was down may leave long after the claim).
                    t::claimed_at.eq(Some(at)),
                    t::updated_at.eq(at),
                ))
                .execute(c)?;
            }
            Resolution::Requeue { reason } => {
                // Only a row whose request never left (PROCESSING) — narrower than every legal
                // source of PENDING, which includes UNKNOWN rows proved never prepared (`Retry`).
                TransferStatus::Processing
                    .transition(TransferStatus::Pending)
                    .map_err(DbError::Transition)?;
                diesel::update(
                    t::individual_transfers.find(item.transfer_pk).filter(
                        t::status
                            .eq(TransferStatus::Processing.as_str())
                            .or(in_flight_by_range()),
                    ),
                )
                .set((
                    attempt_counted(),
                    t::first_attempt_at.eq(coalesce(t::first_attempt_at, at)),
                    t::status.eq(TransferStatus::Pending.as_str()),
                    t::error_message.eq(Some(reason.as_str())),
                    // Handed back: due at once, and no longer in flight by range.
                    t::retry_at.eq(Some(at)),
                    t::claimed_at.eq(None::<NaiveDateTime>),
                    t::updated_at.eq(at),
                ))
                .execute(c)?;
            }
            Resolution::Retry {
                code,
                message,
                retry_at,
            } => {
                diesel::update(
                    t::individual_transfers.find(item.transfer_pk).filter(
                        t::status
                            .eq_any(from(TransferStatus::Pending))
                            .or(in_flight_by_range()),
                    ),
                )
                .set((
                    attempt_counted(),
                    t::first_attempt_at.eq(coalesce(t::first_attempt_at, at)),
                    t::status.eq(TransferStatus::Pending.as_str()),
                    t::error_code.eq(Some(code.as_str())),
                    t::error_message.eq(Some(message.as_str())),
                    t::retry_at.eq(Some(*retry_at)),
                    t::resend_count.eq(t::resend_count + 1),
                    t::claimed_at.eq(None::<NaiveDateTime>),
                    t::next_lookup_at.eq(None::<NaiveDateTime>),
                    t::updated_at.eq(at),
                ))
                .execute(c)?;
            }
            Resolution::Reschedule { next_lookup_at } => {
                diesel::update(
                    t::individual_transfers
                        .find(item.transfer_pk)
                        .filter(t::status.eq(TransferStatus::Unknown.as_str())),
                )
                .set((
                    t::next_lookup_at.eq(Some(*next_lookup_at)),
                    t::lookup_count.eq(t::lookup_count + 1),
                    t::updated_at.eq(at),
                ))
                .execute(c)?;
            }
        }
    }

    let mut out = Vec::new();
    let mut per_account: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    let mut journal: Vec<NewLedgerEntry> = Vec::new();
    // Bulks in key order, then accounts in key order: every worker locks in the same order.
    for (bulk_pk, d) in &deltas {
        type Returned = (String, i64, i64, i64, i64, String, i32);
        let (bulk_id, account_pk, ok, ko, total, state, verification_version): Returned =
            diesel::update(b::bulk_transfers.find(*bulk_pk))
                .set((
                    b::succeeded_count.eq(b::succeeded_count + d.ok),
                    b::failed_count.eq(b::failed_count + d.ko),
                    b::succeeded_amount.eq(b::succeeded_amount + d.ok_amount),
                    b::failed_amount.eq(b::failed_amount + d.ko_amount),
                    b::updated_at.eq(at),
                ))
                .returning((
                    b::bulk_id,
                    b::account_pk,
                    b::succeeded_count,
                    b::failed_count,
                    b::total_count,
                    b::state,
                    b::verification_version,
                ))
                .get_result(c)?;
        let mut state =
            BulkState::parse(&state).map_err(|e| DbError::Corrupt(format!("bulk state: {e}")))?;
        let mut became_final = false;
        if let Some(fin) = BulkState::final_from_counts(ok, ko, total)
            && !state.is_final()
        {
            state.transition(fin).map_err(DbError::Transition)?;
            diesel::update(
                b::bulk_transfers
                    .find(*bulk_pk)
                    .filter(b::state.eq(state.as_str())),
            )
            .set((b::state.eq(fin.as_str()), b::completed_at.eq(Some(at))))
            .execute(c)?;
            state = fin;
            became_final = true;
        }
        let acc = per_account.entry(account_pk).or_default();
        acc.0 += d.ok_amount;
        acc.1 += d.ko_amount;
        journal.extend(d.entries.iter().map(|(tid, kind, amount)| NewLedgerEntry {
            account_pk,
            bulk_pk: Some(*bulk_pk),
            transfer_pk: Some(*tid),
            kind: kind.as_str().to_string(),
            amount: *amount,
            created_at: at,
        }));
        out.push(BulkCounters {
            bulk_pk: *bulk_pk,
            bulk_id,
            state,
            succeeded: ok,
            failed: ko,
            total,
            became_final,
            newly_completed: d.ok,
            newly_failed: d.ko,
            verification_version,
        });
    }
    for (account_pk, (consumed, released)) in per_account {
        accounts::apply_settlement(c, account_pk, consumed, released)?;
    }
    for chunk in journal.chunks(2_000) {
        insert_journal(c, chunk)?;
    }
    // A payee whose payment FAILED may be paid by another run of the same period.
    let failed: Vec<i64> = journal
        .iter()
        .filter(|e| e.kind == LedgerKind::Release.as_str())
        .filter_map(|e| e.transfer_pk)
        .collect();
    period::release_transfers(c, &failed)?;
    for done in out.iter().filter(|b| b.became_final) {
        webhooks::record(c, done.bulk_pk)?;
    }
    Ok(out)
}

/// Inserts journal lines in one statement (a batch insert is written per backend).
pub(crate) fn insert_journal(conn: &mut DbConn, chunk: &[NewLedgerEntry]) -> DbResult<()> {
    match conn {
        DbConn::Pg(c) => diesel::insert_into(le::ledger_entries)
            .values(chunk)
            .execute(c)?,
        DbConn::Sqlite(c) => diesel::insert_into(le::ledger_entries)
            .values(chunk)
            .execute(c)?,
    };
    Ok(())
}
