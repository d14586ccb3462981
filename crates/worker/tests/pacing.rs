//! Pacing against a rail with a capacity (the simulator's `capacity_tps` / `queue_timeout_ms`):
//! the adaptive limit keeps the rail busy without overloading it, where a fixed one collapses it;
//! the limit falls when the rail pushes back and rises again when it recovers (read from the
//! worker's health endpoint).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, msisdn};
use db::Backend;
use simulator::SimConfig;
use std::time::Duration;

fn rail() -> SimConfig {
    SimConfig {
        latency_ms: 20,
        capacity_tps: 400,
        queue_timeout_ms: 300,
        ..SimConfig::default()
    }
}

/// Runs `rows` rows through one worker with `pacing`; returns the rail's overload 504s and the
/// rows COMPLETED.
async fn through_the_rail(pacing: &str, rows: usize) -> (u64, usize) {
    let mut h = Harness::new(Backend::Postgres, true, rail()).await;
    let (stop, task) = h.start_worker(h.settings(&[
        ("WORKER_CONCURRENCY", "300"),
        ("ADAPTER_PACING", pacing),
        ("PRE_PREPARE_RETRIES", "8"),
    ]));
    let list: Vec<_> = (0..rows).map(|i| ("MSISDN", msisdn(i), 100)).collect();
    let bulk = h.submit(&list).await;
    h.wait_final(bulk.id, Duration::from_secs(240)).await;
    h.assert_sent_safely(bulk.id);
    h.assert_ledger_balanced();
    let completed = h
        .rows(bulk.id)
        .iter()
        .filter(|r| r.status == "COMPLETED")
        .count();
    for r in h.rows(bulk.id) {
        assert_eq!(
            r.status == "COMPLETED",
            h.sim.is_committed(&r.mojaloop_transfer_id),
            "{r:?}"
        );
    }
    let timeouts = h.sim.counters().overload_timeouts;
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
    (timeouts, completed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn adaptive_pacing_keeps_the_rail_out_of_overload() {
    let rows = 2_000;
    let (timeouts, completed) = through_the_rail("adaptive", rows).await;
    assert_eq!(completed, rows, "every pensioner paid on the first pass");
    assert!(timeouts <= 20, "{timeouts} overload 504s for {rows} rows");
}

/// The same rail under a fixed limit of 300: the rail's queue passes its timeout and it answers
/// 504s by the hundred (each re-sent safely, same transferId, none prepared twice).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fixed_pacing_overloads_the_same_rail() {
    let (timeouts, _) = through_the_rail("fixed", 2_000).await;
    assert!(timeouts >= 200, "only {timeouts} overload 504s");
}

async fn health_limit(http: &reqwest::Client, url: &str) -> usize {
    let doc: serde_json::Value = http.get(url).send().await.unwrap().json().await.unwrap();
    doc["pacing"]["limit"].as_u64().unwrap() as usize
}

/// Waits until the worker's limit satisfies `ok`, polling its health endpoint.
async fn wait_limit(http: &reqwest::Client, url: &str, what: &str, ok: impl Fn(usize) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let limit = health_limit(http, url).await;
        if ok(limit) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: limit still {limit}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_limit_falls_under_504s_and_rises_back() {
    let fast = SimConfig {
        latency_ms: 20,
        capacity_tps: 5_000,
        queue_timeout_ms: 150,
        ..SimConfig::default()
    };
    let mut h = Harness::new(Backend::Postgres, true, fast).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let (stop, task) = h.start_worker(h.settings(&[
        ("WORKER_CONCURRENCY", "200"),
        ("WORKER_HEALTH_ADDR", &addr),
        ("PRE_PREPARE_RETRIES", "20"),
    ]));
    let url = format!("http://{addr}/health");
    let http = reqwest::Client::new();
    let list: Vec<_> = (0..30_000).map(|i| ("MSISDN", msisdn(i), 100)).collect();
    let bulk = h.submit(&list).await;
    // A fast rail: the limit climbs from its start (8).
    wait_limit(&http, &url, "rising on a fast rail", |l| l >= 40).await;
    // The rail drops to 50 transfers/s: its queue passes 150 ms at once, 504s come back.
    h.sim.set_config(SimConfig {
        capacity_tps: 50,
        ..h.sim.config()
    });
    wait_limit(&http, &url, "falling under 504s", |l| l <= 10).await;
    assert!(h.sim.counters().overload_timeouts > 0);
    // The rail recovers: so does the limit.
    h.sim.set_config(SimConfig {
        capacity_tps: 5_000,
        ..h.sim.config()
    });
    wait_limit(&http, &url, "rising again", |l| l >= 40).await;
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.assert_sent_safely(bulk.id);
    h.assert_ledger_balanced();
    h.cleanup().await;
}
