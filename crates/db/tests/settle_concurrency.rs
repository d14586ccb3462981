//! Many workers settling batches of the same bulks at once, every batch delivered twice (apalis is
//! at-least-once): money moves once per row, exactly one batch reports the bulk final.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use db::Backend;
use db::queries::settle::{BulkCounters, Resolution, SettleItem, settle_batch};
use db::queries::{bulks, ledger};
use domain::BulkState;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

both_backends!(duplicate_batches_from_parallel_workers);

const WORKERS: usize = 8;
const BATCH: usize = 50;

fn outcome(pk: i64) -> Resolution {
    if pk % 3 == 0 {
        Resolution::Failed {
            code: "5100".into(),
            message: "rejected".into(),
        }
    } else {
        Resolution::Completed
    }
}

fn duplicate_batches_from_parallel_workers(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 10_000_000);
    let (bulk_a, pa) = claimed_bulk(&mut c, &w, &vec![10; 1_000]);
    let (bulk_b, pb) = claimed_bulk(&mut c, &w, &vec![20; 1_000]);
    // Batches alternate between the two bulks, so every worker hits both bulk rows and the one account.
    let mut batches: Vec<Vec<SettleItem>> = Vec::new();
    for (ca, cb) in pa.chunks(BATCH).zip(pb.chunks(BATCH)) {
        for chunk in [ca, cb] {
            batches.push(
                chunk
                    .iter()
                    .map(|&pk| SettleItem {
                        transfer_pk: pk,
                        resolution: outcome(pk),
                    })
                    .collect(),
            );
        }
    }
    let batches = Arc::new(batches);
    let pool = pool_for(&tdb, WORKERS as u32);
    let barrier = Arc::new(Barrier::new(WORKERS));
    let started = Instant::now();
    let handles: Vec<_> = (0..WORKERS)
        .map(|me| {
            let (pool, barrier, batches) = (pool.clone(), barrier.clone(), batches.clone());
            thread::spawn(move || {
                let mut c = pool.get().expect("own connection");
                barrier.wait();
                let mut reports: Vec<BulkCounters> = Vec::new();
                let n = batches.len();
                // Worker `me` owns batches me, me+W, …, and also receives its neighbour's
                // batches a second time.
                for j in (me..n).step_by(WORKERS) {
                    for batch in [&batches[j], &batches[(j + 1) % n]] {
                        // No retry: a deadlock or SQLITE_BUSY here is a bug.
                        let out = settle_batch(&mut c, batch).expect("settle_batch");
                        reports.extend(out);
                    }
                }
                reports
            })
        })
        .collect();
    let reports: Vec<BulkCounters> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    eprintln!(
        "{backend:?}: 2000 rows settled twice by {WORKERS} workers in {:?}",
        started.elapsed()
    );

    let mut c = tdb.conn().unwrap();
    for (bulk, pks, amount) in [(&bulk_a, &pa, 10), (&bulk_b, &pb, 20)] {
        let finals: Vec<&BulkCounters> = reports
            .iter()
            .filter(|r| r.bulk_pk == bulk.id && r.became_final)
            .collect();
        assert_eq!(finals.len(), 1, "exactly one batch makes the bulk final");
        let failed = pks.iter().filter(|pk| *pk % 3 == 0).count() as i64;
        let succeeded = pks.len() as i64 - failed;
        assert_eq!(
            (finals[0].state, finals[0].succeeded, finals[0].failed),
            (BulkState::PartiallyCompleted, succeeded, failed)
        );
        // Counters reported along the way never went backwards or over the total.
        let mut seen: Vec<i64> = reports
            .iter()
            .filter(|r| r.bulk_pk == bulk.id)
            .map(|r| r.succeeded + r.failed)
            .collect();
        seen.sort_unstable();
        assert!(
            seen.windows(2).all(|p| p[0] < p[1]),
            "each report adds rows"
        );
        assert_eq!(seen.last(), Some(&1_000));
        let b = bulks::get(&mut c, bulk.id).unwrap();
        assert_eq!(b.state, "PARTIALLY_COMPLETED");
        assert_eq!((b.succeeded_count, b.failed_count), (succeeded, failed));
        assert_eq!(
            (b.succeeded_amount, b.failed_amount),
            (succeeded * amount, failed * amount)
        );
        assert_eq!(ledger::count_for_bulk(&mut c, bulk.id).unwrap(), 1 + 1_000);
    }
    let acc = assert_ledger(&mut c, w.account.id);
    assert_eq!(acc.reserved, 0);
    let spent: i64 = [(&pa, 10), (&pb, 20)]
        .iter()
        .map(|(pks, amount)| pks.iter().filter(|pk| *pk % 3 != 0).count() as i64 * amount)
        .sum();
    assert_eq!(acc.balance, 10_000_000 - spent);
}
