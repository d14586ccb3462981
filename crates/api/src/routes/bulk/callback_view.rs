//! The `callback` part of a run's status: what was told to its `callback_url`, and how that went.

use db::models::{Bulk, WebhookDelivery};
use serde::Serialize;
use utoipa::ToSchema;

/// One event for the callback URL and its delivery.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallbackEventView {
    /// `bulk.awaiting_approval`, `bulk.completed`, `bulk.rejected` or `bulk.cancelled`.
    pub event: String,
    /// `X-Gateway-Event-Id` of the event.
    pub event_id: String,
    /// `PENDING` (being tried), `DELIVERED` (a 2xx came back), `FAILED` (given up after 24 h) or
    /// `BLOCKED` (the egress policy forbids the destination: never sent).
    pub state: String,
    /// Attempts made.
    pub attempts: i32,
    /// HTTP status of the last answer.
    pub last_status: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When a 2xx came back.
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Next attempt, while `PENDING`.
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The callback of a run: its URL, the latest event's delivery at the top, every event below.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallbackView {
    /// The URL, as stored.
    pub url: String,
    /// The latest event's state (`NO_EVENT_YET` before the first).
    pub state: String,
    /// The latest event's attempts.
    pub attempts: i32,
    /// The latest event's last HTTP status.
    pub last_status: Option<i32>,
    /// When the latest event was delivered.
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Every event of the run, oldest first.
    pub events: Vec<CallbackEventView>,
}

impl CallbackView {
    /// The view of `bulk`'s callback from its outbox entries; `None` without a callback URL.
    pub fn new(bulk: &Bulk, deliveries: &[WebhookDelivery]) -> Option<CallbackView> {
        let url = bulk.callback_url.clone()?;
        let events: Vec<CallbackEventView> = deliveries.iter().map(event_view).collect();
        let latest = events.last();
        Some(CallbackView {
            url,
            state: latest.map_or("NO_EVENT_YET".to_string(), |e| e.state.clone()),
            attempts: latest.map_or(0, |e| e.attempts),
            last_status: latest.and_then(|e| e.last_status),
            delivered_at: latest.and_then(|e| e.delivered_at),
            events,
        })
    }
}

fn event_view(d: &WebhookDelivery) -> CallbackEventView {
    let pending = d.state == db::queries::webhooks::PENDING;
    CallbackEventView {
        event: d.event.clone(),
        event_id: d.event_id.clone(),
        state: d.state.clone(),
        attempts: d.attempts,
        last_status: d.last_status,
        last_error: d.last_error.clone(),
        delivered_at: d.delivered_at.map(|t| t.and_utc()),
        next_attempt_at: pending.then(|| d.next_attempt_at.and_utc()),
    }
}
