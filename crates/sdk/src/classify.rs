//! Pure classification of the adapter's answers: status code + body bytes in, verdict out.
//!
//! Kept free of I/O so that every case is unit-tested with the bodies captured from the real adapter
//! (`tests/fixtures/`).

use crate::outcome::{CallResult, LookupResult};
use crate::wire::{ErrorBody, GetTransferResponse, TransferResponse, state, transfer_state};

/// FSPIOP "Transfer ID not found": the switch has no such transfer.
pub const TRANSFER_ID_NOT_FOUND: &str = "3208";

/// Classifies the answer to `POST /transfers` or `PUT /transfers/{id}`.
///
/// - 200 with a parseable body → [`CallResult::Answered`];
/// - 4xx → [`CallResult::Failed`] (the request was refused; code = `statusCode` of the body, else the
///   HTTP status);
/// - 504 → [`CallResult::Unknown`] (a timeout waiting for the fulfil may still end committed);
/// - other 5xx carrying an FSPIOP error, with the transfer in `ERROR_OCCURRED` (or no state) →
///   [`CallResult::Failed`] with the FSPIOP code;
/// - anything else (5xx without an FSPIOP error, an empty or unparseable 200, 204, 1xx/3xx) →
///   [`CallResult::Unknown`].
pub fn classify_call(status: u16, body: &[u8]) -> CallResult {
    match status {
        200 => match serde_json::from_slice::<TransferResponse>(body) {
            Ok(resp) => CallResult::Answered(Box::new(resp)),
            Err(e) => CallResult::Unknown {
                reason: format!(
                    "HTTP 200 with an unparseable body ({} bytes): {e}",
                    body.len()
                ),
            },
        },
        400..=499 => {
            let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
            let code = parsed
                .as_ref()
                .and_then(|b| b.status_code.clone())
                .unwrap_or_else(|| status.to_string());
            let message = parsed
                .and_then(|b| b.message)
                .unwrap_or_else(|| format!("HTTP {status}"));
            CallResult::Failed {
                code,
                message: format!("adapter refused the request (HTTP {status}): {message}"),
            }
        }
        504 => CallResult::Unknown {
            reason: format!("HTTP 504 from the adapter: {}", message_of(body)),
        },
        500..=599 => classify_server_error(status, body),
        other => CallResult::Unknown {
            reason: format!(
                "unexpected HTTP {other} without a transfer state ({} bytes)",
                body.len()
            ),
        },
    }
}

fn classify_server_error(status: u16, body: &[u8]) -> CallResult {
    let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) else {
        return CallResult::Unknown {
            reason: format!(
                "HTTP {status} without a Mojaloop error ({} bytes of body)",
                body.len()
            ),
        };
    };
    let state_ok = parsed
        .transfer_state
        .as_ref()
        .and_then(|t| t.current_state.as_deref())
        .is_none_or(|s| s == state::ERROR_OCCURRED || s == state::ABORTED);
    match parsed.fspiop_error() {
        Some((code, description)) if state_ok => {
            let message = description
                .filter(|d| !d.is_empty())
                .or(parsed.message)
                .unwrap_or_else(|| format!("FSPIOP error {code}"));
            CallResult::Failed { code, message }
        }
        _ => CallResult::Unknown {
            reason: format!(
                "HTTP {status} without a Mojaloop error: {}",
                parsed.message.unwrap_or_else(|| "no message".to_string())
            ),
        },
    }
}

/// Classifies the answer to `GET /transfers/{id}`.
///
/// Only `fulfil.body.transferState` is trusted on a 200: the adapter says `COMPLETED` for any answer
/// the switch gave, even `ABORTED`. A 5xx with FSPIOP error 3208 is [`LookupResult::NotFound`];
/// every other non-200 is [`LookupResult::Unreachable`].
pub fn classify_lookup(status: u16, body: &[u8]) -> LookupResult {
    if status == 200 {
        return match serde_json::from_slice::<GetTransferResponse>(body) {
            Ok(resp) => {
                let switch_state = resp.fulfil.and_then(|f| f.body.transfer_state);
                match switch_state.as_deref() {
                    Some(transfer_state::COMMITTED) => LookupResult::Committed,
                    Some(transfer_state::ABORTED) => LookupResult::Aborted {
                        code: transfer_state::ABORTED.to_string(),
                        message: "the switch reports the transfer ABORTED".to_string(),
                    },
                    Some(other) => LookupResult::Pending {
                        state: other.to_string(),
                    },
                    None => LookupResult::Pending {
                        state: resp.current_state.unwrap_or_else(|| "UNKNOWN".to_string()),
                    },
                }
            }
            Err(e) => LookupResult::Unreachable {
                reason: format!("HTTP 200 with an unparseable body: {e}"),
            },
        };
    }
    let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
    let fspiop = parsed.as_ref().and_then(ErrorBody::fspiop_error);
    if status >= 500
        && status != 504
        && fspiop
            .as_ref()
            .is_some_and(|(code, _)| code == TRANSFER_ID_NOT_FOUND)
    {
        return LookupResult::NotFound;
    }
    let detail = match (fspiop, parsed.and_then(|b| b.message)) {
        (Some((code, _)), Some(msg)) => format!("FSPIOP {code}: {msg}"),
        (Some((code, _)), None) => format!("FSPIOP {code}"),
        (None, Some(msg)) => msg,
        (None, None) => format!("{} bytes of body", body.len()),
    };
    LookupResult::Unreachable {
        reason: format!("lookup answered HTTP {status}: {detail}"),
    }
}

fn message_of(body: &[u8]) -> String {
    serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .and_then(|b| b.message)
        .unwrap_or_else(|| format!("{} bytes of body", body.len()))
}

/// Classifies a transport error of `reqwest`: a connect error means the request never left
/// ([`CallResult::NotSent`]); anything after the connection was made may have been processed
/// ([`CallResult::Unknown`]).
pub fn classify_transport(err: &reqwest::Error) -> CallResult {
    if err.is_connect() {
        CallResult::NotSent {
            reason: format!("could not connect to the adapter: {}", error_chain(err)),
        }
    } else if err.is_timeout() {
        CallResult::Unknown {
            reason: format!("timed out after the request was sent: {}", error_chain(err)),
        }
    } else if err.is_builder() {
        CallResult::NotSent {
            reason: format!("request could not be built: {}", error_chain(err)),
        }
    } else {
        CallResult::Unknown {
            reason: format!("transport error after sending: {}", error_chain(err)),
        }
    }
}

/// `err` and its sources, `: `-separated (reqwest's own `Display` hides the cause).
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}
