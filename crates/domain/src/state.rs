//! State machines of a bulk and of an individual transfer.
//!
//! ```text
//! bulk:      PENDING → PROCESSING → COMPLETED | PARTIALLY_COMPLETED | FAILED
//! transfer:  PENDING → PROCESSING → COMPLETED | FAILED | UNKNOWN
//!                                    UNKNOWN → COMPLETED | FAILED
//! ```
//!
//! A transition to the same state is not a transition and is refused like any other illegal one;
//! callers that may see a duplicate job check the current state first (or let the database's
//! conditional update decide).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use crate::error::TransitionError;
use crate::error::UnknownValue;

/// Lifecycle of a bulk transfer. Serialized as `"PENDING"`, `"PROCESSING"`, `"COMPLETED"`,
/// `"PARTIALLY_COMPLETED"`, `"FAILED"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BulkState {
    /// Accepted and stored, funds reserved, not started.
    Pending,
    /// Transfers are being executed.
    Processing,
    /// Every transfer succeeded.
    Completed,
    /// Some transfers succeeded, some failed.
    PartiallyCompleted,
    /// No transfer succeeded.
    Failed,
}

impl BulkState {
    /// Every state.
    pub const ALL: [BulkState; 5] = [
        BulkState::Pending,
        BulkState::Processing,
        BulkState::Completed,
        BulkState::PartiallyCompleted,
        BulkState::Failed,
    ];

    /// The wire / database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BulkState::Pending => "PENDING",
            BulkState::Processing => "PROCESSING",
            BulkState::Completed => "COMPLETED",
            BulkState::PartiallyCompleted => "PARTIALLY_COMPLETED",
            BulkState::Failed => "FAILED",
        }
    }

    /// Parses the wire spelling (exact).
    pub fn parse(s: &str) -> Result<BulkState, UnknownValue> {
        BulkState::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownValue::new("bulk state", s))
    }

    /// Whether no further transition is possible.
    pub fn is_final(self) -> bool {
        match self {
            BulkState::Pending | BulkState::Processing => false,
            BulkState::Completed | BulkState::PartiallyCompleted | BulkState::Failed => true,
        }
    }

    /// Returns `to` if `self → to` is legal.
    pub fn transition(self, to: BulkState) -> Result<BulkState, TransitionError> {
        let legal = matches!(
            (self, to),
            (BulkState::Pending, BulkState::Processing)
                | (
                    BulkState::Processing,
                    BulkState::Completed | BulkState::PartiallyCompleted | BulkState::Failed
                )
        );
        if legal {
            Ok(to)
        } else {
            Err(TransitionError::Bulk { from: self, to })
        }
    }

    /// The final state implied by the counters, or `None` while rows are still outstanding
    /// (`succeeded + failed != total`) or the counts are inconsistent (negative).
    ///
    /// All succeeded → `Completed`; none succeeded → `Failed`; otherwise `PartiallyCompleted`. An empty
    /// bulk (`total == 0`, which validation never lets through) counts as `Completed`.
    pub fn final_from_counts(succeeded: i64, failed: i64, total: i64) -> Option<BulkState> {
        if succeeded < 0 || failed < 0 || succeeded.checked_add(failed) != Some(total) {
            return None;
        }
        Some(if succeeded == total {
            BulkState::Completed
        } else if succeeded == 0 {
            BulkState::Failed
        } else {
            BulkState::PartiallyCompleted
        })
    }
}

impl fmt::Display for BulkState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BulkState {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BulkState::parse(s)
    }
}

/// Lifecycle of one transfer of a bulk. Serialized as `"PENDING"`, `"PROCESSING"`, `"UNKNOWN"`,
/// `"COMPLETED"`, `"FAILED"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransferStatus {
    /// Stored, not sent.
    Pending,
    /// Sent to the scheme adapter, no answer yet.
    Processing,
    /// The outcome is not known (timeout, adapter error after sending); awaiting a lookup.
    Unknown,
    /// The payee was credited.
    Completed,
    /// The transfer did not happen.
    Failed,
}

impl TransferStatus {
    /// Every status.
    pub const ALL: [TransferStatus; 5] = [
        TransferStatus::Pending,
        TransferStatus::Processing,
        TransferStatus::Unknown,
        TransferStatus::Completed,
        TransferStatus::Failed,
    ];

    /// The wire / database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Pending => "PENDING",
            TransferStatus::Processing => "PROCESSING",
            TransferStatus::Unknown => "UNKNOWN",
            TransferStatus::Completed => "COMPLETED",
            TransferStatus::Failed => "FAILED",
        }
    }

    /// Parses the wire spelling (exact).
    pub fn parse(s: &str) -> Result<TransferStatus, UnknownValue> {
        TransferStatus::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownValue::new("transfer status", s))
    }

    /// Whether the outcome is settled (`Completed` or `Failed`). `Unknown` is not final.
    pub fn is_final(self) -> bool {
        match self {
            TransferStatus::Pending | TransferStatus::Processing | TransferStatus::Unknown => false,
            TransferStatus::Completed | TransferStatus::Failed => true,
        }
    }

    /// Returns `to` if `self → to` is legal.
    pub fn transition(self, to: TransferStatus) -> Result<TransferStatus, TransitionError> {
        let legal = matches!(
            (self, to),
            (TransferStatus::Pending, TransferStatus::Processing)
                | (
                    TransferStatus::Processing,
                    TransferStatus::Completed | TransferStatus::Failed | TransferStatus::Unknown
                )
                | (
                    TransferStatus::Unknown,
                    TransferStatus::Completed | TransferStatus::Failed
                )
        );
        if legal {
            Ok(to)
        } else {
            Err(TransitionError::Transfer { from: self, to })
        }
    }
}

impl fmt::Display for TransferStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TransferStatus {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TransferStatus::parse(s)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn bulk_legal_transitions() {
        use BulkState::*;
        let legal = [
            (Pending, Processing),
            (Processing, Completed),
            (Processing, PartiallyCompleted),
            (Processing, Failed),
        ];
        for from in BulkState::ALL {
            for to in BulkState::ALL {
                let result = from.transition(to);
                if legal.contains(&(from, to)) {
                    assert_eq!(result, Ok(to));
                } else {
                    let err = result.unwrap_err();
                    assert_eq!(err, TransitionError::Bulk { from, to });
                    assert_eq!(err.code(), "illegal_bulk_transition");
                }
            }
        }
    }

    #[test]
    fn transfer_legal_transitions() {
        use TransferStatus::*;
        let legal = [
            (Pending, Processing),
            (Processing, Completed),
            (Processing, Failed),
            (Processing, Unknown),
            (Unknown, Completed),
            (Unknown, Failed),
        ];
        for from in TransferStatus::ALL {
            for to in TransferStatus::ALL {
                let result = from.transition(to);
                if legal.contains(&(from, to)) {
                    assert_eq!(result, Ok(to));
                } else {
                    assert_eq!(result, Err(TransitionError::Transfer { from, to }));
                }
            }
        }
    }

    #[test]
    fn final_states() {
        assert!(!BulkState::Pending.is_final());
        assert!(!BulkState::Processing.is_final());
        assert!(BulkState::PartiallyCompleted.is_final());
        assert!(!TransferStatus::Unknown.is_final());
        assert!(TransferStatus::Failed.is_final());
    }

    #[test]
    fn final_from_counts() {
        assert_eq!(BulkState::final_from_counts(2, 0, 3), None);
        assert_eq!(
            BulkState::final_from_counts(3, 0, 3),
            Some(BulkState::Completed)
        );
        assert_eq!(
            BulkState::final_from_counts(0, 3, 3),
            Some(BulkState::Failed)
        );
        assert_eq!(
            BulkState::final_from_counts(1, 2, 3),
            Some(BulkState::PartiallyCompleted)
        );
        assert_eq!(BulkState::final_from_counts(-1, 4, 3), None);
        assert_eq!(BulkState::final_from_counts(i64::MAX, 1, 0), None);
    }

    #[test]
    fn spelling_and_serde() {
        for s in BulkState::ALL {
            assert_eq!(BulkState::parse(s.as_str()).unwrap(), s);
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
        for s in TransferStatus::ALL {
            assert_eq!(s.as_str().parse::<TransferStatus>().unwrap(), s);
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
        assert_eq!(
            serde_json::from_str::<BulkState>("\"PARTIALLY_COMPLETED\"").unwrap(),
            BulkState::PartiallyCompleted
        );
        assert!(BulkState::parse("pending").is_err());
        assert!(TransferStatus::parse("DONE").is_err());
    }
}
