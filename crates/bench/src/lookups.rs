//! The simulator's own `GET /parties/{Type}/{ID}` rate: a load generator drives the lookup route
//! directly (N lookups, C clients, identifiers that resolve), the ceiling the gateway's
//! verification is compared with (scenario `verify`). Also the lookup rate over time from the
//! simulator's `partyLookups` counter.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::report::{percentile, sorted};
use crate::sysstat;

/// What one direct lookup run measured.
#[derive(Debug, Clone, Serialize)]
pub struct LookupLoad {
    /// Lookups sent.
    pub requests: usize,
    /// Concurrent clients.
    pub concurrency: usize,
    /// 200 `COMPLETED` answers naming a party.
    pub answered: usize,
    /// Anything else (a 500 `Timeout` of an overloaded rail, a refused connection).
    pub errors: usize,
    /// Wall-clock seconds.
    pub secs: f64,
    /// Answered lookups per second.
    pub rate: f64,
    /// Latency percentiles of the answered lookups, ms.
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
    party: Party,
}

#[derive(Deserialize)]
struct Party {
    body: PartyBody,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartyBody {
    party_id_info: Option<serde::de::IgnoredAny>,
}

/// An MSISDN the simulator finds (its default payee): distinct per `i`, ending in `11`, never one
/// of the suffixes that fail a lookup (`3204`, `0504`, `0514`, `0534`), and never one of the bulk's
/// own (`229…`, see [`crate::report::standard_csv`]).
pub fn resolving_msisdn(i: usize) -> String {
    format!("228{:08}11", i % 100_000_000)
}

/// Sends `n` lookups from `c` concurrent clients to `sim_url`; `pids` are measured for CPU.
pub async fn load(
    sim_url: &str,
    n: usize,
    c: usize,
    pids: &[(String, u32)],
) -> anyhow::Result<LookupLoad> {
    let base = Arc::new(format!("{sim_url}/parties/MSISDN"));
    let l = crate::load::closed_loop(n, c, pids, move |http, i| {
        let url = format!("{base}/{}", resolving_msisdn(i));
        async move {
            match http.get(&url).send().await {
                Ok(r) if r.status().is_success() => r
                    .bytes()
                    .await
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Answer>(&b).ok())
                    .is_some_and(|a| {
                        a.current_state == "COMPLETED" && a.party.body.party_id_info.is_some()
                    }),
                _ => false,
            }
        }
    })
    .await?;
    Ok(LookupLoad {
        requests: l.requests,
        concurrency: l.concurrency,
        answered: l.ok,
        errors: l.errors,
        secs: l.secs,
        rate: l.rate,
        p50_ms: l.p50_ms,
        p99_ms: l.p99_ms,
        cpu: l.cpu,
    })
}

/// `GET /__sim/counters` (without the per-id detail).
pub async fn counters(http: &reqwest::Client, sim_url: &str) -> anyhow::Result<serde_json::Value> {
    Ok(http
        .get(format!("{sim_url}/__sim/counters"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// Polls the simulator's `partyLookups` every `every` until it passes `base`; returns the time of
/// the last poll that saw none (the first lookup came after it, and before the next poll).
pub async fn first_lookup(
    http: reqwest::Client,
    sim_url: String,
    base: u64,
    every: Duration,
) -> anyhow::Result<(Instant, chrono::DateTime<chrono::Utc>)> {
    let mut none_yet = (Instant::now(), chrono::Utc::now());
    loop {
        let (at, utc) = (Instant::now(), chrono::Utc::now());
        let made = counters(&http, &sim_url).await?["partyLookups"]
            .as_u64()
            .unwrap_or(0);
        if made > base {
            return Ok(none_yet);
        }
        none_yet = (at, utc);
        tokio::time::sleep(every).await;
    }
}

/// Lookups per second over windows of at least one second, from `(seconds, cumulative count)`
/// samples: `(median, highest)` of the windows, `None` with fewer than two windows' worth.
pub fn window_rates(samples: &[(f64, u64)]) -> Option<(f64, f64)> {
    let mut rates = Vec::new();
    let mut start = *samples.first()?;
    for &(t, n) in &samples[1..] {
        if t - start.0 >= 1.0 {
            rates.push(n.saturating_sub(start.1) as f64 / (t - start.0));
            start = (t, n);
        }
    }
    if rates.is_empty() {
        return None;
    }
    let rates = sorted(rates);
    Some((percentile(&rates, 50.0), rates[rates.len() - 1]))
}

/// What a worker's log says about its lookup limiter (the "adapter in-flight limit changed"
/// lines: logged when the limit moves by a quarter or more; while only lookups are paced, every
/// such line is the lookup pacer's).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LimitTrace {
    /// Highest limit logged.
    pub peak: usize,
    /// Last limit logged.
    pub last: usize,
    /// Logged decreases for rising latency (a queue at the rail).
    pub cuts_latency: usize,
    /// Logged decreases for timeouts or errors.
    pub cuts_loss: usize,
    /// Logged baseline probes.
    pub probes: usize,
}

/// Reads the limiter's trace from a worker's log.
pub fn limit_trace(log: &std::path::Path) -> LimitTrace {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut t = LimitTrace::default();
    for line in text
        .lines()
        .filter(|l| l.contains("in-flight limit changed"))
    {
        let line = strip_colours(line);
        let Some(limit) = number_after(&line, "adapter_limit") else {
            continue;
        };
        let previous = number_after(&line, "previous").unwrap_or(limit);
        t.peak = t.peak.max(limit);
        t.last = limit;
        if limit < previous {
            if line.contains("latency rising") {
                t.cuts_latency += 1;
            } else if line.contains("timeouts or errors") {
                t.cuts_loss += 1;
            } else if line.contains("measuring the rail") {
                t.probes += 1;
            }
        }
    }
    t
}

/// A log line without its ANSI colour codes (`ESC [ … m`: the text format colours field names even
/// into a file, and the codes hold digits).
fn strip_colours(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The number in `key=<number>` of a log line.
fn number_after(line: &str, key: &str) -> Option<usize> {
    let pat = format!("{key}=");
    let rest = &line[line.find(&pat)? + pat.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
