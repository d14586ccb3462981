//! Auto-accept off: the flow halts for the party and the quote, like the adapter configured with
//! `AUTO_ACCEPT_PARTY=false` and `AUTO_ACCEPT_QUOTES=false`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use support::*;

#[tokio::test]
async fn full_manual_flow_commits_once_accepted() {
    let sim = start(manual()).await;
    let base = sim.base_url();
    let id = new_id();
    let (_, body) = post(&base, &transfer(&id, "22890123456")).await;
    assert_eq!(body["currentState"], "WAITING_FOR_PARTY_ACCEPTANCE");
    assert_eq!(body["to"]["fspId"], "payeefsp");
    assert_eq!(body["to"]["firstName"], "Test");
    assert_eq!(body["to"]["lastName"], "Payee");
    let (gs, _) = get(&base, &id).await;
    assert_eq!(gs, 500, "nothing at the switch while waiting");

    let (_, body) = put(&base, &id, json!({"acceptParty": true})).await;
    assert_eq!(body["currentState"], "WAITING_FOR_QUOTE_ACCEPTANCE");
    assert_eq!(
        body["quoteResponse"]["body"]["transferAmount"]["amount"],
        "10.5"
    );
    assert_eq!(body["quoteResponse"]["body"]["payeeFspFee"]["amount"], "0");
    assert!(!sim.is_committed(&id));

    let (_, body) = put(&base, &id, json!({"acceptQuote": true})).await;
    assert_eq!(body["currentState"], "COMPLETED");
    assert!(sim.is_committed(&id));
    let (_, again) = put(&base, &id, json!({"acceptParty": true})).await;
    assert_eq!(again["currentState"], "COMPLETED", "final state is cached");
    assert_eq!(
        sim.counters().committed,
        1,
        "repeating a PUT does not pay again"
    );
    sim.stop().await;
}

#[tokio::test]
async fn refused_quote_aborts_and_never_reaches_the_switch() {
    let sim = start(manual()).await;
    let base = sim.base_url();
    let id = new_id();
    post(&base, &transfer(&id, "22890120777")).await;
    let (_, quoted) = put(&base, &id, json!({"acceptParty": true})).await;
    assert_eq!(
        quoted["quoteResponse"]["body"]["payeeFspFee"]["amount"],
        "1"
    );
    let (status, body) = put(&base, &id, json!({"acceptQuote": false})).await;
    assert_eq!(
        (status, body["currentState"].as_str()),
        (200, Some("ABORTED"))
    );
    assert_eq!(body["acceptQuote"], false);
    let (gs, gb) = get(&base, &id).await;
    assert_eq!((gs, gb["statusCode"].as_str()), (500, Some("3208")));
    let (_, again) = put(&base, &id, json!({"acceptQuote": true})).await;
    assert_eq!(
        again["currentState"], "ABORTED",
        "an aborted transfer stays aborted"
    );
    assert_eq!(sim.counters().committed, 0);
    sim.stop().await;
}

#[tokio::test]
async fn rules_fire_at_their_step() {
    let sim = start(manual()).await;
    let base = sim.base_url();

    let id = new_id();
    let (status, body) = post(&base, &transfer(&id, "22890123204")).await;
    assert_eq!((status, body["statusCode"].as_str()), (500, Some("3204")));

    let id = new_id();
    post(&base, &transfer(&id, "22890125103")).await;
    let (status, body) = put(&base, &id, json!({"acceptParty": true})).await;
    assert_eq!((status, body["statusCode"].as_str()), (500, Some("5103")));
    // The adapter's model is in ERROR_OCCURRED: it answers a further PUT with 204 and no body.
    let (status, body) = put(&base, &id, json!({"acceptParty": true})).await;
    assert_eq!((status, body), (204, serde_json::Value::Null));

    let id = new_id();
    post(&base, &transfer(&id, "22890120505")).await;
    put(&base, &id, json!({"acceptParty": true})).await;
    let (status, _) = put(&base, &id, json!({"acceptQuote": true})).await;
    assert_eq!(status, 504);
    assert!(sim.is_committed(&id), "504 after commit");

    let id = new_id();
    post(&base, &transfer(&id, "22890125105")).await;
    put(&base, &id, json!({"acceptParty": true})).await;
    let (status, body) = put(&base, &id, json!({"acceptQuote": true})).await;
    assert_eq!((status, body["statusCode"].as_str()), (500, Some("5105")));
    sim.stop().await;
}

#[tokio::test]
async fn bad_puts() {
    let sim = start(manual()).await;
    let base = sim.base_url();
    let id = new_id();
    post(&base, &transfer(&id, "22890123456")).await;

    let (status, body) = put(&base, &id, json!({"acceptParty": false})).await;
    assert_eq!(status, 400);
    assert_eq!(body["statusCode"], 400, "a number for schema refusals");
    let (status, _) = put(&base, &id, json!({})).await;
    assert_eq!(status, 400);
    let (status, _) = put(&base, &id, json!({"acceptParty": "yes"})).await;
    assert_eq!(status, 400);
    let (status, _) = put(&base, "t-1", json!({"acceptParty": true})).await;
    assert_eq!(status, 400);

    let other = new_id();
    let (status, body) = put(&base, &other, json!({"acceptQuote": true})).await;
    assert_eq!(status, 500);
    assert_eq!(
        body["message"],
        format!("No cached data found for transferId: {other}")
    );
    assert_eq!(body["statusCode"], "500");

    // acceptQuote while the party is still to be accepted: the adapter aborts.
    let (status, body) = put(&base, &id, json!({"acceptQuote": true})).await;
    assert_eq!(
        (status, body["currentState"].as_str()),
        (200, Some("ABORTED"))
    );
    assert_eq!(body["abortedReason"], "Payee rejected by backend");
    sim.stop().await;
}

#[tokio::test]
async fn switching_auto_accept_at_runtime() {
    let sim = start(manual()).await;
    let id = new_id();
    let (_, body) = post(&sim.base_url(), &transfer(&id, "22890123456")).await;
    assert_eq!(body["currentState"], "WAITING_FOR_PARTY_ACCEPTANCE");
    let (status, cfg) = send(
        client()
            .put(format!("{}/__sim/config", sim.base_url()))
            .json(&json!({"autoAccept": true})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(cfg["autoAccept"], true);
    assert_eq!(cfg["expirySecs"], 60);
    let (_, body) = post(&sim.base_url(), &transfer(&new_id(), "22890123456")).await;
    assert_eq!(body["currentState"], "COMPLETED");
    sim.stop().await;
}
