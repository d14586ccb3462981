//! Every failure rule of the simulator ends where it must, with the money right and no second POST.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{BALANCE, Harness};
use db::Backend;
use simulator::SimConfig;
use std::time::Duration;

async fn failure_rules(backend: Backend) {
    let mut h = Harness::new(backend, true, SimConfig::default()).await;
    let (stop, task) = h.start_worker(h.settings(&[]));
    let rows = vec![
        ("MSISDN", "22890000001".to_string(), 1000), // ok
        ("MSISDN", "22890003204".to_string(), 1001), // party not found → FAILED 3204
        ("MSISDN", "22890005103".to_string(), 1002), // quote rejected → FAILED 5103
        ("MSISDN", "22890005105".to_string(), 1003), // transfer rejected → FAILED 5105
        ("MSISDN", "22890000504".to_string(), 1004), // 504 before commit → UNKNOWN → FAILED after expiry
        ("MSISDN", "22890000505".to_string(), 1005), // 504 after commit → UNKNOWN → COMPLETED by lookup
        ("MSISDN", "22890000500".to_string(), 1006), // 500 without body → UNKNOWN → FAILED after expiry
        ("MSISDN", "22890000999".to_string(), 1007), // dropped connection → UNKNOWN → FAILED after expiry
        ("MSISDN", "22890000002".to_string(), 1008), // ok
    ];
    let bulk = h.submit(&rows).await;
    let done = h.wait_final(bulk.id, Duration::from_secs(60)).await;
    assert_eq!(done.state, "PARTIALLY_COMPLETED");
    assert_eq!(done.succeeded_count, 3);
    assert_eq!(done.failed_count, 6);
    let rows_after = h.rows(bulk.id);
    let by_id = |suffix: &str| {
        rows_after
            .iter()
            .find(|r| r.party_identifier.ends_with(suffix))
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("3204").error_code.as_deref(), Some("3204"));
    assert_eq!(by_id("5103").error_code.as_deref(), Some("5103"));
    assert_eq!(by_id("5105").error_code.as_deref(), Some("5105"));
    assert_eq!(by_id("0505").status, "COMPLETED");
    for s in ["0504", "0500", "0999"] {
        let r = by_id(s);
        assert_eq!(r.status, "FAILED", "{s}");
        assert_eq!(
            r.error_code.as_deref(),
            Some("NOT_FOUND_AFTER_EXPIRY"),
            "{s}"
        );
    }
    let acc = h.assert_ledger_balanced();
    assert_eq!(acc.reserved, 0);
    assert_eq!(acc.balance, BALANCE - (1000 + 1005 + 1008));
    let c = h.sim.counters();
    assert_eq!(c.total_posts, 9);
    assert!(
        c.duplicate_transfer_ids.is_empty(),
        "a row was POSTed twice"
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failure_rules_postgres() {
    failure_rules(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failure_rules_sqlite() {
    failure_rules(Backend::Sqlite).await;
}

/// With auto-accept off the worker accepts the party and the quote, and refuses a quote with a fee.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn manual_acceptance_and_fee_refused() {
    let sim = SimConfig {
        auto_accept: false,
        ..SimConfig::default()
    };
    let mut h = Harness::new(Backend::Postgres, true, sim).await;
    let (stop, task) = h.start_worker(h.settings(&[]));
    let rows = vec![
        ("MSISDN", "22890000011".to_string(), 5000),
        ("MSISDN", "22890000777".to_string(), 6000), // quote carries a payee fee → refused
        ("PERSONAL_ID", "0231397586".to_string(), 7000),
    ];
    let bulk = h.submit(&rows).await;
    let done = h.wait_final(bulk.id, Duration::from_secs(30)).await;
    assert_eq!(done.state, "PARTIALLY_COMPLETED");
    let rows_after = h.rows(bulk.id);
    let fee = rows_after
        .iter()
        .find(|r| r.party_identifier.ends_with("0777"))
        .unwrap();
    assert_eq!(fee.status, "FAILED");
    assert_eq!(fee.error_code.as_deref(), Some(sdk::QUOTE_REFUSED));
    let acc = h.assert_ledger_balanced();
    assert_eq!(acc.reserved, 0);
    assert_eq!(acc.balance, BALANCE - 12_000);
    assert!(h.sim.counters().duplicate_transfer_ids.is_empty());
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
}

/// A row the switch cannot account for stays UNKNOWN after UNKNOWN_MAX_AGE: its money stays
/// reserved, lookups stop, and the bulk does not pretend to be final.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_for_too_long_is_parked_with_money_reserved() {
    let mut h = Harness::new(Backend::Postgres, true, SimConfig::default()).await;
    let (stop, task) =
        h.start_worker(h.settings(&[("TRANSFER_EXPIRY", "1h"), ("UNKNOWN_MAX_AGE", "1s")]));
    let rows = vec![
        ("MSISDN", "22890000001".to_string(), 1000),
        ("MSISDN", "22890000504".to_string(), 2000), // 504 before commit: the switch never saw it
    ];
    let bulk = h.submit(&rows).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let parked = loop {
        let r = h
            .rows(bulk.id)
            .into_iter()
            .find(|r| r.party_identifier.ends_with("0504"))
            .unwrap();
        if r.status == "UNKNOWN" && r.next_lookup_at.is_none() {
            break r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "row never parked: {r:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(parked.error_message.unwrap().contains("operator"));
    let acc = h.assert_ledger_balanced();
    assert_eq!(acc.reserved, 2000, "the UNKNOWN row's money stays reserved");
    assert_eq!(acc.balance, BALANCE - 1000);
    let b = {
        let mut c = h.pool.get().unwrap();
        db::queries::bulks::get(&mut c, bulk.id).unwrap()
    };
    assert_eq!(b.state, "PROCESSING");
    assert_eq!(h.sim.counters().total_posts, 2, "never POSTed again");
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
}
