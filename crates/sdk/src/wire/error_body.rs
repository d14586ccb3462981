//! Error bodies and the lookup answer.

use super::{Fulfil, LastError, de};
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny};

/// The body of a 4xx/5xx answer. `statusCode` is a NUMBER (`400`) for schema refusals and a STRING
/// (`"3204"`, `"504"`, `"500"`) otherwise; both are read into a string.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The FSPIOP error code when there is one, else the HTTP status.
    #[serde(default, deserialize_with = "de::opt_string_or_number")]
    pub status_code: Option<String>,
    /// The adapter's message.
    #[serde(default)]
    pub message: Option<String>,
    /// The transfer as the adapter left it (`{}` when it has none).
    #[serde(default)]
    pub transfer_state: Option<ErrorTransferState>,
}

/// `transferState` of an error body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorTransferState {
    /// The transfer's id.
    #[serde(default)]
    pub transfer_id: Option<String>,
    /// Usually `ERROR_OCCURRED`.
    #[serde(default)]
    pub current_state: Option<String>,
    /// The cause.
    #[serde(default)]
    pub last_error: Option<LastError>,
    /// Present once the party lookup was sent (only its presence is read).
    #[serde(default)]
    pub get_parties_request: Option<Present>,
    /// Present once the party lookup was answered.
    #[serde(default)]
    pub get_parties_response: Option<Present>,
    /// Present once the quote was requested.
    #[serde(default)]
    pub quote_request: Option<Present>,
    /// Present once the quote was answered.
    #[serde(default)]
    pub quote_response: Option<Present>,
    /// Present once the transfer prepare was sent to the switch.
    #[serde(default)]
    pub prepare: Option<Present>,
    /// Present once the switch answered the prepare.
    #[serde(default)]
    pub fulfil: Option<Present>,
}

impl ErrorBody {
    /// The FSPIOP error this body carries: `transferState.lastError.mojaloopError.errorInformation`,
    /// else a four-digit `statusCode` (the adapter only puts an FSPIOP code there when it had one).
    pub fn fspiop_error(&self) -> Option<(String, Option<String>)> {
        let info = self
            .transfer_state
            .as_ref()
            .and_then(|t| t.last_error.as_ref())
            .and_then(LastError::error_information);
        if let Some(info) = info {
            return Some((
                info.error_code.clone(),
                Some(info.error_description.clone()),
            ));
        }
        self.status_code
            .as_deref()
            .filter(|c| is_fspiop_code(c))
            .map(|c| (c.to_string(), None))
    }
}

/// `^[1-9]\d{3}$`, the FSPIOP `ErrorCode` pattern.
pub fn is_fspiop_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 4 && (b'1'..=b'9').contains(&b[0]) && b.iter().all(u8::is_ascii_digit)
}

/// The 200 answer to `GET /transfers/{id}`: the switch's view of the transfer.
///
/// Beware: the adapter reports `currentState: "COMPLETED"` whenever the switch ANSWERED the lookup,
/// whatever the answer; only `fulfil.body.transferState` says whether money moved.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetTransferResponse {
    /// The transfer's id.
    #[serde(default)]
    pub transfer_id: Option<String>,
    /// The adapter's state of the lookup itself.
    #[serde(default)]
    pub current_state: Option<String>,
    /// The switch's answer.
    #[serde(default)]
    pub fulfil: Option<Fulfil>,
}

/// A key whose value is skipped: only its presence matters (`transferState` stage keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Present;

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Present, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Present)
    }
}
