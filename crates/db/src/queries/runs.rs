//! The payment run's life after upload: approval, rejection, cancellation, scheduling.
//!
//! Every state change goes through [`transition`], which asks the domain's state machine first
//! (an illegal change is [`DbError::Transition`], never a silent no-op) and then applies it with a
//! conditional UPDATE on the state it expects, so two people (or a person and a worker) acting at
//! once cannot both win: the loser gets [`DbError::InvalidState`] with the state it found.
//! Rejecting or cancelling releases the run's whole reservation and its period claims in the same
//! transaction, with one RELEASE journal line. Each decision, retry and scheduled start appends its
//! audit event as the last statement of its transaction (see [`audit`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use domain::{AuditAction, BulkState, TransferStatus};
use serde_json::json;

use crate::connection::DbConn;
use crate::error::{DbError, DbResult};
use crate::models::{Bulk, now};
use crate::queries::audit::{self, Actor};
use crate::queries::{accounts, bulks, period, webhooks};
use crate::schema::bulk_transfers::dsl as b;
use crate::schema::individual_transfers::dsl as t;

/// Reads a run for a decision, writing first: the row lock (PostgreSQL) or the write lock (SQLite,
/// taken at once instead of upgrading a read, which WAL refuses with "database is locked" when
/// another connection committed meanwhile) serialises two decisions on one run.
fn lock(c: &mut DbConn, bulk_pk: i64) -> DbResult<Bulk> {
    bulks::touch(c, bulk_pk)?;
    bulks::get(c, bulk_pk)
}

/// Moves a run `from → to` if the domain allows it and the run is still in `from`. Returns the
/// run afterwards; [`DbError::InvalidState`] when it was no longer in `from`.
pub fn transition(
    conn: &mut DbConn,
    bulk_pk: i64,
    from: BulkState,
    to: BulkState,
) -> DbResult<Bulk> {
    from.transition(to).map_err(DbError::Transition)?;
    let at = now();
    let completed_at = to.is_final().then_some(at);
    let n = diesel::update(
        b::bulk_transfers
            .find(bulk_pk)
            .filter(b::state.eq(from.as_str())),
    )
    .set((
        b::state.eq(to.as_str()),
        b::updated_at.eq(at),
        b::completed_at.eq(completed_at),
    ))
    .execute(conn)?;
    let bulk = bulks::get(conn, bulk_pk)?;
    if n == 0 {
        return Err(DbError::InvalidState(*bulk.state));
    }
    Ok(bulk)
}

/// Who decides, and on what.
#[derive(Debug, Clone)]
pub struct Approval<'a> {
    /// The APPROBATEUR.
    pub user_pk: i64,
    /// The file hash the approver saw.
    pub file_sha256: &'a str,
    /// The verification report version the approver saw (required for a verified run).
    pub verification_version: Option<i32>,
}

/// Approves a run waiting for approval: never by its uploader ([`DbError::SameUser`]), only for
/// the file the approver saw ([`DbError::FileHashMismatch`]). The run goes to SCHEDULED when its
/// `execute_at` is still ahead, else PENDING (the caller queues it).
pub fn approve(conn: &mut DbConn, bulk_pk: i64, approval: &Approval<'_>) -> DbResult<Bulk> {
    conn.transaction::<_, DbError, _>(|c| {
        let bulk = lock(c, bulk_pk)?;
        if *bulk.state != BulkState::AwaitingApproval {
            return Err(DbError::InvalidState(*bulk.state));
        }
        if bulk.created_by == approval.user_pk {
            return Err(DbError::SameUser);
        }
        if !bulk
            .file_sha256
            .eq_ignore_ascii_case(approval.file_sha256.trim())
        {
            return Err(DbError::FileHashMismatch);
        }
        if bulk.verification()?.is_on()
            && approval.verification_version != Some(bulk.verification_version)
        {
            return Err(DbError::VerificationChanged);
        }
        let at = now();
        let to = BulkState::after_approval(bulk.execute_at.is_some_and(|e| e > at));
        transition(c, bulk_pk, BulkState::AwaitingApproval, to)?;
        diesel::update(b::bulk_transfers.find(bulk_pk))
            .set((
                b::approved_by.eq(Some(approval.user_pk)),
                b::approved_at.eq(Some(at)),
                b::approved_sha256.eq(Some(bulk.file_sha256.as_str())),
                b::approved_verification_version.eq(bulk
                    .verification()?
                    .is_on()
                    .then_some(bulk.verification_version)),
            ))
            .execute(c)?;
        let after = bulks::get(c, bulk_pk)?;
        let details = json!({
            "fileSha256": after.approved_sha256,
            "verificationVersion": after.approved_verification_version,
        });
        audit::on_bulk(
            c,
            &after,
            Actor::User(approval.user_pk),
            AuditAction::BulkApproved,
            details,
        )?;
        Ok(after)
    })
}

/// Rejects a run waiting for approval: REJECTED, every row CANCELLED, reservation released.
pub fn reject(conn: &mut DbConn, bulk_pk: i64, user_pk: i64, reason: &str) -> DbResult<Bulk> {
    conn.transaction::<_, DbError, _>(|c| {
        let bulk = lock(c, bulk_pk)?;
        if *bulk.state != BulkState::AwaitingApproval {
            return Err(DbError::InvalidState(*bulk.state));
        }
        if bulk.created_by == user_pk {
            return Err(DbError::SameUser);
        }
        transition(c, bulk_pk, BulkState::AwaitingApproval, BulkState::Rejected)?;
        close_unsent(c, &bulk)?;
        diesel::update(b::bulk_transfers.find(bulk_pk))
            .set((
                b::rejected_by.eq(Some(user_pk)),
                b::rejected_at.eq(Some(now())),
                b::rejection_reason.eq(Some(reason)),
            ))
            .execute(c)?;
        webhooks::record(c, bulk_pk)?;
        let after = bulks::get(c, bulk_pk)?;
        let details =
            json!({"reason": reason, "released": bulk.total_amount - bulk.excluded_amount});
        audit::on_bulk(
            c,
            &after,
            Actor::User(user_pk),
            AuditAction::BulkRejected,
            details,
        )?;
        Ok(after)
    })
}

/// Cancels a run no row of which was sent (AWAITING_APPROVAL, SCHEDULED, or PENDING before any
/// claim): CANCELLED, every row CANCELLED, reservation released. A PENDING run a worker already
/// started on is [`DbError::AlreadyStarted`], and nothing changes.
pub fn cancel(conn: &mut DbConn, bulk_pk: i64, user_pk: i64) -> DbResult<Bulk> {
    conn.transaction::<_, DbError, _>(|c| {
        let bulk = lock(c, bulk_pk)?;
        let from = *bulk.state;
        if from == BulkState::Processing {
            return Err(DbError::AlreadyStarted);
        }
        if !from.is_cancellable() {
            return Err(DbError::InvalidState(from));
        }
        transition(c, bulk_pk, from, BulkState::Cancelled).map_err(|e| match e {
            // A worker started it between our read and our update.
            DbError::InvalidState(BulkState::Processing) => DbError::AlreadyStarted,
            other => other,
        })?;
        close_unsent(c, &bulk)?;
        // A cancel ends a verification under way like its completion would (progress `seq`).
        let ended = i32::from(from == BulkState::Verifying);
        diesel::update(b::bulk_transfers.find(bulk_pk))
            .set((
                b::cancelled_by.eq(Some(user_pk)),
                b::cancelled_at.eq(Some(now())),
                b::verification_version.eq(b::verification_version + ended),
            ))
            .execute(c)?;
        webhooks::record(c, bulk_pk)?;
        let after = bulks::get(c, bulk_pk)?;
        let details =
            json!({"from": from.as_str(), "released": bulk.total_amount - bulk.excluded_amount});
        audit::on_bulk(
            c,
            &after,
            Actor::User(user_pk),
            AuditAction::BulkCancelled,
            details,
        )?;
        Ok(after)
    })
}

/// Every row of a run that never started becomes CANCELLED and the whole reservation is released
/// (one journal line). Refuses with [`DbError::AlreadyStarted`] if any row was claimed meanwhile:
/// the conditional UPDATE then touches fewer rows than the run has (PostgreSQL waits for a claimer
/// holding rows, then re-checks their status), and the caller's transaction rolls back.
fn close_unsent(c: &mut DbConn, bulk: &Bulk) -> DbResult<()> {
    TransferStatus::Pending
        .transition(TransferStatus::Cancelled)
        .map_err(DbError::Transition)?;
    // Rows handed out by range stay PENDING on disk: a run any row was handed out of has started
    // (read after the caller's UPDATE of the run row, so a range claim cannot slip in between).
    let through: i64 = crate::schema::bulk_transfers::table
        .find(bulk.id)
        .select(crate::schema::bulk_transfers::claimed_through)
        .first(c)?;
    if through > 0 {
        return Err(DbError::AlreadyStarted);
    }
    let at = now();
    let n = diesel::update(
        t::individual_transfers
            .filter(t::bulk_pk.eq(bulk.id))
            .filter(t::status.eq(TransferStatus::Pending.as_str())),
    )
    .set((
        t::status.eq(TransferStatus::Cancelled.as_str()),
        t::completed_at.eq(Some(at)),
        t::updated_at.eq(at),
    ))
    .execute(c)?;
    // Rows excluded by verification were closed (and their money released) already.
    if i64::try_from(n).ok() != Some(bulk.total_count - bulk.excluded_count) {
        return Err(DbError::AlreadyStarted);
    }
    let unsent = bulk.total_amount - bulk.excluded_amount;
    if unsent > 0 {
        accounts::release(c, bulk.account_pk, Some(bulk.id), unsent)?;
    }
    period::release_bulk(c, bulk.id)?;
    Ok(())
}

/// SCHEDULED runs whose time has come, oldest first, moved to PENDING (the caller queues them).
pub fn start_due(conn: &mut DbConn, at: NaiveDateTime, limit: i64) -> DbResult<Vec<Bulk>> {
    let due: Vec<i64> = b::bulk_transfers
        .filter(b::state.eq(BulkState::Scheduled.as_str()))
        .filter(b::execute_at.le(at))
        .order(b::execute_at.asc())
        .limit(limit)
        .select(b::id)
        .load(conn)?;
    let mut started = Vec::with_capacity(due.len());
    for pk in due {
        // Each start with its audit event, one transaction per run.
        let started_one = conn.transaction::<_, DbError, _>(|c| {
            let b = transition(c, pk, BulkState::Scheduled, BulkState::Pending)?;
            let details = json!({"executeAt": b.execute_at.map(domain::audit::rfc3339_micros)});
            audit::on_bulk(
                c,
                &b,
                Actor::Worker,
                AuditAction::BulkScheduledStart,
                details,
            )?;
            Ok(b)
        });
        match started_one {
            Ok(bulk) => started.push(bulk),
            // Another worker's sweep, or a cancellation, came first.
            Err(DbError::InvalidState(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(started)
}

/// Creates a run retrying exactly the FAILED rows of a final run: new Mojaloop transferIds, the
/// same payees, amounts, period and callback, linked to its parent (`parent_bulk_pk`), reserved
/// like any upload, and waiting for approval when `needs_approval` says so. Refused while an
/// earlier retry of the same run is still open ([`DbError::RetryOpen`]) or when there is nothing to
/// retry ([`DbError::NothingToRetry`]).
pub fn create_retry(
    conn: &mut DbConn,
    parent_pk: i64,
    user_pk: i64,
    needs_approval: impl Fn(i64) -> bool,
) -> DbResult<Bulk> {
    conn.transaction::<_, DbError, _>(|c| {
        let parent = lock(c, parent_pk)?;
        let state = *parent.state;
        if !matches!(
            state,
            BulkState::Completed | BulkState::PartiallyCompleted | BulkState::Failed
        ) {
            return Err(DbError::NothingToRetry(format!(
                "the run is {state}: only a finished run's FAILED rows can be retried"
            )));
        }
        // Only the newest attempt is retried: the parent's FAILED rows stay FAILED after a
        // retry pays them, so retrying the parent again would pay those pensioners twice. A
        // retry that was rejected or cancelled paid nothing and does not count.
        for (child, s) in bulks::children(c, parent_pk)? {
            match BulkState::parse(&s) {
                Ok(BulkState::Rejected | BulkState::Cancelled) => {}
                Ok(s) if s.is_final() => {
                    return Err(DbError::NothingToRetry(format!(
                        "this run was already retried by {child}: retry that run's FAILED rows"
                    )));
                }
                _ => return Err(DbError::RetryOpen(child)),
            }
        }
        let failed: Vec<crate::models::Transfer> = t::individual_transfers
            .filter(t::bulk_pk.eq(parent_pk))
            .filter(t::status.eq(TransferStatus::Failed.as_str()))
            .order(t::id.asc())
            .select(crate::models::Transfer::as_select())
            .load(c)?;
        if failed.is_empty() {
            return Err(DbError::NothingToRetry(
                "the run has no FAILED row to retry".to_string(),
            ));
        }
        let at = now();
        let total = failed.iter().map(|r| r.amount).sum::<i64>();
        let attempt = bulks::children(c, parent_pk)?.len() + 1;
        let approval = needs_approval(total);
        let new = crate::models::NewBulk {
            bulk_id: domain::new_bulk_id(),
            organisation_id: parent.organisation_id,
            account_pk: parent.account_pk,
            currency: parent.currency.clone(),
            total_amount: total,
            total_count: i64::try_from(failed.len()).unwrap_or(i64::MAX),
            // A verified run's retry is verified again: the rows it pays include those stopped
            // because their payee changed since the parent's verification.
            state: BulkState::start_state(parent.verification()?.is_on(), approval, false).into(),
            // Not a file: a hash of what the retry is, so the approver still approves one exact
            // content and the duplicate guard never confuses it with an upload.
            file_sha256: domain::sha256_hex(
                format!("retry {} #{attempt}", parent.bulk_id).as_bytes(),
            ),
            file_name: parent
                .file_name
                .as_ref()
                .map(|n| format!("{n} (retry {attempt})")),
            idempotency_key: None,
            callback_url: parent.callback_url.clone(),
            created_by: user_pk,
            created_at: at,
            updated_at: at,
            period: parent.period.clone(),
            execute_at: None,
            approval_required: approval,
            parent_bulk_pk: Some(parent_pk),
            verification_mode: parent.verification_mode.clone(),
            // Not a file either: the MsgId stays the parent's (unique per organisation), and its
            // rows are a subset, so the parent's payment blocks do not describe them.
            msg_id: None,
            msg_name_id: None,
            payment_blocks: None,
        };
        let mut rows: Vec<crate::models::NewTransfer> = failed
            .into_iter()
            .map(|r| crate::models::NewTransfer {
                bulk_pk: 0,
                line: r.line,
                transfer_id: r.transfer_id,
                mojaloop_transfer_id: domain::new_mojaloop_transfer_id(),
                party_id_type: r.party_id_type,
                party_identifier: r.party_identifier,
                payee_name: r.payee_name,
                amount: r.amount,
                status: TransferStatus::Pending.into(),
                created_at: at,
                updated_at: at,
                repeat_in_period: false,
            })
            .collect();
        let child = bulks::create(c, &new, &mut rows)?;
        let details = json!({
            "retryBulkTransferId": child.bulk_id,
            "count": child.total_count,
            "total": child.total_amount,
            "currency": child.currency,
            "retryState": child.state.as_str(),
        });
        audit::on_bulk(
            c,
            &parent,
            Actor::User(user_pk),
            AuditAction::BulkRetried,
            details,
        )?;
        Ok(child)
    })
}
