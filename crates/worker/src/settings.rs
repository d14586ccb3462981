//! Worker configuration, from environment variables only.

use common::env::{Env, EnvError, Secret};
use common::telemetry::LogFormat;
use sdk::AcceptMode;

use crate::pacing::PacingMode;
use std::time::Duration;

/// Every variable the worker reads (checked against `.env.example` by a test).
pub const ENV_VARS: &[&str] = &[
    "DATABASE_URL",
    "DB_POOL_SIZE",
    "REDIS_URL",
    "REDIS_PREFIX",
    "SCHEME_ADAPTER_URL",
    "WORKER_CONCURRENCY",
    "CHUNK_ROWS",
    "LANES_PER_BULK",
    "CHUNK_JOBS_PER_WORKER",
    "ADAPTER_TIMEOUT",
    "MAX_PAYEE_FEE",
    "TRANSFER_EXPIRY",
    "UNKNOWN_MAX_AGE",
    "NOT_SENT_RETRY_FOR",
    "SWEEP_INTERVAL",
    "STALLED_AFTER",
    "SHUTDOWN_TIMEOUT",
    "SETTLE_BATCH",
    "SETTLE_FLUSH",
    "PAYER_DISPLAY_NAME",
    "ADAPTER_PACING",
    "ADAPTER_ACCEPT_MODE",
    "ADAPTER_EXPIRY",
    "PRE_PREPARE_RETRIES",
    "PRE_PREPARE_BACKOFF",
    "PARTY_LOOKUP_RETRIES",
    "PARTY_LOOKUP_BACKOFF",
    "WORKER_HEALTH_ADDR",
    "CALLBACK_ALLOWED_HOSTS",
    "WEBHOOK_RETRY_BASE",
    "METRICS_BIND_ADDR",
    "METRICS_TOKEN",
    "LOG_FORMAT",
    "RUST_LOG",
];

/// Typed worker settings.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// `postgres://…` or a SQLite path / `sqlite://…`.
    pub database_url: String,
    /// Connections in the pool.
    pub db_pool_size: u32,
    /// Redis for the queue and the progress bus.
    pub redis_url: String,
    /// Prefix of every Redis key and channel (isolates deployments and tests).
    pub redis_prefix: String,
    /// Base URL of the SDK scheme adapter's outbound API.
    pub adapter_url: String,
    /// Transfers in flight per worker process.
    pub concurrency: usize,
    /// Rows a chunk job handles before handing the rest to a new job.
    pub chunk_rows: u32,
    /// Chunk jobs of one bulk queued at once (bounds one bulk's share of the fleet).
    pub lanes_per_bulk: u32,
    /// Chunk jobs one worker runs at once.
    pub chunk_jobs_per_worker: usize,
    /// Client timeout of one adapter call.
    pub adapter_timeout: Duration,
    /// Highest payee fee (minor units) accepted in a quote.
    pub max_payee_fee: i64,
    /// After this long, a transfer the switch does not know can no longer happen: FAILED.
    pub transfer_expiry: Duration,
    /// An UNKNOWN row older than this stops being looked up automatically (operator attention).
    pub unknown_max_age: Duration,
    /// How long to keep retrying a POST that never reached the adapter before handing the row back.
    pub not_sent_retry_for: Duration,
    /// Period of the recovery sweep.
    pub sweep_interval: Duration,
    /// A bulk without activity for this long is re-queued by the sweep.
    pub stalled_after: Duration,
    /// Grace period for in-flight calls on SIGTERM.
    pub shutdown_timeout: Duration,
    /// Results per settlement transaction.
    pub settle_batch: usize,
    /// Longest wait before a partial batch is settled.
    pub settle_flush: Duration,
    /// `from.displayName` sent to the adapter.
    pub payer_display_name: String,
    /// Adaptive or fixed in-flight limit toward the adapter (`WORKER_CONCURRENCY` is its bound).
    pub pacing: PacingMode,
    /// How the adapter is configured to accept parties and quotes (manual makes every failure
    /// before our quote acceptance certain).
    pub accept_mode: AcceptMode,
    /// The adapter's own transfer expiry (its `EXPIRY_SECONDS`): a prepare is refused by the switch
    /// after it. Re-sending a row the switch never saw is only safe when `TRANSFER_EXPIRY` exceeds it.
    pub adapter_expiry: Duration,
    /// Re-sends at most of a row whose failure certainly came before the prepare.
    pub pre_prepare_retries: u32,
    /// Wait before the first re-send; doubles each time, up to a minute.
    pub pre_prepare_backoff: Duration,
    /// Lookups again at most of a payee whose lookup got no usable answer, before it counts as
    /// not found (verification).
    pub party_lookup_retries: u32,
    /// Wait before the first of those; doubles each time, up to 30 s.
    pub party_lookup_backoff: Duration,
    /// Where the worker answers `GET /health` (unset: nowhere).
    pub health_addr: Option<String>,
    /// Hosts webhooks may reach even on loopback or private addresses (`CALLBACK_ALLOWED_HOSTS`,
    /// comma-separated names or addresses).
    pub callback_allowed_hosts: Vec<String>,
    /// First wait after a failed webhook attempt; doubles each time, up to an hour.
    pub webhook_retry_base: Duration,
    /// Where the worker answers `GET /metrics` (unset: nowhere; the same address as
    /// `WORKER_HEALTH_ADDR` serves both from one port).
    pub metrics_addr: Option<String>,
    /// When set, `GET /metrics` requires `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// Log format.
    pub log_format: LogFormat,
}

impl WorkerSettings {
    /// Reads the settings; an invalid variable stops startup with its name.
    pub fn from_env(env: &Env<'_>) -> Result<WorkerSettings, EnvError> {
        Ok(WorkerSettings {
            database_url: env.string("DATABASE_URL", "sqlite://data/gateway.db"),
            db_pool_size: env.parse("DB_POOL_SIZE", 10u32)?,
            redis_url: env.string("REDIS_URL", "redis://127.0.0.1:6379"),
            redis_prefix: env.string("REDIS_PREFIX", "gw_"),
            adapter_url: env.string("SCHEME_ADAPTER_URL", "http://127.0.0.1:4001"),
            concurrency: env.parse("WORKER_CONCURRENCY", 100usize)?.max(1),
            chunk_rows: env.parse("CHUNK_ROWS", 500u32)?.max(1),
            lanes_per_bulk: env.parse("LANES_PER_BULK", 4u32)?.max(1),
            chunk_jobs_per_worker: env.parse("CHUNK_JOBS_PER_WORKER", 16usize)?.max(1),
            adapter_timeout: env.duration("ADAPTER_TIMEOUT", Duration::from_secs(60))?,
            max_payee_fee: env.parse("MAX_PAYEE_FEE", 0i64)?,
            transfer_expiry: env.duration("TRANSFER_EXPIRY", Duration::from_secs(120))?,
            unknown_max_age: env.duration("UNKNOWN_MAX_AGE", Duration::from_secs(24 * 3600))?,
            not_sent_retry_for: env.duration("NOT_SENT_RETRY_FOR", Duration::from_secs(120))?,
            sweep_interval: env.duration("SWEEP_INTERVAL", Duration::from_secs(5))?,
            stalled_after: env.duration("STALLED_AFTER", Duration::from_secs(30))?,
            shutdown_timeout: env.duration("SHUTDOWN_TIMEOUT", Duration::from_secs(30))?,
            settle_batch: env.parse("SETTLE_BATCH", 500usize)?.max(1),
            settle_flush: env.duration("SETTLE_FLUSH", Duration::from_millis(5))?,
            payer_display_name: env.string("PAYER_DISPLAY_NAME", "Pension fund"),
            pacing: env.parse("ADAPTER_PACING", PacingMode::Adaptive)?,
            accept_mode: env.parse("ADAPTER_ACCEPT_MODE", AcceptMode::Auto)?,
            adapter_expiry: env.duration("ADAPTER_EXPIRY", Duration::from_secs(60))?,
            pre_prepare_retries: env.parse("PRE_PREPARE_RETRIES", 5u32)?,
            pre_prepare_backoff: env.duration("PRE_PREPARE_BACKOFF", Duration::from_secs(2))?,
            party_lookup_retries: env.parse("PARTY_LOOKUP_RETRIES", 5u32)?,
            party_lookup_backoff: env.duration("PARTY_LOOKUP_BACKOFF", Duration::from_secs(2))?,
            health_addr: env.raw("WORKER_HEALTH_ADDR"),
            callback_allowed_hosts: env.list("CALLBACK_ALLOWED_HOSTS"),
            webhook_retry_base: env.duration("WEBHOOK_RETRY_BASE", Duration::from_secs(10))?,
            metrics_addr: listen_addr(env.raw("METRICS_BIND_ADDR"), "METRICS_BIND_ADDR")?,
            metrics_token: env.raw("METRICS_TOKEN").map(Secret::new),
            log_format: env.parse("LOG_FORMAT", LogFormat::Text)?,
        })
    }
}

/// A listen address `host:port` (checked for form only: the host is resolved when binding).
fn listen_addr(value: Option<String>, name: &str) -> Result<Option<String>, EnvError> {
    let Some(v) = value else {
        return Ok(None);
    };
    match v.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(Some(v)),
        _ => Err(EnvError::Malformed {
            name: name.to_string(),
            reason: format!("{v:?}: expected host:port, e.g. 0.0.0.0:9091"),
        }),
    }
}

impl WorkerSettings {
    /// Whether a row the switch still does not know after `TRANSFER_EXPIRY` may be sent again:
    /// only when that expiry is longer than the adapter's own, so the original prepare, had it
    /// ever been sent, can no longer be accepted by the switch.
    pub fn resend_after_expiry(&self) -> bool {
        self.transfer_expiry > self.adapter_expiry
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<WorkerSettings, EnvError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        WorkerSettings::from_env(&Env::from_fn(|k| m.get(k).cloned()))
    }

    #[test]
    fn metrics_are_not_served_unless_asked() {
        let s = settings(&[]).unwrap();
        assert_eq!((s.metrics_addr, s.metrics_token), (None, None));
        let s = settings(&[
            ("METRICS_BIND_ADDR", "0.0.0.0:9091"),
            ("METRICS_TOKEN", "t0ken"),
        ])
        .unwrap();
        assert_eq!(s.metrics_addr.as_deref(), Some("0.0.0.0:9091"));
        assert_eq!(s.metrics_token.unwrap().expose(), "t0ken");
    }

    #[test]
    fn a_malformed_metrics_address_names_the_variable() {
        for bad in ["9091", ":9091", "0.0.0.0:port", "0.0.0.0:70000"] {
            let err = settings(&[("METRICS_BIND_ADDR", bad)])
                .unwrap_err()
                .to_string();
            assert!(err.contains("METRICS_BIND_ADDR"), "{bad}: {err}");
        }
    }
}
