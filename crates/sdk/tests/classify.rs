//! Classification of every captured answer of the real adapter (status + body), case by case.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sdk::wire::{ErrorBody, TransferResponse};
use sdk::{CallResult, LookupResult, Stage, classify_call, classify_lookup};
use support::fixture;

fn call(status: u16, name: &str) -> CallResult {
    classify_call(status, fixture(name).as_bytes())
}

fn answered(status: u16, name: &str) -> TransferResponse {
    match call(status, name) {
        CallResult::Answered(resp) => *resp,
        other => panic!("{name}: {other:?}"),
    }
}

fn failed(result: CallResult) -> (String, String) {
    match result {
        CallResult::Failed { code, message } => (code, message),
        other => panic!("expected Failed, got {other:?}"),
    }
}

fn is_unknown(result: &CallResult) -> bool {
    matches!(result, CallResult::Unknown { .. })
}

#[test]
fn completed_answer_parses_the_fields_used() {
    let resp = answered(200, "auto-on");
    assert_eq!(resp.current_state, "COMPLETED");
    assert_eq!(
        resp.transfer_id.as_deref(),
        Some("9335b732-314d-495b-83af-84d691f34887")
    );
    let quote = resp.quote_response.unwrap().body;
    let amount = quote.transfer_amount.unwrap();
    assert_eq!(
        (amount.amount.as_str(), amount.currency.as_str()),
        ("10.5", "USD")
    );
    assert_eq!(quote.payee_fsp_fee.unwrap().amount, "0");
    assert_eq!(quote.payee_receive_amount.unwrap().amount, "10.5");
    assert_eq!(
        resp.fulfil.unwrap().body.transfer_state.as_deref(),
        Some("COMMITTED")
    );
    assert!(resp.last_error.is_none());
}

#[test]
fn manual_answers_parse() {
    let party = answered(200, "manual-1-post");
    assert_eq!(party.current_state, "WAITING_FOR_PARTY_ACCEPTANCE");
    assert!(party.quote_response.is_none());
    let quote = answered(200, "manual-2-accept-party");
    assert_eq!(quote.current_state, "WAITING_FOR_QUOTE_ACCEPTANCE");
    assert!(quote.quote_response.unwrap().body.transfer_amount.is_some());
    assert_eq!(
        answered(200, "manual-3-accept-quote").current_state,
        "COMPLETED"
    );
    let aborted = answered(200, "manual-r4-reject-quote");
    assert_eq!(aborted.current_state, "ABORTED");
    assert_eq!(
        aborted.aborted_reason.as_deref(),
        Some("Quote rejected by backend")
    );
}

#[test]
fn fspiop_500s_are_certain_failures_with_the_fspiop_code() {
    assert_eq!(
        failed(call(500, "err-party-not-found")),
        ("3204".to_string(), "Party not found".to_string())
    );
    assert_eq!(
        failed(call(500, "err-quote-rejected")),
        ("5103".to_string(), "Payee FSP rejected quote".to_string())
    );
    assert_eq!(
        failed(call(500, "err-transfer-rejected")),
        (
            "5105".to_string(),
            "Payee FSP rejected transaction".to_string()
        )
    );
}

#[test]
fn schema_400s_are_certain_failures() {
    let (code, message) = failed(call(400, "err-bad-amount"));
    assert_eq!(code, "400");
    assert!(message.contains("must match pattern"), "{message}");
    let (code, message) = failed(call(400, "manual-r2-reject-party"));
    assert_eq!(code, "400");
    assert!(message.contains("allowed values"), "{message}");
}

#[test]
fn timeouts_before_the_prepare_are_certain_and_name_their_stage() {
    for (name, stage, code, words) in [
        (
            "err-timeout",
            Stage::PartyLookup,
            "PARTY_LOOKUP_TIMEOUT",
            "Timeout resolving payee",
        ),
        (
            "err-timeout-quote",
            Stage::Quote,
            "QUOTE_TIMEOUT",
            "Timeout requesting quote",
        ),
    ] {
        match call(504, name) {
            CallResult::NotPrepared {
                stage: s,
                code: c,
                message,
            } => {
                assert_eq!((s, c.as_str()), (stage, code), "{name}");
                assert!(message.contains(words), "{name}: {message}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn a_timeout_after_the_prepare_stays_unknown() {
    match call(504, "err-timeout-fulfil") {
        CallResult::Unknown { reason, stage } => {
            assert!(reason.contains("Timeout waiting for fulfil"), "{reason}");
            assert_eq!(stage, Some(Stage::Transfer));
        }
        other => panic!("{other:?}"),
    }
    // The message alone is enough to know the prepare was sent.
    let bare = br#"{"message":"Timeout waiting for fulfil for transfer x","statusCode":"504"}"#;
    assert!(is_unknown(&classify_call(504, bare)));
    // A fulfil-timeout message wins over keys that stop earlier.
    let mixed = br#"{"message":"Timeout waiting for fulfil for transfer x","transferState":{"getPartiesRequest":{}},"statusCode":"504"}"#;
    assert!(is_unknown(&classify_call(504, mixed)));
}

#[test]
fn bare_timeouts_and_500s_without_a_stage_are_unknown() {
    assert!(is_unknown(&classify_call(504, b"")));
    assert!(is_unknown(&classify_call(
        504,
        br#"{"message":"Timeout","statusCode":"504"}"#
    )));
    // "No cached data": a 500 without a Mojaloop error or a stage.
    assert!(is_unknown(&call(500, "manual-unknown-id")));
    assert!(is_unknown(&classify_call(500, b"")));
    assert!(is_unknown(&classify_call(502, b"<html>Bad Gateway</html>")));
    assert!(is_unknown(&classify_call(503, br#"{"message":"busy"}"#)));
}

#[test]
fn passing_server_errors_before_the_prepare_may_be_sent_again() {
    let unavailable = fixture("err-party-not-found")
        .replace("\"3204\"", "\"2003\"")
        .replace("Party not found", "Service currently unavailable");
    match classify_call(500, unavailable.as_bytes()) {
        CallResult::NotPrepared { stage, code, .. } => {
            assert_eq!((stage, code.as_str()), (Stage::PartyLookup, "2003"));
        }
        other => panic!("{other:?}"),
    }
    // A 500 with no FSPIOP error, at the quote stage: nothing prepared.
    let quote_500 = fixture("err-timeout-quote").replace("\"504\"", "\"500\"");
    match classify_call(500, quote_500.as_bytes()) {
        CallResult::NotPrepared { stage, code, .. } => {
            assert_eq!((stage, code.as_str()), (Stage::Quote, "HTTP_500"));
        }
        other => panic!("{other:?}"),
    }
    // The same passing error once the prepare was sent is the switch's answer: failed, not retried.
    let after = fixture("err-transfer-rejected").replace("\"5105\"", "\"2001\"");
    assert!(matches!(
        classify_call(500, after.as_bytes()),
        CallResult::Failed { .. }
    ));
}

#[test]
fn definitive_errors_before_the_prepare_are_failures() {
    // 3204 and 5103 are the other side's answer: never sent again.
    assert_eq!(failed(call(500, "err-party-not-found")).0, "3204");
    assert_eq!(failed(call(500, "err-quote-rejected")).0, "5103");
    // Even inside a 504, a definitive stage-before-prepare answer is not a reason to send again
    // blindly: it is NotPrepared (a timeout), and the retry bound applies.
    assert!(matches!(
        call(504, "err-party-not-found"),
        CallResult::NotPrepared { .. }
    ));
}

#[test]
fn answers_without_a_usable_state_are_unknown() {
    assert!(is_unknown(&classify_call(200, b"")));
    assert!(is_unknown(&classify_call(200, b"{\"transferId\": \"x\"")));
    assert!(is_unknown(&classify_call(200, b"{\"transferId\": \"x\"}")));
    assert!(is_unknown(&classify_call(204, b"")));
    assert!(is_unknown(&classify_call(302, b"")));
}

#[test]
fn a_500_whose_transfer_is_not_errored_is_not_a_certain_failure() {
    let body = fixture("err-party-not-found").replace("ERROR_OCCURRED", "COMPLETED");
    assert!(is_unknown(&classify_call(500, body.as_bytes())));
}

#[test]
fn a_bare_fspiop_status_code_is_enough() {
    let body = br#"{"message":"Party not found","statusCode":"3204"}"#;
    assert_eq!(
        failed(classify_call(500, body)),
        ("3204".to_string(), "Party not found".to_string())
    );
}

#[test]
fn status_code_is_read_as_string_or_number() {
    let n: ErrorBody = serde_json::from_str(&fixture("err-bad-amount")).unwrap();
    assert_eq!(n.status_code.as_deref(), Some("400"));
    let s: ErrorBody = serde_json::from_str(&fixture("err-party-not-found")).unwrap();
    assert_eq!(s.status_code.as_deref(), Some("3204"));
    let e: ErrorBody = serde_json::from_str(&fixture("manual-unknown-id")).unwrap();
    assert_eq!(e.status_code.as_deref(), Some("500"));
    assert!(e.fspiop_error().is_none());
    let t: ErrorBody = serde_json::from_str(&fixture("err-timeout")).unwrap();
    assert_eq!(t.status_code.as_deref(), Some("504"));
    assert!(t.fspiop_error().is_none(), "504 is not an FSPIOP code");
    let none: ErrorBody = serde_json::from_str(r#"{"statusCode": null}"#).unwrap();
    assert_eq!(none.status_code, None);
}

#[test]
fn lookups_trust_only_the_switch_state() {
    assert_eq!(
        classify_lookup(200, fixture("get-transfer").as_bytes()),
        LookupResult::Committed
    );
    // The Testing Toolkit answers COMMITTED for any id: the client cannot tell, by design.
    assert_eq!(
        classify_lookup(200, fixture("get-transfer-unknown").as_bytes()),
        LookupResult::Committed
    );
    let aborted = fixture("get-transfer").replace("\"COMMITTED\"", "\"ABORTED\"");
    assert!(matches!(
        classify_lookup(200, aborted.as_bytes()),
        LookupResult::Aborted { .. }
    ));
    let reserved = fixture("get-transfer").replace("\"COMMITTED\"", "\"RESERVED\"");
    assert_eq!(
        classify_lookup(200, reserved.as_bytes()),
        LookupResult::Pending {
            state: "RESERVED".to_string()
        }
    );
    let no_fulfil = r#"{"transferId":"x","currentState":"COMPLETED"}"#;
    assert!(matches!(
        classify_lookup(200, no_fulfil.as_bytes()),
        LookupResult::Pending { .. }
    ));
}

#[test]
fn lookup_errors() {
    let not_found = r#"{"message":"Got an error response retrieving transfer","transferState":{
        "transferId":"x","currentState":"ERROR_OCCURRED","lastError":{"httpStatusCode":500,
        "mojaloopError":{"errorInformation":{"errorCode":"3208","errorDescription":"Transfer ID not found"}}}},
        "statusCode":"3208"}"#;
    assert_eq!(
        classify_lookup(500, not_found.as_bytes()),
        LookupResult::NotFound
    );
    for (status, body) in [
        (504, fixture("err-timeout")),
        (500, fixture("err-party-not-found")),
        (500, fixture("manual-unknown-id")),
        (500, String::new()),
        (400, fixture("err-bad-amount")),
        (200, "garbage".to_string()),
    ] {
        let result = classify_lookup(status, body.as_bytes());
        assert!(
            matches!(result, LookupResult::Unreachable { .. }),
            "{status}: {result:?}"
        );
    }
}
