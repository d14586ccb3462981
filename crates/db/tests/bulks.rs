//! Bulk creation (rows + reservation in one transaction, all or nothing) and the bulk reads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use db::models::now;
use db::queries::{accounts, bulks, ledger, settle, transfers};
use db::{Backend, DbConn, DbError};
use std::time::Instant;

both_backends!(
    create_small_bulk,
    count_by_state_groups_every_run,
    create_ten_thousand_rows,
    refused_reservation_stores_nothing,
    duplicate_transfer_id_stores_nothing,
    totals_must_match_rows,
    find_for_org_hides_other_orgs,
    list_for_org_pages_newest_first,
    idempotency_key_lookup_and_uniqueness,
    recent_by_sha_ignores_failed_and_old,
    msg_id_is_unique_per_organisation,
    hostile_texts_round_trip,
);

/// Every column a run's rows are written with reads back exactly as given, whatever the text: on
/// PostgreSQL the rows go through one binary COPY, where a tab, newline, backslash or `\N` must not
/// be read as COPY syntax (the text format's delimiter, row end, escape and NULL marker) and
/// `\.` not as its end-of-data line; NULL payee names stay NULL, not "" or "\N".
fn hostile_texts_round_trip(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 1_000_000_000);
    let hostile: Vec<String> = vec![
        "tab\there".into(),
        "new\nline".into(),
        "carriage\rreturn".into(),
        "back\\slash".into(),
        "\\N".into(),
        "\\.".into(),
        "\\".into(),
        "O'Brien \"Jr\" `x`; DROP TABLE individual_transfers; --".into(),
        "Kossi 🙂 Agbéko ñ 漢字 \u{200B}zero-width".into(),
        "\t\n\\N\t".into(),
        "ends with backslash \\".into(),
        "x".repeat(1000),
        format!("{}é", "ü".repeat(999)),
        " leading and trailing spaces ".into(),
        "".into(),
    ];
    let amounts = vec![7; hostile.len() * 2 + 3];
    let (spec, mut rows) = bulk_spec(&w, &w.account, &amounts);
    for (i, r) in rows.iter_mut().enumerate() {
        let h = &hostile[i % hostile.len()];
        r.transfer_id = format!("{i}{}", h.chars().take(40).collect::<String>());
        r.party_identifier = format!("{h}{i}");
        r.payee_name = match i % 4 {
            0 => None,
            _ => Some(h.clone()),
        };
        r.repeat_in_period = i % 3 == 0;
        r.amount = 1 + i as i64;
    }
    let spec = db::models::NewBulk {
        total_amount: rows.iter().map(|r| r.amount).sum(),
        ..spec
    };
    let bulk = bulks::create(&mut c, &spec, &mut rows).unwrap();
    let stored = transfers::page(&mut c, bulk.id, None, None, 1_000).unwrap();
    assert_eq!(stored.len(), rows.len());
    for (s, r) in stored.iter().zip(&rows) {
        assert_eq!(s.bulk_pk, bulk.id);
        assert_eq!(
            (
                s.line,
                &s.transfer_id,
                &s.mojaloop_transfer_id,
                &s.party_id_type,
                &s.party_identifier,
                &s.payee_name,
                s.amount,
                s.status,
                s.created_at,
                s.updated_at,
                s.repeat_in_period
            ),
            (
                r.line,
                &r.transfer_id,
                &r.mojaloop_transfer_id,
                &r.party_id_type,
                &r.party_identifier,
                &r.payee_name,
                r.amount,
                r.status,
                r.created_at,
                r.updated_at,
                r.repeat_in_period
            ),
            "row of line {}",
            r.line
        );
        // The columns the insert does not name keep their defaults.
        assert_eq!(
            (s.attempt_count, s.resend_count, s.party_attempts),
            (0, 0, 0)
        );
        assert_eq!(
            (&s.error_code, s.claimed_at, &s.party_result),
            (&None, None, &None)
        );
    }
    assert_eq!(
        stored.iter().filter(|s| s.payee_name.is_none()).count(),
        rows.len().div_ceil(4)
    );
    let acc = assert_ledger(&mut c, w.account.id);
    assert_eq!(acc.reserved, spec.total_amount);
}

fn count_by_state_groups_every_run(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    assert!(bulks::count_by_state(&mut c).unwrap().is_empty());
    let w = world(&mut c, "CNSS", 1_000);
    let mut pks = Vec::new();
    for _ in 0..3 {
        let (spec, mut rows) = bulk_spec(&w, &w.account, &[10]);
        pks.push(bulks::create(&mut c, &spec, &mut rows).unwrap().id);
    }
    assert!(bulks::mark_processing(&mut c, pks[0]).unwrap());
    let mut counts = bulks::count_by_state(&mut c).unwrap();
    counts.sort();
    assert_eq!(
        counts,
        vec![("PENDING".to_string(), 2), ("PROCESSING".to_string(), 1)]
    );
}

fn create_small_bulk(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 1_000);
    let (spec, mut rows) = bulk_spec(&w, &w.account, &[100, 250, 50]);
    let bulk = bulks::create(&mut c, &spec, &mut rows).unwrap();
    assert!(rows.iter().all(|r| r.bulk_pk == bulk.id));
    assert!(bulk.bulk_id.starts_with("bulk-"));
    assert_eq!(bulk.bulk_id, spec.bulk_id);
    assert_eq!((bulk.total_amount, bulk.total_count), (400, 3));
    assert_eq!((bulk.succeeded_count, bulk.failed_count), (0, 0));
    assert_eq!(bulk.state, "PENDING");
    assert_eq!(bulk.completed_at, None);
    assert_eq!(bulks::get(&mut c, bulk.id).unwrap(), bulk);
    assert_eq!(
        bulks::find(&mut c, &bulk.bulk_id).unwrap(),
        Some(bulk.clone())
    );
    assert_eq!(bulks::find(&mut c, "bulk-nope").unwrap(), None);

    let stored = transfers::page(&mut c, bulk.id, None, None, 10).unwrap();
    assert_eq!(stored.len(), 3);
    for (s, r) in stored.iter().zip(&rows) {
        assert_eq!(
            (&s.transfer_id, &s.mojaloop_transfer_id, s.amount, s.line),
            (&r.transfer_id, &r.mojaloop_transfer_id, r.amount, r.line)
        );
        assert_eq!((s.status.as_str(), s.attempt_count), ("PENDING", 0));
        assert_eq!(s.payee_name, r.payee_name);
    }
    let acc = assert_ledger(&mut c, w.account.id);
    assert_eq!((acc.balance, acc.reserved), (1_000, 400));
    assert_eq!(ledger::count_for_bulk(&mut c, bulk.id).unwrap(), 1);
    assert_eq!(ledger::totals(&mut c, w.account.id).unwrap().reserved, 400);
    assert!(bulks::mark_processing(&mut c, bulk.id).unwrap());
    assert!(
        !bulks::mark_processing(&mut c, bulk.id).unwrap(),
        "only once"
    );
    assert_eq!(bulks::get(&mut c, bulk.id).unwrap().state, "PROCESSING");
    bulks::touch(&mut c, bulk.id).unwrap();
}

fn create_ten_thousand_rows(backend: Backend) {
    const N: usize = 10_000;
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 1_000_000_000);
    let amounts: Vec<i64> = (0..N as i64).map(|i| 1_000 + i).collect();
    let (spec, mut rows) = bulk_spec(&w, &w.account, &amounts);
    let started = Instant::now();
    let bulk = bulks::create(&mut c, &spec, &mut rows).unwrap();
    eprintln!(
        "{backend:?}: bulk of {N} rows stored in {:?}",
        started.elapsed()
    );
    assert_eq!(bulk.total_count, N as i64);
    assert_eq!(transfers::count(&mut c).unwrap(), N as i64);
    assert_eq!(
        transfers::count_by_status(&mut c, bulk.id).unwrap(),
        vec![("PENDING".to_string(), N as i64)]
    );
    let acc = assert_ledger(&mut c, w.account.id);
    assert_eq!(acc.reserved, amounts.iter().sum::<i64>());
    assert_eq!(ledger::count_for_bulk(&mut c, bulk.id).unwrap(), 1);
    // File order kept across insert chunks.
    let last = transfers::page(&mut c, bulk.id, None, None, N as i64).unwrap();
    assert_eq!(last.len(), N);
    assert!(
        last.windows(2)
            .all(|p| p[0].line < p[1].line && p[0].id < p[1].id)
    );
    assert_eq!(last[N - 1].transfer_id, format!("T{N}"));
}

/// Nothing of the bulk exists and the account and journal are as before.
fn assert_nothing_stored(c: &mut DbConn, account_pk: i64, journal_before: i64) {
    assert_eq!(bulks::count(c).unwrap(), 0);
    assert_eq!(transfers::count(c).unwrap(), 0);
    assert_eq!(journal_lines(c), journal_before);
    let acc = assert_ledger(c, account_pk);
    assert_eq!(acc.reserved, 0);
}

fn refused_reservation_stores_nothing(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 100);
    let journal_before = journal_lines(&mut c);
    let (spec, mut rows) = bulk_spec(&w, &w.account, &[100, 50]);
    match bulks::create(&mut c, &spec, &mut rows) {
        Err(DbError::InsufficientFunds {
            required,
            available,
        }) => assert_eq!((required, available), (150, 100)),
        other => panic!("expected InsufficientFunds, got {other:?}"),
    }
    assert_nothing_stored(&mut c, w.account.id, journal_before);
    assert_eq!(bulks::find(&mut c, &spec.bulk_id).unwrap(), None);
    // The same connection still works, and a bulk that fits goes through.
    let (spec, mut rows) = bulk_spec(&w, &w.account, &[100]);
    bulks::create(&mut c, &spec, &mut rows).unwrap();
    assert_eq!(accounts::get(&mut c, w.account.id).unwrap().available(), 0);
}

fn duplicate_transfer_id_stores_nothing(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 1_000_000_000);
    let journal_before = journal_lines(&mut c);
    // Small bulk: the duplicate sits in the same INSERT.
    let (spec, mut rows) = bulk_spec(&w, &w.account, &[10, 20, 30]);
    rows[2].transfer_id = rows[0].transfer_id.clone();
    let err = bulks::create(&mut c, &spec, &mut rows).unwrap_err();
    assert!(matches!(err, DbError::Conflict(_)), "{err:?}");
    assert_nothing_stored(&mut c, w.account.id, journal_before);
    // Big bulk: the duplicate is in a later insert chunk, after earlier chunks were written.
    let (spec, mut rows) = bulk_spec(&w, &w.account, &vec![5; 5_000]);
    rows[4_500].transfer_id = rows[1].transfer_id.clone();
    let err = bulks::create(&mut c, &spec, &mut rows).unwrap_err();
    assert!(matches!(err, DbError::Conflict(_)), "{err:?}");
    assert_nothing_stored(&mut c, w.account.id, journal_before);
    // The same transfer ids in two different bulks are fine.
    create_bulk(&mut c, &w, &[10, 20]);
    create_bulk(&mut c, &w, &[10, 20]);
    assert_eq!(transfers::count(&mut c).unwrap(), 4);
}

fn totals_must_match_rows(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 1_000);
    let journal_before = journal_lines(&mut c);
    // The reservation is the bulk's total: it must be exactly what the rows will spend.
    let (mut spec, mut rows) = bulk_spec(&w, &w.account, &[100, 200]);
    spec.total_amount = 250;
    let err = bulks::create(&mut c, &spec, &mut rows).unwrap_err();
    assert!(matches!(err, DbError::Corrupt(_)), "{err:?}");
    let (mut spec, mut rows) = bulk_spec(&w, &w.account, &[100, 200]);
    spec.total_count = 3;
    let err = bulks::create(&mut c, &spec, &mut rows).unwrap_err();
    assert!(matches!(err, DbError::Corrupt(_)), "{err:?}");
    let (mut spec, _) = bulk_spec(&w, &w.account, &[100]);
    spec.total_count = 0;
    spec.total_amount = 0;
    assert!(bulks::create(&mut c, &spec, &mut []).is_err(), "empty bulk");
    assert_nothing_stored(&mut c, w.account.id, journal_before);
}

fn find_for_org_hides_other_orgs(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let a = world(&mut c, "CNSS", 1_000);
    let b = world(&mut c, "IPRES", 1_000);
    let bulk_a = create_bulk(&mut c, &a, &[10]);
    let bulk_b = create_bulk(&mut c, &b, &[20]);
    assert_eq!(
        bulks::find_for_org(&mut c, a.org.id, &bulk_a.bulk_id).unwrap(),
        Some(bulk_a.clone())
    );
    assert_eq!(
        bulks::find_for_org(&mut c, a.org.id, &bulk_b.bulk_id).unwrap(),
        None
    );
    assert_eq!(
        bulks::find_for_org(&mut c, b.org.id, &bulk_a.bulk_id).unwrap(),
        None
    );
    assert_eq!(
        bulks::find_for_org(&mut c, b.org.id, &bulk_b.bulk_id).unwrap(),
        Some(bulk_b)
    );
    assert_eq!(
        bulks::find_for_org(&mut c, a.org.id, "bulk-missing").unwrap(),
        None
    );
}

fn list_for_org_pages_newest_first(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let a = world(&mut c, "CNSS", 1_000);
    let b = world(&mut c, "IPRES", 1_000);
    let mut mine = Vec::new();
    for i in 0..5 {
        mine.push(create_bulk(&mut c, &a, &[10 + i]).id);
        create_bulk(&mut c, &b, &[1]);
    }
    for &pk in &mine[1..3] {
        assert!(bulks::mark_processing(&mut c, pk).unwrap());
    }
    let newest_first: Vec<i64> = mine.iter().rev().copied().collect();
    let ids = |v: Vec<db::models::Bulk>| v.into_iter().map(|b| b.id).collect::<Vec<_>>();

    let all = bulks::list_for_org(&mut c, a.org.id, None, None, 100).unwrap();
    assert!(all.iter().all(|x| x.organisation_id == a.org.id));
    assert_eq!(ids(all), newest_first);
    // Pages of two, following the cursor.
    let p1 = ids(bulks::list_for_org(&mut c, a.org.id, None, None, 2).unwrap());
    assert_eq!(p1, newest_first[0..2]);
    let p2 = ids(bulks::list_for_org(&mut c, a.org.id, None, Some(p1[1]), 2).unwrap());
    assert_eq!(p2, newest_first[2..4]);
    let p3 = ids(bulks::list_for_org(&mut c, a.org.id, None, Some(p2[1]), 2).unwrap());
    assert_eq!(p3, newest_first[4..5]);
    let p4 = bulks::list_for_org(&mut c, a.org.id, None, Some(p3[0]), 2).unwrap();
    assert!(p4.is_empty());
    // State filter, with and without cursor.
    let processing =
        ids(bulks::list_for_org(&mut c, a.org.id, Some("PROCESSING"), None, 10).unwrap());
    assert_eq!(processing, vec![mine[2], mine[1]]);
    let after =
        ids(bulks::list_for_org(&mut c, a.org.id, Some("PROCESSING"), Some(mine[2]), 10).unwrap());
    assert_eq!(after, vec![mine[1]]);
    let pending = ids(bulks::list_for_org(&mut c, a.org.id, Some("PENDING"), None, 10).unwrap());
    assert_eq!(pending, vec![mine[4], mine[3], mine[0]]);
    assert!(
        bulks::list_for_org(&mut c, a.org.id, Some("FAILED"), None, 10)
            .unwrap()
            .is_empty()
    );
}

fn idempotency_key_lookup_and_uniqueness(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let a = world(&mut c, "CNSS", 1_000);
    let b = world(&mut c, "IPRES", 1_000);
    let (mut spec, mut rows) = bulk_spec(&a, &a.account, &[100]);
    spec.idempotency_key = Some("key-1".into());
    let first = bulks::create(&mut c, &spec, &mut rows).unwrap();
    assert_eq!(
        bulks::find_by_idempotency_key(&mut c, a.org.id, "key-1").unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        bulks::find_by_idempotency_key(&mut c, a.org.id, "key-2").unwrap(),
        None
    );
    assert_eq!(
        bulks::find_by_idempotency_key(&mut c, b.org.id, "key-1").unwrap(),
        None
    );
    // The same key again for the same organisation is a conflict and stores nothing.
    let (mut again, mut rows) = bulk_spec(&a, &a.account, &[200]);
    again.idempotency_key = Some("key-1".into());
    let err = bulks::create(&mut c, &again, &mut rows).unwrap_err();
    assert!(matches!(err, DbError::Conflict(_)), "{err:?}");
    assert_eq!(bulks::count(&mut c).unwrap(), 1);
    assert_eq!(assert_ledger(&mut c, a.account.id).reserved, 100);
    // Another organisation may use the same key; bulks without a key never collide.
    let (mut other, mut rows) = bulk_spec(&b, &b.account, &[100]);
    other.idempotency_key = Some("key-1".into());
    bulks::create(&mut c, &other, &mut rows).unwrap();
    create_bulk(&mut c, &a, &[1]);
    create_bulk(&mut c, &a, &[1]);
    assert_eq!(bulks::count(&mut c).unwrap(), 4);
}

fn recent_by_sha_ignores_failed_and_old(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let a = world(&mut c, "CNSS", 10_000);
    let b = world(&mut c, "IPRES", 10_000);
    let since = now() - minutes(60);
    let with_sha = |c: &mut DbConn, w: &World, sha: &str, age_minutes: i64| {
        let (mut spec, mut rows) = bulk_spec(w, &w.account, &[100, 200]);
        spec.file_sha256 = sha.into();
        spec.created_at = now() - minutes(age_minutes);
        spec.updated_at = spec.created_at;
        bulks::create(c, &spec, &mut rows).unwrap()
    };
    // Old upload of the same file: not a duplicate any more.
    with_sha(&mut c, &a, "old", 120);
    assert_eq!(
        bulks::find_recent_by_sha(&mut c, a.org.id, "old", since).unwrap(),
        None
    );
    // Recent upload that FAILED entirely: may be uploaded again.
    let failed = with_sha(&mut c, &a, "failed", 5);
    assert!(bulks::mark_processing(&mut c, failed.id).unwrap());
    let rows = transfers::claim(&mut c, failed.id, 10).unwrap();
    let items: Vec<_> = rows
        .iter()
        .map(|r| settle::SettleItem {
            transfer_pk: r.id,
            resolution: settle::Resolution::Failed {
                code: "5100".into(),
                message: "payee rejected".into(),
            },
        })
        .collect();
    settle::settle_batch(&mut c, &items).unwrap();
    assert_eq!(bulks::get(&mut c, failed.id).unwrap().state, "FAILED");
    assert_eq!(
        bulks::find_recent_by_sha(&mut c, a.org.id, "failed", since).unwrap(),
        None
    );
    // Recent, live upload: found, the newest one when there are several.
    let first = with_sha(&mut c, &a, "live", 10);
    let second = with_sha(&mut c, &a, "live", 1);
    let found = bulks::find_recent_by_sha(&mut c, a.org.id, "live", since).unwrap();
    assert_eq!(found.map(|x| x.id), Some(second.id));
    assert_ne!(first.id, second.id);
    // Another organisation's identical file is not a duplicate for this one.
    assert_eq!(
        bulks::find_recent_by_sha(&mut c, b.org.id, "live", since).unwrap(),
        None
    );
    with_sha(&mut c, &b, "live", 1);
    assert!(
        bulks::find_recent_by_sha(&mut c, b.org.id, "live", since)
            .unwrap()
            .is_some()
    );
    assert_ledger(&mut c, a.account.id);
}

/// pain.001 uploads: a MsgId is unique per organisation whatever became of the earlier run (the
/// partial unique index), the blocks read back as stored, and runs without a MsgId never collide.
fn msg_id_is_unique_per_organisation(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let a = world(&mut c, "CNSS", 1_000);
    let b = world(&mut c, "IPRES", 1_000);
    let blocks = vec![
        db::models::PaymentBlock("P1".into(), 2),
        db::models::PaymentBlock("P2".into(), 1),
    ];
    let spec_with = |w: &World, msg: &str| {
        let (mut spec, rows) = bulk_spec(w, &w.account, &[100, 200, 300]);
        spec.msg_id = Some(msg.into());
        spec.msg_name_id = Some("pain.001.001.09".into());
        spec.payment_blocks = Some(db::models::encode_payment_blocks(&blocks));
        (spec, rows)
    };
    let (spec, mut rows) = spec_with(&a, "MSG-1");
    let first = bulks::create(&mut c, &spec, &mut rows).unwrap();
    assert_eq!(first.msg_id.as_deref(), Some("MSG-1"));
    assert_eq!(first.msg_name_id.as_deref(), Some("pain.001.001.09"));
    assert_eq!(first.payment_blocks().unwrap(), Some(blocks.clone()));
    assert_eq!(
        bulks::find_by_msg_id(&mut c, a.org.id, "MSG-1")
            .unwrap()
            .map(|x| x.id),
        Some(first.id)
    );
    assert_eq!(
        bulks::find_by_msg_id(&mut c, b.org.id, "MSG-1").unwrap(),
        None
    );
    // The first run cancelled: its MsgId still counts.
    db::queries::runs::cancel(&mut c, first.id, a.user.id).unwrap();
    let (spec, mut rows) = spec_with(&a, "MSG-1");
    let err = bulks::create(&mut c, &spec, &mut rows).unwrap_err();
    assert!(matches!(err, DbError::Conflict(_)), "{err:?}");
    assert_eq!(bulks::count(&mut c).unwrap(), 1);
    assert_eq!(assert_ledger(&mut c, a.account.id).reserved, 0);
    // Another organisation may use it; CSV runs (no MsgId) never collide.
    let (spec, mut rows) = spec_with(&b, "MSG-1");
    bulks::create(&mut c, &spec, &mut rows).unwrap();
    let csv = create_bulk(&mut c, &a, &[1]);
    create_bulk(&mut c, &a, &[1]);
    assert_eq!(csv.payment_blocks().unwrap(), None);
    assert_eq!(bulks::count(&mut c).unwrap(), 4);
}
