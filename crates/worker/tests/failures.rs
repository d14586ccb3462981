//! Every failure rule of the simulator ends where it must, with the money right and no second POST.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{BALANCE, Harness};
use db::Backend;
use simulator::SimConfig;
use std::time::Duration;

async fn failure_rules(backend: Backend) {
    let mut h = Harness::new(backend, true, SimConfig::default()).await;
    // PRE_PREPARE_RETRIES = 2 (harness): a row that keeps failing before its prepare is POSTed 3 times.
    let (stop, task) = h.start_worker(h.settings(&[]));
    let rows = vec![
        ("MSISDN", "22890000001".to_string(), 1000), // ok
        ("MSISDN", "22890003204".to_string(), 1001), // party not found → FAILED 3204, never re-sent
        ("MSISDN", "22890005103".to_string(), 1002), // quote rejected → FAILED 5103, never re-sent
        ("MSISDN", "22890005105".to_string(), 1003), // transfer rejected → FAILED 5105
        ("MSISDN", "22890000504".to_string(), 1004), // 504 resolving payee, always → re-sent, FAILED
        ("MSISDN", "22890000505".to_string(), 1005), // 504 after commit → UNKNOWN → COMPLETED by lookup
        ("MSISDN", "22890000500".to_string(), 1006), // 500 without body → UNKNOWN → not found → re-sent
        ("MSISDN", "22890000999".to_string(), 1007), // dropped connection → same
        ("MSISDN", "22890000002".to_string(), 1008), // ok
        ("MSISDN", "22890000514".to_string(), 1009), // 504 resolving payee once → re-sent → COMPLETED
        ("MSISDN", "22890000524".to_string(), 1010), // 504 requesting quote once → re-sent → COMPLETED
        ("MSISDN", "22890000503".to_string(), 1011), // FSPIOP 2003 before the prepare once → COMPLETED
        ("MSISDN", "22890000998".to_string(), 1012), // dropped once, not found after expiry → COMPLETED
        ("MSISDN", "22890000534".to_string(), 1013), // 504 requesting quote, always → FAILED
    ];
    let bulk = h.submit(&rows).await;
    let done = h.wait_final(bulk.id, Duration::from_secs(90)).await;
    assert_eq!(done.state, "PARTIALLY_COMPLETED");
    let rows_after = h.rows(bulk.id);
    let by_id = |suffix: &str| {
        rows_after
            .iter()
            .find(|r| r.party_identifier.ends_with(suffix))
            .unwrap()
            .clone()
    };
    let posts = h.assert_sent_safely(bulk.id);
    let posts_of = |suffix: &str| posts[&by_id(suffix).mojaloop_transfer_id];
    // Definitive answers and answers after the prepare: one POST, whatever happened.
    for (s, status, code) in [
        ("0001", "COMPLETED", None),
        ("3204", "FAILED", Some("3204")),
        ("5103", "FAILED", Some("5103")),
        ("5105", "FAILED", Some("5105")),
        ("0505", "COMPLETED", None),
    ] {
        let r = by_id(s);
        assert_eq!(
            (r.status.as_str(), r.error_code.as_deref()),
            (status, code),
            "{s}"
        );
        assert_eq!(
            (posts_of(s), r.resend_count, r.attempt_count),
            (1, 0, 1),
            "{s}"
        );
    }
    // Passing failures before the prepare: sent again with the same transferId, then paid once.
    for s in ["0514", "0524", "0503", "0998"] {
        let r = by_id(s);
        assert_eq!(r.status, "COMPLETED", "{s}: {r:?}");
        assert_eq!(
            (posts_of(s), r.resend_count, r.attempt_count),
            (2, 1, 2),
            "{s}"
        );
        assert!(h.sim.is_committed(&r.mojaloop_transfer_id), "{s}");
    }
    // Failures that persist: re-sent PRE_PREPARE_RETRIES times, then FAILED with the stage's code.
    for (s, code) in [
        ("0504", "PARTY_LOOKUP_TIMEOUT"),
        ("0534", "QUOTE_TIMEOUT"),
        ("0500", "NOT_FOUND_AFTER_EXPIRY"),
        ("0999", "NOT_FOUND_AFTER_EXPIRY"),
    ] {
        let r = by_id(s);
        assert_eq!(
            (r.status.as_str(), r.error_code.as_deref()),
            ("FAILED", Some(code)),
            "{s}"
        );
        assert_eq!((posts_of(s), r.resend_count), (3, 2), "{s}");
        assert!(!h.sim.is_committed(&r.mojaloop_transfer_id), "{s}");
    }
    let acc = h.assert_ledger_balanced();
    assert_eq!(acc.reserved, 0);
    let paid: i64 = [1000, 1005, 1008, 1009, 1010, 1011, 1012].iter().sum();
    assert_eq!(acc.balance, BALANCE - paid);
    assert_eq!(done.succeeded_count, 7);
    assert_eq!(done.failed_count, 7);
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
}

/// When `TRANSFER_EXPIRY` is not longer than the adapter's own expiry, a row the switch never saw
/// cannot be proved dead: it ends FAILED after one POST, as before, never re-sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_resend_after_expiry_when_the_adapter_expiry_is_longer() {
    let mut h = Harness::new(Backend::Postgres, true, SimConfig::default()).await;
    let (stop, task) = h.start_worker(h.settings(&[("ADAPTER_EXPIRY", "60s")]));
    let rows = vec![
        ("MSISDN", "22890000998".to_string(), 1000),
        ("MSISDN", "22890000514".to_string(), 1001), // the adapter's own proof still counts
    ];
    let bulk = h.submit(&rows).await;
    h.wait_final(bulk.id, Duration::from_secs(60)).await;
    let rows_after = h.rows(bulk.id);
    let posts = h.assert_sent_safely(bulk.id);
    let dropped = &rows_after[0];
    assert_eq!(dropped.status, "FAILED");
    assert_eq!(
        dropped.error_code.as_deref(),
        Some("NOT_FOUND_AFTER_EXPIRY")
    );
    assert_eq!(posts[&dropped.mojaloop_transfer_id], 1);
    assert_eq!(rows_after[1].status, "COMPLETED");
    assert_eq!(posts[&rows_after[1].mojaloop_transfer_id], 2);
    h.assert_ledger_balanced();
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
    let (stop, task) = h.start_worker(h.settings(&[("ADAPTER_ACCEPT_MODE", "manual")]));
    let rows = vec![
        ("MSISDN", "22890000011".to_string(), 5000),
        ("MSISDN", "22890000777".to_string(), 6000), // quote carries a payee fee → refused
        ("PERSONAL_ID", "0231397586".to_string(), 7000),
        // Nothing is prepared before our quote acceptance: a dropped POST is certain, re-sent at once.
        ("MSISDN", "22890000998".to_string(), 8000),
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
    let dropped = rows_after
        .iter()
        .find(|r| r.party_identifier.ends_with("0998"))
        .unwrap();
    assert_eq!(
        (dropped.status.as_str(), dropped.resend_count),
        ("COMPLETED", 1)
    );
    let acc = h.assert_ledger_balanced();
    assert_eq!(acc.reserved, 0);
    assert_eq!(acc.balance, BALANCE - 20_000);
    let posts = h.assert_sent_safely(bulk.id);
    assert_eq!(posts[&dropped.mojaloop_transfer_id], 2);
    assert_eq!(posts.values().sum::<u32>(), 5);
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
}

/// With the adapter accepting quotes itself, a payee fee above MAX_PAYEE_FEE cannot be refused: the
/// row is COMPLETED (the money moved) and flagged `fee_above_limit`; the others are not flagged.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn auto_accepted_fee_above_the_limit_is_flagged() {
    let mut h = Harness::new(Backend::Sqlite, true, SimConfig::default()).await;
    let (stop, task) = h.start_worker(h.settings(&[("MAX_PAYEE_FEE", "0")]));
    let rows = vec![
        ("MSISDN", "22890000021".to_string(), 5000),
        ("MSISDN", "22890000777".to_string(), 6000), // the quote carries a payee fee
    ];
    let bulk = h.submit(&rows).await;
    let done = h.wait_final(bulk.id, Duration::from_secs(30)).await;
    assert_eq!(done.state, "COMPLETED");
    let flags: Vec<(String, String, bool)> = h
        .rows(bulk.id)
        .into_iter()
        .map(|r| (r.party_identifier, r.status.to_string(), r.fee_above_limit))
        .collect();
    assert_eq!(
        flags,
        [
            ("22890000021".to_string(), "COMPLETED".to_string(), false),
            ("22890000777".to_string(), "COMPLETED".to_string(), true),
        ]
    );
    let acc = h.assert_ledger_balanced();
    assert_eq!((acc.reserved, acc.balance), (0, BALANCE - 11_000));
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
        ("MSISDN", "22890000500".to_string(), 2000), // 500 with no body: the outcome is unknown
    ];
    let bulk = h.submit(&rows).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let parked = loop {
        let r = h
            .rows(bulk.id)
            .into_iter()
            .find(|r| r.party_identifier.ends_with("0500"))
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
