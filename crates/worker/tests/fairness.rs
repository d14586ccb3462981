//! Organisations share the fleet: a small bulk of one fund is not held back by a big bulk of another.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, msisdn};
use db::Backend;
use db::queries::bulks;
use simulator::SimConfig;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn small_bulk_of_another_fund_overtakes_a_big_one() {
    let sim = SimConfig {
        latency_ms: 20,
        ..SimConfig::default()
    };
    let mut h = Harness::new(Backend::Postgres, true, sim).await;
    let (stop, task) = h.start_worker(h.settings(&[
        ("WORKER_CONCURRENCY", "40"),
        ("CHUNK_ROWS", "200"),
        ("LANES_PER_BULK", "2"),
    ]));
    let other = h.second_org("FNR");
    let big: Vec<_> = (0..4000).map(|i| ("MSISDN", msisdn(i), 100)).collect();
    let a = h.submit(&big).await;
    // Let the big bulk fill the queue and the in-flight slots first.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let small: Vec<_> = (0..100)
        .map(|i| ("MSISDN", msisdn(10_000 + i), 100))
        .collect();
    let b = h.submit_as(other, &small).await;
    let b_done = h.wait_final(b.id, Duration::from_secs(60)).await;
    assert_eq!(b_done.state, "COMPLETED");
    let a_now = {
        let mut c = h.pool.get().unwrap();
        bulks::get(&mut c, a.id).unwrap()
    };
    assert_eq!(
        a_now.state,
        "PROCESSING",
        "the small bulk should finish while the big one still runs ({} of 4000 done)",
        a_now.succeeded_count + a_now.failed_count
    );
    h.wait_final(a.id, Duration::from_secs(120)).await;
    h.assert_ledger_balanced();
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
}
