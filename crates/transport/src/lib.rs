#![doc = include_str!("../README.md")]

pub mod bus;
pub mod queue;

pub use bus::{BusError, MemoryBus, ProgressBus, RedisBus};
pub use queue::{JobQueue, MemoryQueue, QueueError, RedisQueue};
