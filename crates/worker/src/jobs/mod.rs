//! Job bodies, one per file. Each is idempotent: apalis may deliver a job twice.

pub mod bulk;
pub mod chunk;
pub mod verify;
