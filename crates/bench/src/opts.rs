//! Command line: `bench <scenario> [options]` (hand-parsed, like `gateway-api`).

use anyhow::{Context, bail};
use db::Backend;
use std::path::PathBuf;
use std::time::Duration;

/// Usage text.
pub const USAGE: &str = "usage: cargo run --release -p bench -- <scenario> [options]

scenarios:
  ingest     upload a 100,000-row CSV: seconds until 202, peak RSS of the api (PostgreSQL and SQLite)
  adapter    load generator straight at the simulator's POST /transfers (N requests, concurrency C)
  e2e        100,000 transfers as one bulk, upload to `done`: PostgreSQL 1 and 2 workers, SQLite 1
  latency    simulator latency 500 ms, 20,000 rows, WORKER_CONCURRENCY 500: time against N*L/C
  watchers   1,000 SSE clients on one 20,000-row bulk: event delay p50/p99, api RSS, missed `done`
  fairness   organisation A's 100,000-row bulk runs, then B's 100 rows: B's upload-to-done time
  overload   a rail of SIM_CAPACITY_TPS=300, 2 workers at WORKER_CONCURRENCY 500, 10,000 rows:
             throughput / capacity, the rail's 504s, rows FAILED — adaptive, then fixed pacing
  verify     verify before paying: a rail of ~1,000 lookups/s (SIM_CAPACITY_TPS=333, lookups
             20 ms), its own GET /parties rate measured first (--requests 5,000 at --concurrency
             200), then 100,000 rows verified by 1 worker: lookups/s ÷ the simulator's own
  all        every scenario above with its defaults

options (defaults depend on the scenario):
  --db pg|sqlite|both       database backend(s)
  --rows N                  rows of the bulk
  --requests N              adapter: requests;  --concurrency C  adapter C / WORKER_CONCURRENCY
                            (verify: the direct GET /parties lookups and their clients)
  --workers 1,2             worker processes (a list runs each)
  --latency-ms L            simulator latency (verify: of a lookup);  --jitter-ms J
  --clients N               watchers: SSE clients
  --repeat N                ingest: uploads per backend (default 3); e2e, latency: runs per
                            variant, the median is reported (default 1)
  --set KEY=VALUE           environment of the gateway processes (any knob of .env.example), repeatable
  --timeout SECS            longest wait for one bulk (default 1800)
  --out DIR                 results folder (default <workspace>/bench-results)
  --keep-logs               keep the processes' logs (printed folder)
  --keep-db                 keep the database afterwards (printed URL), for inspection

Knobs set by a scenario (e.g. WORKER_CONCURRENCY=200) give way to the same variable in the
environment of this program, and both give way to --set. The binaries are taken from the folder of
this executable (or BENCH_BIN_DIR): cargo build --release -p api -p worker -p simulator -p bench.
PostgreSQL: TEST_DATABASE_URL names the server on which a database is made per run (default
postgres://postgres@127.0.0.1:5432/postgres), or BENCH_DATABASE_URL an existing database to use
as is (migrated, seeded and kept, e.g. prepared with statement logging). Redis: REDIS_URL.";

/// A scenario name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Upload time and memory.
    Ingest,
    /// Raw simulator rate.
    Adapter,
    /// End-to-end throughput.
    E2e,
    /// Latency-bound completion.
    Latency,
    /// SSE fan-out.
    Watchers,
    /// Small bulk behind a big one.
    Fairness,
    /// A rail with a capacity: adaptive against fixed pacing.
    Overload,
    /// Payee lookups of a verified run against the rail's own lookup rate.
    Verify,
}

impl Scenario {
    /// Every scenario, in the order of `all`.
    pub const ALL: [Scenario; 8] = [
        Scenario::Ingest,
        Scenario::Adapter,
        Scenario::E2e,
        Scenario::Latency,
        Scenario::Watchers,
        Scenario::Fairness,
        Scenario::Overload,
        Scenario::Verify,
    ];

    /// Its command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Ingest => "ingest",
            Scenario::Adapter => "adapter",
            Scenario::E2e => "e2e",
            Scenario::Latency => "latency",
            Scenario::Watchers => "watchers",
            Scenario::Fairness => "fairness",
            Scenario::Overload => "overload",
            Scenario::Verify => "verify",
        }
    }
}

/// Parsed options.
#[derive(Debug, Clone)]
pub struct Opts {
    /// Scenarios to run.
    pub scenarios: Vec<Scenario>,
    /// Backends (`None`: the scenario's default).
    pub db: Option<Vec<Backend>>,
    /// Rows of the bulk.
    pub rows: Option<usize>,
    /// Adapter requests.
    pub requests: Option<usize>,
    /// Adapter concurrency or WORKER_CONCURRENCY.
    pub concurrency: Option<usize>,
    /// Worker processes.
    pub workers: Option<Vec<usize>>,
    /// Simulator latency.
    pub latency_ms: Option<u64>,
    /// Simulator jitter.
    pub jitter_ms: u64,
    /// SSE clients.
    pub clients: Option<usize>,
    /// Ingest uploads per backend.
    pub repeat: Option<usize>,
    /// `--set` pairs.
    pub set: Vec<(String, String)>,
    /// Longest wait for one bulk.
    pub timeout: Duration,
    /// Results folder.
    pub out: PathBuf,
    /// Keep logs.
    pub keep_logs: bool,
    /// Keep the database (for inspection).
    pub keep_db: bool,
}

fn value<'a>(args: &'a [String], i: &mut usize, flag: &str) -> anyhow::Result<&'a str> {
    *i += 1;
    args.get(*i)
        .map(String::as_str)
        .with_context(|| format!("{flag} needs a value"))
}

fn num<T: std::str::FromStr>(s: &str, flag: &str) -> anyhow::Result<T> {
    s.replace(['_', ','], "")
        .parse()
        .ok()
        .with_context(|| format!("{flag}: {s:?} is not a number"))
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> anyhow::Result<Opts> {
    let Some(first) = args.first() else {
        bail!("a scenario is required");
    };
    let scenarios = match first.as_str() {
        "all" => Scenario::ALL.to_vec(),
        name => vec![
            *Scenario::ALL
                .iter()
                .find(|s| s.name() == name)
                .with_context(|| format!("unknown scenario {name:?}"))?,
        ],
    };
    let default_out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench-results");
    let mut o = Opts {
        scenarios,
        db: None,
        rows: None,
        requests: None,
        concurrency: None,
        workers: None,
        latency_ms: None,
        jitter_ms: 0,
        clients: None,
        repeat: None,
        set: Vec::new(),
        timeout: Duration::from_secs(1800),
        out: default_out,
        keep_logs: false,
        keep_db: false,
    };
    let mut i = 1;
    while i < args.len() {
        let flag = args[i].as_str();
        match flag {
            "--db" => {
                o.db = Some(match value(args, &mut i, flag)? {
                    "pg" | "postgres" | "postgresql" => vec![Backend::Postgres],
                    "sqlite" => vec![Backend::Sqlite],
                    "both" => vec![Backend::Postgres, Backend::Sqlite],
                    other => bail!("--db: {other:?} (pg, sqlite or both)"),
                })
            }
            "--rows" => o.rows = Some(num(value(args, &mut i, flag)?, flag)?),
            "--requests" => o.requests = Some(num(value(args, &mut i, flag)?, flag)?),
            "--concurrency" => o.concurrency = Some(num(value(args, &mut i, flag)?, flag)?),
            "--workers" => {
                let v = value(args, &mut i, flag)?;
                o.workers = Some(
                    v.split(',')
                        .map(|w| num(w, flag))
                        .collect::<anyhow::Result<_>>()?,
                );
            }
            "--latency-ms" => o.latency_ms = Some(num(value(args, &mut i, flag)?, flag)?),
            "--jitter-ms" => o.jitter_ms = num(value(args, &mut i, flag)?, flag)?,
            "--clients" => o.clients = Some(num(value(args, &mut i, flag)?, flag)?),
            "--repeat" => o.repeat = Some(num::<usize>(value(args, &mut i, flag)?, flag)?.max(1)),
            "--set" => {
                let v = value(args, &mut i, flag)?;
                let (k, val) = v.split_once('=').context("--set KEY=VALUE")?;
                o.set.push((k.to_string(), val.to_string()));
            }
            "--timeout" => o.timeout = Duration::from_secs(num(value(args, &mut i, flag)?, flag)?),
            "--out" => o.out = PathBuf::from(value(args, &mut i, flag)?),
            "--keep-logs" => o.keep_logs = true,
            "--keep-db" => o.keep_db = true,
            other => bail!("unknown option {other:?}"),
        }
        i += 1;
    }
    Ok(o)
}

impl Opts {
    /// The gateway environment for a scenario: its `defaults`, unless this program's environment
    /// sets the same variable, then every `--set`.
    pub fn knobs(&self, defaults: &[(&str, String)]) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = defaults
            .iter()
            .filter(|(k, _)| std::env::var_os(k).is_none())
            .map(|(k, val)| (k.to_string(), val.clone()))
            .collect();
        v.extend(self.set.iter().cloned());
        v
    }

    /// Backends, or the scenario's default.
    pub fn backends(&self, default: &[Backend]) -> Vec<Backend> {
        self.db.clone().unwrap_or_else(|| default.to_vec())
    }
}

/// A knob's effective value: `--set`, this program's environment, the scenario default.
pub fn effective(knobs: &[(String, String)], key: &str, default: &str) -> String {
    knobs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var(key).ok())
        .unwrap_or_else(|| default.to_string())
}

/// `pg` / `sqlite`.
pub fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Postgres => "pg",
        Backend::Sqlite => "sqlite",
    }
}
