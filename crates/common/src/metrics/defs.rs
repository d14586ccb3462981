//! Every metric of the gateway: name, HELP text, labels and buckets, in one place.
//!
//! The metrics are created once per process ([`all`]) and recorded through the small functions of
//! [`super`]; a binary exports a group by registering it ([`super::register_api`],
//! [`super::register_worker`]), so an API process does not show worker gauges at 0 and the
//! embedded demo, which registers both, shows each family once.

use prometheus::core::Collector;
use prometheus::proto::MetricFamily;
use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec};
use prometheus::{Opts, Result};
use std::sync::LazyLock;

/// `outcome` values of `gateway_transfers_total`, initialised at 0.
pub const TRANSFER_OUTCOMES: &[&str] = &["completed", "failed", "unknown", "resend", "not_sent"];
/// `result` values of `gateway_webhook_deliveries_total`, initialised at 0.
pub const WEBHOOK_RESULTS: &[&str] = &["delivered", "failed", "blocked"];

/// Adapter calls take from a few milliseconds (a lookup on a fast rail) to the adapter's own
/// timeouts (30–60 s): 10 ms … 60 s.
pub const ADAPTER_BUCKETS: &[f64] = &[
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
/// Settlement transactions hold 1 … `SETTLE_BATCH` (default 500) results.
pub const BATCH_BUCKETS: &[f64] = &[
    1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0,
];
/// API requests: 1 ms … 10 s (an upload of 100,000 rows takes ~2 s).
pub const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The worker's metrics.
pub struct Worker {
    /// `gateway_transfers_total{outcome}`.
    pub transfers: IntCounterVec,
    /// `gateway_adapter_request_duration_seconds{operation}`.
    pub adapter_duration: HistogramVec,
    /// `gateway_adapter_inflight_limit{limiter}`.
    pub inflight_limit: IntGaugeVec,
    /// `gateway_adapter_inflight{limiter}`.
    pub inflight: IntGaugeVec,
    /// `gateway_settlement_batch_size`.
    pub settlement_batch: Histogram,
}

/// The API's metrics (those kept between scrapes; runs and queue depth are read at scrape time).
pub struct Api {
    /// `gateway_sse_clients`.
    pub sse_clients: IntGauge,
    /// `gateway_http_requests_total{method,status}`.
    pub http_requests: IntCounterVec,
    /// `gateway_http_request_duration_seconds{method}`.
    pub http_duration: HistogramVec,
}

/// Metrics of parts that may run in either binary.
pub struct Shared {
    /// `gateway_webhook_deliveries_total{result}`.
    pub webhook_deliveries: IntCounterVec,
}

/// Every metric of the process.
pub struct All {
    /// The worker's.
    pub worker: Worker,
    /// The API's.
    pub api: Api,
    /// Either's.
    pub shared: Shared,
}

static ALL: LazyLock<All> = LazyLock::new(build_all);

/// The process's metrics, created on first use.
pub fn all() -> &'static All {
    &ALL
}

#[expect(
    clippy::expect_used,
    reason = "names, labels and buckets are constants, checked by the unit tests"
)]
fn build_all() -> All {
    build().expect("the metric definitions are valid")
}

fn build() -> Result<All> {
    Ok(All {
        worker: Worker {
            transfers: counter(
                "gateway_transfers_total",
                "Transfer outcomes recorded by settlement: completed and failed are final (counted \
                 once, when the money moved or was released); unknown, resend and not_sent are \
                 intermediate (a row may count there first).",
                "outcome",
                TRANSFER_OUTCOMES,
            )?,
            adapter_duration: HistogramVec::new(
                HistogramOpts::new(
                    "gateway_adapter_request_duration_seconds",
                    "Duration of calls to the SDK scheme adapter, by operation (answered or not).",
                )
                .buckets(ADAPTER_BUCKETS.to_vec()),
                &["operation"],
            )?,
            inflight_limit: gauge(
                "gateway_adapter_inflight_limit",
                "Calls to the adapter this process allows in flight now (the adaptive limit), by \
                 limiter.",
            )?,
            inflight: gauge(
                "gateway_adapter_inflight",
                "Calls to the adapter in flight now from this process, by limiter.",
            )?,
            settlement_batch: Histogram::with_opts(
                HistogramOpts::new(
                    "gateway_settlement_batch_size",
                    "Outcomes recorded per settlement transaction.",
                )
                .buckets(BATCH_BUCKETS.to_vec()),
            )?,
        },
        api: build_api()?,
        shared: Shared {
            webhook_deliveries: counter(
                "gateway_webhook_deliveries_total",
                "Completion notices sent to callback URLs, by result (blocked: the URL names a \
                 private or loopback address).",
                "result",
                WEBHOOK_RESULTS,
            )?,
        },
    })
}

fn build_api() -> Result<Api> {
    Ok(Api {
        sse_clients: IntGauge::new(
            "gateway_sse_clients",
            "Live progress streams (Server-Sent Events) open on this API process.",
        )?,
        http_requests: IntCounterVec::new(
            Opts::new(
                "gateway_http_requests_total",
                "HTTP requests answered by the API, by method and status code.",
            ),
            &["method", "status"],
        )?,
        http_duration: HistogramVec::new(
            HistogramOpts::new(
                "gateway_http_request_duration_seconds",
                "Time from a request's arrival to its response head (a stream's body is not \
                 included), by method.",
            )
            .buckets(HTTP_BUCKETS.to_vec()),
            &["method"],
        )?,
    })
}

/// A counter with one label whose known values start at 0 (so they show before the first event).
fn counter(name: &str, help: &str, label: &str, values: &[&str]) -> Result<IntCounterVec> {
    let c = IntCounterVec::new(Opts::new(name, help), &[label])?;
    for v in values {
        c.with_label_values(&[*v]);
    }
    Ok(c)
}

fn gauge(name: &str, help: &str) -> Result<IntGaugeVec> {
    IntGaugeVec::new(Opts::new(name, help), &["limiter"])
}

impl Worker {
    /// Every collector of the group, for registration.
    pub fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![
            Box::new(self.transfers.clone()),
            Box::new(self.adapter_duration.clone()),
            Box::new(self.inflight_limit.clone()),
            Box::new(self.inflight.clone()),
            Box::new(self.settlement_batch.clone()),
        ]
    }
}

impl Api {
    /// Every collector of the group, for registration.
    pub fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![
            Box::new(self.sse_clients.clone()),
            Box::new(self.http_requests.clone()),
            Box::new(self.http_duration.clone()),
        ]
    }
}

impl Shared {
    /// Every collector of the group, for registration.
    pub fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![Box::new(self.webhook_deliveries.clone())]
    }
}

/// `gateway_runs{state}`, read from the database at scrape time: one family built per scrape.
pub fn runs_family(counts: &[(&str, i64)]) -> Vec<MetricFamily> {
    scrape_gauge(
        "gateway_runs",
        "Payment runs (bulk transfers) by state, counted in the database (cached up to 5 s).",
        "state",
        counts,
    )
}

/// `gateway_queue_depth{queue}`, read from the job queue at scrape time.
pub fn queue_depth_family(depths: &[(&str, u64)]) -> Vec<MetricFamily> {
    let depths: Vec<(&str, i64)> = depths
        .iter()
        .map(|(q, n)| (*q, i64::try_from(*n).unwrap_or(i64::MAX)))
        .collect();
    scrape_gauge(
        "gateway_queue_depth",
        "Jobs waiting in the job queue (due or scheduled, not yet taken by a worker), by queue.",
        "queue",
        &depths,
    )
}

/// A gauge family with one label, built for one scrape (nothing kept in the registry).
fn scrape_gauge(name: &str, help: &str, label: &str, values: &[(&str, i64)]) -> Vec<MetricFamily> {
    let g = match IntGaugeVec::new(Opts::new(name, help), &[label]) {
        Ok(g) => g,
        Err(e) => {
            tracing::error!(metric = name, error = %e, "metric not built");
            return Vec::new();
        }
    };
    for (value, n) in values {
        g.with_label_values(&[*value]).set(*n);
    }
    g.collect()
}
