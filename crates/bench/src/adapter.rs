//! Scenario 2, raw adapter rate: a load generator drives the simulator's `POST /transfers` directly
//! (same body shape as the worker's, answer parsed into a small struct), N requests at concurrency C.
//! It is the ceiling of the adapter side on this machine, reported beside the end-to-end figure.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

use crate::opts::Opts;
use crate::procs::{Bins, Proc, free_port};
use crate::report::{Report, thousands};
use crate::sysstat;

/// What one load run measured.
#[derive(Debug, Clone, Serialize)]
pub struct AdapterRun {
    /// Requests sent.
    pub requests: usize,
    /// Concurrency.
    pub concurrency: usize,
    /// 200 COMPLETED answers.
    pub ok: usize,
    /// Anything else.
    pub errors: usize,
    /// Wall-clock seconds.
    pub secs: f64,
    /// Completed POSTs per second.
    pub rate: f64,
    /// Latency percentiles, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// CPU over the run.
    pub cpu: sysstat::CpuUsage,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    current_state: String,
}

/// Sends `n` POSTs at concurrency `c` to `sim_url`; `pids` are measured for CPU.
pub async fn load(
    sim_url: &str,
    n: usize,
    c: usize,
    pids: &[(String, u32)],
) -> anyhow::Result<AdapterRun> {
    let url = Arc::new(format!("{sim_url}/transfers"));
    let l = crate::load::closed_loop(n, c, pids, move |http, _| {
        let url = url.clone();
        async move {
            let id = uuid::Uuid::new_v4().to_string();
            let body = serde_json::json!({
                "homeTransactionId": format!("bench/{id}"), "transferId": id,
                "from": {"idType": "MSISDN", "idValue": "22890000000",
                         "displayName": "Pension fund"},
                "to": {"idType": "MSISDN", "idValue": "2290000000111"},
                "amountType": "SEND", "currency": "XOF", "amount": "100",
                "transactionType": "TRANSFER", "note": "Pension payment"
            });
            match http.post(url.as_str()).json(&body).send().await {
                Ok(r) if r.status().is_success() => r
                    .bytes()
                    .await
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Answer>(&b).ok())
                    .is_some_and(|a| a.current_state == "COMPLETED"),
                _ => false,
            }
        }
    })
    .await?;
    Ok(AdapterRun {
        requests: l.requests,
        concurrency: l.concurrency,
        ok: l.ok,
        errors: l.errors,
        secs: l.secs,
        rate: l.rate,
        p50_ms: l.p50_ms,
        p99_ms: l.p99_ms,
        cpu: l.cpu,
    })
}

/// Rows describing a load run.
pub fn rows(report: &mut Report, scenario: &str, r: &AdapterRun) {
    report.info(
        scenario,
        &format!(
            "raw adapter rate (N={}, C={})",
            thousands(r.requests as f64),
            r.concurrency
        ),
        format!("{} POST/s", thousands(r.rate)),
    );
    report.info(
        scenario,
        "POST latency p50 / p99",
        format!("{:.1} / {:.1} ms", r.p50_ms, r.p99_ms),
    );
    let sim = r.cpu.sum(|k| k == "simulator");
    let loadgen = r.cpu.sum(|k| k == "bench");
    report.info(
        scenario,
        "CPU per POST: simulator / load generator",
        format!(
            "{:.0} / {:.0} µs (machine busy {:.0}%, foreign CPU {:.1} s)",
            sim * 1e6 / r.ok.max(1) as f64,
            loadgen * 1e6 / r.ok.max(1) as f64,
            r.cpu.machine_busy_pct,
            r.cpu.foreign_cpu_secs
        ),
    );
    if r.errors > 0 {
        report.info(scenario, "failed POSTs", r.errors.to_string());
    }
}

/// Scenario 2 on its own: a simulator process at zero latency.
pub async fn run(bins: &Bins, opts: &Opts) -> anyhow::Result<Report> {
    let n = opts.requests.unwrap_or(100_000);
    let c = opts.concurrency.unwrap_or(200);
    let log_dir = std::env::temp_dir().join(format!("bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&log_dir)?;
    let port = free_port()?;
    let url = format!("http://127.0.0.1:{port}");
    let env = vec![
        ("SIM_BIND_ADDR".to_string(), format!("127.0.0.1:{port}")),
        ("SIM_LATENCY_MS".to_string(), "0".to_string()),
        ("SIM_JITTER_MS".to_string(), "0".to_string()),
    ];
    sysstat::wait_quiet(10.0, Duration::from_secs(300)).await;
    let mut sim = Proc::spawn("simulator", &bins.sim, &[], &env, &log_dir)?;
    sim.wait_http(&format!("{url}/"), Duration::from_secs(20))
        .await?;
    let pids = vec![("simulator".to_string(), sim.pid)];
    // A short warm-up (connections, allocator), then the measured run.
    load(&url, (n / 20).min(5_000), c, &pids).await?;
    let r = load(&url, n, c, &pids).await?;
    sim.stop(Duration::from_secs(5)).await;
    if !opts.keep_logs {
        let _ = std::fs::remove_dir_all(&log_dir);
    }
    let mut report = Report::default();
    rows(&mut report, "adapter", &r);
    report.details.push(serde_json::to_value(&r)?);
    Ok(report)
}
