#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod audit;
pub mod csv;
pub mod declared;
pub mod error;
pub mod ids;
pub mod iso20022;
pub mod jobs;
pub mod ledger;
pub mod money;
pub mod party;
pub mod period;
pub mod policy;
pub mod progress;
pub mod role;
pub mod state;
pub mod verify;
pub mod webhook;

pub use crate::csv::{
    CsvFormat, ParseOptions, ParsedFile, ParsedRow, Refusal, RowProblem, parse_csv,
};
pub use audit::{AuditAction, AuditHash, ChainBreak, ChainedEvent};
pub use declared::check_declared_totals;
pub use error::{
    DeclaredTotalsMismatch, LedgerError, MoneyError, PartyError, PeriodError, TransitionError,
    UnknownValue,
};
pub use ids::{new_bulk_id, new_mojaloop_transfer_id, sha256_hex};
pub use jobs::{BulkJob, ChunkJob};
pub use ledger::{AccountBalance, LedgerKind};
pub use money::{Amount, Currency};
pub use party::{PartyIdType, PartyIdentifier};
pub use period::Period;
pub use policy::{ApprovalMode, OrgPolicy};
pub use progress::ProgressEvent;
pub use role::Role;
pub use state::{BulkState, TransferStatus};
pub use verify::{LookupResult, NameMatch, RegisteredName, VerificationMode, grade_name};
