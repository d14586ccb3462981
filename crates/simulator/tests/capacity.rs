//! The capacity model: one FIFO queue in front of the rail, 504s for the stage a request was
//! waiting in once its slot lies beyond the queue timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::Value;
use simulator::SimConfig;
use std::time::{Duration, Instant};
use support::*;

/// POSTs every body at once; answers in the order of `bodies`.
async fn post_all(base: &str, bodies: &[Value]) -> Vec<(u16, Value)> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let tasks: Vec<_> = bodies
        .iter()
        .map(|body| {
            let (http, url, body) = (http.clone(), format!("{base}/transfers"), body.clone());
            tokio::spawn(async move { send(http.post(url).json(&body)).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// A fixed transferId per `i`, so the stage an overloaded POST times out in is the same each run.
fn fixed_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012x}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn within_the_timeout_requests_wait_their_turn() {
    let sim = start(SimConfig {
        capacity_tps: 200,
        queue_timeout_ms: 10_000,
        ..SimConfig::default()
    })
    .await;
    let bodies: Vec<_> = (0..100)
        .map(|_| transfer(&new_id(), "22890123456"))
        .collect();
    let started = Instant::now();
    let answers = post_all(&sim.base_url(), &bodies).await;
    let elapsed = started.elapsed();
    assert!(
        answers
            .iter()
            .all(|(s, b)| *s == 200 && b["currentState"] == "COMPLETED")
    );
    // 100 slots 5 ms apart: the last one starts 495 ms after the first.
    assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    let c = sim.counters();
    assert_eq!(
        (c.committed, c.prepared, c.overload_timeouts),
        (100, 100, 0)
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_timeout_the_adapter_answers_504_for_the_stage_it_waited_in() {
    // A slot every 20 ms, given up on after 50: whatever the machine's load, the 100 POSTs
    // arrive far faster than that and few fit.
    let sim = start(SimConfig {
        capacity_tps: 50,
        queue_timeout_ms: 50,
        ..SimConfig::default()
    })
    .await;
    let base = sim.base_url();
    let ids: Vec<_> = (0..100).map(fixed_id).collect();
    let bodies: Vec<_> = ids.iter().map(|id| transfer(id, "22890123456")).collect();
    let answers = post_all(&base, &bodies).await;

    let (mut completed, mut party, mut quote, mut fulfil) = (0, 0, 0, 0);
    let http = client();
    for (id, (status, body)) in ids.iter().zip(&answers) {
        let (gs, gb) = send(http.get(format!("{base}/transfers/{id}"))).await;
        let at_switch = gb["fulfil"]["body"]["transferState"].as_str();
        if *status == 200 {
            assert_eq!(body["currentState"], "COMPLETED");
            assert_eq!(at_switch, Some("COMMITTED"));
            completed += 1;
            continue;
        }
        assert_eq!(
            (*status, body["statusCode"].as_str()),
            (504, Some("504")),
            "{body}"
        );
        let message = body["message"].as_str().unwrap();
        if message == format!("Timeout resolving payee for transfer {id}") {
            assert_same_shape(body, "err-timeout");
            assert_eq!((gs, gb["statusCode"].as_str()), (500, Some("3208")));
            party += 1;
        } else if message == format!("Timeout requesting quote for transfer {id}") {
            assert_same_shape(body, "err-timeout-quote");
            assert_eq!((gs, gb["statusCode"].as_str()), (500, Some("3208")));
            quote += 1;
        } else if message == format!("Timeout waiting for fulfil for transfer {id}") {
            assert_same_shape(body, "err-timeout-fulfil");
            assert_eq!(at_switch, Some("COMMITTED"), "the hub finished it");
            fulfil += 1;
        } else {
            panic!("unexpected 504: {message}");
        }
    }
    let timeouts = party + quote + fulfil;
    eprintln!("{completed} completed, 504s: {party} party, {quote} quote, {fulfil} fulfil");
    assert_eq!(completed + timeouts, 100);
    assert!(timeouts >= 50, "most time out: {timeouts}");
    assert!(
        party > 0 && quote > 0 && fulfil > 0,
        "{party}/{quote}/{fulfil}"
    );
    assert!(fulfil < party && fulfil < quote, "{party}/{quote}/{fulfil}");
    let c = sim.counters();
    assert_eq!(c.overload_timeouts, timeouts);
    assert_eq!(c.committed, completed + fulfil);
    assert_eq!(c.prepared, completed + fulfil);
    assert!(c.duplicate_prepares.is_empty());
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_given_up_on_keep_their_slot_until_a_reset() {
    let sim = start(SimConfig {
        capacity_tps: 10,
        queue_timeout_ms: 150,
        ..SimConfig::default()
    })
    .await;
    let base = sim.base_url();
    let bodies: Vec<_> = (0..20)
        .map(|_| transfer(&new_id(), "22890123456"))
        .collect();
    let answers = post_all(&base, &bodies).await;
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    // Two fit when the 20 arrive within 50 ms; a few more on a very slow machine.
    assert!((1..=5).contains(&ok), "{ok} within 150 ms at 10/s");
    // The abandoned slots still occupy the rail for ~2 s: a lone POST now times out too.
    let started = Instant::now();
    let (status, _) = post(&base, &transfer(&new_id(), "22890123456")).await;
    assert_eq!(status, 504);
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(sim.counters().overload_timeouts as usize, 20 - ok + 1);

    client()
        .post(format!("{base}/__sim/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(sim.counters().overload_timeouts, 0);
    let (status, _) = post(&base, &transfer(&new_id(), "22890123456")).await;
    assert_eq!(status, 200, "the backlog is forgotten with the rest");
    sim.stop().await;
}

#[tokio::test]
async fn puts_and_lookups_do_not_queue() {
    let sim = start(SimConfig {
        auto_accept: false,
        capacity_tps: 1,
        queue_timeout_ms: 5_000,
        ..SimConfig::default()
    })
    .await;
    let base = sim.base_url();
    let id = new_id();
    let (status, _) = post(&base, &transfer(&id, "22890123456")).await;
    assert_eq!(status, 200, "the first slot is free");
    // The next slot is a second away; neither of these waits for it.
    let started = Instant::now();
    let (_, body) = put(&base, &id, serde_json::json!({"acceptParty": true})).await;
    assert_eq!(body["currentState"], "WAITING_FOR_QUOTE_ACCEPTANCE");
    let (_, body) = put(&base, &id, serde_json::json!({"acceptQuote": true})).await;
    assert_eq!(body["currentState"], "COMPLETED");
    let (gs, _) = get(&base, &id).await;
    assert_eq!(gs, 200);
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    sim.stop().await;
}

#[tokio::test]
async fn an_overloaded_manual_post_times_out_resolving_the_payee() {
    let sim = start(SimConfig {
        auto_accept: false,
        capacity_tps: 1,
        queue_timeout_ms: 20,
        ..SimConfig::default()
    })
    .await;
    let base = sim.base_url();
    post(&base, &transfer(&new_id(), "22890123456")).await;
    // Whatever its transferId draws, a manual POST only ever got as far as the party lookup.
    for i in 0..20 {
        let id = fixed_id(i);
        let (status, body) = post(&base, &transfer(&id, "22890123456")).await;
        assert_eq!(status, 504);
        assert_eq!(
            body["message"],
            format!("Timeout resolving payee for transfer {id}")
        );
    }
    assert_eq!(sim.counters().prepared, 0);
    sim.stop().await;
}
