//! Run state changes go through the domain's state machine: an illegal one is an error, never a
//! silent no-op; a stale one (the run moved meanwhile) says which state it found; a bad state value
//! cannot even be stored (CHECK constraint on PostgreSQL, trigger on SQLite).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use db::queries::{bulks, runs};
use db::{Backend, DbConn, DbError};
use domain::BulkState;

both_backends!(
    illegal_transition_is_an_error,
    stale_transition_names_the_state,
    unknown_states_are_refused_by_the_database,
    cancel_releases_exactly_the_run
);

fn illegal_transition_is_an_error(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut conn = tdb.conn().unwrap();
    let c: &mut DbConn = &mut conn;
    let w = world(c, "CNSS", 1_000_000);
    let b = create_bulk(c, &w, &[100, 200]);
    let err = runs::transition(c, b.id, BulkState::Pending, BulkState::Completed).unwrap_err();
    assert!(matches!(err, DbError::Transition(_)), "{err:?}");
    assert_eq!(
        bulks::get(c, b.id).unwrap().state,
        "PENDING",
        "nothing changed"
    );
}

fn stale_transition_names_the_state(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut conn = tdb.conn().unwrap();
    let c: &mut DbConn = &mut conn;
    let w = world(c, "CNSS", 1_000_000);
    let b = create_bulk(c, &w, &[100]);
    assert!(bulks::mark_processing(c, b.id).unwrap());
    let err = runs::transition(c, b.id, BulkState::Pending, BulkState::Cancelled).unwrap_err();
    assert!(
        matches!(err, DbError::InvalidState(BulkState::Processing)),
        "{err:?}"
    );
    assert!(
        !bulks::mark_processing(c, b.id).unwrap(),
        "a duplicate job does nothing"
    );
}

fn unknown_states_are_refused_by_the_database(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut conn = tdb.conn().unwrap();
    let c: &mut DbConn = &mut conn;
    use db::schema::bulk_transfers::dsl as bt;
    use db::schema::individual_transfers::dsl as t;
    use diesel::prelude::*;
    let w = world(c, "CNSS", 1_000_000);
    let b = create_bulk(c, &w, &[100]);
    let bad = diesel::update(bt::bulk_transfers.find(b.id))
        .set(bt::state.eq("DONE"))
        .execute(c);
    assert!(bad.is_err(), "bulk state DONE was stored");
    let bad = diesel::update(t::individual_transfers.filter(t::bulk_pk.eq(b.id)))
        .set(t::status.eq("PAID"))
        .execute(c);
    assert!(bad.is_err(), "transfer status PAID was stored");
}

fn cancel_releases_exactly_the_run(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut conn = tdb.conn().unwrap();
    let c: &mut DbConn = &mut conn;
    let w = world(c, "CNSS", 1_000_000);
    let _keep = create_bulk(c, &w, &[1_000]);
    let b = create_bulk(c, &w, &[100, 250]);
    let before = assert_ledger(c, w.account.id);
    assert_eq!(before.reserved, 1_350);
    let after = runs::cancel(c, b.id, w.user.id).unwrap();
    assert_eq!(after.state, "CANCELLED");
    let acc = assert_ledger(c, w.account.id);
    assert_eq!((acc.reserved, acc.balance), (1_000, before.balance));
    assert!(matches!(
        runs::cancel(c, b.id, w.user.id),
        Err(DbError::InvalidState(BulkState::Cancelled))
    ));
    let first = transfers_of(c, b.id)[0];
    assert_eq!(status_of(c, first), "CANCELLED");
}

fn transfers_of(c: &mut DbConn, bulk_pk: i64) -> Vec<i64> {
    db::queries::transfers::page(c, bulk_pk, None, None, 100)
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect()
}
