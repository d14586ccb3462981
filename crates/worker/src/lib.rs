#![doc = include_str!("../README.md")]

pub mod context;
pub mod execute;
pub mod health;
pub mod jobs;
pub mod pacing;
pub mod recovery;
pub mod runtime;
pub mod settings;
pub mod settler;
pub mod webhooks;

pub use runtime::{JobSource, WorkerDeps, run};
pub use settings::WorkerSettings;
