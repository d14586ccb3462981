//! One run's gateway: a fresh database (PostgreSQL `gwtest_<uuid>` or a SQLite file), a unique Redis
//! prefix, the simulator, the API and N workers, each its own process; torn down afterwards.

use anyhow::Context;
use db::Backend;
use db::testing::TestDb;
use std::path::PathBuf;
use std::time::Duration;

use crate::client::Api;
use crate::procs::{Bins, Proc, free_port, run_cli};

/// What to start.
#[derive(Debug, Clone)]
pub struct StackCfg {
    /// Database backend.
    pub backend: Backend,
    /// Worker processes started with the stack (more with [`Stack::start_workers`]).
    pub workers: usize,
    /// Simulator latency (ms) and jitter (ms).
    pub sim_latency_ms: u64,
    /// Uniform extra latency.
    pub sim_jitter_ms: u64,
    /// Extra environment for every process (tuning knobs).
    pub env: Vec<(String, String)>,
    /// Keep the log folder afterwards.
    pub keep_logs: bool,
    /// Keep the database afterwards.
    pub keep_db: bool,
}

/// A running gateway.
pub struct Stack {
    /// API base URL.
    pub api_url: String,
    /// Simulator base URL.
    pub sim_url: String,
    /// API process.
    pub api: Proc,
    /// Simulator process.
    pub sim: Proc,
    /// Worker processes.
    pub workers: Vec<Proc>,
    /// Folder of the logs.
    pub log_dir: PathBuf,
    bins: Bins,
    env: Vec<(String, String)>,
    redis_url: String,
    prefix: String,
    keep_logs: bool,
    keep_db: bool,
    db: Option<TestDb>,
    db_url: String,
}

/// Password of the demo manager created by `seed-demo`.
pub const DEMO_USER: (&str, &str) = ("gestionnaire", "gestionnaire123");

impl Stack {
    /// Creates the database, migrates and seeds it with the real CLI, starts the simulator, the
    /// API and `cfg.workers` workers, and waits until each answers.
    pub async fn start(bins: &Bins, cfg: &StackCfg) -> anyhow::Result<Stack> {
        crate::sysstat::wait_quiet(10.0, Duration::from_secs(300)).await;
        let run = uuid::Uuid::new_v4().simple().to_string();
        let short = run.get(..12).unwrap_or(&run).to_string();
        let log_dir = std::env::temp_dir().join(format!("bench-{short}"));
        std::fs::create_dir_all(&log_dir)?;
        let backend = cfg.backend;
        // BENCH_DATABASE_URL: an existing database prepared by hand (e.g. with statement logging);
        // it is migrated and seeded, and kept afterwards.
        let fixed = std::env::var("BENCH_DATABASE_URL").ok();
        let (db, db_url) = match fixed {
            Some(url) => (None, url),
            None => {
                let db = tokio::task::spawn_blocking(move || TestDb::new(backend))
                    .await?
                    .context("creating the benchmark database (PostgreSQL: TEST_DATABASE_URL)")?;
                let url = db.url.clone();
                (Some(db), url)
            }
        };
        let redis_url =
            std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let prefix = format!("bench_{short}_");
        let (sim_port, api_port) = (free_port()?, free_port()?);
        let sim_url = format!("http://127.0.0.1:{sim_port}");
        let api_url = format!("http://127.0.0.1:{api_port}");
        let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), run);
        let mut env: Vec<(String, String)> = [
            ("DATABASE_URL", db_url.as_str()),
            ("REDIS_URL", redis_url.as_str()),
            ("REDIS_PREFIX", prefix.as_str()),
            ("QUEUE", "redis"),
            ("JWT_SECRET", secret.as_str()),
            ("BCRYPT_COST", "4"),
            ("ACCESS_TOKEN_TTL", "4h"),
            ("BIND_ADDR", &format!("127.0.0.1:{api_port}")),
            ("SCHEME_ADAPTER_URL", sim_url.as_str()),
            ("SIM_BIND_ADDR", &format!("127.0.0.1:{sim_port}")),
            ("SIM_LATENCY_MS", &cfg.sim_latency_ms.to_string()),
            ("SIM_JITTER_MS", &cfg.sim_jitter_ms.to_string()),
            ("LOG_FORMAT", "text"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.extend(cfg.env.iter().cloned());
        run_cli(&bins.api, &["migrate"], &env).await?;
        run_cli(&bins.api, &["seed-demo", "--demo"], &env).await?;
        let mut sim = Proc::spawn("simulator", &bins.sim, &[], &env, &log_dir)?;
        sim.wait_http(&format!("{sim_url}/"), Duration::from_secs(20))
            .await?;
        let mut api = Proc::spawn("api", &bins.api, &["serve"], &env, &log_dir)?;
        api.wait_http(&format!("{api_url}/health/ready"), Duration::from_secs(30))
            .await?;
        let mut stack = Stack {
            api_url,
            sim_url,
            api,
            sim,
            workers: Vec::new(),
            log_dir,
            bins: bins.clone(),
            env,
            redis_url,
            prefix,
            keep_logs: cfg.keep_logs,
            keep_db: cfg.keep_db,
            db,
            db_url,
        };
        stack.start_workers(cfg.workers).await?;
        Ok(stack)
    }

    /// Starts `n` more workers and waits until each has logged "worker started".
    pub async fn start_workers(&mut self, n: usize) -> anyhow::Result<()> {
        let mut started = Vec::new();
        for _ in 0..n {
            let label = format!("worker-{}", self.workers.len() + started.len() + 1);
            started.push(Proc::spawn(
                &label,
                &self.bins.worker,
                &[],
                &self.env,
                &self.log_dir,
            )?);
        }
        for w in &mut started {
            w.wait_log("worker started", Duration::from_secs(30))
                .await?;
        }
        self.workers.extend(started);
        Ok(())
    }

    /// Runs an admin command of `gateway-api` against this stack's database.
    pub async fn admin(&self, args: &[&str], extra: &[(&str, &str)]) -> anyhow::Result<String> {
        let mut env = self.env.clone();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        run_cli(&self.bins.api, args, &env).await
    }

    /// A second organisation with a GESTIONNAIRE `user` (password `password`) and an XOF account
    /// credited with `credit` minor units.
    pub async fn add_org(&self, org: &str, user: &str, password: &str) -> anyhow::Result<()> {
        let account = format!("{org}-XOF-001");
        self.admin(&["create-org", org], &[]).await?;
        self.admin(
            &[
                "create-user",
                "--org",
                org,
                "--username",
                user,
                "--role",
                "GESTIONNAIRE",
            ],
            &[("ADMIN_PASSWORD", password)],
        )
        .await?;
        self.admin(
            &[
                "create-account",
                "--org",
                org,
                "--account-id",
                &account,
                "--currency",
                "XOF",
                "--party-id-type",
                "MSISDN",
                "--party-identifier",
                "22891111111",
            ],
            &[],
        )
        .await?;
        self.admin(
            &["credit", "--account-id", &account, "--amount", "1000000000"],
            &[],
        )
        .await?;
        Ok(())
    }

    /// Logs in as `user`.
    pub async fn login(&self, user: &str, password: &str) -> anyhow::Result<Api> {
        Api::login(&self.api_url, user, password).await
    }

    /// The demo manager of organisation CNSS.
    pub async fn login_demo(&self) -> anyhow::Result<Api> {
        self.login(DEMO_USER.0, DEMO_USER.1).await
    }

    /// The pool on the run's database (for reading results directly).
    pub fn pool(&self) -> anyhow::Result<db::DbPool> {
        match &self.db {
            Some(db) => Ok(db.pool()),
            None => Ok(db::connect(&self.db_url, 2)?),
        }
    }

    /// Name of the PostgreSQL database (`None` on SQLite).
    pub fn db_name(&self) -> Option<&str> {
        self.db_url
            .starts_with("postgres")
            .then(|| self.db_url.rsplit('/').next())
            .flatten()
    }

    /// `(label, pid)` of every process of the stack.
    pub fn pids(&self) -> Vec<(String, u32)> {
        let mut v = vec![
            (self.api.label.clone(), self.api.pid),
            (self.sim.label.clone(), self.sim.pid),
        ];
        v.extend(self.workers.iter().map(|w| (w.label.clone(), w.pid)));
        v
    }

    /// Fails when a process of the stack has died.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        self.api.check_alive()?;
        self.sim.check_alive()?;
        for w in &mut self.workers {
            w.check_alive()?;
        }
        Ok(())
    }

    /// Stops every process, purges the Redis prefix, drops the database, removes the logs (unless
    /// asked to keep them).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        for w in self.workers.drain(..) {
            w.stop(Duration::from_secs(20)).await;
        }
        self.api.stop(Duration::from_secs(10)).await;
        self.sim.stop(Duration::from_secs(10)).await;
        if let Err(e) = transport::queue::purge_prefix(&self.redis_url, &self.prefix).await {
            eprintln!("warning: purging Redis prefix {}: {e}", self.prefix);
        }
        if let Some(db) = self.db.take() {
            if self.keep_db {
                eprintln!("database kept: {}", db.url);
                std::mem::forget(db);
            } else {
                tokio::task::spawn_blocking(move || drop(db)).await?;
            }
        }
        if self.keep_logs {
            eprintln!("logs kept in {}", self.log_dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.log_dir);
        }
        Ok(())
    }
}
