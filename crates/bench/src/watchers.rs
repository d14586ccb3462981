//! Scenario 5, watchers: N SSE clients (default 1,000) on one 20,000-row bulk.
//!
//! Method. The bulk is uploaded with no worker running (it waits PENDING), every client connects
//! and receives its snapshot, then one worker is started. Each client timestamps every event at
//! arrival (wall clock, the same clock the worker uses for `completed_at`). An event says
//! `completed = k`; the commit that made it true is the settlement transaction of the k-th row in
//! `completed_at` order (read from the database afterwards; one worker settles serially, so the
//! order is exact and `completed_at` is stamped at the start of that transaction). The delay of an
//! event at a client is `arrival − completed_at(k-th row)`: it covers the transaction, the
//! coalescing window (≤ 100 ms per bulk), Redis pub/sub, the api's fan-out and the client's own
//! scheduling (1,000 readers share the 2 cores with the gateway). Also reported: the spread of one
//! event's arrival across clients (arrival − earliest arrival of the same seq), the `done` delay
//! against the bulk's `completed_at`, clients that missed `done`, and the api's RSS.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::client::SseEvent;
use crate::opts::{Opts, effective};
use crate::procs::Bins;
use crate::report::{Report, percentile, sorted, standard_csv, thousands};
use crate::stack::{Stack, StackCfg};
use crate::sysstat;

/// Target p99 delay, ms.
const TARGET_P99_MS: f64 = 100.0;

/// Runs the scenario.
pub async fn run(bins: &Bins, opts: &Opts) -> anyhow::Result<Report> {
    let rows = opts.rows.unwrap_or(20_000);
    let clients = opts.clients.unwrap_or(1_000);
    let c = effective(&opts.knobs(&[]), "WORKER_CONCURRENCY", "200");
    let env = opts.knobs(&[("WORKER_CONCURRENCY", c.clone())]);
    let name = format!("watchers pg {clients} clients");
    eprintln!("== {name}: {rows} rows");
    let cfg = StackCfg {
        backend: db::Backend::Postgres,
        workers: 0,
        sim_latency_ms: opts.latency_ms.unwrap_or(0),
        sim_jitter_ms: opts.jitter_ms,
        env,
        keep_logs: opts.keep_logs,
        keep_db: opts.keep_db,
    };
    let mut stack = Stack::start(bins, &cfg).await?;
    let res = measure(&mut stack, opts, rows, clients).await;
    stack.stop().await?;
    let m = res?;
    let mut report = Report::default();
    report.check(
        &name,
        "delay row commit → event at client, p50 / p99 / max",
        format!(
            "{:.0} / {:.0} / {:.0} ms ({} deliveries)",
            m.delay[0],
            m.delay[1],
            m.delay[2],
            thousands(m.deliveries as f64)
        ),
        "p99 ≤ 100 ms",
        m.delay[1] <= TARGET_P99_MS,
    );
    report.info(
        &name,
        "arrival spread across clients (same seq), p50 / p99",
        format!("{:.0} / {:.0} ms", m.spread[0], m.spread[1]),
    );
    report.info(
        &name,
        "`done` after the bulk's completed_at, p50 / p99 / max",
        format!("{:.0} / {:.0} / {:.0} ms", m.done[0], m.done[1], m.done[2]),
    );
    report.check(
        &name,
        "clients that received `done`",
        format!("{} / {clients} ({} errors)", m.got_done, m.errors),
        "all",
        m.got_done == clients,
    );
    report.info(
        &name,
        "api RSS: idle / with clients / peak",
        format!(
            "{:.0} / {:.0} / {:.0} MB",
            m.rss_idle, m.rss_connected, m.rss_peak
        ),
    );
    report.info(
        &name,
        "worker start → done (events per client)",
        format!(
            "{:.1} s ({:.0} events/client; foreign CPU {:.1} s{})",
            m.bulk_secs,
            m.events_per_client,
            m.cpu.foreign_cpu_secs,
            if m.cpu.disturbed() { ", DISTURBED" } else { "" }
        ),
    );
    report.details.push(serde_json::json!({
        "variant": name, "rows": rows, "clients": clients,
        "delay_ms_p50_p99_max": m.delay, "spread_ms_p50_p99": m.spread,
        "done_delay_ms_p50_p99_max": m.done, "got_done": m.got_done, "errors": m.errors,
        "deliveries": m.deliveries, "api_rss_idle_mb": m.rss_idle,
        "api_rss_connected_mb": m.rss_connected, "api_peak_rss_mb": m.rss_peak,
        "bulk_secs": m.bulk_secs, "events_per_client": m.events_per_client,
        "connect_secs": m.connect_secs, "cpu": m.cpu,
    }));
    Ok(report)
}

struct Measured {
    delay: [f64; 3],
    spread: [f64; 2],
    done: [f64; 3],
    got_done: usize,
    errors: usize,
    deliveries: usize,
    rss_idle: f64,
    rss_connected: f64,
    rss_peak: f64,
    bulk_secs: f64,
    events_per_client: f64,
    connect_secs: f64,
    cpu: sysstat::CpuUsage,
}

async fn measure(
    stack: &mut Stack,
    opts: &Opts,
    rows: usize,
    clients: usize,
) -> anyhow::Result<Measured> {
    let api = stack.login_demo().await?;
    let csv = standard_csv(rows, 100, "watch");
    let bulk = api.upload(&csv, "watchers.csv").await?;
    let rss_idle = sysstat::vm_kb(stack.api.pid, "VmRSS").unwrap_or(0) as f64 / 1024.0;

    let connected = Arc::new(AtomicUsize::new(0));
    let t_connect = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (api, bulk, connected) = (api.clone(), bulk.clone(), connected.clone());
        let timeout = opts.timeout;
        tasks.push(tokio::spawn(async move {
            let mut first = true;
            api.follow(&bulk, timeout, |_| {
                if first {
                    first = false;
                    connected.fetch_add(1, Ordering::Relaxed);
                }
            })
            .await
        }));
    }
    let until = Instant::now() + Duration::from_secs(120);
    while connected.load(Ordering::Relaxed) < clients {
        if Instant::now() > until {
            anyhow::bail!(
                "only {} of {clients} clients connected within 120 s",
                connected.load(Ordering::Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connect_secs = t_connect.elapsed().as_secs_f64();
    let rss_connected = sysstat::vm_kb(stack.api.pid, "VmRSS").unwrap_or(0) as f64 / 1024.0;
    eprintln!("   {clients} clients connected in {connect_secs:.2} s; starting the worker");

    let pids = stack.pids();
    let before = sysstat::snap(&pids, stack.db_name());
    let t0 = Instant::now();
    stack.start_workers(1).await?;
    let mut per_client: Vec<Vec<SseEvent>> = Vec::with_capacity(clients);
    let mut errors = 0;
    for t in tasks {
        match t.await? {
            Ok(evs) => per_client.push(evs),
            Err(e) => {
                errors += 1;
                if errors <= 3 {
                    eprintln!("   client error: {e:#}");
                }
            }
        }
    }
    let bulk_secs = t0.elapsed().as_secs_f64();
    let mut pids_all = pids.clone();
    pids_all.extend(stack.workers.iter().map(|w| (w.label.clone(), w.pid)));
    let cpu = sysstat::diff(&before, &sysstat::snap(&pids_all, stack.db_name()));
    let rss_peak = sysstat::peak_rss_mb(stack.api.pid);

    let (commits, bulk_done) = commit_times(stack, &bulk).await?;
    let mut delays = Vec::new();
    let mut done_delays = Vec::new();
    let mut earliest: HashMap<i64, DateTime<Utc>> = HashMap::new();
    let mut got_done = 0;
    for evs in &per_client {
        for ev in evs {
            let e = earliest.entry(ev.seq).or_insert(ev.at);
            *e = (*e).min(ev.at);
        }
    }
    let mut spreads = Vec::new();
    let mut deliveries = 0;
    for evs in &per_client {
        // The first event is the snapshot read at connection time (before the worker started).
        for ev in evs.iter().skip(1) {
            deliveries += 1;
            if let Some(k) = usize::try_from(ev.completed).ok().filter(|k| *k > 0)
                && let Some(at) = commits.get(k - 1)
            {
                delays.push(ms(ev.at - *at));
            }
            if let Some(e) = earliest.get(&ev.seq) {
                spreads.push(ms(ev.at - *e));
            }
            if ev.kind == "done" {
                got_done += 1;
                if let Some(d) = bulk_done {
                    done_delays.push(ms(ev.at - d));
                }
            }
        }
    }
    let (d, s, dd) = (sorted(delays), sorted(spreads), sorted(done_delays));
    let max = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
    Ok(Measured {
        delay: [percentile(&d, 50.0), percentile(&d, 99.0), max(&d)],
        spread: [percentile(&s, 50.0), percentile(&s, 99.0)],
        done: [percentile(&dd, 50.0), percentile(&dd, 99.0), max(&dd)],
        got_done,
        errors,
        deliveries,
        rss_idle,
        rss_connected,
        rss_peak,
        bulk_secs,
        events_per_client: deliveries as f64 / per_client.len().max(1) as f64,
        connect_secs,
        cpu,
    })
}

fn ms(d: chrono::TimeDelta) -> f64 {
    d.num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0
}

/// `completed_at` of every final row of the bulk, sorted, and the bulk's own `completed_at`.
async fn commit_times(
    stack: &Stack,
    bulk_id: &str,
) -> anyhow::Result<(Vec<DateTime<Utc>>, Option<DateTime<Utc>>)> {
    let pool = stack.pool()?;
    let bulk_id = bulk_id.to_string();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        let bulk = db::queries::bulks::find(&mut conn, &bulk_id)?
            .ok_or_else(|| anyhow::anyhow!("bulk {bulk_id} not in the database"))?;
        let mut times = Vec::new();
        let mut after = None;
        loop {
            let page = db::queries::transfers::page(&mut conn, bulk.id, None, after, 5_000)?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            times.extend(
                page.iter()
                    .filter_map(|t| t.completed_at.map(|c| c.and_utc())),
            );
        }
        times.sort();
        Ok((times, bulk.completed_at.map(|c| c.and_utc())))
    })
    .await?
}
