//! Live progress: one bus listener per process fanned out to every SSE stream of the same bulk,
//! and short-lived single-use tickets for browsers (`EventSource` cannot send headers).

pub mod hub;
pub mod sse;
pub mod ticket;

pub use hub::ProgressHub;
pub use ticket::TicketKeys;
