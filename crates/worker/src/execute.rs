//! One transfer, from claimed row to outcome handed to the settler.

use chrono::Duration as ChronoDuration;
use db::models::{Transfer, now};
use db::queries::settle::{Resolution, SettleItem};
use sdk::{Outcome, Party, QuotePolicy, TransferRequest};
use std::time::{Duration, Instant};

use crate::context::WorkerCtx;
use crate::pacing::{Feedback, Permit};
use crate::settings::WorkerSettings;

/// What a chunk needs to know about its bulk to build requests.
#[derive(Debug, Clone)]
pub struct BulkInfo {
    /// Public bulk id.
    pub bulk_id: String,
    /// ISO-4217 code.
    pub currency: String,
    /// Minor-unit exponent of the currency.
    pub exponent: u32,
    /// Payer party.
    pub payer: Party,
}

/// First lookup of an UNKNOWN row, after the adapter had time to finish what it was doing.
pub const FIRST_LOOKUP_AFTER: Duration = Duration::from_secs(5);

/// Sends one row (POST at most once, unless the request certainly never arrived), then hands the
/// outcome to the settler. The permit is released when the adapter has answered, after telling the
/// pacer what the answer said about the rail.
pub async fn execute(
    ctx: WorkerCtx,
    bulk: std::sync::Arc<BulkInfo>,
    row: Transfer,
    mut permit: Permit,
) {
    let started = Instant::now();
    let mut req = TransferRequest::send(
        format!("{}/{}", bulk.bulk_id, row.transfer_id),
        row.mojaloop_transfer_id.clone(),
        bulk.payer.clone(),
        Party::new(row.party_id_type.clone(), row.party_identifier.clone()),
        bulk.currency.clone(),
        row.amount,
        bulk.exponent,
    );
    req.note = Some("Pension payment".to_string());
    let policy = QuotePolicy {
        expected_amount_minor: row.amount,
        exponent: bulk.exponent,
        max_payee_fee_minor: ctx.settings.max_payee_fee,
    };
    let check = verified_party_check(&row);
    let mut backoff = Duration::from_millis(200);
    let outcome = loop {
        permit.sending();
        let outcome = ctx
            .sdk
            .execute_checked(&req, &policy, check.as_deref())
            .await;
        permit.record(feedback(&outcome));
        match outcome {
            Outcome::NotSent { reason }
                if started.elapsed() < ctx.settings.not_sent_retry_for && !ctx.is_stopping() =>
            {
                tracing::warn!(bulk_id = %bulk.bulk_id, transfer_id = %row.transfer_id, %reason, "adapter unreachable, request not sent; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
            other => break other,
        }
    };
    drop(permit);
    let latency_ms = started.elapsed().as_millis() as u64;
    if let Outcome::Completed {
        fee_above_limit: Some(why),
    } = &outcome
    {
        flag_fee_above_limit(&ctx, &bulk.bulk_id, &row, why).await;
    }
    let resolution = match &outcome {
        Outcome::Completed { .. } => Resolution::Completed,
        Outcome::Failed { code, message } => Resolution::Failed {
            code: code.clone(),
            message: message.clone(),
        },
        Outcome::Unknown { reason } => Resolution::Unknown {
            reason: reason.clone(),
            next_lookup_at: now()
                + ChronoDuration::from_std(FIRST_LOOKUP_AFTER).unwrap_or_default(),
        },
        Outcome::NotSent { reason } => Resolution::Requeue {
            reason: format!("not sent: {reason}"),
        },
        Outcome::NotPrepared { code, message, .. } => {
            resend_or_fail(&ctx.settings, &row, code.clone(), message.clone())
        }
    };
    log_outcome(&bulk.bulk_id, &row, &outcome, latency_ms);
    ctx.settler.submit(SettleItem {
        transfer_pk: row.id,
        resolution,
    });
}

/// A payment the adapter completed with a payee fee above `MAX_PAYEE_FEE` (it accepted the quote
/// itself): logged at error and flagged on the row, which is COMPLETED all the same — the money
/// moved. Run with `ADAPTER_ACCEPT_MODE=manual` and the adapter's auto-accept off to refuse such
/// quotes before anything moves.
async fn flag_fee_above_limit(ctx: &WorkerCtx, bulk_id: &str, row: &Transfer, why: &str) {
    tracing::error!(
        bulk_id, transfer_id = %row.transfer_id, mojaloop_transfer_id = %row.mojaloop_transfer_id,
        detail = why,
        "payment completed with a payee fee above MAX_PAYEE_FEE: the adapter accepted the quote \
         itself (AUTO_ACCEPT_QUOTES); the row is flagged feeAboveLimit"
    );
    let pk = row.id;
    if let Err(e) = ctx
        .db(move |c| db::queries::transfers::flag_fee_above_limit(c, pk))
        .await
    {
        tracing::error!(transfer_id = %row.transfer_id, error = %e, "could not flag feeAboveLimit");
    }
}

/// For a row whose payee was verified: the check of the party the adapter resolves when it halts
/// for acceptance. Another provider than the verified one, or a name that no longer matches the
/// registered one, stops the row there (`NAME_CHANGED_SINCE_VERIFICATION`, never prepared).
fn verified_party_check(row: &Transfer) -> Option<Box<sdk::PartyCheck>> {
    if row.party_result.as_deref() != Some(domain::LookupResult::Found.as_str()) {
        return None;
    }
    let fsp = row.party_fsp_id.clone();
    let verified = [
        row.party_first_name.as_deref(),
        row.party_middle_name.as_deref(),
        row.party_last_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let verified = if verified.trim().is_empty() {
        row.party_name.clone().unwrap_or_default()
    } else {
        verified
    };
    Some(Box::new(move |to: &Party| {
        if let (Some(was), Some(now)) = (fsp.as_deref(), to.fsp_id.as_deref())
            && was != now
        {
            return Err((
                domain::verify::NAME_CHANGED_SINCE_VERIFICATION.to_string(),
                format!("the payee is now held by {now}, not {was} as verified; not paid"),
            ));
        }
        let registered = domain::RegisteredName {
            display: to.display_name.as_deref(),
            first: to.first_name.as_deref(),
            middle: None,
            last: to.last_name.as_deref(),
        };
        if domain::grade_name(Some(&verified), &registered) == domain::NameMatch::Mismatch {
            let now = [to.first_name.as_deref(), to.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            return Err((
                domain::verify::NAME_CHANGED_SINCE_VERIFICATION.to_string(),
                format!(
                    "the payee's registered name is now {now:?}, not {verified:?} as verified; not paid"
                ),
            ));
        }
        Ok(())
    }))
}

/// What a call's outcome says about the rail: timeouts, errors without an answer and server errors
/// may be push-back; completed transfers are latency samples; definitive refusals say nothing.
fn feedback(outcome: &Outcome) -> Feedback {
    match outcome {
        Outcome::Completed { .. } => Feedback::Answered,
        Outcome::Failed { .. } => Feedback::Neutral,
        Outcome::NotSent { .. } | Outcome::NotPrepared { .. } | Outcome::Unknown { .. } => {
            Feedback::Overload
        }
    }
}

/// A row whose failure certainly came before the transfer's prepare: back to PENDING for another
/// attempt with the same `transferId` after a backoff, while `PRE_PREPARE_RETRIES` and the row's
/// overall deadline (`UNKNOWN_MAX_AGE` from its first send) allow; else FAILED with the stage's code.
pub fn resend_or_fail(
    settings: &WorkerSettings,
    row: &Transfer,
    code: String,
    message: String,
) -> Resolution {
    let at = now();
    let resends = u32::try_from(row.resend_count).unwrap_or(0);
    let first = row.first_attempt_at.unwrap_or(row.created_at);
    let backoff = settings
        .pre_prepare_backoff
        .saturating_mul(1u32 << resends.min(16))
        .min(MAX_RESEND_BACKOFF);
    let retry_at = at + ChronoDuration::from_std(backoff).unwrap_or_default();
    let deadline =
        first + ChronoDuration::from_std(settings.unknown_max_age).unwrap_or(ChronoDuration::MAX);
    if resends < settings.pre_prepare_retries && retry_at < deadline {
        Resolution::Retry {
            code,
            message,
            retry_at,
        }
    } else {
        Resolution::Failed {
            code,
            message: format!(
                "{message} (never reached the transfer stage; {} attempts)",
                resends + 1
            ),
        }
    }
}

/// Longest wait between two re-sends of a row.
pub const MAX_RESEND_BACKOFF: Duration = Duration::from_secs(60);

fn log_outcome(bulk_id: &str, row: &Transfer, outcome: &Outcome, latency_ms: u64) {
    let (kind, code, detail) = match outcome {
        Outcome::Completed { .. } => ("COMPLETED", "", ""),
        Outcome::Failed { code, message } => ("FAILED", code.as_str(), message.as_str()),
        Outcome::Unknown { reason } => ("UNKNOWN", "", reason.as_str()),
        Outcome::NotSent { reason } => ("NOT_SENT", "", reason.as_str()),
        Outcome::NotPrepared { code, message, .. } => {
            ("NOT_PREPARED", code.as_str(), message.as_str())
        }
    };
    match outcome {
        Outcome::Completed { .. } | Outcome::Failed { .. } => tracing::info!(
            bulk_id, transfer_id = %row.transfer_id, mojaloop_transfer_id = %row.mojaloop_transfer_id,
            outcome = kind, error_code = code, latency_ms, detail, "transfer outcome"
        ),
        _ => tracing::warn!(
            bulk_id, transfer_id = %row.transfer_id, mojaloop_transfer_id = %row.mojaloop_transfer_id,
            outcome = kind, error_code = code, latency_ms, detail, "transfer outcome"
        ),
    }
}
