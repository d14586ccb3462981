//! Row structs (what a SELECT returns) and `New*` insert structs, one pair per table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::*;
use crate::types::{DbBulkState, DbTransferStatus};

/// A pension fund or any paying organisation.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = organisations)]
pub struct Organisation {
    /// Primary key.
    pub id: i64,
    /// Unique display name (e.g. `CNSS`).
    pub name: String,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
    /// `off` or `required` (see [`domain::ApprovalMode`]).
    pub approval_mode: String,
    /// Runs at or above this total (minor units) need approval; `None`: every run.
    pub approval_threshold: Option<i64>,
    /// Whether a pension period is required and a payee paid once per period.
    pub period_guard: bool,
    /// `off`, `report` or `exclude` (see [`domain::VerificationMode`]).
    pub verification_mode: String,
}

impl Organisation {
    /// The organisation's policy. An approval mode the domain does not know is an error, never
    /// "off" (that would let money move without the approval the fund asked for).
    pub fn policy(&self) -> Result<domain::OrgPolicy, crate::DbError> {
        let approval = domain::ApprovalMode::parse(&self.approval_mode)
            .map_err(|e| crate::DbError::Corrupt(format!("organisation {}: {e}", self.id)))?;
        let verification = domain::VerificationMode::parse(&self.verification_mode)
            .map_err(|e| crate::DbError::Corrupt(format!("organisation {}: {e}", self.id)))?;
        Ok(domain::OrgPolicy {
            approval,
            approval_threshold: self.approval_threshold,
            period_guard: self.period_guard,
            verification,
        })
    }
}

/// Insert form of [`Organisation`].
#[derive(Debug, Insertable)]
#[diesel(table_name = organisations)]
pub struct NewOrganisation<'a> {
    /// Unique name.
    pub name: &'a str,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
}

/// A person who logs in.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = users)]
pub struct User {
    /// Primary key.
    pub id: i64,
    /// Organisation the user acts for.
    pub organisation_id: i64,
    /// Unique login name.
    pub username: String,
    /// Optional unique e-mail (also accepted at login).
    pub email: Option<String>,
    /// bcrypt hash; never leaves the server.
    pub password_hash: String,
    /// `GESTIONNAIRE`, `SUPERVISEUR` or `APPROBATEUR`.
    pub role: String,
    /// Inactive users cannot log in.
    pub active: bool,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
}

/// Insert form of [`User`].
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    /// Organisation.
    pub organisation_id: i64,
    /// Unique login name.
    pub username: &'a str,
    /// Optional e-mail.
    pub email: Option<&'a str>,
    /// bcrypt hash.
    pub password_hash: &'a str,
    /// Role name.
    pub role: &'a str,
    /// Active flag.
    pub active: bool,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
}

/// The organisation's money in one currency, as held by the gateway.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = accounts)]
pub struct Account {
    /// Primary key.
    pub id: i64,
    /// Owner.
    pub organisation_id: i64,
    /// Public unique id of the account.
    pub account_id: String,
    /// Payer party id type sent as `from.idType`.
    pub party_id_type: String,
    /// Payer party identifier sent as `from.idValue`.
    pub party_identifier: String,
    /// ISO-4217 code.
    pub currency: String,
    /// Money held, minor units.
    pub balance: i64,
    /// Part of `balance` promised to bulks still running.
    pub reserved: i64,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
    /// Last change (UTC).
    pub updated_at: NaiveDateTime,
}

impl Account {
    /// `balance − reserved`.
    pub fn available(&self) -> i64 {
        self.balance - self.reserved
    }
}

/// Insert form of [`Account`] (starts at zero; money comes in through `credit`).
#[derive(Debug, Insertable)]
#[diesel(table_name = accounts)]
pub struct NewAccount<'a> {
    /// Owner.
    pub organisation_id: i64,
    /// Public unique id.
    pub account_id: &'a str,
    /// Payer party id type.
    pub party_id_type: &'a str,
    /// Payer party identifier.
    pub party_identifier: &'a str,
    /// ISO-4217 code.
    pub currency: &'a str,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Same as creation time.
    pub updated_at: NaiveDateTime,
}

/// One uploaded file: a set of transfers paid from one account.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = bulk_transfers)]
pub struct Bulk {
    /// Primary key.
    pub id: i64,
    /// Public id, `bulk-<uuid>`.
    pub bulk_id: String,
    /// Owner organisation.
    pub organisation_id: i64,
    /// Payer account.
    pub account_pk: i64,
    /// Currency of every row.
    pub currency: String,
    /// Σ amounts, minor units (reserved at creation).
    pub total_amount: i64,
    /// Number of rows.
    pub total_count: i64,
    /// Rows COMPLETED.
    pub succeeded_count: i64,
    /// Rows FAILED.
    pub failed_count: i64,
    /// Σ amounts of COMPLETED rows.
    pub succeeded_amount: i64,
    /// Σ amounts of FAILED rows.
    pub failed_amount: i64,
    /// Bulk state.
    pub state: DbBulkState,
    /// SHA-256 of the uploaded bytes (duplicate-upload guard).
    pub file_sha256: String,
    /// Original file name, if sent.
    pub file_name: Option<String>,
    /// Client's `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// Completion-notice URL.
    pub callback_url: Option<String>,
    /// User who uploaded.
    pub created_by: i64,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
    /// When the bulk reached a final state.
    pub completed_at: Option<NaiveDateTime>,
    /// Pension period (`YYYY-MM`), when given.
    pub period: Option<String>,
    /// Not started before this (SCHEDULED).
    pub execute_at: Option<NaiveDateTime>,
    /// Whether the policy asked for a second person's approval when it was stored.
    pub approval_required: bool,
    /// The APPROBATEUR who approved it.
    pub approved_by: Option<i64>,
    /// When.
    pub approved_at: Option<NaiveDateTime>,
    /// The file hash the approver saw (equal to `file_sha256`).
    pub approved_sha256: Option<String>,
    /// Who rejected it.
    pub rejected_by: Option<i64>,
    /// When.
    pub rejected_at: Option<NaiveDateTime>,
    /// Why.
    pub rejection_reason: Option<String>,
    /// Who cancelled it.
    pub cancelled_by: Option<i64>,
    /// When.
    pub cancelled_at: Option<NaiveDateTime>,
    /// The run whose FAILED rows this run retries.
    pub parent_bulk_pk: Option<i64>,
    /// `off`, `report` or `exclude`: the organisation's verification policy at upload.
    pub verification_mode: String,
    /// How many times its verification completed: the report's version, which approval binds.
    pub verification_version: i32,
    /// When its verification last completed.
    pub verified_at: Option<NaiveDateTime>,
    /// The report version the approver approved.
    pub approved_verification_version: Option<i32>,
    /// Rows excluded by verification (also counted in `failed_count`: not paid).
    pub excluded_count: i64,
    /// Their amount (also counted in `failed_amount`), released from the reservation.
    pub excluded_amount: i64,
    /// `GrpHdr/MsgId` of a pain.001 upload (unique per organisation); `None` for a CSV upload.
    pub msg_id: Option<String>,
    /// Message name of a pain.001 upload (`pain.001.001.03` / `pain.001.001.09`).
    pub msg_name_id: Option<String>,
    /// The `PmtInf` blocks of a pain.001 upload, as stored (see [`Bulk::payment_blocks`]).
    pub payment_blocks: Option<String>,
    /// Highest row id handed out for a first send by a range claim (0: none yet). A row at or
    /// below it still PENDING with no `retry_at` is in flight (see `queries::transfers::claim`).
    pub claimed_through: i64,
}

impl Bulk {
    /// The run's progress event as stored (every publisher uses it, so `seq` counts the run's
    /// verifications; see [`domain::ProgressEvent`]).
    pub fn progress(&self) -> domain::ProgressEvent {
        domain::ProgressEvent::new(
            &self.bulk_id,
            *self.state,
            self.succeeded_count,
            self.failed_count,
            self.total_count,
        )
        .verification(i64::from(self.verification_version), 0)
    }

    /// The `PmtInf` blocks of a pain.001 upload, in file order; `None` for any other run. A value
    /// that does not parse is [`DbError::Corrupt`](crate::DbError::Corrupt).
    pub fn payment_blocks(&self) -> Result<Option<Vec<PaymentBlock>>, crate::DbError> {
        self.payment_blocks
            .as_deref()
            .map(|json| {
                serde_json::from_str(json).map_err(|e| {
                    crate::DbError::Corrupt(format!("bulk {} payment blocks: {e}", self.bulk_id))
                })
            })
            .transpose()
    }

    /// The verification mode the run was stored under. An unknown spelling is an error, never "off".
    pub fn verification(&self) -> Result<domain::VerificationMode, crate::DbError> {
        domain::VerificationMode::parse(&self.verification_mode)
            .map_err(|e| crate::DbError::Corrupt(format!("bulk {}: {e}", self.bulk_id)))
    }
}

/// Insert form of [`Bulk`].
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = bulk_transfers)]
pub struct NewBulk {
    /// Public id.
    pub bulk_id: String,
    /// Owner organisation.
    pub organisation_id: i64,
    /// Payer account.
    pub account_pk: i64,
    /// Currency.
    pub currency: String,
    /// Σ amounts.
    pub total_amount: i64,
    /// Row count.
    pub total_count: i64,
    /// Initial state ([`domain::BulkState::start_state`]).
    pub state: DbBulkState,
    /// SHA-256 hex of the file.
    pub file_sha256: String,
    /// File name.
    pub file_name: Option<String>,
    /// Idempotency key.
    pub idempotency_key: Option<String>,
    /// Callback URL.
    pub callback_url: Option<String>,
    /// Uploader.
    pub created_by: i64,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Same as creation time.
    pub updated_at: NaiveDateTime,
    /// Pension period.
    pub period: Option<String>,
    /// Scheduled start.
    pub execute_at: Option<NaiveDateTime>,
    /// Whether approval is required.
    pub approval_required: bool,
    /// Parent run of a retry.
    pub parent_bulk_pk: Option<i64>,
    /// Verification mode (`off` unless the organisation verifies).
    pub verification_mode: String,
    /// `GrpHdr/MsgId` of a pain.001 upload.
    pub msg_id: Option<String>,
    /// Message name of a pain.001 upload.
    pub msg_name_id: Option<String>,
    /// Its `PmtInf` blocks, from [`encode_payment_blocks`].
    pub payment_blocks: Option<String>,
}

/// One `PmtInf` block of a pain.001 upload: its `PmtInfId` and how many rows it holds. The blocks
/// of a run, in file order, cover its rows in file order (primary-key order).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PaymentBlock(pub String, pub u64);

/// The stored form of a run's blocks: JSON `[["<PmtInfId>", <rows>], …]`.
pub fn encode_payment_blocks(blocks: &[PaymentBlock]) -> String {
    // A Vec of (String, u64) always serialises.
    serde_json::to_string(blocks).unwrap_or_else(|_| "[]".to_string())
}

/// One payment to one pensioner.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = individual_transfers)]
pub struct Transfer {
    /// Primary key.
    pub id: i64,
    /// Owning bulk.
    pub bulk_pk: i64,
    /// Physical line in the uploaded file.
    pub line: i64,
    /// Row id from the file (or generated), unique in the bulk.
    pub transfer_id: String,
    /// UUID sent to the adapter as `transferId`, fixed at upload.
    pub mojaloop_transfer_id: String,
    /// Payee id type.
    pub party_id_type: String,
    /// Payee identifier.
    pub party_identifier: String,
    /// Beneficiary name from the file.
    pub payee_name: Option<String>,
    /// Minor units.
    pub amount: i64,
    /// Transfer status.
    pub status: DbTransferStatus,
    /// FSPIOP or gateway error code.
    pub error_code: Option<String>,
    /// Human error text.
    pub error_message: Option<String>,
    /// POST attempts made (at most one reaches the adapter).
    pub attempt_count: i32,
    /// Lookups made while UNKNOWN.
    pub lookup_count: i32,
    /// When a worker claimed it.
    pub claimed_at: Option<NaiveDateTime>,
    /// When the next lookup is due (UNKNOWN rows).
    pub next_lookup_at: Option<NaiveDateTime>,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
    /// When it became final.
    pub completed_at: Option<NaiveDateTime>,
    /// Times it was sent again after the adapter's answer proved it never reached the transfer
    /// stage (same `transferId`; bounded by `PRE_PREPARE_RETRIES`).
    pub resend_count: i32,
    /// A PENDING row is not claimed before this (backoff between re-sends).
    pub retry_at: Option<NaiveDateTime>,
    /// When it was first claimed for sending (the overall deadline counts from here).
    pub first_attempt_at: Option<NaiveDateTime>,
    /// The payee was already paid (or in payment) in another run of the same period, and the file
    /// was accepted with `allow_repeat_in_period`.
    pub repeat_in_period: bool,
    /// Party lookup result (`FOUND`, `NOT_FOUND`, `ERROR`); `None`: not looked up.
    pub party_result: Option<String>,
    /// The payee's provider, as the switch said.
    pub party_fsp_id: Option<String>,
    /// Registered display name.
    pub party_name: Option<String>,
    /// Registered first name.
    pub party_first_name: Option<String>,
    /// Registered middle name.
    pub party_middle_name: Option<String>,
    /// Registered last name.
    pub party_last_name: Option<String>,
    /// Registered date of birth, as the switch wrote it.
    pub party_birth_date: Option<String>,
    /// Grade of the registered name against the file's (see [`domain::NameMatch`]).
    pub name_match: Option<String>,
    /// Party lookups made.
    pub party_attempts: i32,
    /// Why the last lookup gave no answer.
    pub party_error: Option<String>,
    /// An `ERROR` row is looked up again from then.
    pub party_retry_at: Option<NaiveDateTime>,
    /// A worker is looking it up until then.
    pub party_lease_until: Option<NaiveDateTime>,
    /// When the lookup answered.
    pub party_checked_at: Option<NaiveDateTime>,
    /// COMPLETED with a payee fee above `MAX_PAYEE_FEE`, taken by a quote the adapter accepted
    /// itself (see `sdk::Outcome::Completed`).
    pub fee_above_limit: bool,
}

impl Transfer {
    /// Whether the row was handed out by a range claim of its run (whose `claimed_through` is
    /// given) and has no outcome yet: PENDING on disk, PROCESSING for the state machine.
    pub fn in_flight_by_range(&self, claimed_through: i64) -> bool {
        *self.status == domain::TransferStatus::Pending
            && self.retry_at.is_none()
            && self.id <= claimed_through
    }
}

/// Insert form of [`Transfer`]. `None` is written as NULL, not as the column's DEFAULT (both
/// are NULL here): `COPY` has no DEFAULT, and diesel's `copy_from(..).from_insertable(..)` needs
/// every field to be a plain bound value.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = individual_transfers)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewTransfer {
    /// Owning bulk (set by `create_bulk`).
    pub bulk_pk: i64,
    /// Physical line.
    pub line: i64,
    /// Row id.
    pub transfer_id: String,
    /// Adapter UUID.
    pub mojaloop_transfer_id: String,
    /// Payee id type.
    pub party_id_type: String,
    /// Payee identifier.
    pub party_identifier: String,
    /// Beneficiary name.
    pub payee_name: Option<String>,
    /// Minor units.
    pub amount: i64,
    /// `PENDING`.
    pub status: DbTransferStatus,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Same as creation time.
    pub updated_at: NaiveDateTime,
    /// See [`Transfer::repeat_in_period`].
    pub repeat_in_period: bool,
}

/// One journal line.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = ledger_entries)]
pub struct LedgerEntry {
    /// Primary key.
    pub id: i64,
    /// Account moved.
    pub account_pk: i64,
    /// Bulk concerned.
    pub bulk_pk: Option<i64>,
    /// Transfer concerned.
    pub transfer_pk: Option<i64>,
    /// CREDIT, RESERVE, CONSUME or RELEASE.
    pub kind: String,
    /// Minor units, > 0.
    pub amount: i64,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Insert form of [`LedgerEntry`].
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ledger_entries)]
pub struct NewLedgerEntry {
    /// Account moved.
    pub account_pk: i64,
    /// Bulk concerned.
    pub bulk_pk: Option<i64>,
    /// Transfer concerned.
    pub transfer_pk: Option<i64>,
    /// Kind name.
    pub kind: String,
    /// Minor units.
    pub amount: i64,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Current UTC time as stored in the database (microsecond precision on both backends).
/// On the database's clock: see [`crate::clock`].
pub fn now() -> NaiveDateTime {
    crate::clock::now()
}

/// One event for a run's `callback_url`, in the outbox until delivered or given up.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = webhook_deliveries)]
pub struct WebhookDelivery {
    /// Primary key.
    pub id: i64,
    /// Unique event id (`X-Gateway-Event-Id`).
    pub event_id: String,
    /// The run.
    pub bulk_pk: i64,
    /// The run's organisation (whose secret signs).
    pub organisation_id: i64,
    /// `bulk.completed`, …
    pub event: String,
    /// Where it goes.
    pub url: String,
    /// The JSON body, fixed when the event was recorded.
    pub payload: String,
    /// `PENDING`, `DELIVERED`, `FAILED` (given up) or `BLOCKED` (egress policy).
    pub state: String,
    /// Attempts made.
    pub attempts: i32,
    /// Not tried again before this.
    pub next_attempt_at: NaiveDateTime,
    /// A sender holds it until then.
    pub lease_until: Option<NaiveDateTime>,
    /// HTTP status of the last answer, if one came.
    pub last_status: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the event was recorded.
    pub created_at: NaiveDateTime,
    /// When a 2xx came back.
    pub delivered_at: Option<NaiveDateTime>,
}

/// A new outbox entry.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct NewWebhookDelivery {
    /// Unique event id.
    pub event_id: String,
    /// The run.
    pub bulk_pk: i64,
    /// Its organisation.
    pub organisation_id: i64,
    /// Event name.
    pub event: String,
    /// Destination.
    pub url: String,
    /// JSON body.
    pub payload: String,
    /// First attempt not before this.
    pub next_attempt_at: NaiveDateTime,
    /// Recorded at.
    pub created_at: NaiveDateTime,
}

/// One delivery attempt.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = webhook_attempts)]
pub struct WebhookAttempt {
    /// Primary key.
    pub id: i64,
    /// The delivery.
    pub delivery_id: i64,
    /// 1 for the first attempt.
    pub attempt: i32,
    /// When it started.
    pub started_at: NaiveDateTime,
    /// How long it took.
    pub duration_ms: i64,
    /// HTTP status, if an answer came.
    pub status: Option<i32>,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// A new attempt line.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_attempts)]
pub struct NewWebhookAttempt {
    /// The delivery.
    pub delivery_id: i64,
    /// 1 for the first attempt.
    pub attempt: i32,
    /// When it started.
    pub started_at: NaiveDateTime,
    /// How long it took.
    pub duration_ms: i64,
    /// HTTP status, if an answer came.
    pub status: Option<i32>,
    /// What went wrong, if anything.
    pub error: Option<String>,
}
