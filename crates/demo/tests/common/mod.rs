//! Harness of the live-progress tests: a fresh PostgreSQL database, a Redis prefix of its own, the
//! adapter simulator, the API over real HTTP on a Redis queue and bus, and in-process workers
//! started on demand (so a stream can be opened before the bulk starts).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unused_imports)]

pub mod sse;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use api::stream::ProgressHub;
use common::env::Env;
use db::DbPool;
use db::testing::TestDb;
use domain::{BulkState, ProgressEvent};
use serde_json::{Value, json};
use simulator::{SimConfig, SimHandle, Simulator};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use transport::{ProgressBus, RedisBus, RedisQueue};
use worker::{JobSource, WorkerDeps};

pub use sse::{Frame, SseReader, assert_well_formed};

/// Secret and issuer of the test API.
pub const JWT_SECRET: &str = "stream-test-secret-0123456789-abcdefghijkl";
pub const ISSUER: &str = "gateway-stream-test";
/// The demo user seeded by `api::seed_demo_with`.
pub const USER: (&str, &str) = ("gestionnaire", "gestionnaire123");

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

type StopFn = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// API + simulator + database + Redis; workers are added with [`Stack::start_worker`].
pub struct Stack {
    pub db: TestDb,
    pub pool: DbPool,
    pub prefix: String,
    /// `http://127.0.0.1:<port>` of the API.
    pub base: String,
    /// The API's fan-out (to check that streams free their subscriptions).
    pub hub: ProgressHub,
    pub client: reqwest::Client,
    /// A clone of the API's Redis bus (same subscription).
    pub bus: RedisBus,
    queue: RedisQueue,
    vars: HashMap<String, String>,
    sim: SimHandle,
    stop_server: StopFn,
    server_task: JoinHandle<std::io::Result<()>>,
    workers: Vec<(oneshot::Sender<()>, JoinHandle<anyhow::Result<()>>)>,
}

/// The database a [`Stack`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Stack {
    /// Everything but the worker, on PostgreSQL; the simulator answers after `latency_ms`.
    pub async fn new(latency_ms: u64, extra: &[(&str, &str)]) -> Stack {
        let sim_cfg = SimConfig {
            latency_ms,
            ..SimConfig::default()
        };
        Stack::on(Backend::Postgres, sim_cfg, extra).await
    }

    /// Everything but the worker, on `backend`, with the simulator configured by `sim_cfg`.
    pub async fn on(backend: Backend, sim_cfg: SimConfig, extra: &[(&str, &str)]) -> Stack {
        ::common::telemetry::init(::common::telemetry::LogFormat::Text, "warn");
        let db = tokio::task::spawn_blocking(move || match backend {
            Backend::Postgres => TestDb::postgres(),
            Backend::Sqlite => TestDb::sqlite(),
        })
        .await
        .unwrap()
        .expect("PostgreSQL is required for the stream tests");
        let pool = db.pool();
        let prefix = format!("t{}_", uuid::Uuid::new_v4().simple());
        let sim = Simulator::start(sim_cfg, "127.0.0.1:0")
            .await
            .expect("simulator");
        let mut vars: HashMap<String, String> = [
            ("DATABASE_URL", db.url.clone()),
            ("REDIS_URL", redis_url()),
            ("REDIS_PREFIX", prefix.clone()),
            ("QUEUE", "redis".into()),
            ("JWT_SECRET", JWT_SECRET.into()),
            ("JWT_ISSUER", ISSUER.into()),
            ("BCRYPT_COST", "4".into()),
            ("BIND_ADDR", "127.0.0.1:0".into()),
            ("HTTP_WORKERS", "2".into()),
            ("DB_POOL_SIZE", "10".into()),
            ("SCHEME_ADAPTER_URL", sim.base_url()),
            ("WORKER_CONCURRENCY", "20".into()),
            ("ADAPTER_TIMEOUT", "5s".into()),
            ("SHUTDOWN_TIMEOUT", "2s".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (k, v) in extra {
            vars.insert(k.to_string(), v.to_string());
        }
        let settings = api::Settings::from_env(&Env::from_fn(|k| vars.get(k).cloned())).unwrap();
        let seed_pool = pool.clone();
        tokio::task::spawn_blocking(move || {
            let creds = api::DemoCredentials {
                gestionnaire_password: USER.1.into(),
                superviseur_password: "superviseur123".into(),
                approbateur_password: "approbateur123".into(),
            };
            api::seed_demo_with(&seed_pool, 4, &creds)
        })
        .await
        .unwrap()
        .unwrap();
        let queue = RedisQueue::connect(&redis_url(), &prefix, 100)
            .await
            .expect("Redis is required for the stream tests");
        let bus = RedisBus::connect(&redis_url(), &prefix)
            .await
            .expect("Redis is required for the stream tests");
        let deps = api::AppDeps {
            pool: pool.clone(),
            queue: Arc::new(queue.clone()),
            bus: Arc::new(bus.clone()),
        };
        let app = api::Application::build(settings, deps).await.unwrap();
        let hub = app.hub();
        let base = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        let stop_server: StopFn =
            Box::new(move || Box::pin(async move { handle.stop(false).await }));
        let server_task = tokio::spawn(app.run_until_stopped());
        wait_subscribed(&bus).await;
        Stack {
            db,
            pool,
            prefix,
            base,
            hub,
            client: reqwest::Client::new(),
            bus,
            queue,
            vars,
            sim,
            stop_server,
            server_task,
            workers: Vec::new(),
        }
    }

    /// Starts one in-process worker on the Redis queues, publishing progress on `bus`.
    pub fn start_worker_with(&mut self, bus: Arc<dyn ProgressBus>) {
        let settings =
            worker::WorkerSettings::from_env(&Env::from_fn(|k| self.vars.get(k).cloned())).unwrap();
        let deps = WorkerDeps {
            pool: self.pool.clone(),
            queue: Arc::new(self.queue.clone()),
            bus,
            source: JobSource::Redis(self.queue.clone()),
        };
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(worker::run(settings, deps, async move {
            let _ = rx.await;
        }));
        self.workers.push((tx, task));
    }

    /// Starts one in-process worker publishing on the real Redis bus.
    pub fn start_worker(&mut self) {
        let bus = Arc::new(self.bus.clone());
        self.start_worker_with(bus);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The simulated adapter.
    pub fn sim(&self) -> &SimHandle {
        &self.sim
    }

    pub fn stream_url(&self, bulk: &str) -> String {
        self.url(&format!("/api/bulk-transfers/{bulk}/stream"))
    }

    /// An access token of `who`.
    pub async fn login(&self, (user, pw): (&str, &str)) -> String {
        let res = self
            .client
            .post(self.url("/api/auth/login"))
            .json(&json!({"username": user, "password": pw}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "login of {user}");
        let body: Value = res.json().await.unwrap();
        body["access"].as_str().unwrap().to_string()
    }

    /// Uploads a standard CSV of `rows` transfers of 100 XOF (payees end in `1`, which no failure
    /// rule of the simulator matches) and returns the new bulk's id.
    pub async fn upload(&self, token: &str, rows: usize) -> String {
        let nonce = &uuid::Uuid::new_v4().simple().to_string()[..8];
        let mut csv = String::from("transferId,amount,currency,partyIdType,partyIdentifier\n");
        for i in 1..=rows {
            csv.push_str(&format!("{nonce}-{i:05},100,XOF,MSISDN,2289{i:06}1\n"));
        }
        self.upload_csv(token, &format!("{nonce}.csv"), &csv).await
    }

    /// Uploads `csv` as a file named `name` and returns the new bulk's id (asserts 202).
    pub async fn upload_csv(&self, token: &str, name: &str, csv: &str) -> String {
        let boundary = "----streamtestboundary0123456789";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
        );
        let res = self
            .client
            .post(self.url("/api/bulk-transfers"))
            .bearer_auth(token)
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 202, "upload refused: {body}");
        body["bulkTransferId"].as_str().unwrap().to_string()
    }

    /// Polls the database until the bulk is in `state` (panics after `limit`, or if it went final
    /// elsewhere).
    pub async fn wait_state(
        &self,
        bulk: &str,
        state: BulkState,
        limit: Duration,
    ) -> db::models::Bulk {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let b = self.db_state(bulk).await;
            if *b.state == state {
                return b;
            }
            assert!(
                !b.state.is_final() && tokio::time::Instant::now() < deadline,
                "{bulk} is {}, expected {state}",
                b.state
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `GET …/stream` with a bearer token and an optional `Last-Event-ID`.
    pub async fn open(&self, token: &str, bulk: &str, last_id: Option<i64>) -> reqwest::Response {
        let mut req = self.client.get(self.stream_url(bulk)).bearer_auth(token);
        if let Some(id) = last_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        req.send().await.unwrap()
    }

    /// The bulk's state in the database.
    pub async fn db_state(&self, bulk: &str) -> db::models::Bulk {
        let pool = self.pool.clone();
        let bulk = bulk.to_string();
        tokio::task::spawn_blocking(move || {
            let mut c = pool.get().unwrap();
            db::queries::bulks::find(&mut c, &bulk).unwrap().unwrap()
        })
        .await
        .unwrap()
    }

    /// Polls the database until the bulk is final.
    pub async fn wait_final(&self, bulk: &str, limit: Duration) -> db::models::Bulk {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let b = self.db_state(bulk).await;
            if b.state.is_final() {
                return b;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{bulk} not final: {}",
                b.state
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls `hub.watched()` until it is `n` (panics after `limit`).
    pub async fn wait_watched(&self, n: usize, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.hub.watched() != n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "hub still watches {} bulk(s), expected {n}",
                self.hub.watched()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the workers and the server, deletes the Redis keys of this test and stops the simulator;
    /// the database is dropped with `self`.
    pub async fn cleanup(mut self) {
        for (tx, task) in self.workers.drain(..) {
            let _ = tx.send(());
            let res = tokio::time::timeout(Duration::from_secs(10), task).await;
            assert!(res.is_ok(), "worker did not stop");
        }
        (self.stop_server)().await;
        let _ = self.server_task.await;
        transport::queue::purge_prefix(&redis_url(), &self.prefix)
            .await
            .unwrap();
        self.sim.stop().await;
    }
}

/// Waits until the API's Redis subscription delivers (pub/sub does not replay, and the listener
/// connects in the background).
async fn wait_subscribed(bus: &RedisBus) {
    let mut rx = bus.listen();
    let probe = ProgressEvent::new("bulk-probe", BulkState::Pending, 0, 0, 0);
    for _ in 0..100 {
        bus.publish(&probe).await.expect("Redis publish");
        let got = tokio::time::timeout(Duration::from_millis(100), async {
            loop {
                match rx.recv().await {
                    Ok(ev) if ev.bulk_transfer_id == "bulk-probe" => return,
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(e) => panic!("bus closed: {e}"),
                }
            }
        })
        .await;
        if got.is_ok() {
            return;
        }
    }
    panic!("the API never subscribed to Redis pub/sub");
}
