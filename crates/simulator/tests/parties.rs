//! `GET /parties/{Type}/{ID}`: the captures' shapes, the suffix rules of a lookup, the counters,
//! the party latency and timeout, and the capacity model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use simulator::SimConfig;
use std::time::{Duration, Instant};
use support::*;

#[tokio::test]
async fn found_not_found_and_timeout_match_the_captures() {
    let sim = start(SimConfig::default()).await;
    let base = sim.base_url();

    let (status, body) = lookup(&base, "MSISDN", "22890000001").await;
    assert_eq!(status, 200);
    assert_same_shape(&body, "get-parties");
    let capture = fixture("get-parties");
    assert_eq!(
        body["party"]["body"], capture["party"]["body"],
        "same party"
    );
    assert_eq!(body["currentState"], "COMPLETED");
    let headers = &body["party"]["headers"];
    assert_eq!(headers["fspiop-source"], "payeefsp");
    assert_eq!(headers["fspiop-destination"], "payerfsp");
    assert_eq!(headers["content-length"], 219, "as the capture's callback");
    assert_eq!(
        headers["content-type"],
        capture["party"]["headers"]["content-type"]
    );

    let (status, body) = lookup(&base, "MSISDN", "27700003204").await;
    assert_eq!(status, 200, "not found is a 200 too");
    assert_same_shape(&body, "get-parties-not-found");
    assert_eq!(body["party"]["body"], json!({}));
    assert_eq!(body["party"]["headers"]["content-length"], 78);
    assert_eq!(body["currentState"], "COMPLETED");

    for permanent in ["27700000504", "27700000534"] {
        for _ in 0..2 {
            let started = Instant::now();
            let (status, body) = lookup(&base, "MSISDN", permanent).await;
            assert_eq!(status, 500, "{permanent}");
            assert_eq!(body, fixture("get-parties-timeout"), "{permanent}");
            assert!(
                started.elapsed() >= Duration::from_millis(200),
                "waits the party timeout"
            );
        }
    }

    let (_, body) = lookup(&base, "MSISDN", "22890125105").await;
    assert_eq!(body["party"]["body"]["partyIdInfo"]["fspId"], "failfsp");
    assert_eq!(body["party"]["headers"]["fspiop-source"], "failfsp");
    let (_, body) = lookup(&base, "ACCOUNT_ID", "acc-123").await;
    assert_eq!(body["party"]["body"]["name"], "Test Payee");
    assert_eq!(
        body["party"]["body"]["partyIdInfo"]["partyIdType"],
        "ACCOUNT_ID"
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_bad_type_or_identifier_is_a_400() {
    let sim = start(SimConfig::default()).await;
    let base = sim.base_url();
    for bad in ["PHONE", "msisdn", "CONSENT"] {
        let (status, body) = lookup(&base, bad, "22890000001").await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(
            body,
            json!({"message": "must be equal to one of the allowed values", "statusCode": 400})
        );
    }
    let (status, body) = lookup(&base, "ALIAS", &"a".repeat(129)).await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], "must NOT have more than 128 characters");
    assert_eq!(sim.counters().party_lookups, 4, "refused lookups count too");
    sim.stop().await;
}

#[tokio::test]
async fn transient_0514_times_out_the_first_lookup_only() {
    let sim = start(SimConfig::default()).await;
    let base = sim.base_url();
    let (status, body) = lookup(&base, "MSISDN", "22890110514").await;
    assert_eq!((status, body), (500, fixture("get-parties-timeout")));
    for _ in 0..2 {
        let (status, body) = lookup(&base, "MSISDN", "22890110514").await;
        assert_eq!(status, 200);
        assert_eq!(body["party"]["body"]["name"], "Test Payee");
    }
    let (status, _) = lookup(&base, "MSISDN", "22890220514").await;
    assert_eq!(status, 500, "counted per identifier");
    let (status, _) = lookup(&base, "ALIAS", "22890110514").await;
    assert_eq!(status, 500, "and per type");
    sim.reset();
    let (status, _) = lookup(&base, "MSISDN", "22890110514").await;
    assert_eq!(
        status, 500,
        "a reset makes the next lookup a first one again"
    );
    sim.stop().await;
}

#[tokio::test]
async fn counters_count_every_lookup() {
    let sim = start(SimConfig::default()).await;
    let base = sim.base_url();
    lookup(&base, "MSISDN", "22890000001").await;
    lookup(&base, "MSISDN", "22890003204").await;
    lookup(&base, "MSISDN", "22890000504").await;
    lookup(&base, "PHONE", "1").await;
    post(&base, &transfer(&new_id(), "22890000001")).await;
    let c = sim.counters();
    assert_eq!(
        (c.party_lookups, c.total_posts),
        (4, 1),
        "a POST's own lookup is not one"
    );
    let (_, json) = send(client().get(format!("{base}/__sim/counters"))).await;
    assert_eq!(json["partyLookups"], 4);
    send(client().post(format!("{base}/__sim/reset"))).await;
    let (_, json) = send(client().get(format!("{base}/__sim/counters"))).await;
    assert_eq!(json["partyLookups"], 0);
    sim.stop().await;
}

#[tokio::test]
async fn party_latency_delays_lookups_and_beyond_the_timeout_is_one() {
    let sim = start(SimConfig {
        party_latency_ms: 120,
        ..SimConfig::default()
    })
    .await;
    let base = sim.base_url();
    let started = Instant::now();
    let (status, _) = lookup(&base, "MSISDN", "22890000001").await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(120));
    let started = Instant::now();
    let (status, _) = lookup(&base, "MSISDN", "22890003204").await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(120));

    sim.set_config(SimConfig {
        party_latency_ms: 300,
        party_timeout_ms: 150,
        ..SimConfig::default()
    });
    let started = Instant::now();
    let (status, body) = lookup(&base, "MSISDN", "22890000001").await;
    let elapsed = started.elapsed();
    assert_eq!((status, body), (500, fixture("get-parties-timeout")));
    assert!(
        (Duration::from_millis(150)..Duration::from_millis(290)).contains(&elapsed),
        "the adapter stops waiting at its timeout: {elapsed:?}"
    );
    sim.stop().await;
}

/// Every GET at once; answers in order.
async fn lookup_all(base: &str, ids: &[String]) -> Vec<(u16, Value)> {
    let http = client();
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let url = format!("{base}/parties/MSISDN/{id}");
            let http = http.clone();
            tokio::spawn(async move { send(http.get(url)).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overloaded_lookups_time_out_like_the_adapter() {
    // 10 transfers/s = 30 lookups/s: a lookup every 33 ms, given up on after 50 ms of queueing.
    let sim = start(SimConfig {
        capacity_tps: 10,
        queue_timeout_ms: 50,
        ..SimConfig::default()
    })
    .await;
    let ids: Vec<_> = (0..40).map(|i| format!("228901{i:05}")).collect();
    let answers = lookup_all(&sim.base_url(), &ids).await;
    let timeouts = answers.iter().filter(|(s, _)| *s == 500).count();
    let found = answers.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(found + timeouts, 40);
    assert!(
        (1..=10).contains(&found),
        "only the first slots fit: {found}"
    );
    for (status, body) in &answers {
        if *status == 500 {
            assert_eq!(body, &fixture("get-parties-timeout"));
        }
    }
    let c = sim.counters();
    assert_eq!(c.overload_timeouts, timeouts as u64);
    assert_eq!(c.party_lookups, 40);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_and_transfers_share_the_rail() {
    // 20 transfers/s: 30 lookups take a third of a slot each, 500 ms of the rail in all.
    let sim = start(SimConfig {
        capacity_tps: 20,
        queue_timeout_ms: 5_000,
        ..SimConfig::default()
    })
    .await;
    let base = sim.base_url();
    let ids: Vec<_> = (0..30).map(|i| format!("228902{i:05}")).collect();
    let started = Instant::now();
    let lookups = tokio::spawn({
        let base = base.clone();
        async move { lookup_all(&base, &ids).await }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (status, _) = post(&base, &transfer(&new_id(), "22890123456")).await;
    let posted_after = started.elapsed();
    assert_eq!(status, 200);
    assert!(
        posted_after >= Duration::from_millis(400),
        "the POST queued behind the lookups: {posted_after:?}"
    );
    let answers = lookups.await.unwrap();
    assert!(answers.iter().all(|(s, _)| *s == 200));
    assert_eq!(sim.counters().overload_timeouts, 0);
    sim.stop().await;
}
