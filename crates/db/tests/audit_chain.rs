//! The audit chain on both backends: appends from many threads stay one line, the triggers refuse
//! UPDATE and DELETE, and an event changed behind the triggers' back (as a superuser could) is named
//! by `verify_chain` — unless the whole rest of the chain is rewritten too, which only a last hash
//! kept elsewhere reveals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::thread;

use common::*;
use db::queries::audit::{self, Actor, ChainCheck, NewAuditEvent};
use db::queries::orgs;
use db::{Backend, DbConn};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use domain::{AuditAction, AuditHash, ChainBreak};
use serde_json::json;

both_backends!(
    concurrent_appends_stay_linear,
    updates_and_deletes_are_refused,
    verify_names_the_first_broken_event,
    a_rewritten_tail_passes_unless_the_last_hash_was_kept,
);

const THREADS: usize = 8;
const PER_THREAD: usize = 20;

fn event(i: usize) -> NewAuditEvent {
    NewAuditEvent::new(AuditAction::AccountCredited, Actor::Cli, format!("acc-{i}"))
        .details(json!({"amount": i, "note": "é\"\n"}))
}

fn all_events(c: &mut DbConn) -> Vec<audit::AuditEvent> {
    audit::range(c, 0, 1_000_000).unwrap()
}

/// Threads append at once, half of them at the end of a transaction that wrote first (the way
/// every action records itself): every event follows exactly one other, in id order.
fn concurrent_appends_stay_linear(backend: Backend) {
    let db = test_db(backend);
    let pool = pool_for(&db, THREADS as u32);
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (pool, barrier) = (pool.clone(), barrier.clone());
            thread::spawn(move || {
                let mut c = pool.get().unwrap();
                barrier.wait();
                for i in 0..PER_THREAD {
                    let n = t * PER_THREAD + i;
                    if i % 2 == 0 {
                        audit::append(&mut c, &event(n)).unwrap();
                    } else {
                        c.transaction::<_, db::DbError, _>(|c| {
                            let org = orgs::create(c, &format!("org-{n}"))?;
                            let e =
                                NewAuditEvent::new(AuditAction::OrgCreated, Actor::Cli, org.name)
                                    .in_org(org.id);
                            audit::append(c, &e)
                        })
                        .unwrap();
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut c = pool.get().unwrap();
    let events = all_events(&mut c);
    let total = THREADS * PER_THREAD;
    assert_eq!(events.len(), total);
    let prevs: HashSet<&str> = events.iter().map(|e| e.prev_hash.as_str()).collect();
    assert_eq!(prevs.len(), total, "two events share a prev_hash");
    let mut prev = AuditHash::GENESIS.to_hex();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.id, i as i64 + 1, "ids are the chain's positions");
        assert_eq!(e.prev_hash, prev, "event {} follows the one before", e.id);
        prev = e.hash.clone();
    }
    assert_eq!(
        audit::verify_chain(&mut c).unwrap(),
        ChainCheck::Intact {
            events: total as i64
        }
    );
    assert_eq!(audit::last_hash(&mut c).unwrap().1.to_hex(), prev);
}

fn updates_and_deletes_are_refused(backend: Backend) {
    use db::schema::audit_events::dsl as ae;
    let mut db = test_db(backend);
    let mut c = db.conn().unwrap();
    let first = audit::append(&mut c, &event(1)).unwrap();
    audit::append(&mut c, &event(2)).unwrap();

    let err = diesel::update(ae::audit_events.find(first.id))
        .set(ae::details.eq(r#"{"amount":1000000}"#))
        .execute(&mut *c)
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = diesel::delete(ae::audit_events.find(first.id))
        .execute(&mut *c)
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = diesel::delete(ae::audit_events)
        .execute(&mut *c)
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    if backend == Backend::Postgres {
        let err = c.batch_execute("TRUNCATE audit_events").unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    let err = diesel::delete(db::schema::audit_head::table)
        .execute(&mut *c)
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");

    let events = all_events(&mut c);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0], first, "unchanged");
    assert_eq!(
        audit::verify_chain(&mut c).unwrap(),
        ChainCheck::Intact { events: 2 }
    );
}

/// What a superuser can do: switch the triggers off.
fn disable_triggers(c: &mut DbConn, backend: Backend) {
    match backend {
        Backend::Postgres => c
            .batch_execute("ALTER TABLE audit_events DISABLE TRIGGER ALL")
            .unwrap(),
        Backend::Sqlite => c
            .batch_execute(
                "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;",
            )
            .unwrap(),
    }
}

fn set(c: &mut DbConn, id: i64, column: &str, value: &str) {
    let sql = format!("UPDATE audit_events SET {column} = '{value}' WHERE id = {id}");
    assert_eq!(diesel::sql_query(sql).execute(c).unwrap(), 1);
}

fn broken(c: &mut DbConn) -> (i64, ChainBreak) {
    match audit::verify_chain(c).unwrap() {
        ChainCheck::Broken { event_id, why } => (event_id, why),
        intact => panic!("tampering not seen: {intact}"),
    }
}

fn verify_names_the_first_broken_event(backend: Backend) {
    let mut db = test_db(backend);
    let mut c = db.conn().unwrap();
    let events: Vec<_> = (1..=5)
        .map(|i| audit::append(&mut c, &event(i)).unwrap())
        .collect();
    disable_triggers(&mut c, backend);

    // Details changed: that event's hash no longer matches.
    set(&mut c, 2, "details", r#"{"amount":2000000,"note":"x"}"#);
    assert_eq!(broken(&mut c), (2, ChainBreak::HashMismatch));
    let check = audit::verify_chain(&mut c).unwrap();
    assert!(
        check
            .to_string()
            .starts_with("audit chain broken at event 2: hash mismatch"),
        "{check}"
    );
    // Put back exactly as it was: intact again (the hash depends on the content only).
    set(&mut c, 2, "details", &events[1].details);
    assert_eq!(
        audit::verify_chain(&mut c).unwrap(),
        ChainCheck::Intact { events: 5 }
    );

    // A link re-pointed.
    set(&mut c, 4, "prev_hash", &events[4].hash);
    assert_eq!(broken(&mut c), (4, ChainBreak::LinkBroken));
    set(&mut c, 4, "prev_hash", &events[2].hash);

    // Another actor written in: the content changed.
    set(&mut c, 3, "actor", "someone-else");
    assert_eq!(broken(&mut c), (3, ChainBreak::HashMismatch));
    set(&mut c, 3, "actor", "cli");

    // An event removed from the middle, then the last one.
    diesel::sql_query("DELETE FROM audit_events WHERE id = 5")
        .execute(&mut *c)
        .unwrap();
    assert_eq!(broken(&mut c), (5, ChainBreak::Missing { expected: 5 }));
    diesel::sql_query("DELETE FROM audit_events WHERE id = 3")
        .execute(&mut *c)
        .unwrap();
    assert_eq!(broken(&mut c), (4, ChainBreak::Missing { expected: 3 }));
}

/// The limit of a chain kept in the same database: rewrite an event and every hash after it, and
/// the head, and the chain checks out again. Only the last hash kept elsewhere shows it.
fn a_rewritten_tail_passes_unless_the_last_hash_was_kept(backend: Backend) {
    let mut db = test_db(backend);
    let mut c = db.conn().unwrap();
    for i in 1..=4 {
        audit::append(&mut c, &event(i)).unwrap();
    }
    let (kept_id, kept_hash) = audit::last_hash(&mut c).unwrap();
    disable_triggers(&mut c, backend);
    set(&mut c, 2, "details", r#"{"amount":0}"#);
    let mut prev = AuditHash::parse(&all_events(&mut c)[0].hash).unwrap();
    for e in all_events(&mut c).into_iter().skip(1) {
        let hash = e.chained().hash(&prev).unwrap();
        set(&mut c, e.id, "prev_hash", &prev.to_hex());
        set(&mut c, e.id, "hash", &hash.to_hex());
        prev = hash;
    }
    let sql = format!("UPDATE audit_head SET last_hash = '{}'", prev.to_hex());
    diesel::sql_query(sql).execute(&mut *c).unwrap();

    assert_eq!(
        audit::verify_chain(&mut c).unwrap(),
        ChainCheck::Intact { events: 4 },
        "a consistent rewrite passes the chain check"
    );
    let (id, now_hash) = audit::last_hash(&mut c).unwrap();
    assert_eq!(id, kept_id);
    assert_ne!(now_hash, kept_hash, "the last hash kept elsewhere shows it");
}
