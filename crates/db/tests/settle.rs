//! `settle_batch`: money moves once per row, counters and the bulk's final state follow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use db::models::now;
use db::queries::settle::{BulkCounters, Resolution, SettleItem, settle_batch};
use db::queries::{accounts, bulks, ledger, transfers};
use db::{Backend, DbConn};
use domain::BulkState;

both_backends!(
    completed_failed_unknown_then_final,
    second_settlement_changes_nothing,
    final_state_follows_counts,
    unclaimed_rows_are_not_settled,
    one_batch_over_two_bulks,
    requeue_returns_unsent_rows_to_pending,
);

fn ok(pk: i64) -> SettleItem {
    SettleItem {
        transfer_pk: pk,
        resolution: Resolution::Completed,
    }
}

fn ko(pk: i64) -> SettleItem {
    SettleItem {
        transfer_pk: pk,
        resolution: Resolution::Failed {
            code: "5100".into(),
            message: "payee FSP rejected".into(),
        },
    }
}

fn unknown(pk: i64, in_minutes: i64) -> SettleItem {
    SettleItem {
        transfer_pk: pk,
        resolution: Resolution::Unknown {
            reason: "adapter timeout".into(),
            next_lookup_at: now() + minutes(in_minutes),
        },
    }
}

fn balance_reserved(c: &mut DbConn, account_pk: i64) -> (i64, i64) {
    let a = accounts::get(c, account_pk).unwrap();
    (a.balance, a.reserved)
}

fn completed_failed_unknown_then_final(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 1_000);
    let (bulk, pks) = claimed_bulk(&mut c, &w, &[100, 200, 300]);
    assert_eq!(balance_reserved(&mut c, w.account.id), (1_000, 600));

    // Completed → CONSUME: balance and reserved both drop.
    let out = settle_batch(&mut c, &[ok(pks[0])]).unwrap();
    let expect =
        |(succeeded, failed), state, became_final, (newly_completed, newly_failed)| BulkCounters {
            bulk_pk: bulk.id,
            bulk_id: bulk.bulk_id.clone(),
            state,
            succeeded,
            failed,
            total: 3,
            became_final,
            newly_completed,
            newly_failed,
            verification_version: 0,
        };
    assert_eq!(
        out,
        vec![expect((1, 0), BulkState::Processing, false, (1, 0))]
    );
    assert_eq!(balance_reserved(&mut c, w.account.id), (900, 500));
    let t0 = transfers::get(&mut c, pks[0]).unwrap();
    assert_eq!(t0.status, "COMPLETED");
    assert!(t0.completed_at.is_some());

    // Failed → RELEASE: only reserved drops; the error is kept on the row.
    let out = settle_batch(&mut c, &[ko(pks[1])]).unwrap();
    assert_eq!(
        out,
        vec![expect((1, 1), BulkState::Processing, false, (0, 1))]
    );
    assert_eq!(balance_reserved(&mut c, w.account.id), (900, 300));
    let t1 = transfers::get(&mut c, pks[1]).unwrap();
    assert_eq!(t1.status, "FAILED");
    assert_eq!(t1.error_code.as_deref(), Some("5100"));
    assert_eq!(t1.error_message.as_deref(), Some("payee FSP rejected"));
    assert!(t1.completed_at.is_some());

    // Unknown: status only, money untouched, no counters changed.
    let journal = journal_lines(&mut c);
    let lookup_at = now() + minutes(5);
    let out = settle_batch(
        &mut c,
        &[SettleItem {
            transfer_pk: pks[2],
            resolution: Resolution::Unknown {
                reason: "adapter timeout".into(),
                next_lookup_at: lookup_at,
            },
        }],
    )
    .unwrap();
    assert!(out.is_empty());
    assert_eq!(balance_reserved(&mut c, w.account.id), (900, 300));
    assert_eq!(journal_lines(&mut c), journal);
    let t2 = transfers::get(&mut c, pks[2]).unwrap();
    assert_eq!(t2.status, "UNKNOWN");
    assert_eq!(t2.next_lookup_at, Some(lookup_at));
    assert_eq!(t2.error_message.as_deref(), Some("adapter timeout"));
    assert_eq!(t2.completed_at, None);
    // Unknown again on an UNKNOWN row: nothing (only PROCESSING rows become UNKNOWN).
    assert!(
        settle_batch(&mut c, &[unknown(pks[2], 60)])
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        transfers::get(&mut c, pks[2]).unwrap().next_lookup_at,
        Some(lookup_at)
    );

    // Reschedule: later lookup, lookup count up, still UNKNOWN, money untouched.
    let later = now() + minutes(30);
    let out = settle_batch(
        &mut c,
        &[SettleItem {
            transfer_pk: pks[2],
            resolution: Resolution::Reschedule {
                next_lookup_at: later,
            },
        }],
    )
    .unwrap();
    assert!(out.is_empty());
    let t2 = transfers::get(&mut c, pks[2]).unwrap();
    assert_eq!((t2.status.as_str(), t2.lookup_count), ("UNKNOWN", 1));
    assert_eq!(t2.next_lookup_at, Some(later));
    assert_eq!(balance_reserved(&mut c, w.account.id), (900, 300));
    assert_eq!(bulks::get(&mut c, bulk.id).unwrap().state, "PROCESSING");

    // The UNKNOWN row later turns out COMPLETED: money consumed, bulk final.
    let out = settle_batch(&mut c, &[ok(pks[2])]).unwrap();
    assert_eq!(
        out,
        vec![expect((2, 1), BulkState::PartiallyCompleted, true, (1, 0))]
    );
    assert_eq!(balance_reserved(&mut c, w.account.id), (600, 0));
    let t2 = transfers::get(&mut c, pks[2]).unwrap();
    assert_eq!((t2.status.as_str(), t2.next_lookup_at), ("COMPLETED", None));
    assert_eq!(t2.error_message, None, "the unknown reason is cleared");
    let b = bulks::get(&mut c, bulk.id).unwrap();
    assert_eq!(b.state, "PARTIALLY_COMPLETED");
    assert!(b.completed_at.is_some());
    assert_eq!((b.succeeded_count, b.failed_count), (2, 1));
    assert_eq!((b.succeeded_amount, b.failed_amount), (400, 200));

    let j = ledger::totals(&mut c, w.account.id).unwrap();
    assert_eq!(
        (j.credited, j.reserved, j.consumed, j.released),
        (1_000, 600, 400, 200)
    );
    assert_eq!(
        ledger::count_for_bulk(&mut c, bulk.id).unwrap(),
        4,
        "RESERVE + 3 settlements"
    );
    assert_ledger(&mut c, w.account.id);
}

fn second_settlement_changes_nothing(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 1_000);
    let (bulk, pks) = claimed_bulk(&mut c, &w, &[100, 200, 300, 400]);
    // Duplicates inside one batch count once; a row both completed and failed in one batch
    // is completed (completions are applied first) and moves money once.
    let out = settle_batch(
        &mut c,
        &[ok(pks[0]), ok(pks[0]), ko(pks[1]), ko(pks[1]), ko(pks[0])],
    )
    .unwrap();
    assert_eq!((out[0].succeeded, out[0].failed), (1, 1));
    assert_eq!(balance_reserved(&mut c, w.account.id), (900, 700));

    let snapshot = |c: &mut DbConn| {
        (
            accounts::get(c, w.account.id).unwrap(),
            bulks::get(c, bulk.id).unwrap(),
            transfers::page(c, bulk.id, None, None, 10).unwrap(),
            journal_lines(c),
        )
    };
    let before = snapshot(&mut c);
    // The same results again, and the opposite results: all ignored.
    for batch in [
        vec![ok(pks[0]), ko(pks[1])],
        vec![ko(pks[0]), ok(pks[1])],
        vec![unknown(pks[0], 1), unknown(pks[1], 1)],
        vec![SettleItem {
            transfer_pk: pks[0],
            resolution: Resolution::Reschedule {
                next_lookup_at: now(),
            },
        }],
    ] {
        assert!(
            settle_batch(&mut c, &batch).unwrap().is_empty(),
            "{batch:?}"
        );
        assert_eq!(snapshot(&mut c), before);
    }
    assert!(settle_batch(&mut c, &[]).unwrap().is_empty());

    // Finish the bulk; its final state is set once, and re-settling afterwards reports nothing.
    let out = settle_batch(&mut c, &[ok(pks[2]), ko(pks[3])]).unwrap();
    assert_eq!(out.len(), 1);
    assert!(out[0].became_final);
    assert_eq!(out[0].state, BulkState::PartiallyCompleted);
    let finished = snapshot(&mut c);
    assert!(
        settle_batch(&mut c, &[ok(pks[3]), ko(pks[2])])
            .unwrap()
            .is_empty()
    );
    assert_eq!(snapshot(&mut c), finished);
    assert_ledger(&mut c, w.account.id);
}

fn final_state_follows_counts(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 100_000);
    let cases: [(&[bool], BulkState); 4] = [
        (&[true, true, true], BulkState::Completed),
        (&[false, false], BulkState::Failed),
        (&[true, false, false], BulkState::PartiallyCompleted),
        (&[true], BulkState::Completed),
    ];
    for (outcomes, state) in cases {
        let amounts: Vec<i64> = (1..=outcomes.len() as i64).map(|i| i * 10).collect();
        let (bulk, pks) = claimed_bulk(&mut c, &w, &amounts);
        let items: Vec<_> = pks
            .iter()
            .zip(outcomes)
            .map(|(&pk, &good)| if good { ok(pk) } else { ko(pk) })
            .collect();
        // All rows but the last in one batch: not final yet.
        let (last, first) = items.split_last().unwrap();
        if !first.is_empty() {
            let out = settle_batch(&mut c, first).unwrap();
            assert!(!out[0].became_final);
            assert_eq!(out[0].state, BulkState::Processing);
        }
        let out = settle_batch(&mut c, std::slice::from_ref(last)).unwrap();
        let good = outcomes.iter().filter(|g| **g).count() as i64;
        assert_eq!(out.len(), 1);
        assert_eq!(
            (
                out[0].state,
                out[0].became_final,
                out[0].succeeded,
                out[0].failed,
                out[0].total
            ),
            (
                state,
                true,
                good,
                outcomes.len() as i64 - good,
                outcomes.len() as i64
            )
        );
        let b = bulks::get(&mut c, bulk.id).unwrap();
        assert_eq!(b.state, state.as_str());
        assert!(b.completed_at.is_some());
        assert_eq!(b.succeeded_amount + b.failed_amount, b.total_amount);
        assert_ledger(&mut c, w.account.id);
    }
    assert_eq!(balance_reserved(&mut c, w.account.id).1, 0);
}

fn unclaimed_rows_are_not_settled(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 1_000);
    let bulk = create_bulk(&mut c, &w, &[100, 200]);
    let pks: Vec<i64> = transfers::page(&mut c, bulk.id, None, None, 10)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    // PENDING rows were never sent: no result may settle them.
    for batch in [
        vec![ok(pks[0])],
        vec![ko(pks[1])],
        vec![unknown(pks[0], 1)],
        vec![ok(999_999)],
    ] {
        assert!(settle_batch(&mut c, &batch).unwrap().is_empty());
    }
    assert_eq!(
        transfers::count_by_status(&mut c, bulk.id).unwrap(),
        vec![("PENDING".to_string(), 2)]
    );
    assert_eq!(balance_reserved(&mut c, w.account.id), (1_000, 300));
    assert_ledger(&mut c, w.account.id);
}

fn one_batch_over_two_bulks(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let a = world(&mut c, "CNSS", 1_000);
    let b = world(&mut c, "IPRES", 1_000);
    let (bulk_a, pa) = claimed_bulk(&mut c, &a, &[100, 100]);
    let (bulk_a2, pa2) = claimed_bulk(&mut c, &a, &[50]);
    let (bulk_b, pb) = claimed_bulk(&mut c, &b, &[300, 300]);
    let out = settle_batch(
        &mut c,
        &[ok(pb[0]), ko(pa2[0]), ok(pa[1]), ok(pb[1]), ko(pa[0])],
    )
    .unwrap();
    // One entry per bulk touched, in key order.
    assert_eq!(
        out.iter()
            .map(|x| (x.bulk_pk, x.state, x.became_final))
            .collect::<Vec<_>>(),
        vec![
            (bulk_a.id, BulkState::PartiallyCompleted, true),
            (bulk_a2.id, BulkState::Failed, true),
            (bulk_b.id, BulkState::Completed, true),
        ]
    );
    assert_eq!(balance_reserved(&mut c, a.account.id), (900, 0));
    assert_eq!(balance_reserved(&mut c, b.account.id), (400, 0));
    assert_ledger(&mut c, a.account.id);
    assert_ledger(&mut c, b.account.id);
}

fn requeue(pk: i64) -> SettleItem {
    SettleItem {
        transfer_pk: pk,
        resolution: Resolution::Requeue {
            reason: "adapter unreachable".into(),
        },
    }
}

fn requeue_returns_unsent_rows_to_pending(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 1_000);
    let (bulk, pks) = claimed_bulk(&mut c, &w, &[100, 200, 300]);
    settle_batch(&mut c, &[ok(pks[1]), unknown(pks[2], 5)]).unwrap();
    let journal = journal_lines(&mut c);
    // Only the PROCESSING row goes back; COMPLETED and UNKNOWN rows were (maybe) sent.
    let out = settle_batch(&mut c, &[requeue(pks[0]), requeue(pks[1]), requeue(pks[2])]).unwrap();
    assert!(out.is_empty());
    let t0 = transfers::get(&mut c, pks[0]).unwrap();
    assert_eq!((t0.status.as_str(), t0.claimed_at), ("PENDING", None));
    assert_eq!(t0.error_message.as_deref(), Some("adapter unreachable"));
    assert_eq!(status_of(&mut c, pks[1]), "COMPLETED");
    assert_eq!(status_of(&mut c, pks[2]), "UNKNOWN");
    assert_eq!(journal_lines(&mut c), journal, "no money moves");
    assert_eq!(assert_ledger(&mut c, w.account.id).reserved, 400);
    // Claimed again later, then settled normally.
    let again = transfers::claim(&mut c, bulk.id, 10).unwrap();
    assert_eq!(
        again
            .iter()
            .map(|t| (t.id, t.attempt_count))
            .collect::<Vec<_>>(),
        [(pks[0], 2)]
    );
    let out = settle_batch(&mut c, &[ok(pks[0]), ok(pks[2])]).unwrap();
    assert_eq!(
        (out[0].state, out[0].became_final),
        (BulkState::Completed, true)
    );
    assert_eq!(assert_ledger(&mut c, w.account.id).balance, 400);
}
