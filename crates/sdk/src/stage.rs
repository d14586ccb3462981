//! How far a transfer got inside the adapter, read from its own answer.
//!
//! Every answer of the adapter carries `transferState`, whose keys show the FSPIOP exchanges it went
//! through: `getPartiesRequest`/`getPartiesResponse` (party lookup), `quoteRequest`/`quoteResponse`
//! (quote), `prepare` (the transfer was sent to the switch), `fulfil`. Its 504 messages name the
//! stage too ("Timeout resolving payee…", "Timeout requesting quote…", "Timeout waiting for
//! fulfil…"). What matters is one line: was the prepare sent? Before it, no money can have moved and
//! the transfer may be sent again with the same `transferId`; after it, only a lookup decides.

use crate::wire::ErrorBody;

/// The furthest stage an adapter answer shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// The adapter answered with a transfer state that shows no FSPIOP exchange at all.
    NotStarted,
    /// The party lookup (`GET /parties`) was sent; no quote yet.
    PartyLookup,
    /// The quote was requested; no prepare yet.
    Quote,
    /// The prepare was sent to the switch: money may move.
    Transfer,
}

impl Stage {
    /// Whether the transfer certainly never reached the switch's transfer stage.
    pub fn before_prepare(self) -> bool {
        self < Stage::Transfer
    }

    /// Stable name, for logs and error codes.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::NotStarted => "NOT_STARTED",
            Stage::PartyLookup => "PARTY_LOOKUP",
            Stage::Quote => "QUOTE",
            Stage::Transfer => "TRANSFER",
        }
    }

    /// The gateway's code for a timeout at this stage (`PARTY_LOOKUP_TIMEOUT`…).
    pub fn timeout_code(self) -> &'static str {
        match self {
            Stage::NotStarted => "ADAPTER_TIMEOUT",
            Stage::PartyLookup => "PARTY_LOOKUP_TIMEOUT",
            Stage::Quote => "QUOTE_TIMEOUT",
            Stage::Transfer => "FULFIL_TIMEOUT",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stage an error body shows: the furthest of what its `transferState` keys and its message
/// say (when the two disagree the later one wins, so a misread can only make a row UNKNOWN, never
/// re-sent). `None` when the body shows neither (no `transferState`, no known message): nothing can
/// be concluded.
pub fn stage_of(body: &ErrorBody) -> Option<Stage> {
    // `transferState: {}` is the adapter saying it has no transfer at all: nothing to read there.
    let known =
        |t: &&crate::wire::ErrorTransferState| t.transfer_id.is_some() || t.current_state.is_some();
    let from_keys = body.transfer_state.as_ref().filter(known).map(|t| {
        // Once the quote is answered (auto-accept), the adapter's next step is the prepare, and it
        // records `prepare` only after the switch took it: a failure from here on may have left a
        // prepare at the switch.
        if t.prepare.is_some() || t.fulfil.is_some() || t.quote_response.is_some() {
            Stage::Transfer
        } else if t.quote_request.is_some() {
            Stage::Quote
        } else if t.get_parties_request.is_some() || t.get_parties_response.is_some() {
            Stage::PartyLookup
        } else {
            Stage::NotStarted
        }
    });
    let from_message = body.message.as_deref().and_then(stage_in_message);
    match (from_keys, from_message) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// The stage a 504 message names, if any.
fn stage_in_message(message: &str) -> Option<Stage> {
    if message.contains("waiting for fulfil") {
        Some(Stage::Transfer)
    } else if message.contains("requesting quote") {
        Some(Stage::Quote)
    } else if message.contains("resolving payee") {
        Some(Stage::PartyLookup)
    } else {
        None
    }
}

/// Whether an FSPIOP error code describes a passing condition worth another attempt: the 1xxx
/// communication errors and the 2xxx server errors except 2002 "Not implemented". Client (3xxx),
/// payer (4xxx) and payee (5xxx) errors — 3204 "Party not found", 5103 "quote rejected"… — are the
/// other side's definitive answer.
pub fn is_transient_fspiop(code: &str) -> bool {
    match code.as_bytes().first() {
        Some(b'1') => true,
        Some(b'2') => code != "2002",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn body(json: &str) -> ErrorBody {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn keys_give_the_furthest_stage() {
        let cases = [
            (
                r#"{"transferState":{"currentState":"ERROR_OCCURRED"}}"#,
                Stage::NotStarted,
            ),
            (
                r#"{"transferState":{"transferId":"t","getPartiesRequest":{}}}"#,
                Stage::PartyLookup,
            ),
            (
                r#"{"transferState":{"transferId":"t","getPartiesRequest":{},"getPartiesResponse":{},"quoteRequest":{}}}"#,
                Stage::Quote,
            ),
            (
                r#"{"transferState":{"transferId":"t","quoteRequest":{},"quoteResponse":{},"prepare":{}}}"#,
                Stage::Transfer,
            ),
            (
                r#"{"transferState":{"currentState":"x","fulfil":{}}}"#,
                Stage::Transfer,
            ),
            (
                r#"{"transferState":{"transferId":"t","quoteRequest":{},"quoteResponse":{}}}"#,
                Stage::Transfer,
            ),
        ];
        for (json, want) in cases {
            assert_eq!(stage_of(&body(json)), Some(want), "{json}");
        }
    }

    #[test]
    fn the_message_can_only_move_the_stage_later() {
        let late = body(
            r#"{"message":"Timeout waiting for fulfil for transfer x","transferState":{"transferId":"t","getPartiesRequest":{}}}"#,
        );
        assert_eq!(stage_of(&late), Some(Stage::Transfer));
        let early = body(
            r#"{"message":"Timeout resolving payee for transfer x","transferState":{"transferId":"t","prepare":{}}}"#,
        );
        assert_eq!(stage_of(&early), Some(Stage::Transfer));
        let only_message = body(r#"{"message":"Timeout requesting quote for transfer x"}"#);
        assert_eq!(stage_of(&only_message), Some(Stage::Quote));
    }

    #[test]
    fn nothing_to_go_on_is_none() {
        assert_eq!(stage_of(&body(r#"{"message":"Timeout"}"#)), None);
        assert_eq!(stage_of(&body("{}")), None);
        // The adapter's "no transfer here" (`transferState: {}`), even with stage keys.
        assert_eq!(stage_of(&body(r#"{"transferState":{}}"#)), None);
    }

    #[test]
    fn transient_codes() {
        for c in ["1000", "1001", "2000", "2001", "2003", "2004"] {
            assert!(is_transient_fspiop(c), "{c}");
        }
        for c in ["2002", "3100", "3204", "3303", "4001", "5103", "5105", ""] {
            assert!(!is_transient_fspiop(c), "{c}");
        }
    }
}
