//! The bulk state machine: from an accepted upload to its final state.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{TransitionError, UnknownValue};

/// Lifecycle of a bulk transfer. Serialized as `"VERIFYING"`, `"AWAITING_APPROVAL"`, `"SCHEDULED"`, `"PENDING"`,
/// `"PROCESSING"`, `"COMPLETED"`, `"PARTIALLY_COMPLETED"`, `"FAILED"`, `"REJECTED"`, `"CANCELLED"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BulkState {
    /// Accepted, funds reserved; every payee is being looked up at the switch before approval or
    /// sending. Nothing is sent.
    Verifying,
    /// Accepted and stored, waiting for an APPROBATEUR to approve or reject it; nothing is sent.
    AwaitingApproval,
    /// Approved (or needing no approval), waiting for its scheduled time; nothing is sent.
    Scheduled,
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
    /// An APPROBATEUR refused the run; no row was sent.
    Rejected,
    /// Withdrawn before any row was sent.
    Cancelled,
}

impl BulkState {
    /// Every state.
    pub const ALL: [BulkState; 10] = [
        BulkState::Verifying,
        BulkState::AwaitingApproval,
        BulkState::Scheduled,
        BulkState::Pending,
        BulkState::Processing,
        BulkState::Completed,
        BulkState::PartiallyCompleted,
        BulkState::Failed,
        BulkState::Rejected,
        BulkState::Cancelled,
    ];

    /// The wire / database spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            BulkState::Verifying => "VERIFYING",
            BulkState::AwaitingApproval => "AWAITING_APPROVAL",
            BulkState::Scheduled => "SCHEDULED",
            BulkState::Pending => "PENDING",
            BulkState::Processing => "PROCESSING",
            BulkState::Completed => "COMPLETED",
            BulkState::PartiallyCompleted => "PARTIALLY_COMPLETED",
            BulkState::Failed => "FAILED",
            BulkState::Rejected => "REJECTED",
            BulkState::Cancelled => "CANCELLED",
        }
    }

    /// The state an accepted upload is stored in.
    ///
    /// Verification comes first (the approver decides on its report), then approval: a run that
    /// needs a second person waits for it even if it is scheduled, and learns its next state from
    /// [`BulkState::after_approval`].
    pub fn start_state(verify: bool, needs_approval: bool, scheduled_later: bool) -> BulkState {
        if verify {
            BulkState::Verifying
        } else {
            BulkState::after_verification(needs_approval, scheduled_later)
        }
    }

    /// The state a verified run moves to (also the start state of a run that is not verified).
    pub fn after_verification(needs_approval: bool, scheduled_later: bool) -> BulkState {
        if needs_approval {
            BulkState::AwaitingApproval
        } else {
            BulkState::after_approval(scheduled_later)
        }
    }

    /// The state an approved run moves to: SCHEDULED if its time is still to come, else PENDING.
    pub fn after_approval(scheduled_later: bool) -> BulkState {
        if scheduled_later {
            BulkState::Scheduled
        } else {
            BulkState::Pending
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
            BulkState::Verifying
            | BulkState::AwaitingApproval
            | BulkState::Scheduled
            | BulkState::Pending
            | BulkState::Processing => false,
            BulkState::Completed
            | BulkState::PartiallyCompleted
            | BulkState::Failed
            | BulkState::Rejected
            | BulkState::Cancelled => true,
        }
    }

    /// Whether the state allows a cancel (VERIFYING, AWAITING_APPROVAL, SCHEDULED, PENDING).
    ///
    /// For PENDING this is necessary, not sufficient: a PENDING bulk whose worker already claimed a
    /// row can no longer be cancelled, and only the database knows that, so the cancel must be a
    /// conditional update that fails once a row left PENDING.
    pub fn is_cancellable(self) -> bool {
        match self {
            BulkState::Verifying
            | BulkState::AwaitingApproval
            | BulkState::Scheduled
            | BulkState::Pending => true,
            BulkState::Processing
            | BulkState::Completed
            | BulkState::PartiallyCompleted
            | BulkState::Failed
            | BulkState::Rejected
            | BulkState::Cancelled => false,
        }
    }

    /// Returns `to` if `self → to` is legal.
    pub fn transition(self, to: BulkState) -> Result<BulkState, TransitionError> {
        let legal = matches!(
            (self, to),
            (
                BulkState::Verifying,
                BulkState::AwaitingApproval
                    | BulkState::Scheduled
                    | BulkState::Pending
                    | BulkState::Cancelled
                    // Every row excluded: nothing left to pay.
                    | BulkState::Failed
            ) | (
                BulkState::AwaitingApproval,
                // Looked up again at the approver's or manager's request.
                BulkState::Verifying
            ) | (
                BulkState::AwaitingApproval,
                BulkState::Pending
                    | BulkState::Scheduled
                    | BulkState::Rejected
                    | BulkState::Cancelled
            ) | (
                BulkState::Scheduled,
                BulkState::Pending | BulkState::Cancelled
            ) | (
                BulkState::Pending,
                BulkState::Processing | BulkState::Cancelled
            ) | (
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn bulk_legal_transitions() {
        use BulkState::*;
        let legal = [
            (Verifying, AwaitingApproval),
            (Verifying, Scheduled),
            (Verifying, Pending),
            (Verifying, Cancelled),
            (Verifying, Failed),
            (AwaitingApproval, Verifying),
            (AwaitingApproval, Pending),
            (AwaitingApproval, Scheduled),
            (AwaitingApproval, Rejected),
            (AwaitingApproval, Cancelled),
            (Scheduled, Pending),
            (Scheduled, Cancelled),
            (Pending, Processing),
            (Pending, Cancelled),
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
    fn final_states() {
        use BulkState::*;
        let finals = [Completed, PartiallyCompleted, Failed, Rejected, Cancelled];
        for s in BulkState::ALL {
            assert_eq!(s.is_final(), finals.contains(&s), "{s}");
            // A final state has no way out; a live one has at least one.
            let exits = BulkState::ALL.iter().any(|&to| s.transition(to).is_ok());
            assert_eq!(exits, !s.is_final(), "{s}");
        }
    }

    #[test]
    fn cancellable_states() {
        use BulkState::*;
        let cancellable = [Verifying, AwaitingApproval, Scheduled, Pending];
        for s in BulkState::ALL {
            assert_eq!(s.is_cancellable(), cancellable.contains(&s), "{s}");
            // Cancellable exactly where the table has an edge to CANCELLED.
            assert_eq!(s.is_cancellable(), s.transition(Cancelled).is_ok(), "{s}");
        }
    }

    #[test]
    fn start_and_after_approval() {
        use BulkState::*;
        for (approval, later) in [(true, true), (true, false), (false, true), (false, false)] {
            assert_eq!(BulkState::start_state(true, approval, later), Verifying);
            let next = BulkState::after_verification(approval, later);
            assert_eq!(Verifying.transition(next), Ok(next));
            assert_eq!(BulkState::start_state(false, approval, later), next);
        }
        assert_eq!(BulkState::start_state(false, true, true), AwaitingApproval);
        assert_eq!(BulkState::start_state(false, true, false), AwaitingApproval);
        assert_eq!(BulkState::start_state(false, false, true), Scheduled);
        assert_eq!(BulkState::start_state(false, false, false), Pending);
        assert_eq!(BulkState::after_approval(true), Scheduled);
        assert_eq!(BulkState::after_approval(false), Pending);
        // What approval leads to is always a legal step out of AWAITING_APPROVAL.
        for later in [true, false] {
            let next = BulkState::after_approval(later);
            assert_eq!(AwaitingApproval.transition(next), Ok(next));
        }
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
            assert_eq!(s.as_str().parse::<BulkState>().unwrap(), s);
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
        assert_eq!(
            serde_json::from_str::<BulkState>("\"PARTIALLY_COMPLETED\"").unwrap(),
            BulkState::PartiallyCompleted
        );
        assert_eq!(
            serde_json::from_str::<BulkState>("\"AWAITING_APPROVAL\"").unwrap(),
            BulkState::AwaitingApproval
        );
        assert!(BulkState::parse("pending").is_err());
    }
}
