//! Typed errors of the domain layer.
//!
//! Rules for this crate (the other layers build on them):
//!
//! - `domain` never returns `anyhow`, strings or panics for a bad input: every fallible function returns
//!   one of the enums below, and every enum has a `code()` giving a stable `snake_case` identifier that
//!   the API can put in its `{"error": code, …}` body and that tests can match on.
//! - `code()` matches every variant explicitly (no `_ =>`), so adding a variant forces a decision.
//! - The `Display` text is meant for the person who sent the input: it says what was wrong and how it
//!   should look, never anything internal.
//! - CSV validation does not use these enums directly as its result: it collects
//!   [`RowProblem`](crate::csv::RowProblem)s (line, field, code, message) so a file reports all its
//!   problems at once; the codes of the errors below are reused there.

use thiserror::Error;

use crate::state::{BulkState, TransferStatus};

/// Why an amount or a currency was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    /// The text was empty (after trimming).
    #[error("the amount is empty")]
    Empty,
    /// The amount is below zero.
    #[error("the amount must be greater than zero, got a negative value")]
    Negative,
    /// The amount is zero.
    #[error("the amount must be greater than zero")]
    Zero,
    /// The amount has a fractional part where an integer of minor units is required, or more decimals
    /// than the currency allows.
    #[error("the amount has decimals; amounts are whole numbers of minor units of the currency")]
    HasDecimals,
    /// The text is not a plain decimal number (letters, signs, exponents, spaces, non-ASCII digits…).
    #[error("the amount is not a whole number (only the digits 0-9 are allowed)")]
    NotANumber,
    /// The number does not fit in a signed 64-bit count of minor units.
    #[error("the amount is too large")]
    TooLarge,
    /// A sum of amounts overflowed.
    #[error("the total of the amounts is too large")]
    Overflow,
    /// A sum was asked of no amounts at all.
    #[error("there is no amount to sum")]
    EmptySum,
    /// The currency code is not one this gateway handles.
    #[error("unknown currency `{0}`")]
    UnknownCurrency(String),
}

impl MoneyError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            MoneyError::Empty => "amount_empty",
            MoneyError::Negative => "amount_not_positive",
            MoneyError::Zero => "amount_not_positive",
            MoneyError::HasDecimals => "amount_has_decimals",
            MoneyError::NotANumber => "amount_not_integer",
            MoneyError::TooLarge => "amount_too_large",
            MoneyError::Overflow => "amount_overflow",
            MoneyError::EmptySum => "amount_empty_sum",
            MoneyError::UnknownCurrency(_) => "unknown_currency",
        }
    }
}

/// Why a party id type or a party identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PartyError {
    /// The identifier was empty (after trimming).
    #[error("the party identifier is empty")]
    Empty,
    /// Not a Mojaloop MSISDN: 5 to 15 ASCII digits, the first one not 0.
    #[error("`{0}` is not a valid MSISDN: 5 to 15 digits, no leading 0, no '+', spaces or letters")]
    InvalidMsisdn(String),
    /// More than 128 characters.
    #[error("the party identifier is longer than 128 characters")]
    TooLong,
    /// Whitespace or control characters inside the identifier.
    #[error("the party identifier contains spaces or control characters")]
    InvalidChars,
    /// Not one of the Mojaloop party id types.
    #[error(
        "`{0}` is not a Mojaloop party id type (MSISDN, EMAIL, PERSONAL_ID, BUSINESS, DEVICE, ACCOUNT_ID, IBAN, ALIAS)"
    )]
    UnknownType(String),
}

impl PartyError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            PartyError::Empty => "identifier_empty",
            PartyError::InvalidMsisdn(_) => "identifier_invalid_msisdn",
            PartyError::TooLong => "identifier_too_long",
            PartyError::InvalidChars => "identifier_invalid_chars",
            PartyError::UnknownType(_) => "unknown_party_id_type",
        }
    }
}

/// A state change that the state machines do not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TransitionError {
    /// Illegal bulk transition.
    #[error("a bulk cannot go from {from} to {to}")]
    Bulk {
        /// State the bulk is in.
        from: BulkState,
        /// State that was asked for.
        to: BulkState,
    },
    /// Illegal transfer transition.
    #[error("a transfer cannot go from {from} to {to}")]
    Transfer {
        /// Status the transfer is in.
        from: TransferStatus,
        /// Status that was asked for.
        to: TransferStatus,
    },
}

impl TransitionError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            TransitionError::Bulk { .. } => "illegal_bulk_transition",
            TransitionError::Transfer { .. } => "illegal_transfer_transition",
        }
    }
}

/// Why a ledger operation cannot be applied to an account balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum LedgerError {
    /// A reservation asked for more than `balance - reserved`.
    #[error("insufficient funds: {available} available, {requested} requested")]
    InsufficientFunds {
        /// What was available (`balance - reserved`).
        available: i64,
        /// What was asked for.
        requested: i64,
    },
    /// A consume or release asked for more than is reserved.
    #[error("insufficient reservation: {reserved} reserved, {requested} requested")]
    InsufficientReserved {
        /// What is reserved.
        reserved: i64,
        /// What was asked for.
        requested: i64,
    },
    /// The result does not fit in an i64.
    #[error("the balance would overflow")]
    Overflow,
}

impl LedgerError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::InsufficientFunds { .. } => "insufficient_funds",
            LedgerError::InsufficientReserved { .. } => "insufficient_reserved",
            LedgerError::Overflow => "balance_overflow",
        }
    }
}

/// A code string that is not one of an enum's values (roles, states, ledger kinds…).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown {what} `{value}`")]
pub struct UnknownValue {
    /// Which kind of value was being parsed (e.g. "role").
    pub what: &'static str,
    /// The text that was given.
    pub value: String,
}

impl UnknownValue {
    pub(crate) fn new(what: &'static str, value: &str) -> Self {
        UnknownValue {
            what,
            value: value.to_owned(),
        }
    }

    /// Stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        "unknown_value"
    }
}

/// A pension period that is not of the form `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "`{value}` is not a pension period: expected YYYY-MM, a year from 2000 to 2999 and a month from 01 to 12 (e.g. 2026-01)"
)]
pub struct PeriodError {
    /// The text that was given, untrimmed, so the message shows stray spaces.
    pub value: String,
}

impl PeriodError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        "invalid_period"
    }
}

/// The file does not match the row count and/or total declared by its payment order.
///
/// One variant per combination of declared figures, so the message names exactly the figures the
/// order declared; "neither declared" cannot be a mismatch and has no variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DeclaredTotalsMismatch {
    /// Only the row count was declared, and the file's differs.
    #[error("the file has {}, the payment order declares {}", rows(*file), rows(*declared))]
    Count {
        /// Rows in the file.
        file: i64,
        /// Rows declared by the payment order.
        declared: i64,
    },
    /// Only the total was declared, and the file's differs.
    #[error("the file's rows total {file}, the payment order declares a total of {declared}")]
    Total {
        /// Sum of the file's amounts, in minor units.
        file: i64,
        /// Total declared by the payment order, in minor units.
        declared: i64,
    },
    /// Both were declared and at least one differs; both pairs are named so the reader sees which.
    #[error(
        "the file has {} totalling {file_total}, the payment order declares {} totalling {declared_total}",
        rows(*file_count),
        rows(*declared_count)
    )]
    CountAndTotal {
        /// Rows in the file.
        file_count: i64,
        /// Sum of the file's amounts, in minor units.
        file_total: i64,
        /// Rows declared by the payment order.
        declared_count: i64,
        /// Total declared by the payment order, in minor units.
        declared_total: i64,
    },
}

impl DeclaredTotalsMismatch {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            DeclaredTotalsMismatch::Count { .. }
            | DeclaredTotalsMismatch::Total { .. }
            | DeclaredTotalsMismatch::CountAndTotal { .. } => "declared_totals_mismatch",
        }
    }
}

/// "1 row", "5 rows".
fn rows(n: i64) -> String {
    if n == 1 {
        "1 row".to_owned()
    } else {
        format!("{n} rows")
    }
}
