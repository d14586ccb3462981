//! The gateway's real binaries as child processes: where they are, starting them with a given
//! environment and a log file, waiting until they answer, and stopping them (SIGTERM, then SIGKILL).

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// Paths of the three release binaries.
#[derive(Debug, Clone)]
pub struct Bins {
    /// `gateway-api`.
    pub api: PathBuf,
    /// `gateway-worker`.
    pub worker: PathBuf,
    /// `simulator`.
    pub sim: PathBuf,
}

impl Bins {
    /// The binaries next to this program (or in `BENCH_BIN_DIR`).
    pub fn locate() -> anyhow::Result<Bins> {
        let dir = match std::env::var_os("BENCH_BIN_DIR") {
            Some(d) => PathBuf::from(d),
            None => std::env::current_exe()
                .context("locating the bench executable")?
                .parent()
                .map(Path::to_path_buf)
                .context("the bench executable has no folder")?,
        };
        let bins = Bins {
            api: dir.join("gateway-api"),
            worker: dir.join("gateway-worker"),
            sim: dir.join("simulator"),
        };
        let missing: Vec<String> = [&bins.api, &bins.worker, &bins.sim]
            .iter()
            .filter(|p| !p.is_file())
            .map(|p| p.display().to_string())
            .collect();
        if !missing.is_empty() {
            bail!(
                "missing gateway binaries: {}\nbuild them first, in release mode, next to the bench:\n  \
                 cargo build --release -p api -p worker -p simulator -p bench",
                missing.join(", ")
            );
        }
        Ok(bins)
    }
}

/// A free TCP port on 127.0.0.1 (bound then released; the child binds it right after).
pub fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

/// A running child process with its log file.
pub struct Proc {
    /// Label in reports (`api`, `worker-1`, `simulator`).
    pub label: String,
    /// Process id.
    pub pid: u32,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
    child: Child,
}

impl Proc {
    /// Starts `bin args…` with `env` added to this program's environment.
    pub fn spawn(
        label: &str,
        bin: &Path,
        args: &[&str],
        env: &[(String, String)],
        log_dir: &Path,
    ) -> anyhow::Result<Proc> {
        let log = log_dir.join(format!("{label}.log"));
        let out = std::fs::File::create(&log).with_context(|| format!("creating {log:?}"))?;
        let err = out.try_clone()?;
        let child = Command::new(bin)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id().context("child has no pid")?;
        Ok(Proc {
            label: label.to_string(),
            pid,
            log,
            child,
        })
    }

    /// Fails with the end of the log when the process has exited.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "{} exited ({status}); end of {}:\n{}",
                self.label,
                self.log.display(),
                tail(&self.log, 20)
            );
        }
        Ok(())
    }

    /// Waits until `url` answers 2xx.
    pub async fn wait_http(&mut self, url: &str, timeout: Duration) -> anyhow::Result<()> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()?;
        let until = Instant::now() + timeout;
        loop {
            self.check_alive()?;
            if let Ok(r) = http.get(url).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > until {
                bail!("{} did not answer {url} within {timeout:?}", self.label);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the log contains `needle`.
    pub async fn wait_log(&mut self, needle: &str, timeout: Duration) -> anyhow::Result<()> {
        let until = Instant::now() + timeout;
        loop {
            self.check_alive()?;
            if std::fs::read_to_string(&self.log).is_ok_and(|s| s.contains(needle)) {
                return Ok(());
            }
            if Instant::now() > until {
                bail!("{} did not log {needle:?} within {timeout:?}", self.label);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGTERM, up to `grace` to exit, then SIGKILL.
    pub async fn stop(mut self, grace: Duration) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await;
        if tokio::time::timeout(grace, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.start_kill();
            let _ = self.child.wait().await;
        }
    }
}

/// Runs a command to completion; fails with its output when it exits non-zero.
pub async fn run_cli(
    bin: &Path,
    args: &[&str],
    env: &[(String, String)],
) -> anyhow::Result<String> {
    let out = Command::new(bin)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {}", bin.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "{} {} failed ({}): {}{}",
            bin.display(),
            args.join(" "),
            out.status,
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(stdout)
}

/// The last `n` lines of a file.
pub fn tail(path: &Path, n: usize) -> String {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
