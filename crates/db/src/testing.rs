//! Throw-away databases for tests: one fresh PostgreSQL database or SQLite file per test, migrated,
//! and dropped when the guard goes out of scope, so tests run in parallel without seeing each other.
//! A test that needs PostgreSQL fails (never skips) when the server does not answer.

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;

use crate::connection::{Backend, DbPool, PooledConn, build_pool, run_migrations};
use crate::error::{DbError, DbResult};

/// Server used to create test databases (`TEST_DATABASE_URL`, default local `postgres` database).
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A migrated, empty database that disappears on drop.
pub struct TestDb {
    /// Backend of this database.
    pub backend: Backend,
    /// URL to give to the code under test.
    pub url: String,
    pool: Option<DbPool>,
    name: String,
}

impl TestDb {
    /// A fresh database on the given backend.
    pub fn new(backend: Backend) -> DbResult<TestDb> {
        match backend {
            Backend::Postgres => Self::postgres(),
            Backend::Sqlite => Self::sqlite(),
        }
    }

    /// A fresh PostgreSQL database `gwtest_<random>` on the server of [`admin_url`].
    pub fn postgres() -> DbResult<TestDb> {
        let admin = admin_url();
        let name = format!("gwtest_{}", uuid::Uuid::new_v4().simple());
        let mut c = PgConnection::establish(&admin).map_err(|e| {
            DbError::Pool(format!(
                "PostgreSQL is required for this test and is not reachable at {admin}: {e}"
            ))
        })?;
        c.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        let url = format!("{base}/{name}");
        Self::finish(Backend::Postgres, url, name)
    }

    /// A fresh SQLite file in the temporary directory.
    pub fn sqlite() -> DbResult<TestDb> {
        let name = std::env::temp_dir()
            .join(format!("gwtest_{}.db", uuid::Uuid::new_v4().simple()))
            .to_string_lossy()
            .into_owned();
        Self::finish(Backend::Sqlite, name.clone(), name)
    }

    fn finish(backend: Backend, url: String, name: String) -> DbResult<TestDb> {
        // Up to 16 connections, opened only when a test needs them.
        let pool = build_pool(&url, 16, Some(1))?;
        let mut db = TestDb {
            backend,
            url,
            pool: Some(pool),
            name,
        };
        let mut c = db.conn()?;
        run_migrations(&mut c)?;
        drop(c);
        Ok(db)
    }

    /// The pool on this database.
    pub fn pool(&self) -> DbPool {
        match &self.pool {
            Some(p) => p.clone(),
            None => unreachable_pool(),
        }
    }

    /// One pooled connection.
    pub fn conn(&mut self) -> DbResult<PooledConn> {
        Ok(self.pool().get()?)
    }
}

fn unreachable_pool() -> DbPool {
    // `pool` is only `None` during drop; nothing can call `pool()` then.
    #[expect(
        clippy::panic,
        reason = "invariant: the pool lives as long as the guard"
    )]
    {
        panic!("TestDb pool used after drop")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.pool.take();
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
                    let _ = std::fs::remove_file(format!("{}{}", self.name, suffix));
                }
            }
        }
    }
}
