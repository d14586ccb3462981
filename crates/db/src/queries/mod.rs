//! Queries, grouped by table. Every function takes `&mut DbConn`, so it runs the same inside or
//! outside a transaction.

pub mod accounts;
pub mod audit;
pub mod bulks;
pub mod ledger;
pub mod orgs;
pub mod period;
pub mod runs;
pub mod security;
pub mod settle;
pub mod sweep;
pub mod transfers;
pub mod users;
pub mod verify;
pub mod webhooks;
