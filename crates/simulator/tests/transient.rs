//! Rules that fail the first POST of a transferId only (and the permanent quote timeout), with the
//! prepare counters proving that a row POSTed again reached the switch's ledger once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use simulator::SimConfig;
use support::*;

fn assert_not_found(status: u16, body: &Value) {
    assert_eq!((status, body["statusCode"].as_str()), (500, Some("3208")));
}

fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

/// First POST fails as `check` says, nothing at the switch; the same transferId POSTed again
/// completes; the switch saw exactly one prepare.
async fn fails_once_then_completes(payee: &str, check: impl Fn(u16, &Value, &str)) {
    let sim = start(SimConfig::default()).await;
    let base = sim.base_url();
    let id = new_id();
    let (status, body) = post(&base, &transfer(&id, payee)).await;
    check(status, &body, &id);
    let (gs, gb) = get(&base, &id).await;
    assert_not_found(gs, &gb);
    assert_eq!(sim.counters().prepared, 0, "{payee}: nothing prepared");

    let (status, body) = post(&base, &transfer(&id, payee)).await;
    assert_eq!(
        (status, body["currentState"].as_str()),
        (200, Some("COMPLETED")),
        "{payee}: the retry completes"
    );
    let (gs, gb) = get(&base, &id).await;
    assert_eq!(
        (gs, gb["fulfil"]["body"]["transferState"].as_str()),
        (200, Some("COMMITTED"))
    );
    let c = sim.counters();
    assert_eq!(
        (c.total_posts, c.committed, c.prepared),
        (2, 1, 1),
        "{payee}"
    );
    assert!(c.duplicate_prepares.is_empty(), "{payee}");
    assert_eq!(c.duplicate_transfer_ids, vec![id]);
    sim.stop().await;
}

#[tokio::test]
async fn transient_party_timeout_0514() {
    fails_once_then_completes("22890120514", |status, body, id| {
        assert_eq!((status, body["statusCode"].as_str()), (504, Some("504")));
        assert_eq!(
            message(body),
            format!("Timeout resolving payee for transfer {id}")
        );
        assert_same_shape(body, "err-timeout");
    })
    .await;
}

#[tokio::test]
async fn transient_quote_timeout_0524() {
    fails_once_then_completes("22890120524", |status, body, id| {
        assert_eq!((status, body["statusCode"].as_str()), (504, Some("504")));
        assert_eq!(
            message(body),
            format!("Timeout requesting quote for transfer {id}")
        );
        let state = &body["transferState"];
        assert!(state.get("quoteRequest").is_some());
        assert!(state.get("quoteResponse").is_none());
        assert!(state.get("prepare").is_none());
        assert_eq!(state["lastError"], json!({"httpStatusCode": 504}));
        assert_same_shape(body, "err-timeout-quote");
    })
    .await;
}

#[tokio::test]
async fn transient_unavailable_0503() {
    fails_once_then_completes("22890120503", |status, body, _| {
        assert_eq!((status, body["statusCode"].as_str()), (500, Some("2003")));
        let state = &body["transferState"];
        assert_eq!(state["currentState"], "ERROR_OCCURRED");
        assert!(state.get("getPartiesRequest").is_some());
        assert_eq!(
            state["lastError"]["mojaloopError"]["errorInformation"],
            json!({"errorCode": "2003", "errorDescription": "Service currently unavailable"})
        );
        assert!(message(body).starts_with("Got an error response resolving party: "));
        assert_same_shape(body, "err-party-not-found");
    })
    .await;
}

#[tokio::test]
async fn transient_drop_0998() {
    let sim = start(SimConfig::default()).await;
    let base = sim.base_url();
    let id = new_id();
    let first = client()
        .post(format!("{base}/transfers"))
        .json(&transfer(&id, "22890120998"))
        .send()
        .await;
    assert!(first.is_err(), "no answer at all: {first:?}");
    assert_eq!(sim.counters().total_posts, 1, "the client did not resend");
    let (gs, gb) = get(&base, &id).await;
    assert_not_found(gs, &gb);

    let (status, body) = post(&base, &transfer(&id, "22890120998")).await;
    assert_eq!(
        (status, body["currentState"].as_str()),
        (200, Some("COMPLETED"))
    );
    assert!(sim.is_committed(&id));
    let c = sim.counters();
    assert_eq!((c.total_posts, c.prepared, c.committed), (2, 1, 1));
    assert!(c.duplicate_prepares.is_empty());
    sim.stop().await;
}

#[tokio::test]
async fn quote_timeout_0534_is_permanent() {
    let sim = start(SimConfig::default()).await;
    let base = sim.base_url();
    let id = new_id();
    for _ in 0..3 {
        let (status, body) = post(&base, &transfer(&id, "22890120534")).await;
        assert_eq!((status, body["statusCode"].as_str()), (504, Some("504")));
        assert_eq!(
            message(&body),
            format!("Timeout requesting quote for transfer {id}")
        );
    }
    let (gs, gb) = get(&base, &id).await;
    assert_not_found(gs, &gb);
    let c = sim.counters();
    assert_eq!((c.total_posts, c.prepared, c.committed), (3, 0, 0));
    sim.stop().await;
}

#[tokio::test]
async fn timeout_0504_stays_permanent() {
    let sim = start(SimConfig::default()).await;
    let id = new_id();
    for _ in 0..2 {
        let (status, body) = post(&sim.base_url(), &transfer(&id, "22890120504")).await;
        assert_eq!(status, 504);
        assert!(message(&body).starts_with("Timeout resolving payee"));
    }
    assert_eq!(sim.counters().prepared, 0);
    sim.stop().await;
}

#[tokio::test]
async fn manual_mode_fires_them_on_the_post() {
    let sim = start(manual()).await;
    let base = sim.base_url();
    let cases = [
        ("22890120514", 504, "Timeout resolving payee"),
        ("22890120524", 504, "Timeout requesting quote"),
        ("22890120503", 500, "Got an error response resolving party"),
    ];
    for (payee, want, prefix) in cases {
        let id = new_id();
        let (status, body) = post(&base, &transfer(&id, payee)).await;
        assert_eq!(status, want, "{payee}");
        assert!(message(&body).starts_with(prefix), "{payee}: {body}");
        let (status, body) = post(&base, &transfer(&id, payee)).await;
        assert_eq!(
            (status, body["currentState"].as_str()),
            (200, Some("WAITING_FOR_PARTY_ACCEPTANCE")),
            "{payee}: the retry runs the manual flow"
        );
        put(&base, &id, json!({"acceptParty": true})).await;
        let (_, body) = put(&base, &id, json!({"acceptQuote": true})).await;
        assert_eq!(body["currentState"], "COMPLETED", "{payee}");
    }
    let id = new_id();
    let (status, body) = post(&base, &transfer(&id, "22890120534")).await;
    assert_eq!(status, 504);
    assert!(message(&body).starts_with("Timeout requesting quote"));
    let c = sim.counters();
    assert_eq!((c.prepared, c.committed), (3, 3));
    assert!(c.duplicate_prepares.is_empty());
    sim.stop().await;
}

#[tokio::test]
async fn a_reset_makes_the_next_post_a_first_one_again() {
    let sim = start(SimConfig::default()).await;
    let base = sim.base_url();
    let id = new_id();
    post(&base, &transfer(&id, "22890120514")).await;
    post(&base, &transfer(&id, "22890120514")).await;
    assert_eq!(sim.counters().prepared, 1);
    let resp = client()
        .post(format!("{base}/__sim/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let c = sim.counters();
    assert_eq!((c.prepared, c.committed, c.total_posts), (0, 0, 0));
    let (status, _) = post(&base, &transfer(&id, "22890120514")).await;
    assert_eq!(status, 504, "counts forgotten: the first POST again");
    sim.stop().await;
}
