//! One test's whole gateway: a fresh PostgreSQL database, its own Redis prefix (or a private
//! redis-server), the adapter simulator in-process, the real `gateway-api` process seeded with
//! `gateway-api seed-demo`, and any number of real `gateway-worker` processes. Optional TCP proxies
//! in front of PostgreSQL and the adapter let a test cut them.
//!
//! A test fails (never skips) when PostgreSQL or Redis is down. When a test panics, the tail of
//! every process log is printed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use db::testing::TestDb;
use db::{DbConn, DbPool};
use simulator::{SimConfig, SimHandle, Simulator};

use crate::bins;
use crate::http::Api;
use crate::process::{Proc, free_port};
use crate::proxy::Proxy;
use crate::redis_server::{Persistence, RedisServer};

/// JWT secret of every suite API.
pub const JWT_SECRET: &str = "suite-jwt-secret-0123456789-abcdefghijklmnop";
/// JWT issuer of every suite API.
pub const ISSUER: &str = "gateway-suite";
/// The demo GESTIONNAIRE (from `seed-demo`).
pub const GESTIONNAIRE: (&str, &str) = ("gestionnaire", "gestionnaire123");
/// The demo SUPERVISEUR (from `seed-demo`).
pub const SUPERVISEUR: (&str, &str) = ("superviseur", "superviseur123");
/// Balance `seed-demo` gives the CNSS account.
pub const DEMO_BALANCE: i64 = api::seed::DEMO_BALANCE;

/// How to build a [`Stack`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Simulator configuration at start.
    pub sim: SimConfig,
    /// Put a cuttable proxy between the binaries and PostgreSQL.
    pub pg_proxy: bool,
    /// Put a cuttable proxy between the workers and the adapter.
    pub adapter_proxy: bool,
    /// Run a private redis-server instead of using the shared one.
    pub private_redis: Option<Persistence>,
    /// `BCRYPT_COST` of the API and the seeded users.
    pub bcrypt_cost: u32,
    /// Extra or overriding API variables.
    pub api_env: Vec<(String, String)>,
    /// Extra or overriding worker variables.
    pub worker_env: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sim: SimConfig::default(),
            pg_proxy: false,
            adapter_proxy: false,
            private_redis: None,
            bcrypt_cost: 4,
            api_env: Vec::new(),
            worker_env: Vec::new(),
        }
    }
}

/// The shared Redis (`REDIS_URL`, default local).
pub fn shared_redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A running gateway.
pub struct Stack {
    /// Test name (log directory, messages).
    pub name: String,
    /// Directory of the process logs.
    pub dir: PathBuf,
    /// The database (dropped with the stack).
    pub db: TestDb,
    /// A pool on it for the test's own checks.
    pub pool: DbPool,
    /// Redis used by the binaries.
    pub redis_url: String,
    /// Redis key prefix of this test.
    pub prefix: String,
    /// The adapter simulator.
    pub sim: SimHandle,
    /// Proxy in front of PostgreSQL, if asked for.
    pub pg_proxy: Option<Proxy>,
    /// Proxy in front of the adapter, if asked for.
    pub adapter_proxy: Option<Proxy>,
    /// Private redis-server, if asked for.
    pub redis: Option<RedisServer>,
    /// Client of the API.
    pub api: Api,
    /// The API process.
    pub api_proc: Option<Proc>,
    /// Worker processes, in start order (stopped ones stay in the list).
    pub workers: Vec<Proc>,
    api_port: u16,
    opts: Options,
    spawned: usize,
}

fn pg_target(url: &str) -> std::net::SocketAddr {
    // postgres://user@host:port/db
    let host = url
        .split('@')
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or("127.0.0.1:5432");
    let host = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    };
    let host = host.replace("localhost", "127.0.0.1");
    host.parse()
        .unwrap_or_else(|e| panic!("PostgreSQL address {host}: {e}"))
}

impl Stack {
    /// Builds and starts everything but the workers.
    pub async fn start(name: &str, opts: Options) -> Stack {
        // The in-process simulator logs every dropped connection (`…0999`) at error level: keep quiet.
        common::telemetry::init(
            common::telemetry::LogFormat::Text,
            "warn,actix_http=off,actix_server=off",
        );
        let dir = std::env::temp_dir().join(format!(
            "gw-suite-{name}-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let db = tokio::task::spawn_blocking(TestDb::postgres)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("a PostgreSQL test database is required: {e}"));
        let pool = db.pool();
        let prefix = format!("s{}_", uuid::Uuid::new_v4().simple());
        let redis = match opts.private_redis {
            Some(p) => Some(RedisServer::start(p, &dir).await),
            None => None,
        };
        let redis_url = redis
            .as_ref()
            .map_or_else(shared_redis_url, RedisServer::url);
        transport::queue::connect_manager(&redis_url)
            .await
            .unwrap_or_else(|e| panic!("Redis is required at {redis_url}: {e}"));
        let sim = Simulator::start(opts.sim, "127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("simulator: {e}"));
        let pg_proxy = if opts.pg_proxy {
            Some(Proxy::start(pg_target(&db.url)).await)
        } else {
            None
        };
        let adapter_proxy = if opts.adapter_proxy {
            Some(Proxy::start(sim.addr).await)
        } else {
            None
        };
        let api_port = free_port();
        let mut s = Stack {
            name: name.to_string(),
            dir,
            db,
            pool,
            redis_url,
            prefix,
            sim,
            pg_proxy,
            adapter_proxy,
            redis,
            api: Api::new(&format!("http://127.0.0.1:{api_port}")),
            api_proc: None,
            workers: Vec::new(),
            api_port,
            opts,
            spawned: 0,
        };
        s.seed_demo().await;
        s.start_api().await;
        s
    }

    /// `DATABASE_URL` of the binaries (through the proxy when there is one).
    pub fn binaries_db_url(&self) -> String {
        match &self.pg_proxy {
            Some(p) => {
                let target = pg_target(&self.db.url).to_string();
                let url = self.db.url.replace("localhost:", "127.0.0.1:");
                url.replacen(&target, &p.addr.to_string(), 1)
            }
            None => self.db.url.clone(),
        }
    }

    /// `SCHEME_ADAPTER_URL` of the workers (through the proxy when there is one).
    pub fn adapter_url(&self) -> String {
        match &self.adapter_proxy {
            Some(p) => format!("http://{}", p.addr),
            None => self.sim.base_url(),
        }
    }

    fn common_env(&self) -> Vec<(String, String)> {
        [
            ("DATABASE_URL", self.binaries_db_url()),
            ("DB_POOL_SIZE", "4".to_string()),
            ("REDIS_URL", self.redis_url.clone()),
            ("REDIS_PREFIX", self.prefix.clone()),
            ("LOG_FORMAT", "text".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn api_env(&self) -> Vec<(String, String)> {
        let mut env = self.common_env();
        for (k, v) in [
            ("JWT_SECRET", JWT_SECRET.to_string()),
            ("JWT_ISSUER", ISSUER.to_string()),
            ("BCRYPT_COST", self.opts.bcrypt_cost.to_string()),
            ("BIND_ADDR", format!("127.0.0.1:{}", self.api_port)),
            ("HTTP_WORKERS", "2".to_string()),
            ("RUST_LOG", "warn".to_string()),
        ] {
            env.push((k.to_string(), v));
        }
        env.extend(self.opts.api_env.iter().cloned());
        env
    }

    /// Runs `gateway-api <args>` to completion (admin commands), asserting success.
    pub async fn cli(&self, args: &[&str], extra: &[(&str, &str)]) -> String {
        let mut env = self.api_env();
        env.push(("DATABASE_URL".into(), self.db.url.clone()));
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let name = format!("cli-{}", args.first().copied().unwrap_or("serve"));
        let mut p = Proc::spawn(&name, &bins::path("gateway-api"), args, &env, &self.dir);
        let status = p
            .wait_exit(Duration::from_secs(60))
            .await
            .unwrap_or_else(|| panic!("gateway-api {args:?} hangs"));
        let out = p.log_text();
        assert!(status.success(), "gateway-api {args:?} failed: {out}");
        out
    }

    async fn seed_demo(&self) {
        self.cli(&["seed-demo", "--demo"], &[]).await;
    }

    /// Starts (or restarts) the API process and waits until `/health/live` answers.
    pub async fn start_api(&mut self) {
        self.start_api_with(&[]).await;
    }

    /// [`Stack::start_api`] with extra variables.
    pub async fn start_api_with(&mut self, extra: &[(&str, &str)]) {
        self.stop_api();
        let mut env = self.api_env();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.spawned += 1;
        let p = Proc::spawn(
            &format!("api-{}", self.spawned),
            &bins::path("gateway-api"),
            &["serve"],
            &env,
            &self.dir,
        );
        self.api_proc = Some(p);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ok = self
                .api
                .http
                .get(self.api.url("/health/live"))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if ok {
                return;
            }
            if let Some(p) = self.api_proc.as_mut()
                && !p.alive()
            {
                panic!("gateway-api exited at start:\n{}", p.log_tail(30));
            }
            assert!(Instant::now() < deadline, "gateway-api did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILLs the API process.
    pub fn stop_api(&mut self) {
        if let Some(mut p) = self.api_proc.take() {
            p.kill();
        }
    }

    /// Worker variables: short timers so faults resolve within seconds.
    pub fn worker_env(&self) -> Vec<(String, String)> {
        let mut env = self.common_env();
        for (k, v) in [
            ("SCHEME_ADAPTER_URL", self.adapter_url()),
            ("WORKER_CONCURRENCY", "50".into()),
            ("CHUNK_ROWS", "250".into()),
            ("LANES_PER_BULK", "4".into()),
            ("SWEEP_INTERVAL", "300ms".into()),
            ("STALLED_AFTER", "3s".into()),
            ("ADAPTER_TIMEOUT", "2s".into()),
            ("NOT_SENT_RETRY_FOR", "3s".into()),
            ("TRANSFER_EXPIRY", "3s".into()),
            // Shorter than TRANSFER_EXPIRY: rows the switch never saw are sent again.
            ("ADAPTER_EXPIRY", "2s".into()),
            ("PRE_PREPARE_BACKOFF", "200ms".into()),
            ("PRE_PREPARE_RETRIES", "2".into()),
            ("SHUTDOWN_TIMEOUT", "10s".into()),
            ("RUST_LOG", "warn,worker::runtime=info".into()),
        ] {
            env.push((k.to_string(), v));
        }
        env.extend(self.opts.worker_env.iter().cloned());
        env
    }

    /// Starts one more worker process; returns its index in [`Stack::workers`].
    pub fn spawn_worker(&mut self) -> usize {
        self.spawned += 1;
        let p = Proc::spawn(
            &format!("worker-{}", self.spawned),
            &bins::path("gateway-worker"),
            &[],
            &self.worker_env(),
            &self.dir,
        );
        self.workers.push(p);
        self.workers.len() - 1
    }

    /// Starts `n` workers.
    pub fn spawn_workers(&mut self, n: usize) {
        for _ in 0..n {
            self.spawn_worker();
        }
    }

    /// Workers that are still running.
    pub fn live_workers(&mut self) -> usize {
        self.workers
            .iter_mut()
            .map(Proc::alive)
            .filter(|a| *a)
            .count()
    }

    /// Runs `f` with a database connection (direct, never through the proxy).
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn) -> T + Send + 'static,
    ) -> T {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = pool
                .get()
                .unwrap_or_else(|e| panic!("test connection: {e}"));
            f(&mut c)
        })
        .await
        .unwrap_or_else(|e| panic!("db task: {e}"))
    }

    /// Every Redis key under this test's prefix.
    pub async fn redis_keys(&self) -> Vec<String> {
        let client = redis::Client::open(self.redis_url.as_str())
            .unwrap_or_else(|e| panic!("redis url: {e}"));
        let mut c = client
            .get_multiplexed_async_connection()
            .await
            .unwrap_or_else(|e| panic!("redis: {e}"));
        redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query_async::<Vec<String>>(&mut c)
            .await
            .unwrap_or_else(|e| panic!("KEYS: {e}"))
    }

    /// Stops every process, purges the Redis prefix, stops the simulator.
    pub async fn cleanup(mut self) {
        for w in &mut self.workers {
            w.kill();
        }
        self.stop_api();
        if let Some(r) = self.redis.as_mut() {
            r.stop().await;
        } else {
            let _ = transport::queue::purge_prefix(&self.redis_url, &self.prefix).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// Log directory.
    pub fn log_dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("==== {}: logs in {}", self.name, self.dir.display());
            let procs = self.api_proc.iter().chain(self.workers.iter());
            for p in procs {
                eprintln!("---- {} ----\n{}", p.name, p.log_tail(25));
            }
        }
    }
}
