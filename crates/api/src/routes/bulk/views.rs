//! JSON shapes of bulks and transfers. Amounts are integers of minor units.

use chrono::{DateTime, NaiveDateTime, Utc};
use db::models::{Bulk, Transfer};
use domain::{BulkState, ProgressEvent};
use serde::Serialize;
use utoipa::ToSchema;

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
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
}

impl BulkAccepted {
    /// From the stored bulk.
    pub fn new(b: &Bulk) -> BulkAccepted {
        BulkAccepted {
            bulk_transfer_id: b.bulk_id.clone(),
            state: b.state.clone(),
            total: b.total_count,
            total_amount: b.total_amount,
            currency: b.currency.clone(),
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
    /// `PENDING`, `PROCESSING`, `COMPLETED`, `PARTIALLY_COMPLETED` or `FAILED`.
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
}

impl BulkSummary {
    /// From the stored bulk and the uploader's username.
    pub fn new(b: &Bulk, created_by: String) -> BulkSummary {
        let progress = match BulkState::parse(&b.state) {
            Ok(state) => {
                ProgressEvent::new(
                    &b.bulk_id,
                    state,
                    b.succeeded_count,
                    b.failed_count,
                    b.total_count,
                )
                .progress_percent
            }
            Err(_) => 0.0,
        };
        BulkSummary {
            bulk_transfer_id: b.bulk_id.clone(),
            state: b.state.clone(),
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
    /// `PENDING`, `PROCESSING`, `UNKNOWN`, `COMPLETED` or `FAILED`.
    #[schema(example = "COMPLETED")]
    pub status: String,
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
            status: t.status.clone(),
            mojaloop_transfer_id: t.mojaloop_transfer_id.clone(),
            error_code: t.error_code.clone(),
            error_message: t.error_message.clone(),
            completed_at: t.completed_at.map(utc),
            attempts: t.attempt_count,
            retry_at: t
                .retry_at
                .filter(|_| t.status == domain::TransferStatus::Pending.as_str())
                .map(utc),
        }
    }
}
