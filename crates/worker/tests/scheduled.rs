//! A SCHEDULED run waits for its time (even with a stray bulk job in the queue), then the sweep
//! starts it and it is paid like any other.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, msisdn};
use db::Backend;
use db::queries::bulks;
use simulator::SimConfig;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_scheduled_run_starts_at_its_time() {
    let mut h = Harness::new(Backend::Postgres, true, SimConfig::default()).await;
    let (stop, task) = h.start_worker(h.settings(&[]));
    let rows: Vec<_> = (0..20).map(|i| ("MSISDN", msisdn(i), 100)).collect();
    let at = db::models::now() + chrono::Duration::seconds(3);
    let bulk = h.submit_scheduled(&rows, at).await;
    assert_eq!(bulk.state, "SCHEDULED");
    // Well before its time: a job was queued by the harness, the sweep ran several times, and
    // nothing was sent.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let waiting = {
        let mut c = h.pool.get().unwrap();
        bulks::get(&mut c, bulk.id).unwrap()
    };
    assert_eq!(waiting.state, "SCHEDULED");
    assert_eq!(h.sim.counters().total_posts, 0);
    let done = h.wait_final(bulk.id, Duration::from_secs(30)).await;
    assert_eq!(done.state, "COMPLETED");
    assert!(done.updated_at >= at, "started no earlier than its time");
    h.assert_sent_safely(bulk.id);
    h.assert_ledger_balanced();
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
}
