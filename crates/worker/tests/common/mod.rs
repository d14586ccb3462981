//! Test harness: a fresh database, a Redis prefix of its own, the adapter simulator, and workers
//! started in-process on the real apalis-redis queues.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use common::env::Env;
use db::models::{Bulk, NewAccount, NewBulk, NewTransfer, NewUser, now};
use db::queries::{accounts, bulks, ledger, orgs, transfers, users};
use db::testing::TestDb;
use db::{Backend, DbPool};
use domain::BulkJob;
use simulator::{SimConfig, SimHandle, Simulator};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use transport::queue::purge_prefix;
use transport::{JobQueue, MemoryBus, MemoryQueue, RedisBus, RedisQueue};
use worker::{JobSource, WorkerDeps, WorkerSettings};

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

pub struct Harness {
    pub db: TestDb,
    pub pool: DbPool,
    pub prefix: String,
    pub sim: SimHandle,
    pub account_pk: i64,
    pub user_pk: i64,
    pub org_pk: i64,
    pub queue: Arc<dyn JobQueue>,
    redis_queue: Option<RedisQueue>,
    memory: Option<transport::queue::MemoryStorages>,
    bus: Arc<dyn transport::ProgressBus>,
}

pub const BALANCE: i64 = 1_000_000_000_000;

impl Harness {
    /// `redis = false` uses the in-process queue and bus (embedded mode).
    pub async fn new(backend: Backend, redis: bool, sim: SimConfig) -> Harness {
        common::telemetry::init(common::telemetry::LogFormat::Text, "warn");
        let db = TestDb::new(backend).expect("database (is PostgreSQL running?)");
        let pool = db.pool();
        let prefix = format!("t{}_", uuid::Uuid::new_v4().simple());
        let sim = Simulator::start(sim, "127.0.0.1:0")
            .await
            .expect("simulator");
        let (org_pk, user_pk, account_pk) = {
            let mut c = pool.get().unwrap();
            let org = orgs::create(&mut c, "CNSS").unwrap();
            let user = users::create(
                &mut c,
                &NewUser {
                    organisation_id: org.id,
                    username: "gestionnaire",
                    email: None,
                    password_hash: "x",
                    role: "GESTIONNAIRE",
                    active: true,
                    created_at: now(),
                },
            )
            .unwrap();
            let acc = accounts::create(
                &mut c,
                &NewAccount {
                    organisation_id: org.id,
                    account_id: "cnss-xof",
                    party_id_type: "MSISDN",
                    party_identifier: "22899000000",
                    currency: "XOF",
                    created_at: now(),
                    updated_at: now(),
                },
            )
            .unwrap();
            accounts::credit(&mut c, acc.id, BALANCE).unwrap();
            (org.id, user.id, acc.id)
        };
        let (queue, redis_queue, memory, bus): (
            Arc<dyn JobQueue>,
            _,
            _,
            Arc<dyn transport::ProgressBus>,
        ) = if redis {
            let q = RedisQueue::connect(&redis_url(), &prefix, 100)
                .await
                .expect("Redis is required for this test");
            let bus = RedisBus::connect(&redis_url(), &prefix).await.unwrap();
            (Arc::new(q.clone()), Some(q), None, Arc::new(bus))
        } else {
            let (q, storages) = MemoryQueue::new();
            (
                Arc::new(q),
                None,
                Some(storages),
                Arc::new(MemoryBus::default()),
            )
        };
        Harness {
            db,
            pool,
            prefix,
            sim,
            account_pk,
            user_pk,
            org_pk,
            queue,
            redis_queue,
            memory,
            bus,
        }
    }

    pub fn settings(&self, extra: &[(&str, &str)]) -> WorkerSettings {
        let mut m: HashMap<String, String> = HashMap::new();
        m.insert("DATABASE_URL".into(), self.db.url.clone());
        m.insert("REDIS_URL".into(), redis_url());
        m.insert("REDIS_PREFIX".into(), self.prefix.clone());
        m.insert("SCHEME_ADAPTER_URL".into(), self.sim.base_url());
        m.insert("SWEEP_INTERVAL".into(), "200ms".into());
        m.insert("TRANSFER_EXPIRY".into(), "2s".into());
        m.insert("ADAPTER_TIMEOUT".into(), "5s".into());
        m.insert("NOT_SENT_RETRY_FOR".into(), "5s".into());
        m.insert("STALLED_AFTER".into(), "3s".into());
        // Shorter than TRANSFER_EXPIRY, as it must be for rows the switch never saw to be re-sent.
        m.insert("ADAPTER_EXPIRY".into(), "1s".into());
        m.insert("PRE_PREPARE_BACKOFF".into(), "100ms".into());
        m.insert("PRE_PREPARE_RETRIES".into(), "2".into());
        for (k, v) in extra {
            m.insert((*k).into(), (*v).into());
        }
        WorkerSettings::from_env(&Env::from_fn(|k| m.get(k).cloned())).unwrap()
    }

    /// Starts one in-process worker; returns a stop handle and its task.
    pub fn start_worker(
        &mut self,
        settings: WorkerSettings,
    ) -> (
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<anyhow::Result<()>>,
    ) {
        let source = match (&self.redis_queue, self.memory.take()) {
            (Some(q), _) => JobSource::Redis(q.clone()),
            (None, Some(m)) => JobSource::Memory(m),
            (None, None) => panic!("the in-memory queue has one consumer only"),
        };
        let deps = WorkerDeps {
            pool: self.pool.clone(),
            queue: self.queue.clone(),
            bus: self.bus.clone(),
            source,
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(worker::run(settings, deps, async move {
            let _ = rx.await;
        }));
        (tx, handle)
    }

    /// Stores a bulk of `(partyIdType, identifier, amount)` rows, reserves it and queues its job.
    pub async fn submit(&self, rows: &[(&str, String, i64)]) -> Bulk {
        self.submit_as((self.org_pk, self.user_pk, self.account_pk), rows)
            .await
    }

    /// Like [`Harness::submit`], from another organisation's account `(org, user, account)`.
    pub async fn submit_as(&self, who: (i64, i64, i64), rows: &[(&str, String, i64)]) -> Bulk {
        self.submit_full(who, rows, None, None).await
    }

    /// Like [`Harness::submit`], with a `callback_url`.
    pub async fn submit_with_callback(&self, rows: &[(&str, String, i64)], url: &str) -> Bulk {
        let who = (self.org_pk, self.user_pk, self.account_pk);
        self.submit_full(who, rows, None, Some(url.to_string()))
            .await
    }

    /// Stores a run SCHEDULED for `execute_at` (nothing queued: the sweep starts it).
    pub async fn submit_scheduled(
        &self,
        rows: &[(&str, String, i64)],
        execute_at: chrono::NaiveDateTime,
    ) -> Bulk {
        self.submit_full(
            (self.org_pk, self.user_pk, self.account_pk),
            rows,
            Some(execute_at),
            None,
        )
        .await
    }

    async fn submit_full(
        &self,
        who: (i64, i64, i64),
        rows: &[(&str, String, i64)],
        execute_at: Option<chrono::NaiveDateTime>,
        callback_url: Option<String>,
    ) -> Bulk {
        let (org_pk, user_pk, account_pk) = who;
        let total: i64 = rows.iter().map(|r| r.2).sum();
        let at = now();
        let new = NewBulk {
            bulk_id: domain::new_bulk_id(),
            organisation_id: org_pk,
            account_pk,
            currency: "XOF".into(),
            total_amount: total,
            total_count: rows.len() as i64,
            state: domain::BulkState::start_state(false, false, execute_at.is_some()).into(),
            file_sha256: uuid::Uuid::new_v4().to_string(),
            file_name: None,
            idempotency_key: None,
            callback_url,
            created_by: user_pk,
            created_at: at,
            updated_at: at,
            period: None,
            execute_at,
            approval_required: false,
            parent_bulk_pk: None,
            verification_mode: "off".to_string(),
            msg_id: None,
            msg_name_id: None,
            payment_blocks: None,
        };
        let mut trs: Vec<NewTransfer> = rows
            .iter()
            .enumerate()
            .map(|(i, (t, id, amount))| NewTransfer {
                bulk_pk: 0,
                line: i as i64 + 2,
                transfer_id: format!("tx-{:06}", i + 1),
                mojaloop_transfer_id: domain::new_mojaloop_transfer_id(),
                party_id_type: (*t).into(),
                party_identifier: id.clone(),
                payee_name: None,
                amount: *amount,
                status: domain::TransferStatus::Pending.into(),
                created_at: at,
                updated_at: at,
                repeat_in_period: false,
            })
            .collect();
        let bulk = {
            let mut c = self.pool.get().unwrap();
            bulks::create(&mut c, &new, &mut trs).unwrap()
        };
        self.queue
            .push_bulk(BulkJob {
                bulk_id: bulk.bulk_id.clone(),
            })
            .await
            .unwrap();
        bulk
    }

    /// Waits until the bulk is final (or the timeout passes) and returns it.
    pub async fn wait_final(&self, bulk_pk: i64, timeout: Duration) -> Bulk {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let b = {
                let mut c = self.pool.get().unwrap();
                bulks::get(&mut c, bulk_pk).unwrap()
            };
            if matches!(
                b.state.as_str(),
                "COMPLETED" | "PARTIALLY_COMPLETED" | "FAILED"
            ) {
                return b;
            }
            if tokio::time::Instant::now() > deadline {
                let counts = {
                    let mut c = self.pool.get().unwrap();
                    transfers::count_by_status(&mut c, bulk_pk).unwrap()
                };
                panic!(
                    "bulk {} not final in time: {} {:?}",
                    b.bulk_id, b.state, counts
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The account agrees with its journal, and nothing is reserved for final rows.
    pub fn assert_ledger_balanced(&self) -> db::models::Account {
        let mut c = self.pool.get().unwrap();
        let acc = accounts::get(&mut c, self.account_pk).unwrap();
        let t = ledger::totals(&mut c, self.account_pk).unwrap();
        assert_eq!(acc.balance, t.expected_balance(), "balance vs journal");
        assert_eq!(acc.reserved, t.expected_reserved(), "reserved vs journal");
        acc
    }

    /// No transferId reached the switch's ledger twice, and a row POSTed more than once was only
    /// re-sent after answers proving the earlier attempts never reached the transfer stage
    /// (`resend_count`); returns the POSTs per transferId.
    pub fn assert_sent_safely(&self, bulk_pk: i64) -> std::collections::BTreeMap<String, u32> {
        let c = self.sim.counters();
        assert!(
            c.duplicate_prepares.is_empty(),
            "prepared twice at the switch: {:?}",
            c.duplicate_prepares
        );
        let posts = c.posts.clone().unwrap_or_default();
        for r in self.rows(bulk_pk) {
            let n = posts.get(&r.mojaloop_transfer_id).copied().unwrap_or(0);
            assert!(
                i64::from(n) <= 1 + i64::from(r.resend_count),
                "{} POSTed {n} times with {} re-sends recorded",
                r.transfer_id,
                r.resend_count
            );
        }
        posts
    }

    pub fn rows(&self, bulk_pk: i64) -> Vec<db::models::Transfer> {
        let mut c = self.pool.get().unwrap();
        transfers::page(&mut c, bulk_pk, None, None, 1_000_000).unwrap()
    }

    pub async fn cleanup(self) {
        if self.redis_queue.is_some() {
            purge_prefix(&redis_url(), &self.prefix).await.unwrap();
        }
        self.sim.stop().await;
    }
}

pub fn msisdn(i: usize) -> String {
    format!("2289{:06}1", i)
}

impl Harness {
    /// A second organisation with its own funded XOF account; returns (org, user, account).
    pub fn second_org(&self, name: &str) -> (i64, i64, i64) {
        let mut c = self.pool.get().unwrap();
        let org = orgs::create(&mut c, name).unwrap();
        let username = format!("{name}-gestionnaire");
        let user = users::create(
            &mut c,
            &NewUser {
                organisation_id: org.id,
                username: &username,
                email: None,
                password_hash: "x",
                role: "GESTIONNAIRE",
                active: true,
                created_at: now(),
            },
        )
        .unwrap();
        let account_id = format!("{name}-xof");
        let acc = accounts::create(
            &mut c,
            &NewAccount {
                organisation_id: org.id,
                account_id: &account_id,
                party_id_type: "MSISDN",
                party_identifier: "22899000001",
                currency: "XOF",
                created_at: now(),
                updated_at: now(),
            },
        )
        .unwrap();
        accounts::credit(&mut c, acc.id, BALANCE).unwrap();
        (org.id, user.id, acc.id)
    }
}
