//! A closed-loop load generator: `n` requests from `c` concurrent clients, each sending its next
//! request when the previous one is answered; latencies of the answers that counted, CPU of the
//! measured processes over the run. Used for the simulator's raw rates (`POST /transfers`,
//! `GET /parties`).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::report::{percentile, sorted};
use crate::sysstat;

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Load {
    /// Requests sent.
    pub requests: usize,
    /// Concurrent clients.
    pub concurrency: usize,
    /// Requests whose answer counted (the call returned `true`).
    pub ok: usize,
    /// Anything else.
    pub errors: usize,
    /// Wall-clock seconds.
    pub secs: f64,
    /// Counted answers per second.
    pub rate: f64,
    /// Latency percentiles of the counted answers, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// CPU over the run.
    pub cpu: sysstat::CpuUsage,
}

/// Sends `n` requests from `c` clients: `call(http, i)` sends request `i` and says whether its
/// answer counts. `pids` are measured for CPU.
pub async fn closed_loop<F, Fut>(
    n: usize,
    c: usize,
    pids: &[(String, u32)],
    call: F,
) -> anyhow::Result<Load>
where
    F: Fn(reqwest::Client, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(c)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let before = sysstat::snap(pids, None);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..c.max(1) {
        let (http, next, call) = (http.clone(), next.clone(), call.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat: Vec<f64> = Vec::new();
            let mut errors = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                if call(http.clone(), i).await {
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                } else {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut lat = Vec::with_capacity(n);
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        lat.extend(l);
        errors += e;
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = sysstat::diff(&before, &sysstat::snap(pids, None));
    let lat = sorted(lat);
    Ok(Load {
        requests: n,
        concurrency: c,
        ok: lat.len(),
        errors,
        secs,
        rate: lat.len() as f64 / secs,
        p50_ms: percentile(&lat, 50.0),
        p99_ms: percentile(&lat, 99.0),
        cpu,
    })
}
