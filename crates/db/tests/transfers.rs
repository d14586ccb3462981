//! Transfer rows: concurrent claiming never hands one row to two workers; paging and counts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use db::Backend;
use db::models::now;
use db::queries::{settle, sweep, transfers};
use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

both_backends!(
    concurrent_claims_are_disjoint,
    claim_limits_and_order,
    page_with_cursor_and_status,
    count_by_status_per_bulk,
    range_claims_keep_rows_in_flight_until_an_outcome,
);

fn concurrent_claims_are_disjoint(backend: Backend) {
    const ROWS: usize = 2_000;
    const CLAIMERS: usize = 8;
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 1_000_000);
    let bulk = create_bulk(&mut c, &w, &vec![7; ROWS]);
    let other = create_bulk(&mut c, &w, &[1, 2, 3]);
    let pool = pool_for(&tdb, CLAIMERS as u32);
    let barrier = Arc::new(Barrier::new(CLAIMERS));
    let started = Instant::now();
    let handles: Vec<_> = (0..CLAIMERS)
        .map(|i| {
            let pool = pool.clone();
            let barrier = barrier.clone();
            thread::spawn(move || {
                let mut c = pool.get().expect("own connection");
                barrier.wait();
                let mut mine = Vec::new();
                let limit = 10 + 7 * i as i64; // different batch sizes interleave differently
                loop {
                    let rows = transfers::claim(&mut c, bulk.id, limit).expect("claim");
                    if rows.is_empty() {
                        break;
                    }
                    assert!(rows.len() as i64 <= limit);
                    assert!(rows.windows(2).all(|p| p[0].id < p[1].id), "sorted by id");
                    for r in &rows {
                        assert_eq!(r.bulk_pk, bulk.id);
                        assert_eq!((r.status.as_str(), r.attempt_count), ("PROCESSING", 1));
                        assert!(r.claimed_at.is_some());
                    }
                    mine.extend(rows.into_iter().map(|r| r.id));
                }
                mine
            })
        })
        .collect();
    let claims: Vec<Vec<i64>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    eprintln!(
        "{backend:?}: {ROWS} rows claimed by {CLAIMERS} threads in {:?}",
        started.elapsed()
    );

    let total: usize = claims.iter().map(Vec::len).sum();
    let union: BTreeSet<i64> = claims.iter().flatten().copied().collect();
    assert_eq!(total, ROWS, "no row claimed twice");
    assert_eq!(union.len(), ROWS);
    let all: BTreeSet<i64> = transfers::page(&mut c, bulk.id, None, None, 10_000)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(union, all, "every row claimed");
    assert!(transfers::claim(&mut c, bulk.id, 50).unwrap().is_empty());
    assert!(!transfers::has_pending(&mut c, bulk.id).unwrap());
    assert_eq!(
        transfers::count_by_status(&mut c, bulk.id).unwrap(),
        vec![("PROCESSING".to_string(), ROWS as i64)]
    );
    // The other bulk was not touched.
    assert!(transfers::has_pending(&mut c, other.id).unwrap());
    assert_eq!(
        transfers::count_by_status(&mut c, other.id).unwrap(),
        vec![("PENDING".to_string(), 3)]
    );
    assert_ledger(&mut c, w.account.id);
}

fn claim_limits_and_order(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 1_000);
    let bulk = create_bulk(&mut c, &w, &[1, 2, 3, 4, 5]);
    let first = transfers::claim(&mut c, bulk.id, 2).unwrap();
    assert_eq!(
        first
            .iter()
            .map(|r| r.transfer_id.as_str())
            .collect::<Vec<_>>(),
        ["T1", "T2"],
        "file order"
    );
    let rest = transfers::claim(&mut c, bulk.id, 10).unwrap();
    assert_eq!(rest.iter().map(|r| r.amount).collect::<Vec<_>>(), [3, 4, 5]);
    assert!(transfers::claim(&mut c, bulk.id, 10).unwrap().is_empty());
    // A claimed row that then settles is not claimable again either.
    settle::settle_batch(
        &mut c,
        &[settle::SettleItem {
            transfer_pk: first[0].id,
            resolution: settle::Resolution::Completed,
        }],
    )
    .unwrap();
    assert!(transfers::claim(&mut c, bulk.id, 10).unwrap().is_empty());
    // Handed out by range: nothing written to the row, PROCESSING as the gateway shows it.
    let stored = transfers::get(&mut c, first[1].id).unwrap();
    assert_eq!(
        (stored.status.as_str(), stored.attempt_count),
        ("PENDING", 0)
    );
    let shown = transfers::page(&mut c, bulk.id, Some("PROCESSING"), None, 10).unwrap();
    assert_eq!(
        shown.iter().map(|r| r.id).collect::<Vec<_>>(),
        [first[1].id, rest[0].id, rest[1].id, rest[2].id]
    );
    let done = transfers::get(&mut c, first[0].id).unwrap();
    assert_eq!((done.status.as_str(), done.attempt_count), ("COMPLETED", 1));
    assert_eq!(
        done.first_attempt_at, done.completed_at,
        "attempt written with the outcome"
    );
    assert!(
        transfers::claim(&mut c, bulk.id + 100, 10)
            .unwrap()
            .is_empty()
    );
}

fn page_with_cursor_and_status(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 10_000);
    let bulk = create_bulk(&mut c, &w, &[1, 2, 3, 4, 5, 6, 7]);
    create_bulk(&mut c, &w, &[9, 9]); // rows of another bulk never show
    let claimed = transfers::claim(&mut c, bulk.id, 3).unwrap(); // T1..T3 PROCESSING
    let amounts = |v: &[db::models::Transfer]| v.iter().map(|r| r.amount).collect::<Vec<_>>();

    let p1 = transfers::page(&mut c, bulk.id, None, None, 3).unwrap();
    assert_eq!(amounts(&p1), [1, 2, 3]);
    let p2 = transfers::page(&mut c, bulk.id, None, Some(p1[2].id), 3).unwrap();
    assert_eq!(amounts(&p2), [4, 5, 6]);
    let p3 = transfers::page(&mut c, bulk.id, None, Some(p2[2].id), 3).unwrap();
    assert_eq!(amounts(&p3), [7]);
    assert!(
        transfers::page(&mut c, bulk.id, None, Some(p3[0].id), 3)
            .unwrap()
            .is_empty()
    );

    let pending = transfers::page(&mut c, bulk.id, Some("PENDING"), None, 2).unwrap();
    assert_eq!(amounts(&pending), [4, 5]);
    let pending2 =
        transfers::page(&mut c, bulk.id, Some("PENDING"), Some(pending[1].id), 10).unwrap();
    assert_eq!(amounts(&pending2), [6, 7]);
    let processing = transfers::page(&mut c, bulk.id, Some("PROCESSING"), None, 10).unwrap();
    let ids = |v: &[db::models::Transfer]| v.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(&processing), ids(&claimed));
    assert!(processing.iter().all(|r| r.status.as_str() == "PROCESSING"));
    // A cursor taken from the unfiltered list works with a filter too.
    let after_t2 =
        transfers::page(&mut c, bulk.id, Some("PROCESSING"), Some(claimed[1].id), 10).unwrap();
    assert_eq!(amounts(&after_t2), [3]);
    assert!(
        transfers::page(&mut c, bulk.id, Some("FAILED"), None, 10)
            .unwrap()
            .is_empty()
    );
}

fn count_by_status_per_bulk(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 10_000);
    let bulk = create_bulk(&mut c, &w, &[10, 20, 30, 40, 50, 60]);
    create_bulk(&mut c, &w, &[1, 1, 1]);
    let rows = transfers::claim(&mut c, bulk.id, 4).unwrap();
    let item = |pk: i64, resolution: settle::Resolution| settle::SettleItem {
        transfer_pk: pk,
        resolution,
    };
    settle::settle_batch(
        &mut c,
        &[
            item(rows[0].id, settle::Resolution::Completed),
            item(
                rows[1].id,
                settle::Resolution::Failed {
                    code: "3204".into(),
                    message: "party not found".into(),
                },
            ),
            item(
                rows[2].id,
                settle::Resolution::Unknown {
                    reason: "timeout".into(),
                    next_lookup_at: db::models::now(),
                },
            ),
        ],
    )
    .unwrap();
    let mut counts = transfers::count_by_status(&mut c, bulk.id).unwrap();
    counts.sort();
    let expected: Vec<(String, i64)> = [
        ("COMPLETED", 1),
        ("FAILED", 1),
        ("PENDING", 2),
        ("PROCESSING", 1),
        ("UNKNOWN", 1),
    ]
    .into_iter()
    .map(|(s, n)| (s.to_string(), n))
    .collect();
    assert_eq!(counts, expected);
    assert!(
        transfers::count_by_status(&mut c, bulk.id + 100)
            .unwrap()
            .is_empty()
    );
    assert_eq!(transfers::count(&mut c).unwrap(), 9);
    assert_ledger(&mut c, w.account.id);
}

/// Issue 18 item 2: a first send is handed out by range without writing its rows; such a row is in
/// flight for every reader until its outcome, a hand-back leaves the range's custody and is claimed
/// again one by one, and a lost claim makes its rows UNKNOWN once, with the claim's time.
fn range_claims_keep_rows_in_flight_until_an_outcome(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 10_000);
    let bulk = create_bulk(&mut c, &w, &[1, 2, 3, 4]);
    let before = now();
    let got = transfers::claim(&mut c, bulk.id, 3).unwrap();
    assert_eq!(got.len(), 3);
    for r in &got {
        let stored = transfers::get(&mut c, r.id).unwrap();
        assert_eq!(
            stored.status.as_str(),
            "PENDING",
            "nothing written at claim"
        );
        assert_eq!(r.status.as_str(), "PROCESSING");
    }
    assert_eq!(
        db::queries::bulks::get(&mut c, bulk.id)
            .unwrap()
            .claimed_through,
        got[2].id
    );
    // Still one row to hand out; once it is taken, none (the others are in flight).
    assert!(transfers::has_pending(&mut c, bulk.id).unwrap());
    let last = transfers::claim(&mut c, bulk.id, 10).unwrap();
    assert_eq!(last.len(), 1);
    assert!(!transfers::has_pending(&mut c, bulk.id).unwrap());
    assert!(transfers::claim(&mut c, bulk.id, 10).unwrap().is_empty());
    let mut counts = transfers::count_by_status(&mut c, bulk.id).unwrap();
    counts.sort();
    assert_eq!(counts, [("PROCESSING".to_string(), 4)]);

    // got[0] was never sent (adapter down): handed back, due at once, claimed one by one.
    // got[1] proved never prepared: handed back for later.
    settle::settle_batch(
        &mut c,
        &[
            settle::SettleItem {
                transfer_pk: got[0].id,
                resolution: settle::Resolution::Requeue {
                    reason: "down".into(),
                },
            },
            settle::SettleItem {
                transfer_pk: got[1].id,
                resolution: settle::Resolution::Retry {
                    code: "QUOTE_TIMEOUT".into(),
                    message: "quote".into(),
                    retry_at: now() + minutes(10),
                },
            },
        ],
    )
    .unwrap();
    assert!(transfers::has_pending(&mut c, bulk.id).unwrap());
    let again = transfers::claim(&mut c, bulk.id, 10).unwrap();
    assert_eq!(again.iter().map(|r| r.id).collect::<Vec<_>>(), [got[0].id]);
    let stored = transfers::get(&mut c, got[0].id).unwrap();
    assert_eq!(
        (stored.status.as_str(), stored.attempt_count),
        ("PROCESSING", 2)
    );

    // The worker is lost: its range claims are judged after the grace. got[2] and last[0] (in
    // flight by range) and got[0] (PROCESSING) become UNKNOWN; got[1] waits for its re-send.
    assert_eq!(
        sweep::expire_processing(&mut c, before - minutes(1)).unwrap(),
        0
    );
    assert_eq!(
        sweep::expire_processing(&mut c, now() + minutes(1)).unwrap(),
        3
    );
    for id in [got[0].id, got[2].id, last[0].id] {
        assert_eq!(status_of(&mut c, id), "UNKNOWN");
    }
    let lost = transfers::get(&mut c, got[2].id).unwrap();
    assert_eq!(lost.attempt_count, 1);
    assert!(lost.first_attempt_at.unwrap() >= before);
    assert_eq!(status_of(&mut c, got[1].id), "PENDING");
    assert_eq!(
        sweep::expire_processing(&mut c, now() + minutes(1)).unwrap(),
        0,
        "judged once"
    );
    // An outcome arriving late for a lost row still settles it, once.
    let out = settle::settle_batch(
        &mut c,
        &[settle::SettleItem {
            transfer_pk: last[0].id,
            resolution: settle::Resolution::Completed,
        }],
    )
    .unwrap();
    assert_eq!(out[0].newly_completed, 1);
    assert_ledger(&mut c, w.account.id);
    // A never-sent PENDING row (got[1], handed back) is not settled by a stray outcome.
    let out = settle::settle_batch(
        &mut c,
        &[settle::SettleItem {
            transfer_pk: got[1].id,
            resolution: settle::Resolution::Completed,
        }],
    )
    .unwrap();
    assert!(out.is_empty());
    assert_eq!(status_of(&mut c, got[1].id), "PENDING");
}
