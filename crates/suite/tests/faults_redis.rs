//! Redis restarts during a running bulk, on a private redis-server (never the shared one): once with
//! its data kept (AOF, SIGTERM), once with everything lost — the database is the source of truth
//! and the recovery sweep must rebuild the queue. Each ends with the checks of [`Run::finish`], and
//! no worker dies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use suite::Options;
use suite::csvgen::plain_bulk;
use suite::redis_server::Persistence;
use suite::scenario::{Run, sim_config};

const ROWS: usize = 5_000;

async fn restart_redis_mid_bulk(name: &str, persistence: Persistence, salt: u32) {
    let opts = Options {
        sim: sim_config(),
        private_redis: Some(persistence),
        ..Options::default()
    };
    let mut run = Run::start(name, opts, plain_bulk(salt, ROWS, 100), ROWS, 2).await;
    run.wait_posts(600).await;
    let redis = run.stack.redis.as_mut().unwrap();
    redis.stop().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    redis.start_again().await;
    let keys = run.stack.redis_keys().await;
    match persistence {
        Persistence::Aof => assert!(!keys.is_empty(), "the AOF did not keep the queue"),
        Persistence::None => eprintln!("{name}: {} keys right after the restart", keys.len()),
    }
    assert!(
        run.posts() < ROWS as u64,
        "the bulk ended before the restart"
    );
    run.finish(false, Duration::from_secs(120)).await;
    assert_eq!(run.stack.live_workers(), 2, "a worker died");
    let codes = suite::checks::failed_codes(&run.stack, "CNSS").await;
    assert!(
        codes.keys().all(|c| c == "NOT_FOUND_AFTER_EXPIRY"),
        "{name}: only rows that never reached the switch may fail: {codes:?}"
    );
    eprintln!("{name}: failed rows {codes:?}");
    // The gateway is still usable end to end: a new bulk goes through.
    let bulk = run
        .stack
        .api
        .upload_ok(&run.token, plain_bulk(salt + 1, 200, 100))
        .await;
    suite::checks::wait_settled(&run.stack, &bulk, Duration::from_secs(60), false).await;
    suite::checks::assert_org_consistent(&run.stack, "CNSS", false).await;
    run.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_restart_with_data_kept() {
    restart_redis_mid_bulk("redis-kept", Persistence::Aof, 7).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_restart_with_data_lost() {
    restart_redis_mid_bulk("redis-lost", Persistence::None, 9).await;
}
