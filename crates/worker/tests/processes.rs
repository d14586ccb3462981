//! Two real `gateway-worker` processes share one bulk; one is SIGKILLed mid-bulk and the other
//! finishes it: every row final, none POSTed twice, the ledger balanced.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, msisdn, redis_url};
use db::Backend;
use simulator::SimConfig;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn spawn_worker(h: &Harness, name: &str) -> Child {
    spawn_worker_in(h, name, Command::new(env!("CARGO_BIN_EXE_gateway-worker")))
}

/// The worker with its host clock `offset` off (libfaketime's `faketime`, e.g. `-1h`; the
/// monotonic clock stays real so timers behave).
fn spawn_worker_skewed(h: &Harness, name: &str, offset: &str) -> Child {
    let mut cmd = Command::new("faketime");
    cmd.args(["-f", offset, env!("CARGO_BIN_EXE_gateway-worker")])
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    spawn_worker_in(h, name, cmd)
}

fn spawn_worker_in(h: &Harness, name: &str, mut cmd: Command) -> Child {
    let log = std::fs::File::create(std::env::temp_dir().join(format!("{}{name}.log", h.prefix)))
        .unwrap();
    cmd.env("DATABASE_URL", &h.db.url)
        .env("REDIS_URL", redis_url())
        .env("REDIS_PREFIX", &h.prefix)
        .env("SCHEME_ADAPTER_URL", h.sim.base_url())
        .env("WORKER_CONCURRENCY", "20")
        .env("CHUNK_ROWS", "100")
        .env("SWEEP_INTERVAL", "300ms")
        .env("STALLED_AFTER", "3s")
        .env("ADAPTER_TIMEOUT", "2s")
        .env("NOT_SENT_RETRY_FOR", "1s")
        .env("TRANSFER_EXPIRY", "2s")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("starting the worker (faketime comes from Debian's package faketime)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_one_of_two_workers_mid_bulk() {
    let sim = SimConfig {
        latency_ms: 50,
        ..SimConfig::default()
    };
    let h = Harness::new(Backend::Postgres, true, sim).await;
    let mut a = spawn_worker(&h, "a");
    let mut b = spawn_worker(&h, "b");
    let rows: Vec<_> = (0..2000).map(|i| ("MSISDN", msisdn(i), 500)).collect();
    let bulk = h.submit(&rows).await;
    // Let both workers get going, then kill one without warning.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let posts = h.sim.counters().total_posts;
        if posts >= 400 || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    a.kill().unwrap();
    a.wait().unwrap();
    let before_kill = h.sim.counters().total_posts;
    assert!(
        before_kill < 2000,
        "the bulk finished before the kill; slow the simulator down"
    );

    let done = h.wait_final(bulk.id, Duration::from_secs(120)).await;
    assert_eq!(done.succeeded_count + done.failed_count, 2000);
    let c = h.sim.counters();
    assert!(
        c.duplicate_transfer_ids.is_empty(),
        "a row was POSTed twice"
    );
    assert!(c.total_posts <= 2000);
    assert_eq!(
        done.succeeded_count as u64, c.committed,
        "every commit at the switch is a COMPLETED row"
    );
    let acc = h.assert_ledger_balanced();
    assert_eq!(acc.reserved, 0);
    assert!(
        h.rows(bulk.id)
            .iter()
            .all(|r| r.status == "COMPLETED" || r.status == "FAILED")
    );
    b.kill().unwrap();
    b.wait().unwrap();
    h.cleanup().await;
}

/// SIGTERM mid-bulk: the worker stops taking jobs, finishes its in-flight calls, records them and
/// exits 0; a new worker finishes the bulk without POSTing anything twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_in_flight_and_exits_zero() {
    let sim = SimConfig {
        latency_ms: 200,
        ..SimConfig::default()
    };
    let h = Harness::new(Backend::Postgres, true, sim).await;
    let mut a = spawn_worker(&h, "a");
    let rows: Vec<_> = (0..1000).map(|i| ("MSISDN", msisdn(i), 500)).collect();
    let bulk = h.submit(&rows).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while h.sim.counters().total_posts < 100 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = Command::new("kill")
        .args(["-TERM", &a.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || a.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(exit.code(), Some(0), "worker must exit 0 on SIGTERM");
    // Everything it POSTed was recorded before it left: no row is stuck PROCESSING.
    let posted = h.sim.counters().total_posts;
    assert!(
        posted < 1000,
        "the bulk finished before SIGTERM; slow the simulator down"
    );
    let processing = h
        .rows(bulk.id)
        .iter()
        .filter(|r| r.status == "PROCESSING")
        .count();
    assert_eq!(processing, 0, "in-flight rows must be settled before exit");

    let mut b = spawn_worker(&h, "b");
    let done = h.wait_final(bulk.id, Duration::from_secs(120)).await;
    assert_eq!(done.state, "COMPLETED");
    let c = h.sim.counters();
    assert!(c.duplicate_transfer_ids.is_empty());
    assert_eq!(c.total_posts, 1000);
    assert_eq!(h.assert_ledger_balanced().reserved, 0);
    b.kill().unwrap();
    b.wait().unwrap();
    h.cleanup().await;
}

/// A worker whose host clock runs an hour behind recovers a dead worker's claims within seconds
/// all the same: every age it compares (here a claim's, against `STALLED_AFTER` and the adapter
/// timeouts) is on the database's clock (issue 16 item 6). On its own clock the claims would look
/// an hour younger than they are, and the rows would stay PROCESSING, their money reserved.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_an_hour_behind_recovers_lost_claims_on_the_database_clock() {
    let h = Harness::new(Backend::Postgres, true, SimConfig::default()).await;
    let rows: Vec<_> = (0..20).map(|i| ("MSISDN", msisdn(i), 500)).collect();
    let bulk = h.submit(&rows).await;
    // A worker claimed every row (now, on the database's clock) and died before sending any.
    {
        let mut c = h.pool.get().unwrap();
        let claimed = db::queries::transfers::claim(&mut c, bulk.id, 100).unwrap();
        assert_eq!(claimed.len(), 20);
    }
    let mut w = spawn_worker_skewed(&h, "behind", "-1h");
    // Lost after ADAPTER_TIMEOUT × 2 + NOT_SENT_RETRY_FOR + STALLED_AFTER = 8 s, then UNKNOWN,
    // looked up, never seen by the switch: FAILED once TRANSFER_EXPIRY has passed (not sent again:
    // the adapter's expiry, 60 s by default, is longer than this TRANSFER_EXPIRY).
    let done = h.wait_final(bulk.id, Duration::from_secs(45)).await;
    assert_eq!(done.state, "FAILED", "{done:?}");
    assert!(
        h.rows(bulk.id)
            .iter()
            .all(|r| r.error_code.as_deref() == Some("NOT_FOUND_AFTER_EXPIRY")),
        "{:?}",
        h.rows(bulk.id).first()
    );
    assert_eq!(
        h.sim.counters().total_posts,
        0,
        "a claimed row is never sent by the sweep"
    );
    assert_eq!(h.assert_ledger_balanced().reserved, 0);
    w.kill().unwrap();
    w.wait().unwrap();
    h.cleanup().await;
}
