//! The progress event workers publish and the API streams (SSE).

use serde::{Deserialize, Serialize};

use crate::state::BulkState;

/// Progress of one bulk at one moment.
///
/// `seq` orders the events of one bulk: `seq = (steps + completed) * 8 + rank(state)` with rank
/// `AWAITING_APPROVAL` = 0, `VERIFYING` = 1, `SCHEDULED` = 2, `PENDING` = 3, `PROCESSING` = 4,
/// `REJECTED` and `CANCELLED` = 6, and `COMPLETED`, `PARTIALLY_COMPLETED`, `FAILED` = 7, and
/// `steps = version * (total + 1) + verified`, where `version` is how many verifications of the run
/// ended (completed, or cut short by a cancel) and `verified` the rows looked up so far by the one under way (0 outside `VERIFYING`;
/// both 0 for a run that is not verified). It grows strictly with every row looked up, every row
/// that becomes final and every state change, because `completed` and `version` never go down and:
///
/// - leaving `VERIFYING` (to any state, a cancel too) ends the verification and raises `version`,
///   which outweighs every row it looked up (`verified ≤ total`), so going on to approval raises
///   `seq` although `AWAITING_APPROVAL` has the lowest rank; going back to `VERIFYING` keeps
///   `steps` and raises the rank;
/// - every other legal bulk transition goes to a higher rank, so a state change at the same
///   counts raises `seq`;
/// - one more row looked up or completed adds 8, more than any rank difference (at most 7), so
///   `seq` rises even if the same step also changed the state.
///
/// A relay can therefore drop any event whose `seq` is not above the last one it forwarded — events
/// published by several workers may arrive out of order — without a shared counter. Every
/// publisher of a verified run must therefore say so ([`ProgressEvent::verification`]).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ProgressEvent {
    /// The bulk (`bulk-<uuid>`).
    #[serde(rename = "bulkTransferId")]
    pub bulk_transfer_id: String,
    /// State of the bulk.
    pub state: BulkState,
    /// Rows in a final status (`succeeded + failed`).
    pub completed: i64,
    /// Rows completed successfully.
    pub succeeded: i64,
    /// Rows that failed.
    pub failed: i64,
    /// Rows in the bulk.
    pub total: i64,
    /// `completed / total` in percent, rounded to 2 decimals.
    pub progress_percent: f64,
    /// Monotonic sequence number per bulk (see the type's documentation).
    pub seq: i64,
    /// `"verification"` while the run's payees are being looked up (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Rows looked up so far by the verification under way (absent outside it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<i64>,
}

/// The `phase` of a verification's progress events.
pub const PHASE_VERIFICATION: &str = "verification";

impl ProgressEvent {
    /// Builds the event from the bulk's counters, deriving `completed`, `progress_percent` and `seq`.
    ///
    /// With `total == 0` the percentage is 100 if the state is final, else 0.
    pub fn new(bulk_id: &str, state: BulkState, succeeded: i64, failed: i64, total: i64) -> Self {
        let completed = succeeded.saturating_add(failed);
        let progress_percent = if total > 0 {
            let raw = completed as f64 * 100.0 / total as f64;
            (raw * 100.0).round() / 100.0
        } else if state.is_final() {
            100.0
        } else {
            0.0
        };
        let seq = completed
            .saturating_mul(SEQ_STEP)
            .saturating_add(state_rank(state));
        ProgressEvent {
            bulk_transfer_id: bulk_id.to_owned(),
            state,
            completed,
            succeeded,
            failed,
            total,
            progress_percent,
            seq,
            phase: None,
            verified: None,
        }
    }

    /// The event of a verified run: `version` verifications completed, and while `VERIFYING`,
    /// `verified` rows looked up by the one under way (ignored in other states). Raises `seq` as the
    /// type's documentation says and, while verifying, sets `phase` and `verified`.
    pub fn verification(mut self, version: i64, verified: i64) -> Self {
        let verifying = self.state == BulkState::Verifying;
        let verified = if verifying {
            verified.clamp(0, self.total.max(0))
        } else {
            0
        };
        let steps = version
            .max(0)
            .saturating_mul(self.total.max(0).saturating_add(1))
            .saturating_add(verified);
        self.seq = steps
            .saturating_add(self.completed)
            .saturating_mul(SEQ_STEP)
            .saturating_add(state_rank(self.state));
        if verifying {
            self.phase = Some(PHASE_VERIFICATION.to_string());
            self.verified = Some(verified);
        }
        self
    }
}

/// What one completed row adds to `seq`: above the highest rank, so no state change can outweigh a row.
const SEQ_STEP: i64 = 8;

/// Position of a state in the bulk lifecycle, used for `seq`: strictly higher after every legal
/// transition, and below [`SEQ_STEP`].
fn state_rank(state: BulkState) -> i64 {
    match state {
        BulkState::AwaitingApproval => 0,
        BulkState::Scheduled => 1,
        BulkState::Pending => 2,
        BulkState::Processing => 3,
        BulkState::Verifying => 5,
        BulkState::Rejected | BulkState::Cancelled => 6,
        BulkState::Completed | BulkState::PartiallyCompleted | BulkState::Failed => 7,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn derives_counts_percent_and_seq() {
        let e = ProgressEvent::new("bulk-1", BulkState::Processing, 1, 1, 3);
        assert_eq!(e.completed, 2);
        assert_eq!(e.progress_percent, 66.67);
        assert_eq!(e.seq, 2 * 8 + 3);
        let done = ProgressEvent::new("bulk-1", BulkState::PartiallyCompleted, 2, 1, 3);
        assert_eq!(done.progress_percent, 100.0);
        assert!(done.seq > e.seq);
    }

    #[test]
    fn empty_total() {
        assert_eq!(
            ProgressEvent::new("b", BulkState::Pending, 0, 0, 0).progress_percent,
            0.0
        );
        assert_eq!(
            ProgressEvent::new("b", BulkState::Completed, 0, 0, 0).progress_percent,
            100.0
        );
    }

    #[test]
    fn seq_is_strictly_monotonic_along_a_run() {
        let total = 5;
        let mut events = vec![
            ProgressEvent::new("b", BulkState::Pending, 0, 0, total),
            ProgressEvent::new("b", BulkState::Processing, 0, 0, total),
        ];
        for done in 1..=total {
            events.push(ProgressEvent::new(
                "b",
                BulkState::Processing,
                done,
                0,
                total,
            ));
        }
        events.push(ProgressEvent::new(
            "b",
            BulkState::Completed,
            total,
            0,
            total,
        ));
        assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
    }

    /// Every path through the bulk table from `from` to a final state, going round the one loop
    /// (AWAITING_APPROVAL → VERIFYING → AWAITING_APPROVAL) at most twice.
    fn paths_from(from: BulkState) -> Vec<Vec<BulkState>> {
        paths_within(vec![from])
    }

    fn paths_within(prefix: Vec<BulkState>) -> Vec<Vec<BulkState>> {
        let last = *prefix.last().unwrap();
        let seen = |s: BulkState| prefix.iter().filter(|&&p| p == s).count();
        let next: Vec<BulkState> = BulkState::ALL
            .into_iter()
            .filter(|&to| last.transition(to).is_ok() && seen(to) < 2)
            .collect();
        if next.is_empty() {
            return vec![prefix];
        }
        next.into_iter()
            .flat_map(|to| {
                let mut p = prefix.clone();
                p.push(to);
                paths_within(p)
            })
            .collect()
    }

    /// The event of `state` after a step `from → state`, counting the verification that ends when a
    /// run leaves VERIFYING (a cancel ends it too).
    fn step(
        version: &mut i64,
        from: BulkState,
        state: BulkState,
        completed: i64,
        total: i64,
    ) -> i64 {
        if from == BulkState::Verifying {
            *version += 1;
        }
        ProgressEvent::new("b", state, completed, 0, total)
            .verification(*version, total)
            .seq
    }

    #[test]
    fn ranks_stay_below_the_step() {
        for s in BulkState::ALL {
            assert!((0..SEQ_STEP).contains(&state_rank(s)), "{s}");
        }
    }

    #[test]
    fn seq_rises_along_every_legal_path() {
        let total = 3;
        // Paths from every state, so a bulk first seen half-way (e.g. stored as SCHEDULED) is covered.
        let paths: Vec<Vec<BulkState>> = BulkState::ALL.into_iter().flat_map(paths_from).collect();
        assert!(paths.contains(&vec![
            BulkState::AwaitingApproval,
            BulkState::Scheduled,
            BulkState::Pending,
            BulkState::Processing,
            BulkState::PartiallyCompleted,
        ]));
        for path in &paths {
            let steps = path.len() - 1;
            // Each step either keeps `completed` or adds a row to it: every such pattern.
            for pattern in 0..(1u32 << steps) {
                let mut completed = 0;
                let mut version = 0;
                // A verification starts with nothing looked up and ends with everything.
                let mut last = ProgressEvent::new("b", path[0], 0, 0, total)
                    .verification(0, 0)
                    .seq;
                for (i, &state) in path.iter().enumerate().skip(1) {
                    if pattern & (1 << (i - 1)) != 0 && state != BulkState::Verifying {
                        completed += 1;
                    }
                    if state == BulkState::Verifying {
                        let start = ProgressEvent::new("b", state, completed, 0, total)
                            .verification(version, 0)
                            .seq;
                        assert!(
                            start > last,
                            "{path:?} pattern {pattern:b} entering {state}"
                        );
                    }
                    let seq = step(&mut version, path[i - 1], state, completed, total);
                    assert!(seq > last, "{path:?} pattern {pattern:b} at {state}");
                    last = seq;
                }
            }
        }
    }

    #[test]
    fn seq_rises_on_every_edge_for_any_row_counts() {
        for from in BulkState::ALL {
            for to in BulkState::ALL
                .into_iter()
                .filter(|&to| from.transition(to).is_ok())
            {
                for before in 0..4 {
                    for after in before..6 {
                        for version in 0..3 {
                            // Leaving VERIFYING with every row looked up: the worst case.
                            let a = ProgressEvent::new("b", from, before, 0, 10)
                                .verification(version, 10)
                                .seq;
                            let mut v = version;
                            let b = step(&mut v, from, to, after, 10);
                            assert!(a < b, "{from}({before}) -> {to}({after}) v{version}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn rejected_and_cancelled_runs_end_above_where_they_were() {
        for from in [
            BulkState::AwaitingApproval,
            BulkState::Scheduled,
            BulkState::Pending,
        ] {
            let before = ProgressEvent::new("b", from, 0, 0, 4);
            let after = ProgressEvent::new("b", BulkState::Cancelled, 0, 0, 4);
            assert!(after.seq > before.seq, "{from}");
            assert_eq!(after.progress_percent, 0.0);
        }
        let waiting = ProgressEvent::new("b", BulkState::AwaitingApproval, 0, 0, 4);
        let rejected = ProgressEvent::new("b", BulkState::Rejected, 0, 0, 4);
        assert!(rejected.seq > waiting.seq);
    }

    #[test]
    fn verification_progress_rises_with_every_row_looked_up() {
        let total = 4;
        let mut last =
            ProgressEvent::new("b", BulkState::Verifying, 0, 0, total).verification(0, 0);
        assert_eq!(last.phase.as_deref(), Some(PHASE_VERIFICATION));
        for k in 1..=total {
            let e = ProgressEvent::new("b", BulkState::Verifying, 0, 0, total).verification(0, k);
            assert!(e.seq > last.seq);
            assert_eq!(e.verified, Some(k));
            last = e;
        }
        // Two rows excluded (counted as failed), then waiting for approval.
        let waiting =
            ProgressEvent::new("b", BulkState::AwaitingApproval, 0, 2, total).verification(1, 0);
        assert!(waiting.seq > last.seq);
        assert_eq!(waiting.phase, None);
        assert_eq!(waiting.verified, None);
        let v: serde_json::Value = serde_json::to_value(&last).unwrap();
        assert_eq!(v["phase"], "verification");
        assert_eq!(v["verified"], 4);
    }

    #[test]
    fn wire_shape() {
        let e = ProgressEvent::new("bulk-x", BulkState::Processing, 1, 0, 2);
        let v: serde_json::Value = serde_json::to_value(&e).unwrap();
        assert_eq!(v["bulkTransferId"], "bulk-x");
        assert_eq!(v["state"], "PROCESSING");
        assert_eq!(v["progress_percent"], 50.0);
        assert_eq!(v["seq"], 8 + 3);
        assert!(v.get("phase").is_none() && v.get("verified").is_none());
        let back: ProgressEvent = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }
}
