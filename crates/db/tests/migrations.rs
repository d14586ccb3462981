//! Embedded migrations: idempotent, and safe when the API and the workers start at the same time on
//! an empty database (each binary runs them at startup).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use db::Backend;
use db::testing::admin_url;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use std::sync::{Arc, Barrier};
use std::thread;

both_backends!(migrations_are_idempotent, concurrent_first_migrations);

fn migrations_are_idempotent(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    assert_eq!(db::connection::backend_of(&c), backend);
    assert_eq!(Backend::from_url(&tdb.url), backend);
    db::ping(&mut c).unwrap();
    // TestDb already migrated: running again applies nothing, twice.
    assert_eq!(db::run_migrations(&mut c).unwrap(), 0);
    assert_eq!(db::run_migrations(&mut c).unwrap(), 0);
    // A second pool on the same database sees the schema and migrates nothing either.
    let other = db::connect(&tdb.url, 2).unwrap();
    let mut c2 = other.get().unwrap();
    assert_eq!(db::run_migrations(&mut c2).unwrap(), 0);
    world(&mut c2, "after-migrations", 10);
}

/// An EMPTY database (TestDb always migrates), removed on drop.
struct RawDb {
    backend: Backend,
    url: String,
    name: String,
}

impl RawDb {
    fn new(backend: Backend) -> RawDb {
        let name = format!("gwtest_{}", uuid::Uuid::new_v4().simple());
        match backend {
            Backend::Postgres => {
                let admin = admin_url();
                let mut c = PgConnection::establish(&admin)
                    .unwrap_or_else(|e| panic!("PostgreSQL required at {admin}: {e}"));
                c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
                let base = admin.rsplit_once('/').unwrap().0;
                RawDb {
                    backend,
                    url: format!("{base}/{name}"),
                    name,
                }
            }
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                let path = path.to_string_lossy().into_owned();
                RawDb {
                    backend,
                    url: format!("sqlite://{path}"),
                    name: path,
                }
            }
        }
    }
}

impl Drop for RawDb {
    fn drop(&mut self) {
        match self.backend {
            Backend::Postgres => {
                if let Ok(mut c) = PgConnection::establish(&admin_url()) {
                    let _ = c.batch_execute(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        self.name
                    ));
                }
            }
            Backend::Sqlite => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.name));
                }
            }
        }
    }
}

/// Two "binaries" (own pools) migrate the same empty database at the same moment: both succeed,
/// the migration is applied exactly once.
fn concurrent_first_migrations(backend: Backend) {
    for round in 0..10 {
        let raw = RawDb::new(backend);
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (url, barrier) = (raw.url.clone(), barrier.clone());
                thread::spawn(move || {
                    let pool = db::connect(&url, 2).expect("pool");
                    let mut c = pool.get().expect("connection");
                    barrier.wait();
                    db::run_migrations(&mut c)
                })
            })
            .collect();
        let applied: Vec<usize> = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap()
                    .unwrap_or_else(|e| panic!("round {round}: {e}"))
            })
            .collect();
        assert_eq!(
            applied.iter().sum::<usize>(),
            migration_count(backend),
            "round {round}: {applied:?}"
        );
        assert!(applied.contains(&0), "round {round}: {applied:?}");
        let pool = db::connect(&raw.url, 1).unwrap();
        let mut c = pool.get().unwrap();
        assert_eq!(db::run_migrations(&mut c).unwrap(), 0);
        world(&mut c, "migrated", 1);
    }
}

/// Migrations shipped for `backend` (one folder each).
fn migration_count(backend: Backend) -> usize {
    let folder = match backend {
        Backend::Postgres => "postgres",
        Backend::Sqlite => "sqlite",
    };
    let dir = format!("{}/../../migrations/{folder}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count()
}
