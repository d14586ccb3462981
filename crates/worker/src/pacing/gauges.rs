//! The pacer's Prometheus gauges: `gateway_adapter_inflight_limit` and `gateway_adapter_inflight`
//! of its limiter (`transfers` or `lookups`).
//!
//! They move by differences (never `set`), so the pacers of several workers in one process (tests,
//! the embedded demo) add up instead of overwriting each other, and a dropped pacer takes its share
//! back.

use common::metrics::IntGauge;

/// A pacer's gauges, or none (pacers built by tests and tools).
#[derive(Default)]
pub(super) struct Gauges(Option<(IntGauge, IntGauge)>);

fn signed(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Gauges {
    /// The gauges of `limiter`, starting from a limit of `limit`.
    pub(super) fn new(limiter: &str, limit: usize) -> Gauges {
        let (l, f) = common::metrics::inflight_gauges(limiter);
        l.add(signed(limit));
        Gauges(Some((l, f)))
    }

    /// The limit went from `from` to `to`.
    pub(super) fn limit_moved(&self, from: usize, to: usize) {
        if let Some((l, _)) = &self.0 {
            l.add(signed(to) - signed(from));
        }
    }

    /// A call took a permit.
    pub(super) fn call_started(&self) {
        if let Some((_, f)) = &self.0 {
            f.inc();
        }
    }

    /// A call gave its permit back.
    pub(super) fn call_ended(&self) {
        if let Some((_, f)) = &self.0 {
            f.dec();
        }
    }
}
