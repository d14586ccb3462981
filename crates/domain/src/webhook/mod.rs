//! Webhooks: the events a run's `callback_url` is told of, their JSON body, their signature, the
//! retry schedule and the egress policy that decides whether a URL may be called at all.
//!
//! The body is fixed when the event is recorded (in the transaction of the state change it tells
//! of) and sent byte for byte on every attempt; the signature is made at send time over
//! `"<unix seconds>.<raw body>"` with the organisation's secret, so a receiver can check both who
//! sent it and when. Delivery is at least once: a receiver keeps the `X-Gateway-Event-Id`s it has
//! processed and ignores a repeat.

mod egress;
mod signature;

use serde::{Deserialize, Serialize};
use std::time::Duration;

use crate::BulkState;

pub use egress::{CallbackUrlError, Egress, egress_for, is_internal_ip, parse_callback_url};
pub use signature::{EVENT_ID_HEADER, SIGNATURE_HEADER, sign, verify};

/// Longest accepted callback URL.
pub const MAX_CALLBACK_URL: usize = 2048;
/// How long an event is retried before it is given up (FAILED).
pub const DELIVERY_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// Longest wait between two attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);

/// What happened to a run, as told to its `callback_url`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The run waits for an APPROBATEUR.
    AwaitingApproval,
    /// The run reached a final state: COMPLETED, PARTIALLY_COMPLETED or FAILED.
    Completed,
    /// An APPROBATEUR refused the run.
    Rejected,
    /// The run was withdrawn before any row was sent.
    Cancelled,
}

impl EventKind {
    /// The wire name (`bulk.completed`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::AwaitingApproval => "bulk.awaiting_approval",
            EventKind::Completed => "bulk.completed",
            EventKind::Rejected => "bulk.rejected",
            EventKind::Cancelled => "bulk.cancelled",
        }
    }

    /// The event a run entering `state` gives, if any.
    pub const fn for_state(state: BulkState) -> Option<EventKind> {
        match state {
            BulkState::AwaitingApproval => Some(EventKind::AwaitingApproval),
            BulkState::Completed | BulkState::PartiallyCompleted | BulkState::Failed => {
                Some(EventKind::Completed)
            }
            BulkState::Rejected => Some(EventKind::Rejected),
            BulkState::Cancelled => Some(EventKind::Cancelled),
            BulkState::Verifying
            | BulkState::Scheduled
            | BulkState::Pending
            | BulkState::Processing => None,
        }
    }
}

/// Row counts of a run at the time of the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventCounts {
    /// Rows in the run.
    pub total: i64,
    /// Rows paid.
    pub completed: i64,
    /// Rows not paid (excluded rows included).
    pub failed: i64,
    /// Rows kept out by verification.
    pub excluded: i64,
    /// Rows never sent because the run was rejected or cancelled.
    pub cancelled: i64,
    /// Rows not final yet.
    pub pending: i64,
}

/// Amounts of a run (minor units) at the time of the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventAmounts {
    /// ISO 4217 code.
    pub currency: String,
    /// Σ of every row.
    pub total: i64,
    /// Σ of the rows paid.
    pub completed: i64,
    /// Σ of the rows not paid.
    pub failed: i64,
    /// Σ of the rows excluded.
    pub excluded: i64,
}

/// The JSON body POSTed to a callback URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    /// `bulk.awaiting_approval`, `bulk.completed`, `bulk.rejected` or `bulk.cancelled`.
    pub event: String,
    /// Unique per event; also sent as `X-Gateway-Event-Id`. The same on every attempt.
    pub event_id: String,
    /// The run.
    pub bulk_transfer_id: String,
    /// The run's state when the event was recorded.
    pub state: String,
    /// Row counts.
    pub counts: EventCounts,
    /// Amounts, minor units.
    pub amounts: EventAmounts,
    /// RFC 3339 time of the state change.
    pub occurred_at: String,
}

/// The wait before attempt `attempts + 1`, after `attempts` failed ones: `base`, doubling each
/// time, never more than [`MAX_RETRY_DELAY`].
///
/// ```
/// use std::time::Duration;
/// use domain::webhook::retry_delay;
/// let base = Duration::from_secs(10);
/// assert_eq!(retry_delay(1, base), Duration::from_secs(10));
/// assert_eq!(retry_delay(3, base), Duration::from_secs(40));
/// assert_eq!(retry_delay(40, base), Duration::from_secs(3600));
/// ```
pub fn retry_delay(attempts: u32, base: Duration) -> Duration {
    let doublings = attempts.saturating_sub(1).min(30);
    base.saturating_mul(1_u32 << doublings).min(MAX_RETRY_DELAY)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn every_final_state_is_one_completed_event() {
        for s in BulkState::ALL {
            let e = EventKind::for_state(s);
            let told = s.is_final() || s == BulkState::AwaitingApproval;
            assert_eq!(told, e.is_some(), "{s:?}");
        }
        assert_eq!(
            EventKind::for_state(BulkState::PartiallyCompleted),
            Some(EventKind::Completed)
        );
        assert_eq!(
            EventKind::for_state(BulkState::AwaitingApproval).map(EventKind::as_str),
            Some("bulk.awaiting_approval")
        );
    }

    #[test]
    fn retries_double_up_to_an_hour() {
        let base = Duration::from_millis(100);
        assert_eq!(retry_delay(0, base), base);
        assert_eq!(retry_delay(2, base), Duration::from_millis(200));
        assert_eq!(retry_delay(u32::MAX, base), MAX_RETRY_DELAY);
    }

    #[test]
    fn body_uses_the_wire_names() {
        let e = WebhookEvent {
            event: "bulk.completed".into(),
            event_id: "e1".into(),
            bulk_transfer_id: "bulk-1".into(),
            state: "COMPLETED".into(),
            counts: EventCounts {
                total: 1,
                completed: 1,
                failed: 0,
                excluded: 0,
                cancelled: 0,
                pending: 0,
            },
            amounts: EventAmounts {
                currency: "XOF".into(),
                total: 5,
                completed: 5,
                failed: 0,
                excluded: 0,
            },
            occurred_at: "2026-12-03T00:00:00Z".into(),
        };
        let v = serde_json::to_value(&e).unwrap();
        for key in [
            "event",
            "eventId",
            "bulkTransferId",
            "state",
            "counts",
            "amounts",
            "occurredAt",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
    }
}
