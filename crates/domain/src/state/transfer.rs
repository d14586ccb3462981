//! The state machine of one transfer (one row of a bulk).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{TransitionError, UnknownValue};

/// Lifecycle of one transfer of a bulk. Serialized as `"PENDING"`, `"PROCESSING"`, `"UNKNOWN"`,
/// `"COMPLETED"`, `"FAILED"`, `"CANCELLED"`, `"EXCLUDED"`.
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
    /// Never sent: its run was rejected or cancelled.
    Cancelled,
    /// Never sent: verification found its payee unknown at the switch or under another name, and
    /// the organisation excludes such rows (their money went back before approval or sending).
    Excluded,
}

impl TransferStatus {
    /// Every status.
    pub const ALL: [TransferStatus; 7] = [
        TransferStatus::Pending,
        TransferStatus::Processing,
        TransferStatus::Unknown,
        TransferStatus::Completed,
        TransferStatus::Failed,
        TransferStatus::Cancelled,
        TransferStatus::Excluded,
    ];

    /// The wire / database spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Pending => "PENDING",
            TransferStatus::Processing => "PROCESSING",
            TransferStatus::Unknown => "UNKNOWN",
            TransferStatus::Completed => "COMPLETED",
            TransferStatus::Failed => "FAILED",
            TransferStatus::Cancelled => "CANCELLED",
            TransferStatus::Excluded => "EXCLUDED",
        }
    }

    /// Parses the wire spelling (exact).
    pub fn parse(s: &str) -> Result<TransferStatus, UnknownValue> {
        TransferStatus::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownValue::new("transfer status", s))
    }

    /// Whether the outcome is settled (`Completed`, `Failed`, `Cancelled`, `Excluded`). `Unknown` is
    /// not final.
    pub fn is_final(self) -> bool {
        match self {
            TransferStatus::Pending | TransferStatus::Processing | TransferStatus::Unknown => false,
            TransferStatus::Completed
            | TransferStatus::Failed
            | TransferStatus::Cancelled
            | TransferStatus::Excluded => true,
        }
    }

    /// The statuses a row may move to `to` from — what a conditional UPDATE to `to` must filter on.
    pub fn sources(to: TransferStatus) -> Vec<TransferStatus> {
        TransferStatus::ALL
            .into_iter()
            .filter(|from| from.transition(to).is_ok())
            .collect()
    }

    /// The statuses a row may NOT move to `to` from (the complement of [`TransferStatus::sources`]).
    pub fn not_sources(to: TransferStatus) -> Vec<TransferStatus> {
        TransferStatus::ALL
            .into_iter()
            .filter(|from| from.transition(to).is_err())
            .collect()
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
                // Back to be sent again: the request never left (PROCESSING), or the adapter's
                // answer or the switch after the expiry proved the transfer never prepared.
                | (
                    TransferStatus::Processing | TransferStatus::Unknown,
                    TransferStatus::Pending
                )
                // Only a row that never left can be cancelled: once sent, the switch decides.
                | (TransferStatus::Pending, TransferStatus::Cancelled)
                // Verification runs before anything is sent.
                | (TransferStatus::Pending, TransferStatus::Excluded)
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
    fn sources_are_the_legal_predecessors() {
        use TransferStatus::*;
        assert_eq!(
            TransferStatus::sources(Completed),
            vec![Processing, Unknown]
        );
        assert_eq!(TransferStatus::sources(Pending), vec![Processing, Unknown]);
        assert_eq!(TransferStatus::sources(Unknown), vec![Processing]);
        assert_eq!(TransferStatus::sources(Cancelled), vec![Pending]);
        assert_eq!(TransferStatus::sources(Excluded), vec![Pending]);
        for to in TransferStatus::ALL {
            let mut all = TransferStatus::sources(to);
            all.extend(TransferStatus::not_sources(to));
            assert_eq!(all.len(), TransferStatus::ALL.len());
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
            (Processing, Pending),
            (Unknown, Pending),
            (Pending, Cancelled),
            (Pending, Excluded),
        ];
        for from in TransferStatus::ALL {
            for to in TransferStatus::ALL {
                let result = from.transition(to);
                if legal.contains(&(from, to)) {
                    assert_eq!(result, Ok(to));
                } else {
                    let err = result.unwrap_err();
                    assert_eq!(err, TransitionError::Transfer { from, to });
                    assert_eq!(err.code(), "illegal_transfer_transition");
                }
            }
        }
    }

    #[test]
    fn final_states() {
        use TransferStatus::*;
        let finals = [Completed, Failed, Cancelled, Excluded];
        for s in TransferStatus::ALL {
            assert_eq!(s.is_final(), finals.contains(&s), "{s}");
            // A final status has no way out; a live one has at least one.
            let exits = TransferStatus::ALL
                .iter()
                .any(|&to| s.transition(to).is_ok());
            assert_eq!(exits, !s.is_final(), "{s}");
        }
    }

    #[test]
    fn spelling_and_serde() {
        for s in TransferStatus::ALL {
            assert_eq!(TransferStatus::parse(s.as_str()).unwrap(), s);
            assert_eq!(s.as_str().parse::<TransferStatus>().unwrap(), s);
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
        assert_eq!(
            serde_json::from_str::<TransferStatus>("\"CANCELLED\"").unwrap(),
            TransferStatus::Cancelled
        );
        assert!(TransferStatus::parse("DONE").is_err());
    }
}
