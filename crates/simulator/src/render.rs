//! The adapter's transfer object (`transferState` of errors, body of 200s), rendered from a
//! [`Record`] with the phases it went through.

use crate::fspiop::{
    Callback, CallbackHeaders, ErrorCallbackBody, ErrorInformationOut, FULFILMENT, Fulfil,
    FulfilBody, OutgoingRequest, PAYEE_FSP, PartiesBody, PayeeParty, QuoteResponseBody, Resource,
    iso, json_len,
};
use crate::model::{Failure, PartyIn, Record, SwitchState};
use crate::wire_out::{prepare_body, quote_request_body};
use serde::Serialize;

/// Captured `content-length`s of the callbacks (echoed metadata only; a party callback's is
/// computed, its length varying with the name).
const QUOTE_LENGTH: usize = 840;
const FULFIL_LENGTH: usize = 136;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MojaloopErrorOut<'a> {
    error_information: ErrorInformationOut<'a>,
}

/// `lastError`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LastErrorOut<'a> {
    http_status_code: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    mojaloop_error: Option<MojaloopErrorOut<'a>>,
}

impl LastErrorOut<'_> {
    pub fn new(http: u16, fspiop: Option<(&'static str, &'static str)>) -> Self {
        LastErrorOut {
            http_status_code: http,
            mojaloop_error: fspiop.map(|(code, description)| MojaloopErrorOut {
                error_information: ErrorInformationOut {
                    error_code: code,
                    error_description: description,
                },
            }),
        }
    }
}

/// The adapter's transfer object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransferBody<'a> {
    home_transaction_id: &'a str,
    from: &'a PartyIn,
    to: PartyIn,
    amount_type: &'a str,
    currency: &'a str,
    amount: &'a str,
    transaction_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    transfer_id: &'a str,
    current_state: &'static str,
    initiated_timestamp: String,
    direction: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    get_parties_request: Option<OutgoingRequest<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    get_parties_response: Option<Callback<'a, PartiesBody<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    accept_party: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quote_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quote_request: Option<OutgoingRequest<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quote_response: Option<Callback<'a, QuoteResponseBody<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quote_response_source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    accept_quote: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prepare: Option<OutgoingRequest<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fulfil: Option<Fulfil<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aborted_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error: Option<LastErrorOut<'a>>,
}

/// Renders everything the record went through.
pub(crate) fn transfer_body(rec: &Record) -> TransferBody<'_> {
    let t = &*rec.transfer;
    let id: &str = &rec.transfer_id;
    let payee = rec.payee();
    let mut to = t.to.clone();
    if let Some(party) = payee {
        to.fsp_id = Some(party.fsp_id.clone());
        to.first_name = party.first_name().map(str::to_string);
        to.last_name = party.last_name().map(str::to_string);
        to.date_of_birth = party.date_of_birth.clone();
    }
    let get_parties_request = rec
        .party
        .as_ref()
        .map(|p| OutgoingRequest::get_parties(p.at, t.to.id_type(), t.to.id_value()));
    let get_parties_response = rec.party.as_ref().and_then(|p| {
        let (source, body) = match p.answer.as_ref()? {
            Ok(party) => (
                party.fsp_id.as_str(),
                PartiesBody::Found {
                    party: PayeeParty::new(t.to.id_type(), t.to.id_value(), party),
                },
            ),
            Err(e) => (
                PAYEE_FSP,
                PartiesBody::Error(ErrorCallbackBody {
                    error_information: ErrorInformationOut {
                        error_code: e.code,
                        error_description: e.description,
                    },
                }),
            ),
        };
        let length = json_len(&body);
        Some(Callback {
            headers: CallbackHeaders::new(Resource::Parties, p.at, source, length, id),
            body,
        })
    });
    let fsp = payee.map_or(PAYEE_FSP, |p| p.fsp_id.as_str());
    let quote_request = rec.quote.as_ref().map(|q| {
        OutgoingRequest::post(Resource::Quotes, q.at, fsp, quote_request_body(rec, q, fsp))
    });
    let quote_response = rec.quote.as_ref().and_then(|q| {
        let a = q.amounts.as_ref()?;
        Some(Callback {
            headers: CallbackHeaders::new(Resource::Quotes, q.at, fsp, QUOTE_LENGTH, id),
            body: QuoteResponseBody::new(
                &t.currency,
                &a.transfer_amount,
                &a.payee_receive_amount,
                &a.payee_fsp_fee,
            ),
        })
    });
    let quote_response_source = quote_response.as_ref().map(|_| fsp);
    let prepare = rec.prepare.and_then(|at| {
        let amounts = rec.quote.as_ref()?.amounts.as_ref()?;
        Some(OutgoingRequest::post(
            Resource::Transfers,
            at,
            fsp,
            prepare_body(rec, &amounts.transfer_amount, fsp, at),
        ))
    });
    let fulfil = match (rec.switch, rec.failure) {
        // The caller of a 504-after-commit never saw the fulfil.
        (SwitchState::Committed(at), None) => Some(Fulfil {
            body: FulfilBody {
                fulfilment: Some(FULFILMENT),
                completed_timestamp: Some(iso(at)),
                transfer_state: "COMMITTED",
            },
            headers: CallbackHeaders::new(Resource::Transfers, at, fsp, FULFIL_LENGTH, id),
        }),
        _ => None,
    };
    TransferBody {
        home_transaction_id: &t.home_transaction_id,
        from: &t.from,
        to,
        amount_type: &t.amount_type,
        currency: &t.currency,
        amount: &t.amount,
        transaction_type: &t.transaction_type,
        note: t.note.as_deref(),
        transfer_id: &rec.transfer_id,
        current_state: rec.stage.current_state(),
        initiated_timestamp: iso(rec.initiated),
        direction: "OUTBOUND",
        get_parties_request,
        get_parties_response,
        accept_party: rec.accept_party,
        quote_id: rec.quote.as_ref().map(|q| q.id.to_string()),
        quote_request,
        quote_response,
        quote_response_source,
        accept_quote: rec.accept_quote,
        prepare,
        fulfil,
        aborted_reason: rec.aborted_reason,
        last_error: rec.failure.and_then(last_error),
    }
}

fn last_error<'a>(failure: Failure) -> Option<LastErrorOut<'a>> {
    match failure {
        Failure::Fspiop(e) => Some(LastErrorOut::new(500, Some((e.code, e.description)))),
        Failure::TimeoutResolvingPayee
        | Failure::TimeoutRequestingQuote
        | Failure::TimeoutWaitingForFulfil => Some(LastErrorOut::new(504, None)),
        Failure::Crash => None,
    }
}

/// `{message, transferState, statusCode}` of a 500/504.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorReply<'a, T: Serialize> {
    pub message: &'a str,
    pub transfer_state: T,
    pub status_code: &'a str,
}

/// `{message, statusCode: 400}` of a schema refusal (a NUMBER here).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BadRequest<'a> {
    pub message: &'a str,
    pub status_code: u16,
}

/// `{}`.
#[derive(Serialize)]
pub(crate) struct Empty {}
