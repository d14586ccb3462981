//! Shared helpers: spawn the real application on port 0 against a fresh database (PostgreSQL or
//! SQLite) and a real Redis queue on a per-test key prefix, seed two organisations, and talk to it
//! over HTTP. A test fails (never skips) when PostgreSQL or Redis is down.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

pub mod failing_queue;
pub mod multipart;
mod seed;

use std::collections::HashMap;
use std::sync::Arc;

use api::{AppDeps, Application, Settings};
use db::queries::{accounts, bulks, transfers};
use db::testing::TestDb;
pub use db::{Backend, DbPool};
use serde_json::{Value, json};
use transport::{JobQueue, MemoryBus, RedisQueue};

pub use failing_queue::FailingQueue;
pub use multipart::Part;

/// Secret of the test application.
pub const JWT_SECRET: &str = "test-secret-0123456789-abcdefghijklmnop";
/// Issuer of the test application.
pub const ISSUER: &str = "gateway-test";
/// Balance of both organisations' XOF accounts.
pub const BALANCE: i64 = 1_000_000;

/// Runs `async fn name(backend: Backend)` once on PostgreSQL and once on SQLite.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::common::Backend::Postgres).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
            }
        )*
    };
}

/// Knobs of [`spawn_app_with`].
#[derive(Default)]
pub struct Options {
    /// `MAX_UPLOAD_BYTES`.
    pub max_upload_bytes: Option<usize>,
    /// Replaces the Redis queue.
    pub queue: Option<Arc<dyn JobQueue>>,
    /// Balance of CNSS's XOF account (default [`BALANCE`]).
    pub balance: Option<i64>,
    /// Extra settings.
    pub env: Vec<(&'static str, String)>,
}

/// Row counts and the CNSS account, to prove a refusal changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub bulks: i64,
    pub transfers: i64,
    pub balance: i64,
    pub reserved: i64,
}

/// A running application.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub db: TestDb,
    pub pool: DbPool,
    pub redis_url: String,
    pub prefix: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub org_id: i64,
    pub other_org_id: i64,
    pub account_pk: i64,
    pub server: actix_web::dev::ServerHandle,
}

/// Users seeded by [`spawn_app`]: (username, password).
pub const GESTIONNAIRE: (&str, &str) = ("gestionnaire", "gestionnaire123");
pub const SUPERVISEUR: (&str, &str) = ("superviseur", "superviseur123");
pub const INACTIVE: (&str, &str) = ("ancien", "ancien-pass-123");
pub const APPROBATEUR: (&str, &str) = ("approbateur", "approbateur123");
pub const OTHER_ORG_USER: (&str, &str) = ("autre", "autre-pass-123");
pub const OTHER_ORG_APPROVER: (&str, &str) = ("autre-visa", "autre-visa-123");

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Options::default()).await
}

pub async fn spawn_app_with(backend: Backend, opts: Options) -> TestApp {
    ::common::telemetry::init(::common::telemetry::LogFormat::Text, "warn");
    let db = tokio::task::spawn_blocking(move || TestDb::new(backend))
        .await
        .unwrap()
        .expect("a test database (is PostgreSQL running?)");
    let pool = db.pool();
    let redis_url =
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    let prefix = format!("t{}_", uuid::Uuid::new_v4().simple());
    let queue: Arc<dyn JobQueue> = match opts.queue {
        Some(q) => q,
        None => Arc::new(
            RedisQueue::connect(&redis_url, &prefix, 10)
                .await
                .expect("Redis is required for the API tests"),
        ),
    };

    let mut vars: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", db.url.clone()),
        ("REDIS_URL", redis_url.clone()),
        ("REDIS_PREFIX", prefix.clone()),
        ("JWT_SECRET", JWT_SECRET.to_string()),
        ("JWT_ISSUER", ISSUER.to_string()),
        ("BCRYPT_COST", "4".to_string()),
        ("BIND_ADDR", "127.0.0.1:0".to_string()),
        ("HTTP_WORKERS", "2".to_string()),
    ]);
    if let Some(max) = opts.max_upload_bytes {
        vars.insert("MAX_UPLOAD_BYTES", max.to_string());
    }
    for (k, v) in opts.env {
        vars.insert(k, v);
    }
    let settings =
        Settings::from_env(&::common::env::Env::from_fn(|k| vars.get(k).cloned())).unwrap();

    let balance = opts.balance.unwrap_or(BALANCE);
    let seed_pool = pool.clone();
    let (org_id, other_org_id, account_pk) =
        tokio::task::spawn_blocking(move || seed::seed(&seed_pool, balance))
            .await
            .unwrap();

    let deps = AppDeps {
        pool: pool.clone(),
        queue,
        bus: Arc::new(MemoryBus::default()),
    };
    let app = Application::build(settings.clone(), deps)
        .await
        .expect("application builds");
    let port = app.port();
    let server = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        db,
        pool,
        redis_url,
        prefix,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        settings,
        org_id,
        other_org_id,
        account_pk,
        server,
    }
}

/// The bytes of a file in `tests/fixtures`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Logs in and returns the whole JSON answer (asserting 200).
    pub async fn login_json(&self, (user, pw): (&str, &str)) -> Value {
        let res = self
            .client
            .post(self.url("/api/auth/login"))
            .json(&json!({"username": user, "password": pw}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "login of {user}");
        res.json().await.unwrap()
    }

    /// An access token.
    pub async fn token(&self, who: (&str, &str)) -> String {
        self.login_json(who).await["access"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// GET with a bearer token.
    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Multipart POST to `/api/bulk-transfers`.
    pub async fn upload(
        &self,
        token: &str,
        parts: &[Part],
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let (content_type, body) = multipart::encode(parts);
        let mut req = self
            .client
            .post(self.url("/api/bulk-transfers"))
            .bearer_auth(token)
            .header("Content-Type", content_type)
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }

    /// Uploads a fixture as the `file` field.
    pub async fn upload_fixture(&self, token: &str, name: &str) -> reqwest::Response {
        self.upload(token, &[Part::file(name, fixture(name))], &[])
            .await
    }

    /// Counts and the CNSS account.
    pub async fn snapshot(&self) -> Snapshot {
        let pool = self.pool.clone();
        let pk = self.account_pk;
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().unwrap();
            let a = accounts::get(&mut conn, pk).unwrap();
            Snapshot {
                bulks: bulks::count(&mut conn).unwrap(),
                transfers: transfers::count(&mut conn).unwrap(),
                balance: a.balance,
                reserved: a.reserved,
            }
        })
        .await
        .unwrap()
    }

    /// Runs `f` with a database connection.
    pub async fn with_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut db::DbConn) -> T + Send + 'static,
    ) -> T {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().unwrap();
            f(&mut conn)
        })
        .await
        .unwrap()
    }

    /// Bulk jobs waiting in this test's Redis queue.
    pub async fn queued_jobs(&self) -> Vec<String> {
        let client = redis::Client::open(self.redis_url.as_str()).unwrap();
        let mut c = client.get_multiplexed_async_connection().await.unwrap();
        let key = format!("{}{}:data", self.prefix, transport::queue::BULK_QUEUE);
        redis::cmd("HVALS")
            .arg(key)
            .query_async::<Vec<String>>(&mut c)
            .await
            .unwrap()
    }

    /// Asserts that nothing was stored, reserved or queued since `before`.
    pub async fn assert_unchanged(&self, before: Snapshot) {
        assert_eq!(self.snapshot().await, before, "database changed");
        assert!(self.queued_jobs().await.is_empty(), "a job was queued");
    }

    /// Stops the server (so its pool lets go of the database) and deletes this test's Redis keys;
    /// the database itself is dropped with `self`.
    pub async fn cleanup(self) {
        self.server.stop(false).await;
        transport::queue::purge_prefix(&self.redis_url, &self.prefix)
            .await
            .unwrap();
    }
}

/// Asserts the error shape and code, returns the body.
pub async fn assert_error(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status);
    let body: Value = res.json().await.expect("error body is JSON");
    assert_eq!(body["error"], code, "{body}");
    assert!(body["message"].is_string(), "{body}");
    assert!(body["details"].is_array(), "{body}");
    body
}

/// A standard-format file of `n` rows of `amount` XOF each (ids `tx-00001`…).
pub fn standard_csv(n: usize, amount: i64) -> Vec<u8> {
    let mut s = String::from("transferId,amount,currency,partyIdType,partyIdentifier\n");
    for i in 1..=n {
        s.push_str(&format!("tx-{i:05},{amount},XOF,MSISDN,2289{i:07}\n"));
    }
    s.into_bytes()
}

/// Marks the first `completed + failed` rows of a bulk as processed: `completed` succeed, then
/// `failed` fail with `error` (as a worker would, through the db crate).
pub async fn settle(app: &TestApp, bulk_id: &str, completed: usize, failed: usize, error: &str) {
    use db::queries::settle::{Resolution, SettleItem, settle_batch};
    let (bulk_id, error) = (bulk_id.to_string(), error.to_string());
    app.with_db(move |c| {
        let bulk = bulks::find(c, &bulk_id).unwrap().unwrap();
        bulks::mark_processing(c, bulk.id).unwrap();
        let rows = transfers::claim(c, bulk.id, (completed + failed) as i64).unwrap();
        let items: Vec<SettleItem> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| SettleItem {
                transfer_pk: r.id,
                resolution: if i < completed {
                    Resolution::Completed
                } else {
                    Resolution::Failed {
                        code: "5100".into(),
                        message: error.clone(),
                    }
                },
            })
            .collect();
        settle_batch(c, &items).unwrap();
    })
    .await
}
