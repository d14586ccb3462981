//! Errors of the data layer.
//!
//! Rules: queries return [`DbError`]; `NotFound` is only ever produced for a row that is genuinely
//! absent (never for a failed query); a unique violation becomes [`DbError::Conflict`] so the API can
//! answer 409; business refusals that depend on the data (insufficient funds) are their own variants.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// A data-layer failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The account cannot cover the amount.
    #[error("insufficient funds: required {required}, available {available}")]
    InsufficientFunds {
        /// Amount asked for (minor units).
        required: i64,
        /// Amount available (balance − reserved) at the time.
        available: i64,
    },
    /// The same file was already stored for the organisation recently (the existing bulk).
    #[error("duplicate file: already uploaded as {}", .0.bulk_id)]
    DuplicateFile(Box<crate::models::Bulk>),
    /// A stored value does not parse back into a domain type.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Could not get a connection.
    #[error("database pool: {0}")]
    Pool(String),
    /// Migrations failed.
    #[error("migration: {0}")]
    Migration(String),
    /// The domain's state machine refuses this change.
    #[error("{0}")]
    Transition(domain::TransitionError),
    /// The run is not in a state that allows this (the state it is in).
    #[error("the run is {0}")]
    InvalidState(domain::BulkState),
    /// The run is not verified (its organisation's verification was off when it was stored).
    #[error("the run is not verified")]
    NotVerified,
    /// The approver approved another verification report than the run's latest.
    #[error("the verification report changed since it was seen")]
    VerificationChanged,
    /// The uploader tried to approve or reject their own run.
    #[error("the uploader of a run cannot approve or reject it")]
    SameUser,
    /// The approver saw another file than the one stored.
    #[error("the file hash does not match the run's")]
    FileHashMismatch,
    /// A row of the run was already sent: it can no longer be cancelled.
    #[error("the run has started: rows were sent")]
    AlreadyStarted,
    /// Payees of the file are already paid, or being paid, in the period by other runs.
    #[error("{} payees already paid in the period", .0.len())]
    AlreadyPaidInPeriod(Vec<crate::queries::period::Conflict>),
    /// A retry of the run is still open.
    #[error("a retry of this run is still open: {0}")]
    RetryOpen(String),
    /// Nothing to retry (no FAILED row, or the run is not final).
    #[error("nothing to retry: {0}")]
    NothingToRetry(String),
    /// Any other database error (connection lost, constraint, syntax).
    #[error("database: {0}")]
    Query(DieselError),
}

impl DbError {
    /// Whether retrying may succeed: the database unreachable, restarting or a connection lost —
    /// as opposed to bad data or a constraint refusal, which come back on every retry.
    pub fn is_transient(&self) -> bool {
        match self {
            DbError::Pool(_) | DbError::Migration(_) => true,
            DbError::Query(DieselError::DatabaseError(kind, _)) => !matches!(
                kind,
                DatabaseErrorKind::UniqueViolation
                    | DatabaseErrorKind::ForeignKeyViolation
                    | DatabaseErrorKind::CheckViolation
                    | DatabaseErrorKind::NotNullViolation
            ),
            DbError::Query(_) => true,
            DbError::NotFound
            | DbError::Conflict(_)
            | DbError::InsufficientFunds { .. }
            | DbError::DuplicateFile(_)
            | DbError::Corrupt(_)
            | DbError::Transition(_)
            | DbError::InvalidState(_)
            | DbError::SameUser
            | DbError::NotVerified
            | DbError::VerificationChanged
            | DbError::FileHashMismatch
            | DbError::AlreadyStarted
            | DbError::AlreadyPaidInPeriod(_)
            | DbError::RetryOpen(_)
            | DbError::NothingToRetry(_) => false,
        }
    }
}

impl DbError {
    /// Whether the database could not be reached (no connection from the pool, or the connection
    /// dropped under the query): a temporary outage to report as such, not a bug.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            DbError::Pool(_)
                | DbError::Query(DieselError::DatabaseError(
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                    _
                ))
        )
    }
}

impl From<DieselError> for DbError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => DbError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                DbError::Conflict(info.message().to_string())
            }
            other => {
                if matches!(
                    other,
                    DieselError::DatabaseError(
                        DatabaseErrorKind::ClosedConnection
                            | DatabaseErrorKind::UnableToSendCommand,
                        _
                    )
                ) {
                    crate::connection::note_lost_connection();
                }
                DbError::Query(other)
            }
        }
    }
}

impl From<diesel::r2d2::PoolError> for DbError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        DbError::Pool(e.to_string())
    }
}

/// Result alias of this crate.
pub type DbResult<T> = Result<T, DbError>;
