//! Turning a decision about a transfer into the bytes the real adapter would answer.

use crate::fspiop::{CallbackHeaders, FULFILMENT, Fulfil, FulfilBody, PAYEE_FSP, Resource, iso};
use crate::model::{Failure, FspiopError, Record};
use crate::render::{BadRequest, Empty, ErrorReply, LastErrorOut, transfer_body};
use chrono::{DateTime, Utc};
use serde::Serialize;

pub(crate) const PARTY_NOT_FOUND: FspiopError = FspiopError {
    code: "3204",
    description: "Party not found",
    message: "Got an error response resolving party: {\n  errorInformation: { errorCode: '3204', errorDescription: 'Party not found' }\n}",
};
/// Node's `util.inspect` breaks this one over lines (the object is wider than 80 columns).
pub(crate) const SERVICE_UNAVAILABLE: FspiopError = FspiopError {
    code: "2003",
    description: "Service currently unavailable",
    message: "Got an error response resolving party: {\n  errorInformation: {\n    errorCode: '2003',\n    errorDescription: 'Service currently unavailable'\n  }\n}",
};
pub(crate) const QUOTE_REJECTED: FspiopError = FspiopError {
    code: "5103",
    description: "Payee FSP rejected quote",
    message: "Got an error response requesting quote: {\n  errorInformation: { errorCode: '5103', errorDescription: 'Payee FSP rejected quote' }\n}",
};
pub(crate) const TRANSFER_REJECTED: FspiopError = FspiopError {
    code: "5105",
    description: "Payee FSP rejected transaction",
    message: "Got an error response preparing transfer: {\n  errorInformation: {\n    errorCode: '5105',\n    errorDescription: 'Payee FSP rejected transaction'\n  }\n}",
};
pub(crate) const TRANSFER_EXPIRED: FspiopError = FspiopError {
    code: "3303",
    description: "Transfer expired",
    message: "Got an error response preparing transfer: {\n  errorInformation: { errorCode: '3303', errorDescription: 'Transfer expired' }\n}",
};
pub(crate) const TRANSFER_NOT_FOUND: FspiopError = FspiopError {
    code: "3208",
    description: "Transfer ID not found",
    message: "Got an error response retrieving transfer: {\n  errorInformation: { errorCode: '3208', errorDescription: 'Transfer ID not found' }\n}",
};

/// An HTTP answer, or none at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// `application/json; charset=utf-8`.
    Json { status: u16, body: Vec<u8> },
    /// No body (a 500 without body, a 204).
    Empty { status: u16 },
    /// Close the connection without answering.
    Drop,
}

impl Reply {
    /// The HTTP status, `None` for a dropped connection.
    pub fn status(&self) -> Option<u16> {
        match self {
            Reply::Json { status, .. } | Reply::Empty { status } => Some(*status),
            Reply::Drop => None,
        }
    }
}

pub(crate) fn json<T: Serialize>(status: u16, body: &T) -> Reply {
    match serde_json::to_vec(body) {
        Ok(body) => Reply::Json { status, body },
        Err(_) => Reply::Empty { status: 500 },
    }
}

/// 400 `{message, statusCode: 400}`.
pub(crate) fn bad_request(message: &str) -> Reply {
    json(
        400,
        &BadRequest {
            message,
            status_code: 400,
        },
    )
}

/// 500 `{message, transferState: {}, statusCode: "500"}`, as for a PUT on an id the adapter does
/// not know.
pub(crate) fn plain_server_error(message: &str) -> Reply {
    json(
        500,
        &ErrorReply {
            message,
            transfer_state: Empty {},
            status_code: "500",
        },
    )
}

/// What to answer about a transfer, decided under the ledger lock, rendered after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// 200 with the transfer.
    State,
    /// 500/504 from `Record::failure`.
    Failure,
    /// 204 with no body: a PUT on a transfer in `ERROR_OCCURRED` (the adapter's model returns
    /// nothing and Koa turns that into 204).
    NoContent,
    /// Another call is working on the transfer.
    Busy,
}

/// Renders a decision about `rec`.
pub(crate) fn render(decision: Decision, rec: &Record) -> Reply {
    match decision {
        Decision::State => json(200, &transfer_body(rec)),
        Decision::NoContent => Reply::Empty { status: 204 },
        Decision::Busy => plain_server_error(&format!(
            "Transfer {} is still being processed",
            rec.transfer_id
        )),
        Decision::Failure => match rec.failure {
            Some(Failure::Fspiop(e)) => json(
                500,
                &ErrorReply {
                    message: e.message,
                    transfer_state: transfer_body(rec),
                    status_code: e.code,
                },
            ),
            Some(Failure::TimeoutResolvingPayee) => timeout(rec, "resolving payee"),
            Some(Failure::TimeoutRequestingQuote) => timeout(rec, "requesting quote"),
            Some(Failure::TimeoutWaitingForFulfil) => timeout(rec, "waiting for fulfil"),
            Some(Failure::Crash) | None => Reply::Empty { status: 500 },
        },
    }
}

/// 504 "Timeout <doing> for transfer <id>": the switch did not answer in time.
fn timeout(rec: &Record, doing: &str) -> Reply {
    json(
        504,
        &ErrorReply {
            message: &format!("Timeout {doing} for transfer {}", rec.transfer_id),
            transfer_state: transfer_body(rec),
            status_code: "504",
        },
    )
}

/// 200 of `GET /transfers/{id}`: the switch answered.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LookupBody<'a> {
    transfer_id: &'a str,
    /// Always `COMPLETED`: the adapter's lookup "succeeded" whatever the switch said.
    current_state: &'static str,
    initiated_timestamp: String,
    direction: &'static str,
    fulfil: Fulfil<'a>,
}

/// `transferState` of a failed lookup.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LookupErrorState<'a> {
    transfer_id: &'a str,
    current_state: &'static str,
    initiated_timestamp: String,
    direction: &'static str,
    last_error: LastErrorOut<'a>,
}

/// The switch's answer to a lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SwitchAnswer {
    Committed(DateTime<Utc>),
    Aborted(DateTime<Utc>),
    Reserved,
    NotFound,
}

/// Renders the adapter's answer to `GET /transfers/{id}`.
pub(crate) fn lookup_reply(transfer_id: &str, answer: SwitchAnswer) -> Reply {
    let now = Utc::now();
    let (state, completed, fulfilment) = match answer {
        SwitchAnswer::Committed(at) => ("COMMITTED", Some(at), Some(FULFILMENT)),
        SwitchAnswer::Aborted(at) => ("ABORTED", Some(at), None),
        SwitchAnswer::Reserved => ("RESERVED", None, None),
        SwitchAnswer::NotFound => {
            let e = TRANSFER_NOT_FOUND;
            return json(
                500,
                &ErrorReply {
                    message: e.message,
                    transfer_state: LookupErrorState {
                        transfer_id,
                        current_state: "ERROR_OCCURRED",
                        initiated_timestamp: iso(now),
                        direction: "OUTBOUND",
                        last_error: LastErrorOut::new(500, Some((e.code, e.description))),
                    },
                    status_code: e.code,
                },
            );
        }
    };
    json(
        200,
        &LookupBody {
            transfer_id,
            current_state: "COMPLETED",
            initiated_timestamp: iso(now),
            direction: "OUTBOUND",
            fulfil: Fulfil {
                body: FulfilBody {
                    fulfilment,
                    completed_timestamp: completed.map(iso),
                    transfer_state: state,
                },
                headers: CallbackHeaders::new(
                    Resource::Transfers,
                    now,
                    PAYEE_FSP,
                    136,
                    transfer_id,
                ),
            },
        },
    )
}
