//! The recovery sweep: stalled bulks, expired claims, due lookups and parking, each safe to run from
//! every replica at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use db::models::now;
use db::queries::settle::{Resolution, SettleItem, settle_batch};
use db::queries::{bulks, sweep, transfers};
use db::{Backend, DbConn, DbPool};
use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::thread;

both_backends!(
    stalled_bulks_taken_once,
    expire_processing_turns_old_claims_unknown,
    due_lookups_are_leased,
    parked_rows_are_left_alone,
    a_lost_bulk_is_found_behind_many_waiting_ones,
);

/// Runs `f` on `n` threads started together, each with its own connection.
fn race<T: Send + 'static>(
    pool: &DbPool,
    n: usize,
    f: impl Fn(&mut DbConn) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(n));
    let f = Arc::new(f);
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (pool, barrier, f) = (pool.clone(), barrier.clone(), f.clone());
            thread::spawn(move || {
                let mut c = pool.get().expect("own connection");
                barrier.wait();
                f(&mut c)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn unknown(pk: i64, next_lookup_at: chrono::NaiveDateTime) -> SettleItem {
    SettleItem {
        transfer_pk: pk,
        resolution: Resolution::Unknown {
            reason: "timeout".into(),
            next_lookup_at,
        },
    }
}

fn stalled_bulks_taken_once(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 100_000);
    let pending = create_bulk(&mut c, &w, &[1, 2]); // bulk job lost
    let half = create_bulk(&mut c, &w, &[1, 2, 3]); // PROCESSING, one chunk lost
    assert!(bulks::mark_processing(&mut c, half.id).unwrap());
    transfers::claim(&mut c, half.id, 1).unwrap();
    let (in_flight, _) = claimed_bulk(&mut c, &w, &[1, 2]); // all rows out: nothing to fan out
    let (done, pks) = claimed_bulk(&mut c, &w, &[5]);
    settle_batch(
        &mut c,
        &[SettleItem {
            transfer_pk: pks[0],
            resolution: Resolution::Completed,
        }],
    )
    .unwrap();
    let fresh = create_bulk(&mut c, &w, &[7]); // recently touched: not stalled
    let long_ago = now() - minutes(30);
    for pk in [pending.id, half.id, in_flight.id, done.id] {
        backdate_bulk(&mut c, pk, long_ago);
    }
    let idle_before = now() - minutes(5);
    assert!(bulks::get(&mut c, fresh.id).unwrap().updated_at > idle_before);

    // Limit first: only the oldest candidate.
    let one = sweep::take_stalled_bulks(&mut c, idle_before, 1).unwrap();
    assert_eq!(
        one.iter().map(|s| s.bulk_pk).collect::<Vec<_>>(),
        vec![pending.id]
    );
    assert_eq!(one[0].state, "PENDING");
    assert_eq!(one[0].bulk_id, pending.bulk_id);
    assert!(
        bulks::get(&mut c, pending.id).unwrap().updated_at > idle_before,
        "taken = touched"
    );

    let pool = pool_for(&tdb, 2);
    for round in 0..10 {
        for pk in [pending.id, half.id, in_flight.id, done.id] {
            backdate_bulk(&mut c, pk, long_ago - minutes(round));
        }
        let results = race(&pool, 2, move |c| {
            sweep::take_stalled_bulks(c, idle_before, 10).unwrap()
        });
        let all: Vec<i64> = results.iter().flatten().map(|s| s.bulk_pk).collect();
        let unique: BTreeSet<i64> = all.iter().copied().collect();
        assert_eq!(
            all.len(),
            unique.len(),
            "round {round}: a bulk taken twice: {results:?}"
        );
        assert_eq!(
            unique,
            BTreeSet::from([pending.id, half.id]),
            "round {round}"
        );
        let states: BTreeSet<(i64, String)> = results
            .iter()
            .flatten()
            .map(|s| (s.bulk_pk, s.state.clone()))
            .collect();
        assert!(states.contains(&(half.id, "PROCESSING".to_string())));
        // Just taken: a second sweep finds nothing until they go idle again.
        assert!(
            sweep::take_stalled_bulks(&mut c, idle_before, 10)
                .unwrap()
                .is_empty()
        );
    }
}

fn expire_processing_turns_old_claims_unknown(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 10_000);
    let bulk = create_bulk(&mut c, &w, &[10, 20, 30, 40, 50]);
    let claimed = transfers::claim(&mut c, bulk.id, 4).unwrap(); // T5 stays PENDING
    let later = now() + minutes(60);
    settle_batch(
        &mut c,
        &[
            SettleItem {
                transfer_pk: claimed[0].id,
                resolution: Resolution::Completed,
            },
            unknown(claimed[1].id, later),
        ],
    )
    .unwrap();
    // Claims are recent: nothing expires with a cut-off in the past.
    assert_eq!(
        sweep::expire_processing(&mut c, now() - minutes(5)).unwrap(),
        0
    );
    let before = now();
    assert_eq!(
        sweep::expire_processing(&mut c, now() + minutes(1)).unwrap(),
        2
    );
    for t in &claimed[2..] {
        let t = transfers::get(&mut c, t.id).unwrap();
        assert_eq!(t.status, "UNKNOWN");
        assert!(t.next_lookup_at.unwrap() >= before, "due now");
        assert!(t.error_message.is_some());
        assert_eq!(t.attempt_count, 1, "never posted again");
    }
    // The COMPLETED, already-UNKNOWN and PENDING rows are untouched.
    assert_eq!(
        transfers::get(&mut c, claimed[0].id).unwrap().status,
        "COMPLETED"
    );
    assert_eq!(
        transfers::get(&mut c, claimed[1].id)
            .unwrap()
            .next_lookup_at,
        Some(later)
    );
    let mut counts = transfers::count_by_status(&mut c, bulk.id).unwrap();
    counts.sort();
    assert_eq!(
        counts,
        vec![
            ("COMPLETED".into(), 1),
            ("PENDING".into(), 1),
            ("UNKNOWN".into(), 3)
        ]
    );
    assert_eq!(
        sweep::expire_processing(&mut c, now() + minutes(1)).unwrap(),
        0
    );
    assert_ledger(&mut c, w.account.id);
}

fn due_lookups_are_leased(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 10_000);
    let (_, pks) = claimed_bulk(&mut c, &w, &[1, 2, 3, 4, 5, 6]);
    let t0 = now();
    let items: Vec<_> = (0..5)
        .map(|i| unknown(pks[i], t0 - minutes(10 - i as i64))) // due, oldest first
        .chain([unknown(pks[5], t0 + minutes(10))]) // not due yet
        .collect();
    settle_batch(&mut c, &items).unwrap();

    let lease = t0 + minutes(5);
    let first = sweep::claim_due_lookups(&mut c, t0, lease, 2).unwrap();
    assert_eq!(
        first.iter().map(|t| t.id).collect::<Vec<_>>(),
        pks[0..2],
        "oldest due first"
    );
    assert!(
        first
            .iter()
            .all(|t| t.next_lookup_at == Some(lease) && t.status == "UNKNOWN")
    );

    // Two replicas at once: the three still due are shared, none twice.
    let pool = pool_for(&tdb, 2);
    let results = race(&pool, 2, move |c| {
        sweep::claim_due_lookups(c, t0, lease, 10).unwrap()
    });
    let all: Vec<i64> = results.iter().flatten().map(|t| t.id).collect();
    let unique: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), unique.len(), "a lookup leased twice");
    assert_eq!(unique, pks[2..5].iter().copied().collect());

    // While leased, nothing is due; when the lease runs out they come back (with the 6th).
    assert!(
        sweep::claim_due_lookups(&mut c, t0 + minutes(1), lease, 10)
            .unwrap()
            .is_empty()
    );
    let again = sweep::claim_due_lookups(&mut c, t0 + minutes(11), t0 + minutes(20), 10).unwrap();
    assert_eq!(
        again.iter().map(|t| t.id).collect::<BTreeSet<_>>(),
        pks.iter().copied().collect()
    );
    // Settled rows are no longer looked up.
    settle_batch(
        &mut c,
        &[SettleItem {
            transfer_pk: pks[0],
            resolution: Resolution::Completed,
        }],
    )
    .unwrap();
    let late = sweep::claim_due_lookups(&mut c, t0 + minutes(30), t0 + minutes(40), 10).unwrap();
    assert_eq!(late.len(), 5);
    assert!(late.iter().all(|t| t.id != pks[0]));
    assert_ledger(&mut c, w.account.id);
}

fn parked_rows_are_left_alone(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 1_000);
    let (bulk, pks) = claimed_bulk(&mut c, &w, &[100, 200]);
    settle_batch(&mut c, &[unknown(pks[0], now() - minutes(1))]).unwrap();
    assert!(sweep::park_unknown(&mut c, pks[0], "unknown for 24h, operator needed").unwrap());
    let t = transfers::get(&mut c, pks[0]).unwrap();
    assert_eq!((t.status.as_str(), t.next_lookup_at), ("UNKNOWN", None));
    assert_eq!(
        t.error_message.as_deref(),
        Some("unknown for 24h, operator needed")
    );
    // Never due again, money still reserved.
    assert!(
        sweep::claim_due_lookups(&mut c, now() + minutes(100_000), now(), 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(assert_ledger(&mut c, w.account.id).reserved, 300);
    // Only UNKNOWN rows can be parked.
    assert!(
        !sweep::park_unknown(&mut c, pks[1], "x").unwrap(),
        "PROCESSING"
    );
    assert!(
        !sweep::park_unknown(&mut c, 999_999, "x").unwrap(),
        "missing"
    );
    // An operator (or a late result) may still settle a parked row.
    let out = settle_batch(
        &mut c,
        &[SettleItem {
            transfer_pk: pks[0],
            resolution: Resolution::Completed,
        }],
    )
    .unwrap();
    assert_eq!((out[0].bulk_pk, out[0].succeeded), (bulk.id, 1));
    assert!(!sweep::park_unknown(&mut c, pks[0], "x").unwrap(), "final");
    assert_eq!(assert_ledger(&mut c, w.account.id).balance, 900);
}

/// 150 PROCESSING bulks whose only rows wait for a lookup (UNKNOWN) come first by id; a lost bulk
/// (PROCESSING with a PENDING row) behind them is still among the first 100 candidates.
fn a_lost_bulk_is_found_behind_many_waiting_ones(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 10_000_000);
    let long_ago = now() - minutes(30);
    let mut waiting = Vec::new();
    for _ in 0..150 {
        let (bulk, pks) = claimed_bulk(&mut c, &w, &[1]);
        settle_batch(&mut c, &[unknown(pks[0], now() + minutes(10))]).unwrap();
        waiting.push(bulk.id);
    }
    let lost = create_bulk(&mut c, &w, &[1, 2]);
    assert!(bulks::mark_processing(&mut c, lost.id).unwrap());
    for pk in waiting.iter().copied().chain([lost.id]) {
        backdate_bulk(&mut c, pk, long_ago);
    }
    let taken = sweep::take_stalled_bulks(&mut c, now() - minutes(5), 100).unwrap();
    assert_eq!(
        taken.iter().map(|b| b.bulk_pk).collect::<Vec<_>>(),
        vec![lost.id],
        "only the lost bulk needs work"
    );
}
