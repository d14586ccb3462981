//! What the simulator receives and what it remembers about each transfer.

use crate::registry::Party;
use crate::rules::Rule;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

/// A `transferParty` as received, echoed back unchanged (plus what the party lookup adds to `to`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PartyIn {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_sub_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fsp_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_classification_code: Option<String>,
}

impl PartyIn {
    pub fn id_type(&self) -> &str {
        self.id_type.as_deref().unwrap_or_default()
    }
    pub fn id_value(&self) -> &str {
        self.id_value.as_deref().unwrap_or_default()
    }
}

/// `POST /transfers` body, every field optional so that validation can name what is missing.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PostBody {
    pub home_transaction_id: Option<String>,
    pub transfer_id: Option<String>,
    pub from: Option<PartyIn>,
    pub to: Option<PartyIn>,
    pub amount_type: Option<String>,
    pub currency: Option<String>,
    pub amount: Option<String>,
    pub transaction_type: Option<String>,
    pub note: Option<String>,
}

/// `PUT /transfers/{id}` body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PutBody {
    pub accept_party: Option<bool>,
    pub accept_quote: Option<bool>,
}

/// A validated transfer request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Transfer {
    pub home_transaction_id: String,
    pub from: PartyIn,
    pub to: PartyIn,
    pub amount_type: String,
    pub currency: String,
    pub amount: String,
    pub transaction_type: String,
    pub note: Option<String>,
}

/// Where the adapter is with a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// A call is working on it right now.
    Busy,
    WaitingParty,
    WaitingQuote,
    Completed,
    Aborted,
    Errored,
}

impl Stage {
    pub fn current_state(self) -> &'static str {
        match self {
            Stage::WaitingParty => "WAITING_FOR_PARTY_ACCEPTANCE",
            Stage::WaitingQuote => "WAITING_FOR_QUOTE_ACCEPTANCE",
            Stage::Completed => "COMPLETED",
            Stage::Aborted => "ABORTED",
            Stage::Busy | Stage::Errored => "ERROR_OCCURRED",
        }
    }
}

/// What the switch (the system of record) knows about a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SwitchState {
    /// Never prepared: a lookup says "Transfer ID not found".
    Unknown,
    /// Prepared, funds reserved, no fulfil yet.
    Reserved(DateTime<Utc>),
    /// Money moved.
    Committed(DateTime<Utc>),
    /// Rejected by the payee.
    Aborted(DateTime<Utc>),
}

/// An FSPIOP error and how the adapter reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FspiopError {
    pub code: &'static str,
    pub description: &'static str,
    /// The adapter's `message`, in the shape of the captures.
    pub message: &'static str,
}

/// Why a transfer ended in `ERROR_OCCURRED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    Fspiop(FspiopError),
    TimeoutResolvingPayee,
    TimeoutRequestingQuote,
    TimeoutWaitingForFulfil,
    /// 500 with an empty body, or a dropped connection: nothing cached.
    Crash,
}

/// The party lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartyPhase {
    pub at: DateTime<Utc>,
    /// `None`: no answer (timeout); `Some(Err)`: error callback; `Some(Ok(party))`: found.
    pub answer: Option<Result<Arc<Party>, FspiopError>>,
}

/// The quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QuotePhase {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// `None` when the payee FSP rejected it.
    pub amounts: Option<QuoteAmounts>,
}

/// Amounts of a quote response, canonical decimal strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QuoteAmounts {
    pub transfer_amount: String,
    pub payee_receive_amount: String,
    pub payee_fsp_fee: String,
}

/// Everything the simulator remembers about one transfer; responses are rendered from it.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub transfer: Arc<Transfer>,
    pub transfer_id: Arc<str>,
    pub rule: Rule,
    pub initiated: DateTime<Utc>,
    pub stage: Stage,
    pub switch: SwitchState,
    pub party: Option<PartyPhase>,
    pub accept_party: Option<bool>,
    pub quote: Option<QuotePhase>,
    pub accept_quote: Option<bool>,
    pub prepare: Option<DateTime<Utc>>,
    pub aborted_reason: Option<&'static str>,
    pub failure: Option<Failure>,
}

impl Record {
    pub fn new(transfer: Arc<Transfer>, transfer_id: Arc<str>, rule: Rule) -> Record {
        Record {
            transfer,
            transfer_id,
            rule,
            initiated: Utc::now(),
            stage: Stage::Busy,
            switch: SwitchState::Unknown,
            party: None,
            accept_party: None,
            quote: None,
            accept_quote: None,
            prepare: None,
            aborted_reason: None,
            failure: None,
        }
    }

    /// The payee found by the lookup, when it was found.
    pub fn payee(&self) -> Option<&Party> {
        match self.party.as_ref()?.answer.as_ref()? {
            Ok(party) => Some(party),
            Err(_) => None,
        }
    }
}
