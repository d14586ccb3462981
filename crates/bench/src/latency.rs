//! Scenario 4, latency-bound: the simulator answers after L = 500 ms, N = 20,000 rows, one worker
//! with WORKER_CONCURRENCY C = 500; completion time (upload start → `done`) against the ideal
//! N·L/C (a perfect gateway keeps C transfers in flight all the time).

use db::Backend;

use crate::e2e::{E2eCfg, common_rows, run_median};
use crate::opts::{Opts, backend_name, effective};
use crate::procs::Bins;
use crate::report::{Report, thousands};

/// Scenario 4: latency-bound completion against N·L/C.
pub async fn run(bins: &Bins, opts: &Opts) -> anyhow::Result<Report> {
    let rows = opts.rows.unwrap_or(20_000);
    let latency = opts.latency_ms.unwrap_or(500);
    let c = opts.concurrency.unwrap_or(500);
    let env = opts.knobs(&[("WORKER_CONCURRENCY", c.to_string())]);
    let c_eff: f64 = effective(&env, "WORKER_CONCURRENCY", "500")
        .parse()
        .unwrap_or(c as f64);
    let mut report = Report::default();
    for backend in opts.backends(&[Backend::Postgres]) {
        let workers = opts
            .workers
            .as_ref()
            .and_then(|w| w.first().copied())
            .unwrap_or(1);
        let cfg = E2eCfg {
            name: format!("latency {} L={latency}ms C={c_eff}", backend_name(backend)),
            backend,
            workers,
            rows,
            latency_ms: latency,
            jitter_ms: opts.jitter_ms,
            env: env.clone(),
            adapter: None,
        };
        let (r, spread) = run_median(bins, opts, &cfg).await?;
        let ideal = rows as f64 * latency as f64 / 1000.0 / (c_eff * workers as f64);
        report.check(
            &r.name,
            &format!(
                "{} rows, upload → done vs ideal N·L/C",
                thousands(rows as f64)
            ),
            format!(
                "{:.2} s = {:.3} × ideal {:.1} s (202→done {:.2} s = {:.3} ×{spread})",
                r.done_secs,
                r.done_secs / ideal,
                ideal,
                r.processing_secs,
                r.processing_secs / ideal
            ),
            "≤ 1.1 × ideal",
            r.done_secs <= 1.1 * ideal,
        );
        common_rows(&mut report, &r);
        let mut d = serde_json::to_value(&r)?;
        d["ideal_secs"] = serde_json::json!(ideal);
        report.details.push(d);
    }
    Ok(report)
}
