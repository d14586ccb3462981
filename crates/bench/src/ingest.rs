//! Scenario 1, ingest: upload a generated 100,000-row CSV through the HTTP API; seconds until 202
//! and the api process's peak RSS (VmHWM), on PostgreSQL and on SQLite. No worker runs, so the
//! figure is the upload alone (validation, storage of every row, reservation, queueing). The same
//! rows are also uploaded as a pain.001.001.09 file (~42 MB for 100,000 transactions) in the same
//! run, and its time is given against the CSV's budget and as a ratio to the CSV's.

use db::Backend;
use std::time::Instant;

use crate::opts::{Opts, backend_name};
use crate::procs::Bins;
use crate::report::{Report, percentile, sorted, thousands};
use crate::stack::{Stack, StackCfg};
use crate::sysstat;

/// Target seconds until 202.
const TARGET_SECS: f64 = 2.0;
/// Target peak RSS of the api, MB.
const TARGET_MB: f64 = 200.0;

/// Runs the scenario.
pub async fn run(bins: &Bins, opts: &Opts) -> anyhow::Result<Report> {
    let rows = opts.rows.unwrap_or(100_000);
    let repeat = opts.repeat.unwrap_or(3);
    let mut report = Report::default();
    for backend in opts.backends(&[Backend::Postgres, Backend::Sqlite]) {
        let name = format!("ingest {}", backend_name(backend));
        eprintln!("== {name}: {rows} rows × {repeat} uploads");
        let cfg = StackCfg {
            backend,
            workers: 0,
            sim_latency_ms: 0,
            sim_jitter_ms: 0,
            env: opts.knobs(&[]),
            keep_logs: opts.keep_logs,
            keep_db: opts.keep_db,
        };
        let stack = Stack::start(bins, &cfg).await?;
        let result = measure(&stack, rows, repeat).await;
        stack.stop().await?;
        let (secs, xml_secs, rss_before, rss_peak, cpu) = result?;
        let s = sorted(secs.clone());
        let median = percentile(&s, 50.0);
        let worst = s.last().copied().unwrap_or(f64::NAN);
        report.check(
            &name,
            &format!(
                "{} rows: upload → 202 (median of {})",
                thousands(rows as f64),
                secs.len()
            ),
            format!(
                "{median:.2} s (worst {worst:.2} s, {} rows/s)",
                thousands(rows as f64 / median)
            ),
            "≤ 2 s",
            median <= TARGET_SECS,
        );
        report.check(
            &name,
            "api peak RSS (VmHWM)",
            format!("{rss_peak:.0} MB (idle {rss_before:.0} MB)"),
            "≤ 200 MB",
            rss_peak <= TARGET_MB,
        );
        let xml_median = percentile(&sorted(xml_secs.clone()), 50.0);
        report.check(
            &name,
            &format!(
                "{} transactions as pain.001.001.09: upload → 202 (median of {})",
                thousands(rows as f64),
                xml_secs.len()
            ),
            format!(
                "{xml_median:.2} s = {:.2} × the CSV of this run",
                xml_median / median
            ),
            "≤ 2 s (the CSV budget)",
            xml_median <= TARGET_SECS,
        );
        report.info(
            &name,
            "CPU per upload (CSV and pain.001): api / postgres",
            format!(
                "{:.2} s / {:.2} s (foreign CPU {:.1} s{})",
                cpu.sum(|k| k == "api") / (secs.len() + xml_secs.len()) as f64,
                cpu.sum(|k| k == "postgres") / (secs.len() + xml_secs.len()) as f64,
                cpu.foreign_cpu_secs,
                if cpu.disturbed() { ", DISTURBED" } else { "" }
            ),
        );
        report.details.push(serde_json::json!({
            "variant": name, "rows": rows, "upload_secs": secs,
            "median_secs": median, "pain001_upload_secs": xml_secs,
            "pain001_median_secs": xml_median, "api_rss_idle_mb": rss_before, "api_peak_rss_mb": rss_peak,
            "cpu": cpu,
        }));
    }
    Ok(report)
}

async fn measure(
    stack: &Stack,
    rows: usize,
    repeat: usize,
) -> anyhow::Result<(Vec<f64>, Vec<f64>, f64, f64, sysstat::CpuUsage)> {
    let api = stack.login_demo().await?;
    let rss_before = sysstat::peak_rss_mb(stack.api.pid);
    let pids = stack.pids();
    let before = sysstat::snap(&pids, stack.db_name());
    let mut secs = Vec::new();
    let mut xml_secs = Vec::new();
    for r in 0..repeat {
        // A new file each time (distinct ids and hash), generated before the clock starts.
        let csv = crate::report::standard_csv(rows, 100, &format!("ing{r}"));
        let t = Instant::now();
        let bulk = api.upload(&csv, &format!("ingest-{r}.csv")).await?;
        let s = t.elapsed().as_secs_f64();
        eprintln!("   upload {r}: {s:.2} s ({bulk})");
        secs.push(s);
        let xml = crate::report::pain001(rows, 100, &format!("ingx{r}"));
        let t = Instant::now();
        let bulk = api.upload(&xml, &format!("ingest-{r}.xml")).await?;
        let s = t.elapsed().as_secs_f64();
        eprintln!("   pain.001 upload {r}: {s:.2} s ({bulk})");
        xml_secs.push(s);
    }
    let cpu = sysstat::diff(&before, &sysstat::snap(&pids, stack.db_name()));
    Ok((
        secs,
        xml_secs,
        rss_before,
        sysstat::peak_rss_mb(stack.api.pid),
        cpu,
    ))
}
