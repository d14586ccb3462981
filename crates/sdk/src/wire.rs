//! The JSON the adapter's outbound API speaks, camelCase on the wire.
//!
//! Requests are complete; answers are deliberately SMALL: only the fields the gateway reads. The
//! adapter's answers are ~5.7 KB (it echoes every FSPIOP request and callback it exchanged), and
//! parsing them into these structs is several times cheaper than into `serde_json::Value`; serde skips
//! everything else.

use serde::{Deserialize, Serialize};

mod de;
mod error_body;

pub use error_body::{ErrorBody, ErrorTransferState, GetTransferResponse, Present, is_fspiop_code};

/// `amountType` the gateway always sends: the payer sends exactly this amount.
pub const AMOUNT_TYPE_SEND: &str = "SEND";
/// `transactionType` the gateway always sends.
pub const TRANSACTION_TYPE_TRANSFER: &str = "TRANSFER";

/// Adapter `currentState` values.
pub mod state {
    /// Money moved.
    pub const COMPLETED: &str = "COMPLETED";
    /// Auto-accept of parties is off: accept the party to continue.
    pub const WAITING_FOR_PARTY_ACCEPTANCE: &str = "WAITING_FOR_PARTY_ACCEPTANCE";
    /// Auto-accept of quotes is off: accept (or refuse) the quote to continue.
    pub const WAITING_FOR_QUOTE_ACCEPTANCE: &str = "WAITING_FOR_QUOTE_ACCEPTANCE";
    /// The transfer failed.
    pub const ERROR_OCCURRED: &str = "ERROR_OCCURRED";
    /// The transfer was aborted (e.g. quote refused) before reaching the switch.
    pub const ABORTED: &str = "ABORTED";
}

/// Switch-side `transferState` values (`fulfil.body.transferState`).
pub mod transfer_state {
    /// The switch committed the transfer: money moved.
    pub const COMMITTED: &str = "COMMITTED";
    /// The switch aborted the transfer.
    pub const ABORTED: &str = "ABORTED";
    /// Prepared, funds reserved, not yet final.
    pub const RESERVED: &str = "RESERVED";
    /// Received by the switch, not yet final.
    pub const RECEIVED: &str = "RECEIVED";
}

/// A payer or payee (`transferParty`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    /// `MSISDN`, `PERSONAL_ID`, `ACCOUNT_ID`, ...
    pub id_type: String,
    /// The identifier itself.
    pub id_value: String,
    /// Name shown to the other side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The party's FSP, filled in by the adapter's party lookup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fsp_id: Option<String>,
    /// Filled in by the party lookup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Filled in by the party lookup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}

impl Party {
    /// A party known by its identifier only.
    pub fn new(id_type: impl Into<String>, id_value: impl Into<String>) -> Party {
        Party {
            id_type: id_type.into(),
            id_value: id_value.into(),
            display_name: None,
            fsp_id: None,
            first_name: None,
            last_name: None,
        }
    }
}

/// Body of `POST /transfers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferRequest {
    /// The gateway's own reference for the row.
    pub home_transaction_id: String,
    /// The UUID the gateway fixed and stored before the first POST (accepted by the adapter though
    /// not in its spec); every later PUT and GET uses it.
    pub transfer_id: String,
    /// Payer.
    pub from: Party,
    /// Payee.
    pub to: Party,
    /// Always [`AMOUNT_TYPE_SEND`].
    pub amount_type: String,
    /// ISO-4217 code.
    pub currency: String,
    /// Major units, canonical (see [`crate::format_amount`]).
    pub amount: String,
    /// Always [`TRANSACTION_TYPE_TRANSFER`].
    pub transaction_type: String,
    /// Free text, 1 to 128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl TransferRequest {
    /// A `SEND`/`TRANSFER` request for `minor` units of `currency` (with `exponent` decimals).
    pub fn send(
        home_transaction_id: impl Into<String>,
        transfer_id: impl Into<String>,
        from: Party,
        to: Party,
        currency: impl Into<String>,
        minor: i64,
        exponent: u32,
    ) -> TransferRequest {
        TransferRequest {
            home_transaction_id: home_transaction_id.into(),
            transfer_id: transfer_id.into(),
            from,
            to,
            amount_type: AMOUNT_TYPE_SEND.to_string(),
            currency: currency.into(),
            amount: crate::format_amount(minor, exponent),
            transaction_type: TRANSACTION_TYPE_TRANSFER.to_string(),
            note: None,
        }
    }
}

/// Body of `PUT /transfers/{id}` accepting the payee party (the schema only allows `true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptParty {
    /// Must be `true`; `false` is refused with a 400.
    pub accept_party: bool,
}

/// Body of `PUT /transfers/{id}` accepting or refusing the quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptQuote {
    /// `false` aborts the transfer before anything reaches the switch.
    pub accept_quote: bool,
}

/// An amount with its currency (`Money`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// ISO-4217 code.
    pub currency: String,
    /// Decimal string in major units.
    pub amount: String,
}

/// The 200 answer to `POST /transfers` and `PUT /transfers/{id}`, reduced to what the gateway reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferResponse {
    /// The transfer's id (ours, echoed).
    #[serde(default)]
    pub transfer_id: Option<String>,
    /// See [`state`].
    pub current_state: String,
    /// Present from `WAITING_FOR_QUOTE_ACCEPTANCE` on.
    #[serde(default)]
    pub quote_response: Option<QuoteResponse>,
    /// The switch's callback, present once the transfer is final.
    #[serde(default)]
    pub fulfil: Option<Fulfil>,
    /// Why the transfer failed, when it did.
    #[serde(default)]
    pub last_error: Option<LastError>,
    /// Why the transfer was aborted (`"Quote rejected by backend"`).
    #[serde(default)]
    pub aborted_reason: Option<String>,
    /// The payee as the adapter resolved it (`fspId`, names), from `WAITING_FOR_PARTY_ACCEPTANCE` on.
    #[serde(default)]
    pub to: Option<Party>,
}

/// `quoteResponse` of a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct QuoteResponse {
    /// The payee FSP's quote.
    pub body: QuoteBody,
}

/// The quote fields the gateway checks before accepting.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteBody {
    /// What the payer will be debited.
    #[serde(default)]
    pub transfer_amount: Option<Money>,
    /// The payee FSP's fee, taken from the amount.
    #[serde(default)]
    pub payee_fsp_fee: Option<Money>,
    /// What the payee will receive.
    #[serde(default)]
    pub payee_receive_amount: Option<Money>,
}

/// `fulfil` of a transfer: the switch's final word.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Fulfil {
    /// The callback body.
    #[serde(default)]
    pub body: FulfilBody,
}

/// `fulfil.body`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfilBody {
    /// See [`transfer_state`].
    #[serde(default)]
    pub transfer_state: Option<String>,
    /// When the switch made it final.
    #[serde(default)]
    pub completed_timestamp: Option<String>,
}

/// `lastError` of a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastError {
    /// The HTTP status the adapter answered with.
    #[serde(default)]
    pub http_status_code: Option<u16>,
    /// The FSPIOP error from the switch or a peer, when there was one.
    #[serde(default)]
    pub mojaloop_error: Option<MojaloopError>,
}

/// `lastError.mojaloopError`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MojaloopError {
    /// The FSPIOP error.
    #[serde(default)]
    pub error_information: Option<ErrorInformation>,
}

/// An FSPIOP `errorInformation`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorInformation {
    /// Four digits, e.g. `"3204"`.
    #[serde(deserialize_with = "de::string_or_number")]
    pub error_code: String,
    /// Human text, e.g. `"Party not found"`.
    #[serde(default)]
    pub error_description: String,
}

impl LastError {
    /// `mojaloopError.errorInformation`, when present.
    pub fn error_information(&self) -> Option<&ErrorInformation> {
        self.mojaloop_error.as_ref()?.error_information.as_ref()
    }
}
