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
    // (backend, CSV median, pain.001 median) of this invocation, for the ratio between backends.
    let mut medians: Vec<(Backend, f64, f64)> = Vec::new();
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
        // First, while the api's high-water mark is still its own: a file wrong in every cell.
        let refused = refusal(&stack, rows).await;
        let result = measure(&stack, rows, repeat).await;
        stack.stop().await?;
        let (secs, xml_secs, rss_before, rss_peak, cpu) = result?;
        let (refused_secs, answer_bytes, refused_rss) = refused?;
        report.check(
            &name,
            &format!(
                "{} rows wrong in every cell → 422 (bounded answer)",
                thousands(rows as f64)
            ),
            format!(
                "{refused_secs:.2} s, answer {:.0} KB, api peak RSS after it {refused_rss:.0} MB",
                answer_bytes as f64 / 1024.0
            ),
            "answer ≤ 1 MB, RSS ≤ 200 MB",
            answer_bytes <= 1024 * 1024 && refused_rss <= TARGET_MB,
        );
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
        medians.push((backend, median, xml_median));
        report.details.push(serde_json::json!({
            "variant": name, "rows": rows, "upload_secs": secs,
            "median_secs": median, "pain001_upload_secs": xml_secs,
            "pain001_median_secs": xml_median, "api_rss_idle_mb": rss_before, "api_peak_rss_mb": rss_peak,
            "cpu": cpu,
        }));
    }
    backend_ratio(&mut report, rows, &medians);
    Ok(report)
}

/// PostgreSQL's medians ÷ SQLite's, both measured in this invocation (so on the same machine in
/// the same state: the absolute seconds move with the machine by a third between days, the ratio
/// much less). Issue 18 accepts PostgreSQL's CSV upload at ≤ 2 s or ≤ 1.1 × SQLite's.
fn backend_ratio(report: &mut Report, rows: usize, medians: &[(Backend, f64, f64)]) {
    let of = |b: Backend| medians.iter().find(|m| m.0 == b);
    let (Some(pg), Some(lite)) = (of(Backend::Postgres), of(Backend::Sqlite)) else {
        return;
    };
    let csv = pg.1 / lite.1;
    report.check(
        "ingest pg ÷ sqlite",
        &format!(
            "{} rows CSV: PostgreSQL ÷ SQLite upload → 202 (medians, same run)",
            thousands(rows as f64)
        ),
        format!("{csv:.2} × ({:.2} s ÷ {:.2} s)", pg.1, lite.1),
        "≤ 1.1 × (or PostgreSQL ≤ 2 s)",
        csv <= 1.1 || pg.1 <= TARGET_SECS,
    );
    report.info(
        "ingest pg ÷ sqlite",
        "pain.001: PostgreSQL ÷ SQLite upload → 202 (medians, same run)",
        format!("{:.2} × ({:.2} s ÷ {:.2} s)", pg.2 / lite.2, pg.2, lite.2),
    );
    report.details.push(serde_json::json!({
        "variant": "ingest pg ÷ sqlite",
        "csv_ratio": csv,
        "pain001_ratio": pg.2 / lite.2,
    }));
}

/// Uploads `rows` rows wrong in every cell; returns seconds to the 422, the answer's size and the
/// api's peak RSS afterwards.
async fn refusal(stack: &Stack, rows: usize) -> anyhow::Result<(f64, usize, f64)> {
    let api = stack.login_demo().await?;
    let mut csv = String::from("transferId,amount,currency,partyIdType,partyIdentifier\n");
    for i in 0..rows {
        csv.push_str(&format!("bad id {i},-{i},ZZZ,NOPE,x{i}\n"));
    }
    let t = Instant::now();
    let (status, body) = api.post_file(csv.as_bytes(), "wrong.csv", &[]).await?;
    let secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        status == 422,
        "a file wrong in every cell answered {status}"
    );
    // Every row is still checked: the totals count every problem, not only those listed.
    let v: serde_json::Value = serde_json::from_str(&body)?;
    let total = v["totalProblems"].as_u64().unwrap_or(0);
    anyhow::ensure!(
        total >= 4 * rows as u64,
        "only {total} problems counted for {rows} wrong rows"
    );
    eprintln!(
        "   refused file: {secs:.2} s, {} bytes, {total} problems counted",
        body.len()
    );
    Ok((secs, body.len(), sysstat::peak_rss_mb(stack.api.pid)))
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
