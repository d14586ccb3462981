#![doc = include_str!("../README.md")]

pub mod clock;
pub mod connection;
pub mod error;
pub mod models;
pub mod queries;
pub mod schema;
pub mod testing;

pub mod types;
pub use connection::{Backend, DbConn, DbPool, PooledConn, connect, ping, run_migrations};
pub use error::{DbError, DbResult};
