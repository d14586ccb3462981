//! Typed configuration of the API process, read once from the environment and passed explicitly.

use std::time::Duration;

use common::env::{Env, EnvError, Secret};
use common::telemetry::LogFormat;

use crate::cors::AllowedOrigins;

/// Every environment variable this crate reads (settings, admin CLI and demo seeding).
pub const ENV_VARS: &[&str] = &[
    "DATABASE_URL",
    "DB_POOL_SIZE",
    "REDIS_URL",
    "REDIS_PREFIX",
    "QUEUE",
    "JWT_SECRET",
    "JWT_ISSUER",
    "ACCESS_TOKEN_TTL",
    "REFRESH_TOKEN_TTL",
    "BCRYPT_COST",
    "BIND_ADDR",
    "HTTP_WORKERS",
    "MAX_UPLOAD_BYTES",
    "MAX_ROWS",
    "LOG_FORMAT",
    "RUST_LOG",
    "CALLBACK_ALLOWED_HOSTS",
    "CORS_ALLOWED_ORIGINS",
    "METRICS_TOKEN",
    "ADMIN_PASSWORD",
    "DEMO_GESTIONNAIRE_PASSWORD",
    "DEMO_SUPERVISEUR_PASSWORD",
    "DEMO_APPROBATEUR_PASSWORD",
];

/// Shortest accepted `JWT_SECRET` (HS256 wants at least as many key bytes as its output).
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// Default `MAX_UPLOAD_BYTES`: 64 MiB. A pain.001 takes ~420 bytes a transaction, so
/// `MAX_ROWS` = 100,000 transactions make ~42 MB (a CSV of as many rows ~2–6 MB).
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

/// Where bulk jobs go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueKind {
    /// apalis-redis on `REDIS_URL` (production).
    Redis,
    /// In-process apalis memory storage (embedded mode; not durable).
    Memory,
}

impl std::str::FromStr for QueueKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "redis" => Ok(QueueKind::Redis),
            "memory" => Ok(QueueKind::Memory),
            other => Err(format!("{other:?} is not a queue kind (redis or memory)")),
        }
    }
}

/// Everything the API process needs to know, from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_URL`: `postgres://…` or `sqlite://path` (default `sqlite://data/gateway.db`).
    pub database_url: String,
    /// `DB_POOL_SIZE`: connections in the pool (default 10).
    pub db_pool_size: u32,
    /// `REDIS_URL` (default `redis://127.0.0.1:6379`).
    pub redis_url: String,
    /// `REDIS_PREFIX`: prefix of every queue and channel name (default `gw_`).
    pub redis_prefix: String,
    /// `QUEUE`: `redis` (default) or `memory`.
    pub queue: QueueKind,
    /// `JWT_SECRET`: HS256 key, required, at least 32 bytes.
    pub jwt_secret: Secret,
    /// `JWT_ISSUER`: `iss` written and required in tokens (default `mojaloop-bulk-gateway`).
    pub jwt_issuer: String,
    /// `ACCESS_TOKEN_TTL` (default 15 min).
    pub access_token_ttl: Duration,
    /// `REFRESH_TOKEN_TTL` (default 7 days).
    pub refresh_token_ttl: Duration,
    /// `BCRYPT_COST`: 4..=31 (default 12).
    pub bcrypt_cost: u32,
    /// `BIND_ADDR` (default `127.0.0.1:8080`; port 0 picks a free port).
    pub bind_addr: String,
    /// `HTTP_WORKERS`: actix worker threads (default 0 = one per CPU core).
    pub http_workers: usize,
    /// `MAX_UPLOAD_BYTES`: largest accepted upload (default [`DEFAULT_MAX_UPLOAD_BYTES`]).
    pub max_upload_bytes: usize,
    /// `MAX_ROWS`: most rows in one file (default 100,000).
    pub max_rows: usize,
    /// `LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
    /// `CALLBACK_ALLOWED_HOSTS`: hosts webhooks may reach on loopback or private addresses (the
    /// workers apply it when sending; the API only uses it to tell the uploader in advance).
    pub callback_allowed_hosts: Vec<String>,
    /// `CORS_ALLOWED_ORIGINS`: comma-separated origins of browser frontends served elsewhere
    /// (default none; the console at `/` is same-origin and needs none).
    pub cors_allowed_origins: AllowedOrigins,
    /// `METRICS_TOKEN`: when set, `GET /metrics` requires `Authorization: Bearer <token>`
    /// (default unset: open, as Prometheus expects; keep it off the public network).
    pub metrics_token: Option<Secret>,
}

impl Settings {
    /// Reads every setting; an error names the variable at fault (and never prints a secret).
    pub fn from_env(env: &Env<'_>) -> Result<Settings, EnvError> {
        let bcrypt_cost = env.parse("BCRYPT_COST", 12u32)?;
        if !(4..=31).contains(&bcrypt_cost) {
            return Err(malformed("BCRYPT_COST", "must be between 4 and 31"));
        }
        let max_upload_bytes = env.parse("MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)?;
        if max_upload_bytes == 0 {
            return Err(malformed("MAX_UPLOAD_BYTES", "must be positive"));
        }
        let max_rows = env.parse("MAX_ROWS", 100_000usize)?;
        if max_rows == 0 {
            return Err(malformed("MAX_ROWS", "must be positive"));
        }
        let access_token_ttl = env.duration("ACCESS_TOKEN_TTL", Duration::from_secs(15 * 60))?;
        let refresh_token_ttl =
            env.duration("REFRESH_TOKEN_TTL", Duration::from_secs(7 * 24 * 3600))?;
        if access_token_ttl.is_zero() || refresh_token_ttl.is_zero() {
            return Err(malformed(
                "ACCESS_TOKEN_TTL",
                "token lifetimes must be positive",
            ));
        }
        let redis_prefix = env.string("REDIS_PREFIX", "gw_");
        if !redis_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(malformed("REDIS_PREFIX", "letters, digits and `_` only"));
        }
        Ok(Settings {
            database_url: env.string("DATABASE_URL", "sqlite://data/gateway.db"),
            db_pool_size: env.parse("DB_POOL_SIZE", 10u32)?,
            redis_url: env.string("REDIS_URL", "redis://127.0.0.1:6379"),
            redis_prefix,
            queue: env.parse("QUEUE", QueueKind::Redis)?,
            jwt_secret: env.secret(
                "JWT_SECRET",
                "an HS256 key of at least 32 bytes",
                MIN_JWT_SECRET_BYTES,
            )?,
            jwt_issuer: env.string("JWT_ISSUER", "mojaloop-bulk-gateway"),
            access_token_ttl,
            refresh_token_ttl,
            bcrypt_cost,
            bind_addr: env.string("BIND_ADDR", "127.0.0.1:8080"),
            http_workers: env.parse("HTTP_WORKERS", 0usize)?,
            max_upload_bytes,
            max_rows,
            log_format: env.parse("LOG_FORMAT", LogFormat::Text)?,
            callback_allowed_hosts: env.list("CALLBACK_ALLOWED_HOSTS"),
            cors_allowed_origins: AllowedOrigins::parse(&env.string("CORS_ALLOWED_ORIGINS", ""))
                .map_err(|reason| malformed("CORS_ALLOWED_ORIGINS", &reason))?,
            metrics_token: env.raw("METRICS_TOKEN").map(Secret::new),
        })
    }
}

fn malformed(name: &str, reason: &str) -> EnvError {
    EnvError::Malformed {
        name: name.to_string(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, EnvError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_env(&Env::from_fn(|k| m.get(k).cloned()))
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults() {
        let s = settings(&[("JWT_SECRET", SECRET)]).unwrap();
        assert_eq!(s.database_url, "sqlite://data/gateway.db");
        assert_eq!(s.bcrypt_cost, 12);
        assert_eq!(s.bind_addr, "127.0.0.1:8080");
        assert_eq!(s.max_upload_bytes, 64 * 1024 * 1024);
        assert_eq!(s.max_rows, 100_000);
        assert_eq!(s.redis_prefix, "gw_");
        assert_eq!(s.queue, QueueKind::Redis);
        assert_eq!(s.access_token_ttl, Duration::from_secs(900));
        assert!(s.callback_allowed_hosts.is_empty());
        assert!(s.cors_allowed_origins.as_slice().is_empty());
        assert_eq!(s.metrics_token, None);
    }

    #[test]
    fn refuses_short_or_missing_secret() {
        let err = settings(&[]).unwrap_err().to_string();
        assert!(err.contains("JWT_SECRET"));
        let err = settings(&[("JWT_SECRET", "short-secret")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("JWT_SECRET") && !err.contains("short-secret"));
    }

    #[test]
    fn malformed_values_name_the_variable() {
        let err = settings(&[("JWT_SECRET", SECRET), ("BCRYPT_COST", "2")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("BCRYPT_COST"));
        let err = settings(&[("JWT_SECRET", SECRET), ("QUEUE", "kafka")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("QUEUE"));
        let err = settings(&[("JWT_SECRET", SECRET), ("REDIS_PREFIX", "a:b")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("REDIS_PREFIX"));
        let err = settings(&[("JWT_SECRET", SECRET), ("CORS_ALLOWED_ORIGINS", "*")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("CORS_ALLOWED_ORIGINS"));
    }
}
