//! A backlog: bulks uploaded while every worker is stopped, then workers started. First 300 bulks
//! of 1,000 rows; then more jobs due at once than apalis-redis 1.0.0 moves in one step (its Lua
//! `unpack` fails past ~8,000 ids). No worker dies, every bulk completes, money exact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use domain::ChunkJob;
use futures::stream::{self, StreamExt};
use suite::checks::{assert_org_consistent, assert_switch_matches, wait_settled};
use suite::csvgen::plain_bulk;
use suite::{GESTIONNAIRE, Options, Stack};
use transport::{JobQueue, RedisQueue};

async fn upload_backlog(s: &Stack, token: &str, bulks: usize, rows: usize) -> Vec<String> {
    stream::iter(0..bulks)
        .map(|i| {
            let (api, token) = (s.api.clone(), token.to_string());
            async move { api.upload_ok(&token, plain_bulk(i as u32, rows, 10)).await }
        })
        .buffer_unordered(8)
        .collect()
        .await
}

async fn scheduled_jobs(s: &Stack, queue: &str) -> u64 {
    let client = redis::Client::open(s.redis_url.as_str()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let cfg = transport::queue::redis_config(&s.prefix, queue, 1);
    redis::cmd("ZCARD")
        .arg(cfg.scheduled_jobs_set())
        .query_async(&mut c)
        .await
        .unwrap()
}

fn opts() -> Options {
    Options {
        worker_env: vec![("WORKER_CONCURRENCY".into(), "100".into())],
        ..Options::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn more_jobs_due_at_once_than_apalis_moves_in_one_step() {
    let mut s = Stack::start("backlog-9000-jobs", opts()).await;
    let token = s.api.login(GESTIONNAIRE.0, GESTIONNAIRE.1).await.access;
    let bulks = upload_backlog(&s, &token, 30, 100).await;
    // 9,000 chunk jobs for those bulks (as fan-out and sweeps of a long outage would leave), all
    // due now: a consumer's first fetch must move them from the scheduled set in one Lua call.
    let q = RedisQueue::connect(&s.redis_url, &s.prefix, 100)
        .await
        .unwrap();
    let jobs: Vec<ChunkJob> = (0..9_000)
        .map(|i| ChunkJob {
            bulk_id: bulks[i % bulks.len()].clone(),
            max_rows: 10,
        })
        .collect();
    for part in jobs.chunks(1_000) {
        q.push_chunks(part.to_vec()).await.unwrap();
    }
    assert!(scheduled_jobs(&s, transport::queue::CHUNK_QUEUE).await >= 9_000);
    s.spawn_workers(2);
    let started = Instant::now();
    for b in &bulks {
        wait_settled(&s, b, Duration::from_secs(90), false).await;
    }
    eprintln!(
        "30 bulks behind 9,000 due jobs settled in {:?}",
        started.elapsed()
    );
    let st = assert_org_consistent(&s, "CNSS", false).await;
    assert_eq!(st.count("COMPLETED"), 3_000);
    assert_switch_matches(&s, &[&st]);
    assert_eq!(s.live_workers(), 2, "a worker died");
    s.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backlog_of_300_bulks_then_workers_start() {
    let mut s = Stack::start("backlog-300", opts()).await;
    let token = s.api.login(GESTIONNAIRE.0, GESTIONNAIRE.1).await.access;
    let t = Instant::now();
    let bulks = upload_backlog(&s, &token, 300, 1_000).await;
    eprintln!("300 bulks of 1,000 rows uploaded in {:?}", t.elapsed());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(s.sim.counters().total_posts, 0, "no worker, no payment");
    s.spawn_workers(3);
    let started = Instant::now();
    for b in &bulks {
        let bulk = wait_settled(&s, b, Duration::from_secs(300), false).await;
        assert_eq!(bulk.state, "COMPLETED");
    }
    eprintln!("300,000 rows settled in {:?}", started.elapsed());
    let st = assert_org_consistent(&s, "CNSS", false).await;
    assert_eq!(st.count("COMPLETED"), 300_000);
    assert_eq!(st.balance, suite::stack::DEMO_BALANCE - 3_000_000);
    assert_switch_matches(&s, &[&st]);
    assert_eq!(s.live_workers(), 3, "a worker died");
    s.cleanup().await;
}
