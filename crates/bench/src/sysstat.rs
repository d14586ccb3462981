//! Process and machine figures read from `/proc`: CPU time (utime + stime), peak and current RSS,
//! machine-wide busy time, and the CPU of the shared servers (PostgreSQL backends, Redis).

use serde::Serialize;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

/// Kernel clock ticks per second (`getconf CLK_TCK`, 100 on Linux when it cannot be asked).
fn clk_tck() -> f64 {
    static TCK: OnceLock<f64> = OnceLock::new();
    *TCK.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|t| *t > 0.0)
            .unwrap_or(100.0)
    })
}

/// `(comm, utime + stime in seconds)` of a process, from `/proc/<pid>/stat`.
fn stat(pid: &str) -> Option<(String, f64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let comm = s.get(open + 1..close)?.to_string();
    // Fields after the command: state is field 3, utime 14 and stime 15 (1-based).
    let rest: Vec<&str> = s.get(close + 2..)?.split_whitespace().collect();
    let utime: f64 = rest.get(11)?.parse().ok()?;
    let stime: f64 = rest.get(12)?.parse().ok()?;
    Some((comm, (utime + stime) / clk_tck()))
}

/// CPU seconds (user + system) a process has used so far.
pub fn cpu_secs(pid: u32) -> Option<f64> {
    stat(&pid.to_string()).map(|(_, s)| s)
}

/// A `Vm*` line of `/proc/<pid>/status`, in kB (`VmHWM` = peak RSS, `VmRSS` = current).
pub fn vm_kb(pid: u32, key: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Peak RSS of a process in MB.
pub fn peak_rss_mb(pid: u32) -> f64 {
    vm_kb(pid, "VmHWM").unwrap_or(0) as f64 / 1024.0
}

/// Machine-wide `(busy, total)` jiffies from the first line of `/proc/stat`.
fn machine() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let v: Vec<u64> = s
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (total.saturating_sub(idle), total)
}

/// Process names of the shared servers whose CPU is attributed to a run.
const SERVERS: &[(&str, &str)] = &[("postgres", "postgres"), ("redis-server", "redis")];

/// Whether a PostgreSQL process works for this run: a backend of the run's database, or a server
/// process with no client (postmaster, WAL writer, checkpointer…). Backends of other databases
/// (other people's tests on a shared server) are not counted.
fn ours(pid: &str, db: Option<&str>) -> bool {
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmd = String::from_utf8_lossy(&cmd);
    let client = cmd.contains('(');
    !client || db.is_some_and(|d| cmd.split_whitespace().any(|w| w == d))
}

fn servers(db: Option<&str>) -> HashMap<u32, (&'static str, f64)> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if let Some((comm, secs)) = stat(&pid.to_string())
            && let Some((_, label)) = SERVERS.iter().find(|(c, _)| comm.starts_with(c))
            && (*label != "postgres" || ours(&pid.to_string(), db))
        {
            out.insert(pid, (*label, secs));
        }
    }
    out
}

/// A CPU snapshot of the processes of a run, the servers, this program and the machine.
pub struct CpuSnap {
    procs: HashMap<u32, (String, f64)>,
    servers: HashMap<u32, (&'static str, f64)>,
    own: f64,
    machine: (u64, u64),
    at: Instant,
}

/// Takes a snapshot; `procs` are `(label, pid)` of the processes the run started, `db` the name of
/// the run's PostgreSQL database (its backends are counted as `postgres`).
pub fn snap(procs: &[(String, u32)], db: Option<&str>) -> CpuSnap {
    CpuSnap {
        procs: procs
            .iter()
            .map(|(l, p)| (*p, (l.clone(), cpu_secs(*p).unwrap_or(0.0))))
            .collect(),
        servers: servers(db),
        own: cpu_secs(std::process::id()).unwrap_or(0.0),
        machine: machine(),
        at: Instant::now(),
    }
}

/// CPU used between two snapshots.
#[derive(Debug, Clone, Serialize)]
pub struct CpuUsage {
    /// Wall-clock seconds between the snapshots.
    pub wall_secs: f64,
    /// CPU seconds per label (`api`, `worker-1`, `simulator`, `postgres`, `redis`, `bench`).
    pub cpu_secs: BTreeMap<String, f64>,
    /// Share of all cores busy over the interval (every process on the machine), in percent.
    pub machine_busy_pct: f64,
    /// CPU seconds used meanwhile by processes that are not the run's (other people's builds and
    /// tests on a shared machine): machine busy time minus everything attributed above.
    pub foreign_cpu_secs: f64,
}

impl CpuUsage {
    /// CPU seconds of every label for which `pred` holds.
    pub fn sum(&self, pred: impl Fn(&str) -> bool) -> f64 {
        self.cpu_secs
            .iter()
            .filter(|(k, _)| pred(k))
            .map(|(_, v)| v)
            .sum()
    }

    /// CPU seconds of the gateway's own processes (api and workers).
    pub fn gateway(&self) -> f64 {
        self.sum(|k| k == "api" || k.starts_with("worker"))
    }

    /// A one-line summary in ms of CPU per unit of work.
    pub fn per_unit_ms(&self, units: usize) -> BTreeMap<String, f64> {
        let n = units.max(1) as f64;
        let mut m: BTreeMap<String, f64> = self
            .cpu_secs
            .iter()
            .map(|(k, v)| (k.clone(), v * 1000.0 / n))
            .collect();
        m.insert("gateway (api+workers)".into(), self.gateway() * 1000.0 / n);
        m
    }
}

/// The CPU used from `a` to `b`. Processes that appeared in between count from zero; those
/// that ended in between are lost (their time is not visible any more).
pub fn diff(a: &CpuSnap, b: &CpuSnap) -> CpuUsage {
    let mut cpu: BTreeMap<String, f64> = BTreeMap::new();
    for (pid, (label, after)) in &b.procs {
        let before = a.procs.get(pid).map_or(0.0, |(_, s)| *s);
        *cpu.entry(label.clone()).or_default() += (after - before).max(0.0);
    }
    for (pid, (label, after)) in &b.servers {
        let before = a.servers.get(pid).map_or(0.0, |(_, s)| *s);
        *cpu.entry((*label).to_string()).or_default() += (after - before).max(0.0);
    }
    cpu.insert("bench".into(), (b.own - a.own).max(0.0));
    let busy = b.machine.0.saturating_sub(a.machine.0) as f64;
    let total = b.machine.1.saturating_sub(a.machine.1) as f64;
    let attributed: f64 = cpu.values().sum();
    CpuUsage {
        wall_secs: b.at.duration_since(a.at).as_secs_f64(),
        foreign_cpu_secs: (busy / clk_tck() - attributed).max(0.0),
        cpu_secs: cpu,
        machine_busy_pct: if total > 0.0 {
            100.0 * busy / total
        } else {
            0.0
        },
    }
}

/// Number of cores, CPU model and load average, for the report.
pub fn machine_info() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_kb = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0);
    serde_json::json!({
        "cores": cores,
        "cpu_model": model,
        "mem_gb": (mem_kb as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        "loadavg": loadavg(),
    })
}

/// Share of the machine busy over `window` before anything starts (other people's builds and
/// tests disturb the figures: the report says so).
pub async fn background_busy_pct(window: std::time::Duration) -> f64 {
    let a = machine();
    tokio::time::sleep(window).await;
    let b = machine();
    let total = b.1.saturating_sub(a.1) as f64;
    if total > 0.0 {
        100.0 * b.0.saturating_sub(a.0) as f64 / total
    } else {
        0.0
    }
}

/// Waits (up to `max_wait`) until the machine has been under `pct` % busy for two seconds, so a
/// run does not start on top of somebody else's build; returns the last busy share measured.
pub async fn wait_quiet(pct: f64, max_wait: std::time::Duration) -> f64 {
    let until = Instant::now() + max_wait;
    let mut said = false;
    loop {
        let busy = background_busy_pct(std::time::Duration::from_secs(2)).await;
        if busy < pct || Instant::now() > until {
            return busy;
        }
        if !said {
            eprintln!("   machine {busy:.0}% busy (other processes): waiting for it to calm down");
            said = true;
        }
    }
}

impl CpuUsage {
    /// Whether other processes used more than 10% of the machine during the interval.
    pub fn disturbed(&self) -> bool {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        self.foreign_cpu_secs > 0.1 * self.wall_secs * cores
    }
}

/// `/proc/loadavg`'s first three fields.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}
