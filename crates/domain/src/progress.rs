//! The progress event workers publish and the API streams (SSE).

use serde::{Deserialize, Serialize};

use crate::state::BulkState;

/// Progress of one bulk at one moment.
///
/// `seq` orders the events of one bulk: `seq = completed * 4 + rank(state)` with rank `PENDING` = 0,
/// `PROCESSING` = 1 and any final state = 3. It therefore grows strictly with every row that becomes
/// final and with every state change (a state change never lowers `completed`), so a relay can drop any
/// event whose `seq` is not above the last one it forwarded — events published by several workers may
/// arrive out of order — without a shared counter.
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
            .saturating_mul(4)
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

/// Position of a state in the bulk lifecycle, used for `seq`.
fn state_rank(state: BulkState) -> i64 {
    match state {
        BulkState::Pending => 0,
        BulkState::Processing => 1,
        BulkState::Completed | BulkState::PartiallyCompleted | BulkState::Failed => 3,
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
        assert_eq!(e.seq, 9);
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

    #[test]
    fn wire_shape() {
        let e = ProgressEvent::new("bulk-x", BulkState::Processing, 1, 0, 2);
        let v: serde_json::Value = serde_json::to_value(&e).unwrap();
        assert_eq!(v["bulkTransferId"], "bulk-x");
        assert_eq!(v["state"], "PROCESSING");
        assert_eq!(v["progress_percent"], 50.0);
        assert_eq!(v["seq"], 5);
        let back: ProgressEvent = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }
}
