//! Scenario 6, fairness: organisation A's 100,000-row bulk is started first; once it is well under
//! way, organisation B (a second organisation made with the admin CLI) uploads 100 rows. Measured:
//! B's time from the start of its upload to `done` on its stream, while A is still running.

use db::Backend;
use std::time::{Duration, Instant};

use crate::opts::{Opts, backend_name, effective};
use crate::procs::Bins;
use crate::report::{Report, standard_csv, thousands};
use crate::stack::{Stack, StackCfg};

/// Target: B done within this many seconds.
const TARGET_SECS: f64 = 2.0;

/// Runs the scenario.
pub async fn run(bins: &Bins, opts: &Opts) -> anyhow::Result<Report> {
    let rows_a = opts.rows.unwrap_or(100_000);
    let rows_b = 100;
    let c = effective(&opts.knobs(&[]), "WORKER_CONCURRENCY", "200");
    let env = opts.knobs(&[("WORKER_CONCURRENCY", c.clone())]);
    let workers = opts
        .workers
        .as_ref()
        .and_then(|w| w.first().copied())
        .unwrap_or(1);
    let mut report = Report::default();
    for backend in opts.backends(&[Backend::Postgres]) {
        let name = format!("fairness {} {workers}w C={c}", backend_name(backend));
        eprintln!("== {name}: A {rows_a} rows, then B {rows_b} rows");
        let cfg = StackCfg {
            backend,
            workers,
            sim_latency_ms: opts.latency_ms.unwrap_or(0),
            sim_jitter_ms: opts.jitter_ms,
            env: env.clone(),
            keep_logs: opts.keep_logs,
            keep_db: opts.keep_db,
        };
        let mut stack = Stack::start(bins, &cfg).await?;
        let res = measure(&mut stack, opts, rows_a, rows_b).await;
        stack.stop().await?;
        let m = res?;
        report.check(
            &name,
            &format!("B ({rows_b} rows) upload → done while A runs"),
            format!(
                "{:.2} s (A at {} → {} of {} rows meanwhile)",
                m.b_secs,
                thousands(m.a_at_b_start as f64),
                thousands(m.a_at_b_done as f64),
                thousands(rows_a as f64)
            ),
            "≤ 2 s",
            m.b_secs <= TARGET_SECS && m.a_at_b_done < rows_a as i64,
        );
        report.info(
            &name,
            "A upload → done",
            format!(
                "{:.1} s ({} transfers/s); B {}, A {} (foreign CPU {:.1} s{})",
                m.a_secs,
                thousands(rows_a as f64 / m.a_secs),
                m.b_state,
                m.a_state,
                m.cpu.foreign_cpu_secs,
                if m.cpu.disturbed() { ", DISTURBED" } else { "" }
            ),
        );
        report.details.push(serde_json::json!({
            "variant": name, "rows_a": rows_a, "rows_b": rows_b, "b_secs": m.b_secs,
            "b_upload_secs": m.b_upload_secs, "a_secs": m.a_secs,
            "a_completed_at_b_start": m.a_at_b_start, "a_completed_at_b_done": m.a_at_b_done,
            "a_state": m.a_state, "b_state": m.b_state, "knobs": env, "cpu": m.cpu,
        }));
    }
    Ok(report)
}

struct Measured {
    b_secs: f64,
    b_upload_secs: f64,
    a_secs: f64,
    a_at_b_start: i64,
    a_at_b_done: i64,
    a_state: String,
    b_state: String,
    cpu: crate::sysstat::CpuUsage,
}

async fn measure(
    stack: &mut Stack,
    opts: &Opts,
    rows_a: usize,
    rows_b: usize,
) -> anyhow::Result<Measured> {
    stack.add_org("FUNDB", "gestb", "fundb-password").await?;
    let api_a = stack.login_demo().await?;
    let api_b = stack.login("gestb", "fundb-password").await?;
    let csv_a = standard_csv(rows_a, 100, "fairA");
    let csv_b = standard_csv(rows_b, 100, "fairB");

    let pids = stack.pids();
    let before = crate::sysstat::snap(&pids, stack.db_name());
    let t_a = Instant::now();
    let bulk_a = api_a.upload(&csv_a, "a.csv").await?;
    let (tx, mut rx) = tokio::sync::watch::channel(0i64);
    let follower = {
        let (api, bulk, timeout) = (api_a.clone(), bulk_a.clone(), opts.timeout);
        tokio::spawn(async move {
            api.follow(&bulk, timeout, |ev| {
                tx.send_replace(ev.completed);
            })
            .await
        })
    };
    // Well under way: 5% of A final (at least one progress event past the start).
    let threshold = (rows_a as i64 / 20).max(1);
    tokio::time::timeout(Duration::from_secs(120), rx.wait_for(|c| *c >= threshold))
        .await
        .map_err(|_| anyhow::anyhow!("A made no progress within 120 s"))??;
    let a_at_b_start = *rx.borrow();

    let t_b = Instant::now();
    let bulk_b = api_b.upload(&csv_b, "b.csv").await?;
    let b_upload_secs = t_b.elapsed().as_secs_f64();
    let events = api_b.follow(&bulk_b, opts.timeout, |_| {}).await?;
    let b_done = events.last().map_or_else(Instant::now, |e| e.instant);
    let a_at_b_done = *rx.borrow();
    let b_secs = b_done.duration_since(t_b).as_secs_f64();
    eprintln!("   B done in {b_secs:.2} s; A at {a_at_b_done}/{rows_a}");

    let a_events = follower.await??;
    let a_done = a_events.last().map_or_else(Instant::now, |e| e.instant);
    let cpu = crate::sysstat::diff(&before, &crate::sysstat::snap(&pids, stack.db_name()));
    stack.check_alive()?;
    let a_state = api_a.status(&bulk_a).await?["state"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let b_state = api_b.status(&bulk_b).await?["state"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Ok(Measured {
        b_secs,
        b_upload_secs,
        a_secs: a_done.duration_since(t_a).as_secs_f64(),
        a_at_b_start,
        a_at_b_done,
        a_state,
        b_state,
        cpu,
    })
}
