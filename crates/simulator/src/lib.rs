#![doc = include_str!("../README.md")]

mod capacity;
mod config;
mod flow;
mod fspiop;
mod http;
mod lookup;
mod model;
mod overload;
mod party_reply;
mod registry;
mod render;
mod reply;
mod rules;
mod server;
mod state;
mod validate;
mod wire_out;

pub use config::{DEFAULT_BIND_ADDR, SimConfig, bind_addr_from_env};
pub use registry::{DEFAULT_FSP_ID, PartyEntry, PartyRegistry, REGISTRY_HEADER, RegistryError};
pub use rules::{Rule, rule_for};
pub use server::{SimHandle, Simulator};
pub use state::Counters;
pub use validate::{AMOUNT_PATTERN, is_canonical_amount};
