//! Webhook delivery from the outbox (`db::queries::webhooks`).
//!
//! Every worker process polls the outbox once a second, leases the entries that are due and sends
//! each one ([`send::attempt`]): at least once, 2xx = delivered, anything else tried again after
//! `WEBHOOK_RETRY_BASE`, doubling up to an hour, for 24 hours after the event; then FAILED. The
//! egress policy is applied at each attempt on the addresses the host resolves to then, and the
//! request goes to exactly those addresses. Several worker replicas share the outbox: the lease
//! keeps two of them from sending one entry at the same time.

pub mod send;

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use db::models::{NewWebhookAttempt, WebhookDelivery, now};
use db::queries::webhooks::{self, Next};
use domain::webhook::{DELIVERY_WINDOW, retry_delay};

use crate::context::WorkerCtx;
use send::{Attempt, Verdict};

/// How often the outbox is polled.
const POLL: Duration = Duration::from_secs(1);
/// How long a sender holds an entry: longer than one attempt can take (resolution + 5 s).
const LEASE: Duration = Duration::from_secs(30);
/// Entries leased per poll.
const BATCH: i64 = 20;

/// Polls and delivers until shutdown.
pub async fn run_loop(ctx: WorkerCtx) {
    let sender = match send::Sender::new(ctx.settings.callback_allowed_hosts.clone()) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            tracing::error!(error = %e, "webhook sender could not start; no webhook is sent");
            return;
        }
    };
    let mut stop = ctx.stopping.clone();
    loop {
        match deliver_due(&ctx, &sender).await {
            Ok(n) if n as i64 == BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "webhook outbox poll failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => {}
        }
        if ctx.is_stopping() {
            return;
        }
    }
}

/// Leases the due entries and sends them concurrently; returns how many were leased.
pub async fn deliver_due(ctx: &WorkerCtx, sender: &Arc<send::Sender>) -> anyhow::Result<usize> {
    let at = now();
    let until = at + chrono::Duration::from_std(LEASE)?;
    let due = ctx
        .db(move |c| webhooks::claim_due(c, at, until, BATCH))
        .await?;
    let n = due.len();
    let sends = due.into_iter().map(|d| deliver(ctx, sender, d));
    for r in futures::future::join_all(sends).await {
        if let Err(e) = r {
            tracing::warn!(error = %format!("{e:#}"), "recording a webhook attempt failed");
        }
    }
    Ok(n)
}

async fn deliver(ctx: &WorkerCtx, sender: &send::Sender, d: WebhookDelivery) -> anyhow::Result<()> {
    let org = d.organisation_id;
    let secret = ctx.db(move |c| webhooks::secret(c, org)).await?;
    let started = now();
    let clock = std::time::Instant::now();
    let attempt = match secret {
        Some(s) => sender.attempt(&d, s.as_bytes()).await,
        None => Attempt::failed(
            None,
            "the organisation has no webhook secret (set-webhook-secret)",
        ),
    };
    let next = next_step(&d, &attempt.verdict, ctx.settings.webhook_retry_base, now());
    log_attempt(&d, &attempt, &next);
    common::metrics::webhook_delivery(match next {
        Next::Delivered => "delivered",
        Next::Blocked => "blocked",
        Next::RetryAt(_) | Next::GiveUp => "failed",
    });
    let record = NewWebhookAttempt {
        delivery_id: d.id,
        attempt: d.attempts + 1,
        started_at: started,
        duration_ms: i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX),
        status: attempt.status,
        error: attempt.error.clone(),
    };
    ctx.db(move |c| webhooks::finish_attempt(c, &record, &next))
        .await
}

/// What an attempt's verdict makes of its entry.
pub fn next_step(d: &WebhookDelivery, v: &Verdict, base: Duration, at: NaiveDateTime) -> Next {
    match v {
        Verdict::Delivered => Next::Delivered,
        Verdict::Blocked => Next::Blocked,
        Verdict::Retry => {
            let failures = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
            let wait = chrono::Duration::from_std(retry_delay(failures, base))
                .unwrap_or(chrono::Duration::hours(1));
            let window = chrono::Duration::from_std(DELIVERY_WINDOW).unwrap_or_default();
            if at + wait > d.created_at + window {
                Next::GiveUp
            } else {
                Next::RetryAt(at + wait)
            }
        }
    }
}

fn log_attempt(d: &WebhookDelivery, a: &Attempt, next: &Next) {
    let attempt = d.attempts + 1;
    match next {
        Next::Delivered => tracing::info!(
            event_id = %d.event_id, event = %d.event, attempt, status = ?a.status,
            "webhook delivered"
        ),
        Next::RetryAt(at) => tracing::warn!(
            event_id = %d.event_id, event = %d.event, attempt, status = ?a.status,
            error = a.error.as_deref().unwrap_or(""), retry_at = %at,
            "webhook not delivered; will retry"
        ),
        Next::GiveUp => tracing::error!(
            event_id = %d.event_id, event = %d.event, attempt,
            error = a.error.as_deref().unwrap_or(""),
            "webhook given up after its delivery window"
        ),
        Next::Blocked => tracing::warn!(
            event_id = %d.event_id, event = %d.event, url = %d.url,
            error = a.error.as_deref().unwrap_or(""),
            "webhook blocked by the egress policy; never sent"
        ),
    }
}
