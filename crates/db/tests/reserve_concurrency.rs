//! 20 threads, each on its own pooled connection, reserving against ONE account at the same time:
//! the conditional UPDATE must never over-reserve, and no backend error (SQLITE_BUSY, serialization
//! failure, deadlock) may surface.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use db::queries::{accounts, bulks, ledger};
use db::{Backend, DbError};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

both_backends!(
    twenty_threads_never_over_reserve,
    concurrent_bulk_creations_never_over_reserve
);

const THREADS: usize = 20;

fn twenty_threads_never_over_reserve(backend: Backend) {
    const BALANCE: i64 = 1_000;
    const AMOUNT: i64 = 70;
    const ATTEMPTS: usize = 5;
    let mut tdb = test_db(backend);
    let w = world(&mut tdb.conn().unwrap(), "CNSS", BALANCE);
    let pool = pool_for(&tdb, THREADS as u32);
    let barrier = Arc::new(Barrier::new(THREADS));
    let started = Instant::now();
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let pool = pool.clone();
            let barrier = barrier.clone();
            let account = w.account.id;
            thread::spawn(move || {
                let mut c = pool.get().expect("own connection");
                barrier.wait();
                let mut ok = 0_i64;
                for _ in 0..ATTEMPTS {
                    match accounts::reserve(&mut c, account, None, AMOUNT) {
                        Ok(()) => ok += 1,
                        Err(DbError::InsufficientFunds {
                            required,
                            available,
                        }) => {
                            assert_eq!(required, AMOUNT);
                            assert!((0..AMOUNT).contains(&available), "available {available}");
                        }
                        Err(e) => panic!("reserve failed with a backend error: {e:?}"),
                    }
                }
                ok
            })
        })
        .collect();
    let successes: i64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    eprintln!(
        "{backend:?}: 20×{ATTEMPTS} reservations in {:?}",
        started.elapsed()
    );

    let mut c = tdb.conn().unwrap();
    let acc = accounts::get(&mut c, w.account.id).unwrap();
    assert!(acc.reserved <= acc.balance, "{acc:?}");
    assert_eq!(acc.balance, BALANCE);
    assert_eq!(successes * AMOUNT, acc.reserved);
    // Every attempt that could fit did: 1000 / 70 = 14 reservations, 20 left over.
    assert_eq!(successes, BALANCE / AMOUNT);
    let j = ledger::totals(&mut c, w.account.id).unwrap();
    assert_eq!(j.reserved, acc.reserved);
    assert_eq!(j.expected_reserved(), acc.reserved);
    assert_eq!(j.expected_balance(), acc.balance);
    assert_eq!(
        journal_lines(&mut c),
        1 + successes,
        "one CREDIT + one RESERVE per success"
    );
}

/// The same race through the real entry point: whole bulks (rows + reservation in one
/// transaction) created concurrently; refused bulks leave nothing behind.
fn concurrent_bulk_creations_never_over_reserve(backend: Backend) {
    const BALANCE: i64 = 10_000;
    let mut tdb = test_db(backend);
    let w = world(&mut tdb.conn().unwrap(), "CNSS", BALANCE);
    let pool = pool_for(&tdb, THREADS as u32);
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let pool = pool.clone();
            let barrier = barrier.clone();
            let w = w.clone();
            thread::spawn(move || {
                let mut c = pool.get().expect("own connection");
                barrier.wait();
                let mut ok = 0_i64;
                for _ in 0..3 {
                    // 3 rows of 100 + 200 + 400 = 700 per bulk.
                    let (bulk, mut rows) = bulk_spec(&w, &w.account, &[100, 200, 400]);
                    match bulks::create(&mut c, &bulk, &mut rows) {
                        Ok(_) => ok += 1,
                        Err(DbError::InsufficientFunds { required, .. }) => {
                            assert_eq!(required, 700)
                        }
                        Err(e) => panic!("bulk creation failed with a backend error: {e:?}"),
                    }
                }
                ok
            })
        })
        .collect();
    let successes: i64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let mut c = tdb.conn().unwrap();
    assert_eq!(successes, BALANCE / 700);
    assert_eq!(bulks::count(&mut c).unwrap(), successes);
    assert_eq!(
        db::queries::transfers::count(&mut c).unwrap(),
        successes * 3
    );
    let acc = assert_ledger(&mut c, w.account.id);
    assert_eq!(acc.reserved, successes * 700);
}
