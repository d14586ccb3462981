//! The reliability and security suite of the gateway: a harness that drives the REAL `gateway-api`
//! and `gateway-worker` binaries as processes against a fresh PostgreSQL database, Redis and the
//! adapter simulator, and the checks every scenario ends with. The scenarios are in `tests/`.
//!
//! - [`stack::Stack`]: one test's gateway (database, Redis prefix or private redis-server,
//!   simulator, API process seeded with `gateway-api seed-demo`, worker processes, optional proxies);
//! - [`proxy::Proxy`]: a TCP proxy the test cuts to make PostgreSQL or the adapter disappear;
//! - [`redis_server::RedisServer`]: a private redis-server to restart with or without its data;
//! - [`http`], [`sse`]: the API client, multipart encoded by hand, the live-stream follower;
//! - [`checks`]: nothing lost, nothing paid twice, money equal to the journal;
//! - [`forge`]: hand-made JWTs for the attack tests; [`csvgen`]: generated payment files.

pub mod bins;
pub mod checks;
pub mod corpus;
pub mod csvgen;
pub mod forge;
pub mod http;
pub mod process;
pub mod proxy;
pub mod redis_server;
pub mod scenario;
pub mod seed;
pub mod sse;
pub mod stack;

pub use stack::{GESTIONNAIRE, Options, SUPERVISEUR, Stack};
