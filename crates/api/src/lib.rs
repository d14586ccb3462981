#![doc = include_str!("../README.md")]

pub mod auth;
pub mod callback;
pub mod cli;
pub mod console;
pub mod cors;
pub mod csv_out;
pub mod error;
pub mod metrics;
pub mod openapi;
pub mod request_id;
pub mod routes;
pub mod seed;
pub mod settings;
pub mod startup;
pub mod state;
pub mod stream;
pub mod upload;

pub use error::{ApiError, ErrorBody};
pub use seed::{DemoCredentials, DemoSeed, seed_demo, seed_demo_with};
pub use settings::{ENV_VARS, QueueKind, Settings};
pub use startup::{AppDeps, Application};
pub use state::AppState;
