//! What the API adds to the shared metrics ([`common::metrics`]): the values read at scrape time —
//! runs by state from the database (one grouped count, cached [`RUNS_TTL`] so scrapes cannot
//! hammer it) and the job queue's depth — and the request counter middleware ([`track`]).
//!
//! A dependency that fails or is slow during a scrape only leaves its family out (or, for the
//! runs, at its last value): the scrape itself still answers, with the cause in the log.

use std::time::{Duration, Instant};

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use domain::BulkState;
use tokio::sync::Mutex;

use crate::state::{AppState, run_db};

/// How long a count of runs by state is reused.
pub const RUNS_TTL: Duration = Duration::from_secs(5);
/// Longest wait for the database or the queue during a scrape.
const READ_TIMEOUT: Duration = Duration::from_secs(3);

/// Runs per state, every state listed.
pub type RunCounts = Vec<(BulkState, i64)>;

/// The last count of runs by state and when it was taken.
#[derive(Default)]
pub struct RunsCache(Mutex<Option<(Instant, RunCounts)>>);

impl RunsCache {
    /// Every state with its number of runs, counted at most once per [`RUNS_TTL`] (scrapes that
    /// arrive together wait for one count). `None` until a count has succeeded.
    pub async fn get(&self, pool: &db::DbPool) -> Option<RunCounts> {
        let mut cached = self.0.lock().await;
        if let Some((at, counts)) = cached.as_ref()
            && at.elapsed() < RUNS_TTL
        {
            return Some(counts.clone());
        }
        let fresh = count_runs(pool.clone()).await;
        match (fresh, cached.as_mut()) {
            (Some(counts), _) => *cached = Some((Instant::now(), counts)),
            // A failed count is not retried before the TTL either; the last one stays.
            (None, Some((at, _))) => *at = Instant::now(),
            (None, None) => {}
        }
        cached.as_ref().map(|(_, counts)| counts.clone())
    }
}

async fn count_runs(pool: db::DbPool) -> Option<RunCounts> {
    let query = run_db(pool, |c| Ok(db::queries::bulks::count_by_state(c)?));
    let rows = match tokio::time::timeout(READ_TIMEOUT, query).await {
        Ok(Ok(rows)) => rows,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "metrics: runs not counted");
            return None;
        }
        Err(_) => {
            tracing::warn!("metrics: counting runs timed out");
            return None;
        }
    };
    // Every state, 0 included: a state whose last run left must fall to 0, not vanish.
    let counts = BulkState::ALL
        .iter()
        .map(|s| {
            let n = rows
                .iter()
                .filter(|(r, _)| r == s.as_str())
                .map(|(_, n)| n)
                .sum();
            (*s, n)
        })
        .collect();
    Some(counts)
}

/// The text of a scrape: the registered metrics, the runs and the queue depth.
pub async fn scrape(state: &AppState) -> String {
    let mut extra = Vec::new();
    if let Some(runs) = state.runs_cache.get(&state.pool).await {
        let runs: Vec<(&str, i64)> = runs.iter().map(|(s, n)| (s.as_str(), *n)).collect();
        extra.extend(common::metrics::defs::runs_family(&runs));
    }
    match tokio::time::timeout(READ_TIMEOUT, state.queue.depth()).await {
        Ok(Ok(depth)) => extra.extend(common::metrics::defs::queue_depth_family(&depth)),
        Ok(Err(e)) => tracing::warn!(error = %e, "metrics: queue depth not read"),
        Err(_) => tracing::warn!("metrics: reading the queue depth timed out"),
    }
    common::metrics::render(extra)
}

/// The middleware counting every answered request (`actix_web::middleware::from_fn(track)`): by
/// method (unusual ones as `OTHER`, so a client cannot invent series) and status.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let method = method_label(req.method());
    let started = Instant::now();
    let res = next.call(req).await?;
    common::metrics::http_request(method, res.status().as_u16(), started.elapsed());
    Ok(res)
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"BREW").unwrap_or(Method::TRACE);
        assert_eq!(method_label(&odd), "OTHER");
    }
}
