//! Counters, config, reset, validation, latency and the switch's view of transfers in flight.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use simulator::SimConfig;
use std::time::{Duration, Instant};
use support::*;

#[tokio::test]
async fn counters_prove_how_often_each_id_was_posted() {
    let sim = start(SimConfig::default()).await;
    let base = sim.base_url();
    let (a, b) = (new_id(), new_id());
    post(&base, &transfer(&a, "22890123456")).await;
    post(&base, &transfer(&b, "22890123204")).await; // fails, still counted
    post(&base, &transfer(&b, "22890123204")).await;
    let mut same_home = transfer(&new_id(), "22890123456");
    same_home["homeTransactionId"] = json!(format!("home-{a}"));
    post(&base, &same_home).await;

    let c = sim.counters();
    assert_eq!(c.total_posts, 4);
    assert_eq!(c.distinct_transfer_ids, 3);
    assert_eq!(c.duplicate_transfer_ids, vec![b.clone()]);
    let mut dup_homes = vec![format!("home-{a}"), format!("home-{b}")];
    dup_homes.sort();
    assert_eq!(c.duplicate_home_transaction_ids, dup_homes);
    assert_eq!(c.committed, 2);
    assert_eq!(c.posts.as_ref().unwrap()[&b], 2);

    let (_, summary) = send(client().get(format!("{base}/__sim/counters"))).await;
    assert_eq!(summary["totalPosts"], 4);
    assert_eq!(summary["duplicateTransferIds"], json!([b]));
    assert!(summary.get("posts").is_none(), "per-id map only on request");
    let (_, detail) = send(client().get(format!("{base}/__sim/counters?detail=true"))).await;
    assert_eq!(detail["posts"][&a], 1);
    assert_eq!(detail["committed"], 2);
    assert_eq!(detail["prepared"], 2);
    assert_eq!(detail["duplicatePrepares"], json!([]));
    assert_eq!(detail["overloadTimeouts"], 0);

    let resp = client()
        .post(format!("{base}/__sim/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(
        sim.counters(),
        simulator::Counters {
            posts: Some(Default::default()),
            home_transaction_posts: Some(Default::default()),
            ..Default::default()
        },
        "every counter back to zero"
    );
    let (gs, _) = get(&base, &a).await;
    assert_eq!(gs, 500, "the ledger is forgotten too");
    sim.stop().await;
}

#[tokio::test]
async fn a_repeated_transfer_id_is_paid_twice_like_the_real_adapter() {
    let sim = start(SimConfig::default()).await;
    let id = new_id();
    let (s1, _) = post(&sim.base_url(), &transfer(&id, "22890123456")).await;
    let (s2, _) = post(&sim.base_url(), &transfer(&id, "22890123456")).await;
    assert_eq!((s1, s2), (200, 200));
    let c = sim.counters();
    assert_eq!(c.committed, 2);
    assert_eq!(c.duplicate_transfer_ids, vec![id.clone()]);
    assert_eq!(c.prepared, 2);
    assert_eq!(
        c.duplicate_prepares,
        vec![id],
        "the switch saw two prepares"
    );
    sim.stop().await;
}

#[tokio::test]
async fn generates_a_transfer_id_when_none_is_sent() {
    let sim = start(SimConfig::default()).await;
    let mut body = transfer("x", "22890123456");
    body.as_object_mut().unwrap().remove("transferId");
    let (status, answer) = post(&sim.base_url(), &body).await;
    assert_eq!(status, 200);
    let id = answer["transferId"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert!(sim.is_committed(id));
    assert_eq!(sim.counters().distinct_transfer_ids, 1);
    sim.stop().await;
}

#[tokio::test]
async fn schema_refusals_are_400_with_a_numeric_status_code() {
    let sim = start(SimConfig::default()).await;
    let base = sim.base_url();
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (
            json!({"amount": null}),
            "must have required property 'amount'",
        ),
        (
            json!({"to": {"idType": "MSISDN"}}),
            "must have required property 'idValue'",
        ),
        (
            json!({"amountType": "GIVE"}),
            "must be equal to one of the allowed values",
        ),
        (json!({"amount": "1e3"}), "must match pattern"),
        (json!({"amount": "10.12345"}), "must match pattern"),
    ];
    for (patch, message) in cases {
        let mut body = transfer(&new_id(), "22890123456");
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        let (status, answer) = post(&base, &body).await;
        assert_eq!(status, 400, "{patch}");
        assert_eq!(answer["statusCode"], 400);
        assert!(
            answer["message"].as_str().unwrap().starts_with(message),
            "{answer}"
        );
    }
    let resp = client()
        .post(format!("{base}/transfers"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        sim.counters().total_posts,
        6,
        "refused POSTs are counted too"
    );
    assert_eq!(sim.counters().committed, 0);
    sim.stop().await;
}

#[tokio::test]
async fn latency_applies_and_the_switch_shows_reserved_in_flight() {
    let sim = start(SimConfig {
        latency_ms: 1200,
        ..SimConfig::default()
    })
    .await;
    let base = sim.base_url();
    let id = new_id();
    let started = Instant::now();
    let poster = {
        let (base, body) = (base.clone(), transfer(&id, "22890123456"));
        tokio::spawn(async move { post(&base, &body).await })
    };
    // Polls the switch while the POST is in flight: not found, then RESERVED (second half of the
    // delay), in that order.
    let mut seen = Vec::new();
    while !poster.is_finished() {
        let (gs, gb) = get(&base, &id).await;
        let state = match gs {
            500 => "NOT_FOUND".to_string(),
            _ => gb["fulfil"]["body"]["transferState"]
                .as_str()
                .unwrap()
                .to_string(),
        };
        if seen.last() != Some(&state) {
            seen.push(state);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, _) = poster.await.unwrap();
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(1200));
    assert_eq!(
        seen.first().map(String::as_str),
        Some("NOT_FOUND"),
        "{seen:?}"
    );
    assert!(seen.iter().any(|s| s == "RESERVED"), "{seen:?}");
    assert!(!seen.iter().any(|s| s == "ABORTED"), "{seen:?}");
    let (_, gb) = get(&base, &id).await;
    assert_eq!(gb["fulfil"]["body"]["transferState"], "COMMITTED");
    sim.stop().await;
}

#[tokio::test]
async fn a_client_that_gives_up_does_not_stop_the_transfer() {
    let sim = start(SimConfig {
        latency_ms: 400,
        ..SimConfig::default()
    })
    .await;
    let id = new_id();
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = impatient
        .post(format!("{}/transfers", sim.base_url()))
        .json(&transfer(&id, "22890123456"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        sim.is_committed(&id),
        "the adapter finished the transfer anyway"
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_prepare_older_than_the_expiry_is_aborted() {
    let sim = start(SimConfig {
        latency_ms: 2400,
        expiry_secs: 1,
        ..SimConfig::default()
    })
    .await;
    let id = new_id();
    let (status, body) = post(&sim.base_url(), &transfer(&id, "22890123456")).await;
    assert_eq!((status, body["statusCode"].as_str()), (500, Some("3303")));
    let (_, gb) = get(&sim.base_url(), &id).await;
    assert_eq!(gb["fulfil"]["body"]["transferState"], "ABORTED");
    assert!(!sim.is_committed(&id));
    sim.stop().await;
}

#[tokio::test]
async fn config_endpoint_round_trips() {
    let sim = start(SimConfig::default()).await;
    let url = format!("{}/__sim/config", sim.base_url());
    let (_, cfg) = send(client().get(&url)).await;
    assert_eq!(
        cfg,
        json!({
            "autoAccept": true, "latencyMs": 0, "jitterMs": 0, "payeeFeeMinor": 100,
            "expirySecs": 60, "capacityTps": 0, "queueTimeoutMs": 2000,
            "partyTimeoutMs": 200, "partyLatencyMs": 0
        })
    );
    let (status, patched) = send(
        client()
            .put(&url)
            .json(&json!({"capacityTps": 5, "queueTimeoutMs": 100})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            patched["capacityTps"].as_u64(),
            patched["queueTimeoutMs"].as_u64()
        ),
        (Some(5), Some(100))
    );
    assert_eq!(sim.config().capacity_tps, 5);
    assert_eq!(patched["latencyMs"], 0, "the rest unchanged");
    let (status, _) = send(client().put(&url).json(&json!({"latencyMs": "slow"}))).await;
    assert_eq!(status, 400);
    let (status, _) = send(client().put(&url).json(&json!({"bogus": 1}))).await;
    assert_eq!(status, 400);
    sim.set_config(SimConfig {
        jitter_ms: 5,
        ..SimConfig::default()
    });
    let (_, cfg) = send(client().get(&url)).await;
    assert_eq!(cfg["jitterMs"], 5);
    sim.stop().await;
}

/// Zero latency: a quick throughput smoke test (the real measurement is the benchmark's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sustains_many_requests_per_second() {
    let sim = start(SimConfig::default()).await;
    let base = sim.base_url();
    let http = client();
    let total: u32 = 2048;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..32 {
        let (http, base) = (http.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..(total / 32) {
                let body = transfer(&new_id(), if worker % 2 == 0 { "1" } else { "2" });
                let resp = http
                    .post(format!("{base}/transfers"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status().as_u16(), 200);
                resp.bytes().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let rate = f64::from(total) / started.elapsed().as_secs_f64();
    eprintln!("{total} POSTs at {rate:.0}/s (debug build)");
    assert_eq!(sim.counters().committed, u64::from(total));
    assert!(rate > 300.0, "{rate:.0}/s");
    sim.stop().await;
}
