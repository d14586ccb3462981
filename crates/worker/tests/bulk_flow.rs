//! A bulk goes through real queues, the simulator and the settlement, exactly once per row.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{BALANCE, Harness, msisdn};
use db::Backend;
use simulator::SimConfig;
use std::time::Duration;

async fn thousand_rows(backend: Backend, redis: bool) {
    let mut h = Harness::new(backend, redis, SimConfig::default()).await;
    let (stop, task) = h.start_worker(h.settings(&[]));
    let rows: Vec<_> = (0..1000)
        .map(|i| ("MSISDN", msisdn(i), 100 + i as i64))
        .collect();
    let sum: i64 = rows.iter().map(|r| r.2).sum();
    let bulk = h.submit(&rows).await;
    let done = h.wait_final(bulk.id, Duration::from_secs(60)).await;
    assert_eq!(done.state, "COMPLETED");
    assert_eq!(done.succeeded_count, 1000);
    assert_eq!(done.succeeded_amount, sum);
    let acc = h.assert_ledger_balanced();
    assert_eq!(acc.balance, BALANCE - sum);
    assert_eq!(acc.reserved, 0);
    let counters = h.sim.counters();
    assert_eq!(counters.total_posts, 1000);
    assert!(counters.duplicate_transfer_ids.is_empty());
    assert!(
        h.rows(bulk.id)
            .iter()
            .all(|r| r.status == "COMPLETED" && r.attempt_count == 1)
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousand_rows_postgres_redis() {
    thousand_rows(Backend::Postgres, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousand_rows_sqlite_in_process_queue() {
    thousand_rows(Backend::Sqlite, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousand_rows_sqlite_redis() {
    thousand_rows(Backend::Sqlite, true).await;
}

/// More rows than apalis-redis 1.0 can have due at once (~8,000): chunk jobs carry them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nine_thousand_rows_through_redis() {
    let mut h = Harness::new(Backend::Postgres, true, SimConfig::default()).await;
    let (stop, task) = h.start_worker(h.settings(&[("WORKER_CONCURRENCY", "200")]));
    let rows: Vec<_> = (0..9000).map(|i| ("MSISDN", msisdn(i), 1000)).collect();
    let bulk = h.submit(&rows).await;
    let done = h.wait_final(bulk.id, Duration::from_secs(120)).await;
    assert_eq!(done.state, "COMPLETED");
    assert_eq!(done.succeeded_count, 9000);
    let acc = h.assert_ledger_balanced();
    assert_eq!(acc.reserved, 0);
    let c = h.sim.counters();
    assert_eq!(c.total_posts, 9000);
    assert!(c.duplicate_transfer_ids.is_empty());
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
}
