//! Property: after ANY sequence of create / claim / settle / re-settle / credit / expire, each account
//! agrees with its journal and `reserved == Σ amount of its non-final transfers`. A randomised run
//! (fixed seeds, so a failure replays) is checked against a plain in-memory model after every step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use db::models::now;
use db::queries::settle::{Resolution, SettleItem, settle_batch};
use db::queries::{accounts, bulks, sweep, transfers};
use db::{Backend, DbConn, DbError};
use domain::{BulkState, TransferStatus};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

both_backends!(random_operations_keep_the_ledger_consistent);

const SEEDS: [u64; 2] = [7, 20_261_125];
const OPS: usize = 300;

struct Row {
    bulk: i64,
    account: usize,
    amount: i64,
    status: TransferStatus,
}

#[derive(Default)]
struct Model {
    rows: BTreeMap<i64, Row>,
    bulks: BTreeMap<i64, (usize, bool)>, // (account index, marked PROCESSING)
    balance: Vec<i64>,
}

impl Model {
    fn open_amount(&self, account: usize) -> i64 {
        self.rows
            .values()
            .filter(|r| r.account == account && !r.status.is_final())
            .map(|r| r.amount)
            .sum()
    }
    fn pick(&self, rng: &mut StdRng, keep: impl Fn(&Row) -> bool) -> Option<i64> {
        let ids: Vec<i64> = self
            .rows
            .iter()
            .filter(|(_, r)| keep(r))
            .map(|(id, _)| *id)
            .collect();
        (!ids.is_empty()).then(|| ids[rng.random_range(0..ids.len())])
    }
}

fn random_operations_keep_the_ledger_consistent(backend: Backend) {
    for seed in SEEDS {
        let started = Instant::now();
        let tally = run(backend, seed);
        eprintln!(
            "{backend:?} seed {seed}: {OPS} ops in {:?}: {tally:?}",
            started.elapsed()
        );
    }
}

/// Runs one seeded sequence; returns how often each kind of step ran.
fn run(backend: Backend, seed: u64) -> BTreeMap<&'static str, usize> {
    let mut tally = BTreeMap::new();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let worlds = [world(&mut c, "CNSS", 2_000), world(&mut c, "IPRES", 1_000)];
    let mut m = Model {
        balance: vec![2_000, 1_000],
        ..Model::default()
    };
    for step in 0..OPS {
        let roll = rng.random_range(0..100);
        let what = match roll {
            0..15 => create(&mut c, &mut rng, &mut m, &worlds),
            15..35 => claim(&mut c, &mut rng, &mut m),
            35..75 => settle(&mut c, &mut rng, &mut m, false),
            75..85 => settle(&mut c, &mut rng, &mut m, true),
            85..95 => {
                let i = rng.random_range(0..2);
                let amount = rng.random_range(1..=800);
                accounts::credit(&mut c, worlds[i].account.id, amount).unwrap();
                m.balance[i] += amount;
                "credit"
            }
            _ => {
                let n = sweep::expire_processing(&mut c, now() + minutes(1)).unwrap();
                let mut expected = 0;
                for r in m.rows.values_mut() {
                    if r.status == TransferStatus::Processing {
                        r.status = TransferStatus::Unknown;
                        expected += 1;
                    }
                }
                assert_eq!(n, expected);
                "expire"
            }
        };
        check(
            &mut c,
            &m,
            &worlds,
            &format!("seed {seed} step {step} ({what})"),
        );
        *tally.entry(what).or_insert(0) += 1;
    }
    tally
}

fn create(c: &mut DbConn, rng: &mut StdRng, m: &mut Model, worlds: &[World; 2]) -> &'static str {
    let i = rng.random_range(0..2);
    let n = rng.random_range(1..=6);
    let amounts: Vec<i64> = (0..n).map(|_| rng.random_range(1..=400)).collect();
    let total: i64 = amounts.iter().sum();
    let available = m.balance[i] - m.open_amount(i);
    match create_or_refuse(c, &worlds[i], &amounts) {
        Ok(bulk) => {
            assert!(
                total <= available,
                "reserved {total} with only {available} available"
            );
            m.bulks.insert(bulk, (i, false));
            for t in transfers::page(c, bulk, None, None, 10).unwrap() {
                let row = Row {
                    bulk,
                    account: i,
                    amount: t.amount,
                    status: TransferStatus::Pending,
                };
                m.rows.insert(t.id, row);
            }
            "create"
        }
        Err(DbError::InsufficientFunds {
            required,
            available: a,
        }) => {
            assert_eq!((required, a), (total, available));
            "create refused"
        }
        Err(e) => panic!("create: {e:?}"),
    }
}

/// `bulks::create` through the fixture, keeping the refusal as a value.
fn create_or_refuse(c: &mut DbConn, w: &World, amounts: &[i64]) -> Result<i64, DbError> {
    let (spec, mut rows) = bulk_spec(w, &w.account, amounts);
    bulks::create(c, &spec, &mut rows).map(|b| b.id)
}

fn claim(c: &mut DbConn, rng: &mut StdRng, m: &mut Model) -> &'static str {
    let Some(bulk) = m
        .pick(rng, |r| r.status == TransferStatus::Pending)
        .map(|id| m.rows[&id].bulk)
    else {
        return "claim (nothing pending)";
    };
    let limit = rng.random_range(1..=4);
    let marked = &mut m.bulks.get_mut(&bulk).unwrap().1;
    assert_eq!(bulks::mark_processing(c, bulk).unwrap(), !*marked);
    *marked = true;
    let got: Vec<i64> = transfers::claim(c, bulk, limit)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    let expected: Vec<i64> = m
        .rows
        .iter()
        .filter(|(_, r)| r.bulk == bulk && r.status == TransferStatus::Pending)
        .map(|(id, _)| *id)
        .take(limit as usize)
        .collect();
    assert_eq!(got, expected);
    for id in got {
        m.rows.get_mut(&id).unwrap().status = TransferStatus::Processing;
    }
    "claim"
}

fn settle(c: &mut DbConn, rng: &mut StdRng, m: &mut Model, finals: bool) -> &'static str {
    let mut items = Vec::new();
    for _ in 0..rng.random_range(1..=5) {
        let open = !finals && rng.random_bool(0.85);
        let pick = m.pick(rng, |r| match (finals, open) {
            (true, _) => r.status.is_final(),
            (false, true) => !r.status.is_final() && r.status != TransferStatus::Pending,
            (false, false) => true,
        });
        let Some(pk) = pick else { continue };
        let resolution = match rng.random_range(0..100) {
            0..35 => Resolution::Completed,
            35..65 => Resolution::Failed {
                code: "5100".into(),
                message: "rejected".into(),
            },
            65..85 => Resolution::Unknown {
                reason: "timeout".into(),
                next_lookup_at: now() + minutes(5),
            },
            85..92 => Resolution::Requeue {
                reason: "adapter down".into(),
            },
            _ => Resolution::Reschedule {
                next_lookup_at: now() + minutes(10),
            },
        };
        items.push(SettleItem {
            transfer_pk: pk,
            resolution,
        });
    }
    if items.is_empty() {
        return "settle (nothing to settle)";
    }
    // The model applies completions first, then the rest in order, as documented.
    let mut touched = BTreeSet::new();
    let completions = items
        .iter()
        .filter(|i| i.resolution == Resolution::Completed);
    let others = items
        .iter()
        .filter(|i| i.resolution != Resolution::Completed);
    for item in completions.chain(others) {
        let row = m.rows.get_mut(&item.transfer_pk).unwrap();
        let open = matches!(
            row.status,
            TransferStatus::Processing | TransferStatus::Unknown
        );
        row.status = match (&item.resolution, row.status) {
            (Resolution::Completed, _) if open => TransferStatus::Completed,
            (Resolution::Failed { .. }, _) if open => TransferStatus::Failed,
            (Resolution::Unknown { .. }, TransferStatus::Processing) => TransferStatus::Unknown,
            (Resolution::Requeue { .. }, TransferStatus::Processing) => TransferStatus::Pending,
            (_, s) => s,
        };
        if open && row.status.is_final() {
            touched.insert(row.bulk);
            if row.status == TransferStatus::Completed {
                m.balance[row.account] -= row.amount;
            }
        }
    }
    let out = settle_batch(c, &items).unwrap();
    assert_eq!(
        out.iter().map(|b| b.bulk_pk).collect::<BTreeSet<_>>(),
        touched
    );
    if finals {
        assert!(out.is_empty(), "re-settling final rows changed something");
    }
    for b in &out {
        let all_final = m
            .rows
            .values()
            .filter(|r| r.bulk == b.bulk_pk)
            .all(|r| r.status.is_final());
        assert_eq!(b.state.is_final(), all_final);
    }
    if finals { "re-settle" } else { "settle" }
}

fn check(c: &mut DbConn, m: &Model, worlds: &[World; 2], at: &str) {
    for (i, w) in worlds.iter().enumerate() {
        let acc = assert_ledger(c, w.account.id);
        assert_eq!(acc.balance, m.balance[i], "{at}: balance");
        assert_eq!(acc.reserved, m.open_amount(i), "{at}: reserved");
    }
    // As the state machine sees them: a row handed out by range is PROCESSING (PENDING on disk).
    let mut stored: Vec<(i64, String)> = Vec::new();
    for &pk in m.bulks.keys() {
        let rows = transfers::page(c, pk, None, None, 1_000_000).unwrap();
        stored.extend(
            rows.into_iter()
                .map(|r| (r.id, r.status.as_str().to_string())),
        );
    }
    stored.sort();
    let model: Vec<(i64, String)> = m
        .rows
        .iter()
        .map(|(id, r)| (*id, r.status.as_str().to_string()))
        .collect();
    assert_eq!(stored, model, "{at}: statuses");
    for (&pk, &(_, marked)) in &m.bulks {
        let b = bulks::get(c, pk).unwrap();
        let rows: Vec<&Row> = m.rows.values().filter(|r| r.bulk == pk).collect();
        let ok: Vec<i64> = rows
            .iter()
            .filter(|r| r.status == TransferStatus::Completed)
            .map(|r| r.amount)
            .collect();
        let ko: Vec<i64> = rows
            .iter()
            .filter(|r| r.status == TransferStatus::Failed)
            .map(|r| r.amount)
            .collect();
        assert_eq!(
            (
                b.succeeded_count,
                b.failed_count,
                b.succeeded_amount,
                b.failed_amount
            ),
            (
                ok.len() as i64,
                ko.len() as i64,
                ok.iter().sum(),
                ko.iter().sum()
            ),
            "{at}: counters of bulk {pk}"
        );
        let state =
            BulkState::final_from_counts(ok.len() as i64, ko.len() as i64, rows.len() as i64)
                .unwrap_or(if marked {
                    BulkState::Processing
                } else {
                    BulkState::Pending
                });
        assert_eq!(b.state, state.as_str(), "{at}: state of bulk {pk}");
        assert_eq!(
            b.completed_at.is_some(),
            state.is_final(),
            "{at}: completed_at"
        );
    }
}
