//! The table rows of a `verify` run.

use super::{TARGET, VerifyRun};
use crate::report::{Report, thousands};

/// Adds the rows of one run.
pub(super) fn rows_for(report: &mut Report, r: &VerifyRun) {
    let ratio = r.rate / r.own.rate;
    report.info(
        &r.name,
        &format!(
            "simulator's own GET /parties rate (N={}, C={})",
            thousands(r.own.requests as f64),
            r.own.concurrency
        ),
        format!(
            "{} lookups/s (p50 {:.0} / p99 {:.0} ms; {} not answered)",
            thousands(r.own.rate),
            r.own.p50_ms,
            r.own.p99_ms,
            r.own.errors
        ),
    );
    report.check(
        &r.name,
        "gateway lookups/s ÷ simulator's own",
        format!(
            "{ratio:.2} ({} lookups/s: {} rows in {:.1} s, first lookup → verified_at)",
            thousands(r.rate),
            thousands(r.verified as f64),
            r.lookup_secs
        ),
        "≥ 0.9",
        ratio >= TARGET,
    );
    let windows = r.window_rates.map_or_else(String::new, |(median, top)| {
        format!(
            "; at the rail {} /s median, {} /s best 1-s window",
            thousands(median),
            thousands(top)
        )
    });
    report.info(
        &r.name,
        "202 → out of VERIFYING",
        format!(
            "{:.1} s = {} lookups/s ({:.2} × own); first lookup {:+.2} s from the 202, 202 after {:.2} s{windows}",
            r.verify_secs,
            thousands(r.rate_from_202),
            r.rate_from_202 / r.own.rate,
            r.first_lookup_secs,
            r.upload_secs
        ),
    );
    report.check(
        &r.name,
        "every row verified, nothing paid",
        format!(
            "{} / {} verified {}; {} GET /parties, {} rail timeouts, {} POST /transfers; {}",
            thousands(r.verified as f64),
            thousands(r.rows as f64),
            r.by_result,
            thousands(r.sim_lookups as f64),
            r.sim_timeouts,
            r.sim_posts,
            r.after
        ),
        "all, 0 POSTs",
        r.verified == r.rows as i64 && r.sim_posts == 0,
    );
    let limiter: Vec<String> = r
        .limiter
        .iter()
        .map(|(w, t)| {
            format!(
                "{w} peak {} last {} ({} cuts for latency, {} for timeouts, {} probes)",
                t.peak, t.last, t.cuts_latency, t.cuts_loss, t.probes
            )
        })
        .collect();
    report.info(
        &r.name,
        "lookup limiter (logged limits)",
        limiter.join("; "),
    );
    let per = r.cpu.per_unit_ms(r.verified.max(1) as usize);
    let us = |k: &str| per.get(k).copied().unwrap_or(0.0) * 1000.0;
    report.info(
        &r.name,
        "CPU per lookup: gateway (api+workers) / postgres / redis / simulator",
        format!(
            "{:.0} / {:.0} / {:.0} / {:.0} µs (machine busy {:.0}%, foreign CPU {:.1} s{}{})",
            us("gateway (api+workers)"),
            us("postgres"),
            us("redis"),
            us("simulator"),
            r.cpu.machine_busy_pct,
            r.cpu.foreign_cpu_secs,
            if r.cpu.disturbed() { ", DISTURBED" } else { "" },
            match r.discarded {
                0 => String::new(),
                n => format!("; {n} disturbed run(s) discarded"),
            }
        ),
    );
    let secs: Vec<String> = r
        .cpu
        .cpu_secs
        .iter()
        .map(|(k, v)| format!("{k} {v:.1}"))
        .collect();
    report.info(
        &r.name,
        "CPU seconds, upload → verified",
        format!("{} (over {:.1} s)", secs.join(", "), r.cpu.wall_secs),
    );
    let rss: Vec<String> = r
        .peak_rss_mb
        .iter()
        .map(|(l, m)| format!("{l} {m:.0}"))
        .collect();
    report.info(&r.name, "peak RSS (MB)", rss.join(", "));
}
