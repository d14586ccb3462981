//! The gateway's Prometheus metrics, shared by the API, the worker and the embedded demo.
//!
//! One registry per process holds every metric defined in [`defs`]; a binary registers the groups
//! it runs ([`register_api`], [`register_worker`]; both in the embedded demo, which then exports
//! everything once) and serves [`render`] as `GET /metrics` with [`CONTENT_TYPE`]. Code that
//! records something calls one of the small functions below ([`transfer_outcome`],
//! [`adapter_request`], [`webhook_delivery`], …), which work whether or not the group is
//! registered (unregistered metrics are simply not exported).
//!
//! Values computed at scrape time (runs by state, queue depth) are not kept here: the caller reads
//! them and passes their families to [`render`] ([`defs::runs_family`], [`defs::queue_depth_family`]).

pub mod defs;
pub mod text;

use crate::env::Secret;
use prometheus::proto::MetricFamily;
use prometheus::{Encoder, Registry, TextEncoder};
use std::sync::{LazyLock, Once};
use std::time::Duration;

pub use defs::{TRANSFER_OUTCOMES, WEBHOOK_RESULTS};
pub use prometheus::IntGauge;

/// `Content-Type` of a scrape: the Prometheus text exposition format 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::new);
static API: Once = Once::new();
static WORKER: Once = Once::new();
static SHARED: Once = Once::new();

fn register(group: &str, collectors: Vec<Box<dyn prometheus::core::Collector>>) {
    for c in collectors {
        if let Err(e) = REGISTRY.register(c) {
            tracing::error!(group, error = %e, "metric not registered");
        }
    }
}

fn register_shared() {
    SHARED.call_once(|| register("shared", defs::all().shared.collectors()));
}

/// Exports the API's metrics from this process (idempotent).
pub fn register_api() {
    API.call_once(|| register("api", defs::all().api.collectors()));
    register_shared();
}

/// Exports the worker's metrics from this process (idempotent).
pub fn register_worker() {
    WORKER.call_once(|| register("worker", defs::all().worker.collectors()));
    register_shared();
}

/// The registered metrics and `extra` (scrape-time families), in the text format, sorted by name.
pub fn render(extra: Vec<MetricFamily>) -> String {
    let mut families = REGISTRY.gather();
    families.extend(extra.into_iter().filter(|f| !f.get_metric().is_empty()));
    families.sort_by(|a, b| a.name().cmp(b.name()));
    let mut out = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&families, &mut out) {
        tracing::error!(error = %e, "metrics not encoded");
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Whether a scrape may be answered: always without a token (`METRICS_TOKEN` unset), else only
/// with `Authorization: Bearer <token>` (compared in constant time).
pub fn authorized(authorization: Option<&str>, token: Option<&Secret>) -> bool {
    let Some(token) = token else {
        return true;
    };
    let Some(given) = authorization.and_then(|h| h.trim().strip_prefix("Bearer ")) else {
        return false;
    };
    let (a, b) = (given.trim().as_bytes(), token.expose().as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Counts `n` settled outcomes (`completed`, `failed`, `unknown`, `resend`, `not_sent`).
pub fn transfer_outcome(outcome: &str, n: u64) {
    if n > 0 {
        let c = &defs::all().worker.transfers;
        c.with_label_values(&[outcome]).inc_by(n);
    }
}

/// Records one adapter call of `operation` that took `elapsed`.
pub fn adapter_request(operation: &str, elapsed: Duration) {
    let h = &defs::all().worker.adapter_duration;
    h.with_label_values(&[operation])
        .observe(elapsed.as_secs_f64());
}

/// Shows `operations` at 0 before their first call.
pub fn declare_adapter_operations<'a>(operations: impl IntoIterator<Item = &'a str>) {
    let h = &defs::all().worker.adapter_duration;
    for op in operations {
        h.with_label_values(&[op]);
    }
}

/// The gauges a pacer keeps up to date: (limit, in flight) of `limiter` (the worker's are
/// `transfers` and `lookups`).
pub fn inflight_gauges(limiter: &str) -> (IntGauge, IntGauge) {
    let w = &defs::all().worker;
    (
        w.inflight_limit.with_label_values(&[limiter]),
        w.inflight.with_label_values(&[limiter]),
    )
}

/// Records the size of one committed settlement transaction.
pub fn settlement_batch(size: usize) {
    defs::all().worker.settlement_batch.observe(size as f64);
}

/// Counts one webhook delivery attempt by `result`: `delivered`, `failed` or `blocked`.
pub fn webhook_delivery(result: &str) {
    let c = &defs::all().shared.webhook_deliveries;
    c.with_label_values(&[result]).inc();
}

/// Records one answered API request.
pub fn http_request(method: &str, status: u16, elapsed: Duration) {
    let api = &defs::all().api;
    api.http_requests
        .with_label_values(&[method, &status.to_string()])
        .inc();
    api.http_duration
        .with_label_values(&[method])
        .observe(elapsed.as_secs_f64());
}

/// One open live stream: counted in `gateway_sse_clients` while this value lives.
pub struct SseClient(());

impl SseClient {
    /// Counts a stream that opens now.
    pub fn open() -> SseClient {
        defs::all().api.sse_clients.inc();
        SseClient(())
    }
}

impl Drop for SseClient {
    fn drop(&mut self) {
        defs::all().api.sse_clients.dec();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn every_family_is_exported_with_help_and_type() {
        register_api();
        register_worker();
        declare_adapter_operations(["transfers"]);
        let (limit, _) = inflight_gauges("transfers");
        limit.add(0);
        http_request("GET", 200, Duration::from_millis(3));
        let runs = defs::runs_family(&[("COMPLETED", 3)]);
        let queue = defs::queue_depth_family(&[("bulk", 1)]);
        let out = render(runs.into_iter().chain(queue).collect());
        let scrape = text::parse(&out).unwrap();
        for family in [
            "gateway_transfers_total",
            "gateway_adapter_request_duration_seconds",
            "gateway_adapter_inflight_limit",
            "gateway_adapter_inflight",
            "gateway_settlement_batch_size",
            "gateway_sse_clients",
            "gateway_webhook_deliveries_total",
            "gateway_http_requests_total",
            "gateway_http_request_duration_seconds",
            "gateway_runs",
            "gateway_queue_depth",
        ] {
            assert!(
                scrape.types.contains_key(family),
                "{family} missing:\n{out}"
            );
            assert!(scrape.help.contains_key(family), "{family} has no HELP");
        }
        for result in WEBHOOK_RESULTS {
            let v = scrape.value("gateway_webhook_deliveries_total", &[("result", result)]);
            assert!(v.is_some(), "{result} not initialised");
        }
        assert_eq!(
            scrape.value("gateway_runs", &[("state", "COMPLETED")]),
            Some(3.0)
        );
    }

    #[test]
    fn recorders_move_their_metrics() {
        let before = |o| defs::all().worker.transfers.with_label_values(&[o]).get();
        let was = before("completed");
        transfer_outcome("completed", 5);
        assert_eq!(before("completed"), was + 5);
        let sse = &defs::all().api.sse_clients;
        let open = sse.get();
        let client = SseClient::open();
        assert_eq!(sse.get(), open + 1);
        drop(client);
        assert_eq!(sse.get(), open);
    }

    #[test]
    fn a_token_is_required_only_when_set() {
        assert!(authorized(None, None));
        let token = Secret::new("s3cret-token");
        assert!(authorized(Some("Bearer s3cret-token"), Some(&token)));
        assert!(!authorized(Some("Bearer s3cret-tokex"), Some(&token)));
        assert!(!authorized(Some("Bearer s3cret"), Some(&token)));
        assert!(!authorized(Some("Basic s3cret-token"), Some(&token)));
        assert!(!authorized(None, Some(&token)));
    }
}
