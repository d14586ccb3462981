//! The pool: no round trip per checkout, and connections the server dropped are found on use,
//! replaced, and cost at most one failed statement. PostgreSQL only: an SQLite connection is a
//! file handle in the process, nothing can drop it from outside.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use db::queries::bulks;
use db::{Backend, DbConn, DbPool};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use std::time::{Duration, Instant};

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

#[derive(QueryableByName)]
struct LastQuery {
    #[diesel(sql_type = Text)]
    query: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn pid(c: &mut DbConn) -> i32 {
    diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<Pid>(c)
        .unwrap()
        .pid
}

fn admin(url: &str) -> PgConnection {
    PgConnection::establish(url).unwrap()
}

/// The statement the server saw last on backend `pid`.
fn last_query(admin: &mut PgConnection, pid: i32) -> String {
    diesel::sql_query("SELECT query FROM pg_stat_activity WHERE pid = $1")
        .bind::<Integer, _>(pid)
        .get_result::<LastQuery>(admin)
        .unwrap()
        .query
}

/// Terminates the backends and waits until the server no longer lists them.
fn terminate(admin: &mut PgConnection, pids: &[i32]) {
    for &p in pids {
        diesel::sql_query("SELECT pg_terminate_backend($1) AS pid")
            .bind::<Integer, _>(p)
            .execute(admin)
            .unwrap();
    }
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let left =
            diesel::sql_query("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE pid = ANY($1)")
                .bind::<diesel::sql_types::Array<Integer>, _>(pids)
                .get_result::<Count>(admin)
                .unwrap()
                .n;
        if left == 0 {
            return;
        }
        assert!(Instant::now() < until, "backends {pids:?} still alive");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The pids of every connection of the pool (all checked out at once, then given back).
fn pool_pids(pool: &DbPool, size: usize) -> Vec<i32> {
    let mut held: Vec<_> = (0..size).map(|_| pool.get().unwrap()).collect();
    let mut pids: Vec<i32> = held.iter_mut().map(|c| pid(c)).collect();
    pids.sort_unstable();
    pids
}

#[test]
fn checkout_costs_no_round_trip() {
    let tdb = test_db(Backend::Postgres);
    let pool = db::connect(&tdb.url, 1).unwrap();
    let mut admin = admin(&tdb.url);
    let backend = {
        let mut c = pool.get().unwrap();
        pid(&mut c)
    };
    for _ in 0..5 {
        drop(pool.get().unwrap());
    }
    // Five checkouts later the backend's last statement is still ours: no `SELECT 1` was sent.
    assert_eq!(
        last_query(&mut admin, backend),
        "SELECT pg_backend_pid() AS pid"
    );
}

#[test]
fn dropped_connections_fail_once_then_the_pool_recovers() {
    const SIZE: usize = 4;
    let tdb = test_db(Backend::Postgres);
    let pool = db::connect(&tdb.url, SIZE as u32).unwrap();
    let mut admin = admin(&tdb.url);
    let before = pool_pids(&pool, SIZE);
    assert_eq!(before.len(), SIZE);

    // The server drops every pooled connection (a restart, an operator, a proxy's timeout).
    terminate(&mut admin, &before);

    // The first use meets a dead connection: an "unavailable" error (the API's 503), not a panic
    // and not a wrong answer.
    let err = {
        let mut c = pool.get().unwrap();
        bulks::count(&mut c).unwrap_err()
    };
    assert!(err.is_unavailable(), "{err:?}");
    assert!(err.is_transient(), "{err:?}");

    // Every later use succeeds: the broken connection was dropped on its way back, and the other
    // dead ones are found by the test on checkout and replaced instead of failing a statement.
    for _ in 0..3 * SIZE {
        let mut c = pool.get().unwrap();
        assert_eq!(bulks::count(&mut c).unwrap(), 0);
    }
    let after = pool_pids(&pool, SIZE);
    assert!(
        after.iter().all(|p| !before.contains(p)),
        "fresh connections only: before {before:?}, after {after:?}"
    );
    // And several at once (every connection of the pool in use) work too.
    std::thread::scope(|s| {
        for _ in 0..SIZE {
            s.spawn(|| {
                let mut c = pool.get().unwrap();
                assert_eq!(bulks::count(&mut c).unwrap(), 0);
            });
        }
    });
}

#[test]
fn a_connection_dropped_inside_a_transaction_is_discarded() {
    let tdb = test_db(Backend::Postgres);
    let pool = db::connect(&tdb.url, 1).unwrap();
    let mut admin = admin(&tdb.url);
    let mut c = pool.get().unwrap();
    let first = pid(&mut c);
    let err = c
        .transaction::<(), db::DbError, _>(|c| {
            terminate(&mut admin, &[first]);
            bulks::count(c)?;
            Ok(())
        })
        .unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    drop(c);
    let mut c = pool.get().unwrap();
    assert_ne!(pid(&mut c), first);
    assert_eq!(bulks::count(&mut c).unwrap(), 0);
}
