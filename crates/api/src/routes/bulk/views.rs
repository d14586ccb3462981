//! JSON shapes of bulks and transfers. Amounts are integers of minor units.

use chrono::{DateTime, NaiveDateTime, Utc};
use db::models::{Bulk, Transfer};
use db::queries::{bulks, users};
use db::{DbConn, DbError};
use serde::Serialize;
use utoipa::ToSchema;

pub(super) fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Answer to an accepted upload (also replayed for a repeated `Idempotency-Key`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"bulkTransferId": "bulk-9f1c2d3e-0000-4000-8000-000000000001",
    "state": "PENDING", "total": 5, "totalAmount": 37500, "currency": "XOF"}))]
pub struct BulkAccepted {
    /// The new bulk's id.
    pub bulk_transfer_id: String,
    /// `PENDING` when just created (the current state on a replay).
    pub state: String,
    /// Number of transfers.
    pub total: i64,
    /// Sum of the amounts, minor units.
    pub total_amount: i64,
    /// ISO-4217 code.
    pub currency: String,
    /// The run's `callback_url` and whether the workers' egress policy lets it be called;
    /// absent without a callback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback: Option<CallbackPolicy>,
}

/// A stored callback URL and the egress verdict on it at upload time.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallbackPolicy {
    /// The URL, as stored.
    pub url: String,
    /// `allowed`, `allowlisted` (in `CALLBACK_ALLOWED_HOSTS`), `blocked_private_address` (never
    /// called: loopback, private, link-local… and not allow-listed) or `unresolved` (the name does
    /// not resolve now; it is resolved again at each attempt).
    #[schema(example = "allowed")]
    pub policy: String,
}

impl BulkAccepted {
    /// From the stored bulk, with the egress verdict on its callback (if it has one).
    pub fn new(b: &Bulk, policy: Option<domain::webhook::Egress>) -> BulkAccepted {
        BulkAccepted {
            bulk_transfer_id: b.bulk_id.clone(),
            state: b.state.to_string(),
            total: b.total_count,
            total_amount: b.total_amount,
            currency: b.currency.clone(),
            callback: b
                .callback_url
                .clone()
                .zip(policy)
                .map(|(url, p)| CallbackPolicy {
                    url,
                    policy: p.as_str().to_string(),
                }),
        }
    }
}

/// Summary of one bulk.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkSummary {
    /// Id (`bulk-<uuid>`).
    #[schema(example = "bulk-9f1c2d3e-0000-4000-8000-000000000001")]
    pub bulk_transfer_id: String,
    /// `VERIFYING`, `AWAITING_APPROVAL`, `SCHEDULED`, `PENDING`, `PROCESSING`, `COMPLETED`,
    /// `PARTIALLY_COMPLETED`, `FAILED`, `REJECTED` or `CANCELLED`.
    #[schema(example = "PROCESSING")]
    pub state: String,
    /// ISO-4217 code.
    #[schema(example = "XOF")]
    pub currency: String,
    /// Number of transfers.
    #[schema(example = 5)]
    pub total: i64,
    /// Sum of the amounts, minor units.
    #[schema(example = 37500)]
    pub total_amount: i64,
    /// Transfers in a final status.
    #[schema(example = 3)]
    pub completed: i64,
    /// Transfers completed successfully.
    #[schema(example = 2)]
    pub succeeded: i64,
    /// Transfers that failed.
    #[schema(example = 1)]
    pub failed: i64,
    /// Sum of the succeeded amounts.
    pub succeeded_amount: i64,
    /// Sum of the failed amounts.
    pub failed_amount: i64,
    /// `completed / total` in percent, 2 decimals.
    #[serde(rename = "progress_percent")]
    #[schema(example = 60.0)]
    pub progress_percent: f64,
    /// Upload time (UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
    /// When the bulk reached a final state.
    pub completed_at: Option<DateTime<Utc>>,
    /// Username of the uploader.
    #[schema(example = "gestionnaire")]
    pub created_by: String,
    /// Name of the uploaded file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Completion-notice URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// SHA-256 (hex) of the uploaded file: what an approver approves (`approve` takes it back).
    pub file_sha256: String,
    /// `GrpHdr/MsgId` of a pain.001 upload (its pain.002 answers with it as `OrgnlMsgId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "CNSS-2026-05-0001")]
    pub msg_id: Option<String>,
    /// Message name of a pain.001 upload: `pain.001.001.03` or `pain.001.001.09`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_name_id: Option<String>,
    /// Pension period (`YYYY-MM`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// Not started before this (SCHEDULED).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execute_at: Option<DateTime<Utc>>,
    /// Whether the organisation's policy asked for a second person's approval.
    pub approval_required: bool,
    /// Who approved it, when, and the file hash they approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<Decision>,
    /// Who rejected it, when, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection: Option<Decision>,
    /// Who cancelled it and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancellation: Option<Decision>,
    /// The run whose FAILED rows this run retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_bulk_transfer_id: Option<String>,
    /// Runs retrying this run's FAILED rows, oldest first.
    pub child_bulk_transfer_ids: Vec<String>,
    /// How the run was verified before paying (absent: not verified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<VerificationState>,
}

/// Where a verified run's verification stands (its report: `GET …/verification`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationState {
    /// `report` or `exclude`.
    #[schema(example = "exclude")]
    pub mode: String,
    /// The report's version (how many verifications ended): an approval names it.
    pub version: i32,
    /// When the last verification completed.
    pub verified_at: Option<DateTime<Utc>>,
    /// The version the approver approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_version: Option<i32>,
    /// Rows kept out of the run (also counted in `failed`), and their amount (in `failedAmount`).
    pub excluded: i64,
    /// Σ amounts excluded, minor units (released from the reservation).
    pub excluded_amount: i64,
}

/// An approval, rejection or cancellation.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Username.
    #[schema(example = "approbateur")]
    pub by: String,
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// The approved file's hash (approvals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_sha256: Option<String>,
    /// The reason (rejections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl BulkSummary {
    /// From the stored bulk, with the usernames and linked runs read from the database.
    pub fn load(c: &mut DbConn, b: &Bulk) -> Result<BulkSummary, DbError> {
        BulkSummary::load_cached(c, b, &mut std::collections::HashMap::new())
    }

    /// [`BulkSummary::load`] with a cache of usernames, for a page of bulks by the same people.
    pub fn load_cached(
        c: &mut DbConn,
        b: &Bulk,
        names: &mut std::collections::HashMap<i64, String>,
    ) -> Result<BulkSummary, DbError> {
        let mut name = |pk: i64| -> Result<String, DbError> {
            if let Some(n) = names.get(&pk) {
                return Ok(n.clone());
            }
            let n = users::get(c, pk)?.username;
            names.insert(pk, n.clone());
            Ok(n)
        };
        let created_by = name(b.created_by)?;
        let approval = match (b.approved_by, b.approved_at) {
            (Some(by), Some(at)) => Some(Decision {
                by: name(by)?,
                at: utc(at),
                file_sha256: b.approved_sha256.clone(),
                reason: None,
            }),
            _ => None,
        };
        let rejection = match (b.rejected_by, b.rejected_at) {
            (Some(by), Some(at)) => Some(Decision {
                by: name(by)?,
                at: utc(at),
                file_sha256: None,
                reason: b.rejection_reason.clone(),
            }),
            _ => None,
        };
        let cancellation = match (b.cancelled_by, b.cancelled_at) {
            (Some(by), Some(at)) => Some(Decision {
                by: name(by)?,
                at: utc(at),
                file_sha256: None,
                reason: None,
            }),
            _ => None,
        };
        let parent = match b.parent_bulk_pk {
            Some(pk) => Some(bulks::get(c, pk)?.bulk_id),
            None => None,
        };
        let children = bulks::children(c, b.id)?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let mut s = BulkSummary::new(b, created_by);
        s.approval = approval;
        s.rejection = rejection;
        s.cancellation = cancellation;
        s.parent_bulk_transfer_id = parent;
        s.child_bulk_transfer_ids = children;
        Ok(s)
    }

    /// From the stored bulk and the uploader's username (decisions and linked runs left empty;
    /// [`BulkSummary::load`] fills them).
    pub fn new(b: &Bulk, created_by: String) -> BulkSummary {
        let progress = b.progress().progress_percent;
        BulkSummary {
            bulk_transfer_id: b.bulk_id.clone(),
            state: b.state.to_string(),
            currency: b.currency.clone(),
            total: b.total_count,
            total_amount: b.total_amount,
            completed: b.succeeded_count + b.failed_count,
            succeeded: b.succeeded_count,
            failed: b.failed_count,
            succeeded_amount: b.succeeded_amount,
            failed_amount: b.failed_amount,
            progress_percent: progress,
            created_at: utc(b.created_at),
            updated_at: utc(b.updated_at),
            completed_at: b.completed_at.map(utc),
            created_by,
            file_name: b.file_name.clone(),
            callback_url: b.callback_url.clone(),
            file_sha256: b.file_sha256.clone(),
            msg_id: b.msg_id.clone(),
            message_name_id: b.msg_name_id.clone(),
            period: b.period.clone(),
            execute_at: b.execute_at.map(utc),
            approval_required: b.approval_required,
            approval: None,
            rejection: None,
            cancellation: None,
            parent_bulk_transfer_id: None,
            child_bulk_transfer_ids: Vec::new(),
            verification: (b.verification_mode != domain::VerificationMode::Off.as_str()).then(
                || VerificationState {
                    mode: b.verification_mode.clone(),
                    version: b.verification_version,
                    verified_at: b.verified_at.map(utc),
                    approved_version: b.approved_verification_version,
                    excluded: b.excluded_count,
                    excluded_amount: b.excluded_amount,
                },
            ),
        }
    }
}

/// One transfer of a bulk.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransferView {
    /// Id from the file (or generated for the payment-list format).
    #[schema(example = "tx-001")]
    pub transfer_id: String,
    /// Line of the uploaded file.
    #[schema(example = 2)]
    pub line: i64,
    /// Payee id type.
    #[schema(example = "MSISDN")]
    pub party_id_type: String,
    /// Payee identifier.
    #[schema(example = "22890123456")]
    pub party_identifier: String,
    /// Beneficiary name, when the file had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Ama Mensah")]
    pub payee_name: Option<String>,
    /// Minor units.
    #[schema(example = 10000)]
    pub amount: i64,
    /// ISO-4217 code.
    #[schema(example = "XOF")]
    pub currency: String,
    /// `PENDING`, `PROCESSING`, `UNKNOWN`, `COMPLETED`, `FAILED`, `CANCELLED` or `EXCLUDED`.
    #[schema(example = "COMPLETED")]
    pub status: String,
    /// The payee was already paid (or in payment) in another run of the same period; the file was
    /// accepted with `allow_repeat_in_period`.
    pub repeat_in_period: bool,
    /// UUID sent to the Mojaloop switch.
    pub mojaloop_transfer_id: String,
    /// Error code of a failed transfer.
    pub error_code: Option<String>,
    /// Error text of a failed transfer.
    pub error_message: Option<String>,
    /// When the transfer became final.
    pub completed_at: Option<DateTime<Utc>>,
    /// Times the row was handed to the adapter (more than one only when the adapter's answers
    /// proved the earlier attempts never reached the transfer stage; always the same transferId).
    #[schema(example = 1)]
    pub attempts: i32,
    /// When a row waiting to be sent again (after a failure before the prepare) is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<DateTime<Utc>>,
    /// The payment completed with a payee fee above the gateway's `MAX_PAYEE_FEE`: the adapter
    /// accepted the quote itself (its auto-accept on). The money moved; take it up with the
    /// payee's FSP.
    pub fee_above_limit: bool,
}

impl TransferView {
    /// From the stored row.
    pub fn new(t: &Transfer, currency: &str) -> TransferView {
        TransferView {
            transfer_id: t.transfer_id.clone(),
            line: t.line,
            party_id_type: t.party_id_type.clone(),
            party_identifier: t.party_identifier.clone(),
            payee_name: t.payee_name.clone(),
            amount: t.amount,
            currency: currency.to_string(),
            status: t.status.to_string(),
            repeat_in_period: t.repeat_in_period,
            mojaloop_transfer_id: t.mojaloop_transfer_id.clone(),
            error_code: t.error_code.clone(),
            error_message: t.error_message.clone(),
            completed_at: t.completed_at.map(utc),
            attempts: t.attempt_count,
            retry_at: t
                .retry_at
                .filter(|_| *t.status == domain::TransferStatus::Pending)
                .map(utc),
            fee_above_limit: t.fee_above_limit,
        }
    }
}
