#![doc = include_str!("../README.md")]

mod amount;
pub mod classify;
mod client;
mod execute;
mod observe;
mod outcome;
mod parties;
pub mod stage;
pub mod wire;

pub use amount::{format_amount, parse_amount};
pub use classify::{classify_call, classify_lookup};
pub use client::{AcceptMode, SdkClient, SdkError};
pub use execute::{PartyCheck, check_quote};
pub use observe::{Observer, Operation};
pub use outcome::{CallResult, LookupResult, Outcome, QUOTE_REFUSED, QuotePolicy};
pub use parties::{PartyInfo, PartyLookup, classify_party};
pub use stage::Stage;
pub use wire::{Party, TransferRequest};
