#![doc = include_str!("../README.md")]

pub mod env;
pub mod metrics;
pub mod shutdown;
pub mod telemetry;

pub use env::{EnvError, Secret};
