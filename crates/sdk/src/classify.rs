//! Pure classification of the adapter's answers: status code + body bytes in, verdict out.
//!
//! Kept free of I/O so that every case is unit-tested with the bodies captured from the real adapter
//! (`tests/fixtures/`).

use crate::outcome::{CallResult, LookupResult};
use crate::stage::{is_transient_fspiop, stage_of};
use crate::wire::{ErrorBody, GetTransferResponse, TransferResponse, state, transfer_state};

/// FSPIOP "Transfer ID not found": the switch has no such transfer.
pub const TRANSFER_ID_NOT_FOUND: &str = "3208";

/// Classifies the answer to `POST /transfers` or `PUT /transfers/{id}`.
///
/// - 200 with a parseable body → [`CallResult::Answered`];
/// - 4xx → [`CallResult::Failed`] (the request was refused; code = `statusCode` of the body, else the
///   HTTP status);
/// - 504 whose body shows the transfer stopped before its prepare (party lookup or quote timeout) →
///   [`CallResult::NotPrepared`]; any other 504 → [`CallResult::Unknown`] (a timeout waiting for the
///   fulfil may still end committed);
/// - other 5xx carrying an FSPIOP error, with the transfer in `ERROR_OCCURRED` (or no state) →
///   [`CallResult::NotPrepared`] when the code is a passing one (1xxx, 2xxx) and the body shows no
///   prepare, else [`CallResult::Failed`] with the FSPIOP code;
/// - a 5xx without an FSPIOP error whose body shows no prepare → [`CallResult::NotPrepared`];
/// - anything else (5xx without an FSPIOP error or a stage, an empty or unparseable 200, 204,
///   1xx/3xx) → [`CallResult::Unknown`].
pub fn classify_call(status: u16, body: &[u8]) -> CallResult {
    match status {
        200 => match serde_json::from_slice::<TransferResponse>(body) {
            Ok(resp) => CallResult::Answered(Box::new(resp)),
            Err(e) => CallResult::Unknown {
                reason: format!(
                    "HTTP 200 with an unparseable body ({} bytes): {e}",
                    body.len()
                ),
                stage: None,
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
        504 => classify_timeout(body),
        500..=599 => classify_server_error(status, body),
        other => CallResult::Unknown {
            reason: format!(
                "unexpected HTTP {other} without a transfer state ({} bytes)",
                body.len()
            ),
            stage: None,
        },
    }
}

/// A 504: certain only when the body shows the stage it stopped at, and that stage is before the
/// prepare.
fn classify_timeout(body: &[u8]) -> CallResult {
    let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
    let message = parsed
        .as_ref()
        .and_then(|b| b.message.clone())
        .unwrap_or_else(|| format!("{} bytes of body", body.len()));
    match parsed.as_ref().and_then(stage_of) {
        Some(stage) if stage.before_prepare() => CallResult::NotPrepared {
            stage,
            code: stage.timeout_code().to_string(),
            message: format!("HTTP 504 from the adapter at stage {stage}: {message}"),
        },
        stage => CallResult::Unknown {
            reason: format!("HTTP 504 from the adapter: {message}"),
            stage,
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
            stage: None,
        };
    };
    let state_ok = parsed
        .transfer_state
        .as_ref()
        .and_then(|t| t.current_state.as_deref())
        .is_none_or(|s| s == state::ERROR_OCCURRED || s == state::ABORTED);
    let seen = stage_of(&parsed);
    let stage = seen.filter(|s| s.before_prepare());
    match (parsed.fspiop_error(), stage) {
        (Some((code, description)), stage) if state_ok => {
            let message = description
                .filter(|d| !d.is_empty())
                .or(parsed.message)
                .unwrap_or_else(|| format!("FSPIOP error {code}"));
            match stage {
                Some(stage) if is_transient_fspiop(&code) => CallResult::NotPrepared {
                    stage,
                    code,
                    message: format!("{message} (at stage {stage}, before the prepare)"),
                },
                _ => CallResult::Failed { code, message },
            }
        }
        (None, Some(stage)) => CallResult::NotPrepared {
            stage,
            code: format!("HTTP_{status}"),
            message: format!(
                "HTTP {status} from the adapter at stage {stage}: {}",
                parsed.message.unwrap_or_else(|| "no message".to_string())
            ),
        },
        _ => CallResult::Unknown {
            reason: format!(
                "HTTP {status} without a Mojaloop error: {}",
                parsed.message.unwrap_or_else(|| "no message".to_string())
            ),
            stage: seen,
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
            stage: None,
        }
    } else if err.is_builder() {
        CallResult::NotSent {
            reason: format!("request could not be built: {}", error_chain(err)),
        }
    } else {
        CallResult::Unknown {
            reason: format!("transport error after sending: {}", error_chain(err)),
            stage: None,
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
