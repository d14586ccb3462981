//! The progress event workers publish and the API streams (SSE).

use serde::{Deserialize, Serialize};

use crate::state::BulkState;

/// Progress of one bulk at one moment.
///
/// `seq` orders the events of one bulk: `seq = completed * 8 + rank(state)` with rank
/// `AWAITING_APPROVAL` = 0, `SCHEDULED` = 1, `PENDING` = 2, `PROCESSING` = 3, `REJECTED` and
/// `CANCELLED` = 6, and `COMPLETED`, `PARTIALLY_COMPLETED`, `FAILED` = 7. It grows strictly with every
/// row that becomes final and with every state change, because `completed` never goes down and:
///
/// - every legal bulk transition goes to a higher rank, so a state change at the same `completed`
///   raises `seq`;
/// - one more completed row adds 8, more than any rank difference (at most 7), so `seq` rises even if
///   the same step also changed the state.
///
/// A relay can therefore drop any event whose `seq` is not above the last one it forwarded — events
/// published by several workers may arrive out of order — without a shared counter. The gaps (4, 5)
/// leave room for a state between PROCESSING and the end without changing the multiplier.
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
}

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
        }
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

    /// Every path through the bulk table from `from` to a final state (the table has no cycle).
    fn paths_from(from: BulkState) -> Vec<Vec<BulkState>> {
        let next: Vec<BulkState> = BulkState::ALL
            .into_iter()
            .filter(|&to| from.transition(to).is_ok())
            .collect();
        if next.is_empty() {
            return vec![vec![from]];
        }
        next.into_iter()
            .flat_map(paths_from)
            .map(|mut tail| {
                tail.insert(0, from);
                tail
            })
            .collect()
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
                let mut last = ProgressEvent::new("b", path[0], 0, 0, total).seq;
                for (i, &state) in path.iter().enumerate().skip(1) {
                    if pattern & (1 << (i - 1)) != 0 {
                        completed += 1;
                    }
                    let seq = ProgressEvent::new("b", state, completed, 0, total).seq;
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
                        let a = ProgressEvent::new("b", from, before, 0, 10).seq;
                        let b = ProgressEvent::new("b", to, after, 0, 10).seq;
                        assert!(a < b, "{from}({before}) -> {to}({after})");
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
    fn wire_shape() {
        let e = ProgressEvent::new("bulk-x", BulkState::Processing, 1, 0, 2);
        let v: serde_json::Value = serde_json::to_value(&e).unwrap();
        assert_eq!(v["bulkTransferId"], "bulk-x");
        assert_eq!(v["state"], "PROCESSING");
        assert_eq!(v["progress_percent"], 50.0);
        assert_eq!(v["seq"], 8 + 3);
        let back: ProgressEvent = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }
}
