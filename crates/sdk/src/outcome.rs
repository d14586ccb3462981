//! What a call, a whole transfer and a lookup can end in.
//!
//! The variants encode the one rule that matters: the adapter has no idempotency, so a transfer may
//! be POSTed again only when it certainly never reached the adapter ([`Outcome::NotSent`]). Anything
//! that might have moved money without us knowing is [`Outcome::Unknown`] and is resolved with
//! `GET /transfers/{id}`, never by a second POST — unless the adapter's own answer shows that the
//! transfer never reached its transfer stage ([`Outcome::NotPrepared`]): then it may be sent again,
//! with the same `transferId`.

use crate::stage::Stage;
use crate::wire::TransferResponse;

/// The classified answer to one HTTP call (`POST /transfers` or `PUT /transfers/{id}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallResult {
    /// HTTP 200: the adapter reports the transfer in `currentState` (final or halted for acceptance).
    Answered(Box<TransferResponse>),
    /// The adapter certainly refused or failed the transfer: a 4xx, or a 5xx carrying an FSPIOP error
    /// with the transfer in `ERROR_OCCURRED`.
    Failed {
        /// FSPIOP error code (`"3204"`), else the `statusCode` of the body (`"400"`).
        code: String,
        /// What went wrong, for people.
        message: String,
    },
    /// The request certainly never reached the adapter (connection refused, DNS, connect timeout).
    NotSent {
        /// The transport error.
        reason: String,
    },
    /// The adapter's answer proves the transfer failed before its prepare was sent, for a passing
    /// reason (a timeout or a server error during the party lookup or the quote): no money moved
    /// and another attempt with the same `transferId` may succeed.
    NotPrepared {
        /// How far the transfer got.
        stage: Stage,
        /// `PARTY_LOOKUP_TIMEOUT`, `QUOTE_TIMEOUT`, the FSPIOP code (`"2003"`), or `HTTP_<status>`.
        code: String,
        /// What the adapter said.
        message: String,
    },
    /// The request may have been processed: 504 after the prepare, read timeout, reset after
    /// sending, a 5xx without an FSPIOP error or a stage, an answer that does not parse.
    Unknown {
        /// What happened.
        reason: String,
        /// The stage the answer showed, when there was an answer that showed one.
        stage: Option<Stage>,
    },
}

/// How one transfer driven by [`crate::SdkClient::execute`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Money moved (`COMPLETED`).
    Completed {
        /// Set when the adapter accepted the quote itself (auto-accept) and that quote's
        /// `payeeFspFee` exceeds the policy's maximum: the money moved with a fee the gateway would
        /// have refused. Says which fee and which maximum.
        fee_above_limit: Option<String>,
    },
    /// Certainly not completed: `ERROR_OCCURRED`/`ABORTED`, a 400, a 5xx carrying an FSPIOP error, or
    /// a quote the gateway refused (`code == "QUOTE_REFUSED"`). Money did not move.
    Failed {
        /// FSPIOP error code, HTTP-ish `statusCode`, or [`QUOTE_REFUSED`].
        code: String,
        /// What went wrong, for people.
        message: String,
    },
    /// The POST certainly never reached the adapter: the caller may POST again, with backoff.
    NotSent {
        /// The transport error.
        reason: String,
    },
    /// Certainly not prepared at the switch, for a passing reason (see [`CallResult::NotPrepared`]):
    /// the caller may send it again LATER, with the same `transferId`, a bounded number of times.
    NotPrepared {
        /// How far the transfer got.
        stage: Stage,
        /// See [`CallResult::NotPrepared`].
        code: String,
        /// What went wrong, for people.
        message: String,
    },
    /// The transfer may or may not have completed. NEVER POST it again: resolve it with
    /// [`crate::SdkClient::get_transfer`].
    Unknown {
        /// What happened.
        reason: String,
    },
}

/// `Outcome::Failed::code` when the gateway itself refused the quote.
pub const QUOTE_REFUSED: &str = "QUOTE_REFUSED";

/// The switch's view of a transfer, from `GET /transfers/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupResult {
    /// `fulfil.body.transferState == "COMMITTED"`: money moved.
    Committed,
    /// `fulfil.body.transferState == "ABORTED"`: money did not move and will not.
    Aborted {
        /// `"ABORTED"`.
        code: String,
        /// What the switch said.
        message: String,
    },
    /// The switch does not know the transfer (FSPIOP 3208 "Transfer ID not found"). Final only once
    /// the transfer's expiry has passed: before that the prepare may still be on its way.
    NotFound,
    /// The switch knows the transfer but it is not final yet (`RECEIVED`, `RESERVED`).
    Pending {
        /// The state reported.
        state: String,
    },
    /// No usable answer (connection error, timeout, 504, another error): try again later.
    Unreachable {
        /// What happened.
        reason: String,
    },
}

/// What the gateway accepts in a quote when the adapter halts at `WAITING_FOR_QUOTE_ACCEPTANCE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotePolicy {
    /// The row's amount in minor units: `transferAmount` must be exactly this.
    pub expected_amount_minor: i64,
    /// Decimals of the currency (ISO-4217 exponent).
    pub exponent: u32,
    /// Highest acceptable `payeeFspFee`, in minor units (the gateway's `MAX_PAYEE_FEE`, default 0).
    pub max_payee_fee_minor: i64,
}
