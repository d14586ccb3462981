//! Scenario `overload` (issue 11): a rail with a capacity, like the real adapter in front of its
//! switch. The simulator completes `SIM_CAPACITY_TPS` = 300 transfers/s and answers the adapter's
//! 504 ("Timeout resolving payee…", "…requesting quote…", now and then "…waiting for fulfil…") to a
//! request that queued longer than `SIM_QUEUE_TIMEOUT_MS` = 2,000 ms; latency 50 ± 20 ms on top. Two
//! workers with `WORKER_CONCURRENCY` = 500 each send one 10,000-row bulk, with adaptive pacing and
//! then, in the same invocation, with fixed pacing: throughput against the capacity, the rail's
//! 504s, rows FAILED, and every transferId prepared at most once.

use db::Backend;

use crate::e2e::{E2eCfg, E2eRun, run_one};
use crate::opts::{Opts, effective};
use crate::procs::Bins;
use crate::report::{Report, thousands};

/// Runs both pacing modes.
pub async fn run(bins: &Bins, opts: &Opts) -> anyhow::Result<Report> {
    let rows = opts.rows.unwrap_or(10_000);
    let c = opts.concurrency.unwrap_or(500);
    let workers = opts
        .workers
        .as_ref()
        .and_then(|w| w.first().copied())
        .unwrap_or(2);
    let mut report = Report::default();
    for mode in ["adaptive", "fixed"] {
        let env = opts.knobs(&[
            ("WORKER_CONCURRENCY", c.to_string()),
            ("ADAPTER_PACING", mode.to_string()),
            ("SIM_CAPACITY_TPS", "300".to_string()),
            ("SIM_QUEUE_TIMEOUT_MS", "2000".to_string()),
            // Enough chunk jobs that both workers hold a share of the bulk at once (with the
            // default 4, one worker may take every lane and the other sit idle).
            ("LANES_PER_BULK", "8".to_string()),
        ]);
        let capacity: f64 = effective(&env, "SIM_CAPACITY_TPS", "300")
            .parse()
            .unwrap_or(300.0);
        let mode = effective(&env, "ADAPTER_PACING", mode);
        let cfg = E2eCfg {
            name: format!("overload {mode} {workers}w C={c} cap={capacity}/s"),
            backend: opts
                .backends(&[Backend::Postgres])
                .first()
                .copied()
                .unwrap_or(Backend::Postgres),
            workers,
            rows,
            latency_ms: opts.latency_ms.unwrap_or(50),
            jitter_ms: if opts.jitter_ms > 0 {
                opts.jitter_ms
            } else {
                20
            },
            env,
            adapter: None,
        };
        let r = run_one(bins, opts, &cfg).await?;
        rows_for(&mut report, &r, capacity, mode == "adaptive");
        report.details.push(serde_json::to_value(&r)?);
    }
    Ok(report)
}

fn rows_for(report: &mut Report, r: &E2eRun, capacity: f64, adaptive: bool) {
    let ratio = r.rate / capacity;
    let pct_504 = 100.0 * r.sim_overload_timeouts as f64 / r.rows as f64;
    let throughput = format!(
        "{} transfers/s = {ratio:.2} × capacity ({:.1} s upload → done)",
        thousands(r.rate),
        r.done_secs
    );
    let timeouts = format!(
        "{} 504s = {pct_504:.2} % of rows; {} POSTs for {} rows",
        thousands(r.sim_overload_timeouts as f64),
        thousands(r.sim_posts as f64),
        thousands(r.rows as f64)
    );
    let failed = format!(
        "{} {} failed, {} succeeded; {} transferIds prepared twice",
        r.state,
        thousands(r.failed as f64),
        thousands(r.succeeded as f64),
        r.sim_duplicate_prepares
    );
    if adaptive {
        report.check(
            &r.name,
            "throughput / capacity",
            throughput,
            "≥ 0.9",
            ratio >= 0.9,
        );
        report.check(
            &r.name,
            "the rail's 504s",
            timeouts,
            "≤ 0.5 % of rows",
            pct_504 <= 0.5,
        );
        report.check(
            &r.name,
            "rows FAILED",
            failed,
            "0, none prepared twice",
            r.failed == 0 && r.sim_duplicate_prepares == 0,
        );
    } else {
        report.info(&r.name, "throughput / capacity", throughput);
        report.info(&r.name, "the rail's 504s", timeouts);
        report.check(
            &r.name,
            "rows FAILED",
            failed,
            "none prepared twice",
            r.sim_duplicate_prepares == 0,
        );
    }
}
