#![doc = include_str!("../README.md")]

mod amount;
pub mod classify;
mod client;
mod execute;
mod outcome;
pub mod stage;
pub mod wire;

pub use amount::{format_amount, parse_amount};
pub use classify::{classify_call, classify_lookup};
pub use client::{AcceptMode, SdkClient, SdkError};
pub use execute::check_quote;
pub use outcome::{CallResult, LookupResult, Outcome, QUOTE_REFUSED, QuotePolicy};
pub use stage::Stage;
pub use wire::{Party, TransferRequest};
