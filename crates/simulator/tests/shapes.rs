//! The simulator answers with the same status codes and JSON shapes as the captured real adapter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use simulator::SimConfig;
use support::*;

#[tokio::test]
async fn auto_accept_completes_like_auto_on() {
    let sim = start(SimConfig::default()).await;
    let id = new_id();
    let (status, body) = post(&sim.base_url(), &transfer(&id, "27720000001")).await;
    assert_eq!(status, 200);
    assert_same_shape(&body, "auto-on");
    assert_eq!(body["currentState"], "COMPLETED");
    assert_eq!(body["transferId"], id.as_str());
    assert_eq!(body["fulfil"]["body"]["transferState"], "COMMITTED");
    assert_eq!(body["to"]["fspId"], "payeefsp");
    assert_eq!(
        body["quoteResponse"]["body"]["transferAmount"]["amount"],
        "10.5"
    );
    assert_eq!(body["quoteResponse"]["body"]["payeeFspFee"]["amount"], "0");
    let quote_request: serde_json::Value =
        serde_json::from_str(body["quoteRequest"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(quote_request["transactionId"], id.as_str());
    let prepare: serde_json::Value =
        serde_json::from_str(body["prepare"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(prepare["amount"]["amount"], "10.5");
    let size = serde_json::to_vec(&body).unwrap().len();
    assert!((5000..7000).contains(&size), "answer of {size} bytes");
    sim.stop().await;
}

#[tokio::test]
async fn manual_flow_matches_manual_captures() {
    let sim = start(manual()).await;
    let base = sim.base_url();
    let id = new_id();
    let (status, body) = post(&base, &transfer(&id, "27720000001")).await;
    assert_eq!(
        (status, body["currentState"].as_str()),
        (200, Some("WAITING_FOR_PARTY_ACCEPTANCE"))
    );
    assert_same_shape(&body, "manual-1-post");

    let (status, body) = put(&base, &id, json!({"acceptParty": true})).await;
    assert_eq!(
        (status, body["currentState"].as_str()),
        (200, Some("WAITING_FOR_QUOTE_ACCEPTANCE"))
    );
    assert_same_shape(&body, "manual-2-accept-party");

    let (status, body) = put(&base, &id, json!({"acceptQuote": true})).await;
    assert_eq!(
        (status, body["currentState"].as_str()),
        (200, Some("COMPLETED"))
    );
    assert_same_shape(&body, "manual-3-accept-quote");

    let (status, again) = put(&base, &id, json!({"acceptQuote": true})).await;
    assert_eq!(status, 200);
    assert_eq!(again, body, "a repeated PUT answers the cached final state");
    sim.stop().await;
}

#[tokio::test]
async fn refusals_match_manual_captures() {
    let sim = start(manual()).await;
    let base = sim.base_url();
    let id = new_id();
    post(&base, &transfer(&id, "27720000001")).await;
    let (status, body) = put(&base, &id, json!({"acceptParty": false})).await;
    assert_eq!(status, 400);
    assert_eq!(body, fixture("manual-r2-reject-party"));

    put(&base, &id, json!({"acceptParty": true})).await;
    let (status, body) = put(&base, &id, json!({"acceptQuote": false})).await;
    assert_eq!(
        (status, body["currentState"].as_str()),
        (200, Some("ABORTED"))
    );
    assert_same_shape(&body, "manual-r4-reject-quote");
    assert_eq!(body["abortedReason"], "Quote rejected by backend");

    let unknown = "99999999-0000-4000-8000-000000000000";
    let (status, body) = put(&base, unknown, json!({"acceptParty": true})).await;
    assert_eq!(status, 500);
    assert_eq!(body, fixture("manual-unknown-id"));
    sim.stop().await;
}

#[tokio::test]
async fn errors_match_error_captures() {
    let sim = start(SimConfig::default()).await;
    let base = sim.base_url();
    let cases = [
        ("27700003204", 500, "3204", "err-party-not-found"),
        ("27700005103", 500, "5103", "err-quote-rejected"),
        ("27700005105", 500, "5105", "err-transfer-rejected"),
        ("27700000504", 504, "504", "err-timeout"),
        ("27700000514", 504, "504", "err-timeout"),
        ("27700000524", 504, "504", "err-timeout-quote"),
        ("27700000534", 504, "504", "err-timeout-quote"),
        ("27700000505", 504, "504", "err-timeout-fulfil"),
        ("27700000503", 500, "2003", "err-party-not-found"),
    ];
    for (payee, want_status, want_code, capture) in cases {
        let (status, body) = post(&base, &transfer(&new_id(), payee)).await;
        assert_eq!(status, want_status, "{payee}");
        assert_same_shape(&body, capture);
        assert_eq!(body["statusCode"], want_code, "{payee}");
        assert_eq!(body["transferState"]["currentState"], "ERROR_OCCURRED");
        let theirs = fixture(capture);
        // 2003 has no capture of its own: it borrows the shape of 3204's.
        if want_status == 500 && theirs["statusCode"] == want_code {
            assert_eq!(
                body["message"], theirs["message"],
                "same message as the capture for {payee}"
            );
        }
    }

    let mut bad = transfer(&new_id(), "27720000001");
    bad["amount"] = json!("10.50");
    let (status, body) = post(&base, &bad).await;
    assert_eq!(status, 400);
    assert_eq!(body, fixture("err-bad-amount"));
    sim.stop().await;
}

#[tokio::test]
async fn lookup_of_a_committed_transfer_matches_get_transfer() {
    let sim = start(SimConfig::default()).await;
    let id = new_id();
    post(&sim.base_url(), &transfer(&id, "27720000001")).await;
    let (status, body) = get(&sim.base_url(), &id).await;
    assert_eq!(status, 200);
    assert_same_shape(&body, "get-transfer");
    assert_eq!(body["currentState"], "COMPLETED");
    assert_eq!(body["fulfil"]["body"]["transferState"], "COMMITTED");
    sim.stop().await;
}

#[tokio::test]
async fn health_is_an_empty_200() {
    let sim = start(SimConfig::default()).await;
    let resp = client().get(sim.base_url()).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.bytes().await.unwrap().is_empty());
    sim.stop().await;
}
