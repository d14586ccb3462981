//! The JSON texts of the quote request and the transfer prepare, embedded as strings in the answer
//! (the adapter echoes the raw bodies it sent).

use crate::fspiop::{CONDITION, ILP_PACKET, MoneyOut, PAYER_FSP, PartyIdInfo, PersonalInfo, iso};
use crate::model::{QuotePhase, Record};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// How far ahead the adapter sets `expiration` (its `expirySeconds`, 60 by default).
const EXPIRY: Duration = Duration::seconds(60);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Payer<'a> {
    party_id_info: PartyIdInfo<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Payee<'a> {
    party_id_info: PartyIdInfo<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    personal_info: Option<PersonalInfo<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TransactionType {
    scenario: &'static str,
    initiator: &'static str,
    initiator_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QuoteRequest<'a> {
    quote_id: String,
    transaction_id: &'a str,
    amount_type: &'a str,
    amount: MoneyOut<'a>,
    expiration: String,
    payer: Payer<'a>,
    payee: Payee<'a>,
    transaction_type: TransactionType,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Prepare<'a> {
    transfer_id: &'a str,
    payee_fsp: &'a str,
    payer_fsp: &'static str,
    amount: MoneyOut<'a>,
    ilp_packet: &'static str,
    condition: &'static str,
    expiration: String,
}

fn expiration(at: DateTime<Utc>) -> String {
    iso(at + EXPIRY)
}

/// `quoteRequest.body`.
pub(crate) fn quote_request_body(rec: &Record, q: &QuotePhase, payee_fsp: &str) -> String {
    let t = &*rec.transfer;
    let body = QuoteRequest {
        quote_id: q.id.to_string(),
        transaction_id: &rec.transfer_id,
        amount_type: &t.amount_type,
        amount: MoneyOut {
            currency: &t.currency,
            amount: &t.amount,
        },
        expiration: expiration(q.at),
        payer: Payer {
            party_id_info: PartyIdInfo {
                party_id_type: t.from.id_type(),
                party_identifier: t.from.id_value(),
                fsp_id: PAYER_FSP,
            },
            name: t.from.display_name.as_deref(),
        },
        payee: Payee {
            party_id_info: PartyIdInfo {
                party_id_type: t.to.id_type(),
                party_identifier: t.to.id_value(),
                fsp_id: payee_fsp,
            },
            personal_info: rec.payee().and_then(PersonalInfo::of),
        },
        transaction_type: TransactionType {
            scenario: "TRANSFER",
            initiator: "PAYER",
            initiator_type: "CONSUMER",
        },
        note: t.note.as_deref(),
    };
    serde_json::to_string(&body).unwrap_or_default()
}

/// `prepare.body`.
pub(crate) fn prepare_body(
    rec: &Record,
    transfer_amount: &str,
    payee_fsp: &str,
    at: DateTime<Utc>,
) -> String {
    let body = Prepare {
        transfer_id: &rec.transfer_id,
        payee_fsp,
        payer_fsp: PAYER_FSP,
        amount: MoneyOut {
            currency: &rec.transfer.currency,
            amount: transfer_amount,
        },
        ilp_packet: ILP_PACKET,
        condition: CONDITION,
        expiration: expiration(at),
    };
    serde_json::to_string(&body).unwrap_or_default()
}
