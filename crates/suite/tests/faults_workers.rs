//! Worker processes die or stop during a running bulk: SIGKILL one of two, SIGKILL all and start
//! new ones, SIGTERM during a burst (exit code 0). Each ends with the checks of
//! [`Run::finish`]: every row final, nothing POSTed twice, money equal to the journal, SSE `done`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use suite::checks::failed_codes;
use suite::csvgen::plain_bulk;
use suite::scenario::{Run, sim_config};
use suite::{Options, Stack};

const ROWS: usize = 5_000;

fn opts() -> Options {
    Options {
        sim: sim_config(),
        ..Options::default()
    }
}

/// A row FAILED only because it was claimed, never reached the switch, and its expiry passed.
async fn only_never_sent_failures(stack: &Stack) {
    let codes = failed_codes(stack, "CNSS").await;
    assert!(
        codes.keys().all(|c| c == "NOT_FOUND_AFTER_EXPIRY"),
        "{}: unexpected failures {codes:?}",
        stack.name
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_one_worker_mid_bulk() {
    let mut run = Run::start("sigkill-one", opts(), plain_bulk(1, ROWS, 100), ROWS, 2).await;
    run.wait_posts(600).await;
    run.stack.workers[0].kill();
    assert!(run.posts() < ROWS as u64, "the bulk ended before the kill");
    let end = run.finish(false, Duration::from_secs(120)).await;
    only_never_sent_failures(&run.stack).await;
    assert_eq!(
        end.settled.count("COMPLETED") + end.settled.count("FAILED"),
        ROWS
    );
    assert_eq!(run.stack.live_workers(), 1);
    run.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_all_workers_then_start_new_ones() {
    let mut run = Run::start("sigkill-all", opts(), plain_bulk(2, ROWS, 100), ROWS, 2).await;
    run.wait_posts(600).await;
    for w in &mut run.stack.workers {
        w.kill();
    }
    // Let the simulator finish reading what was already on the wire.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let at_kill = run.posts();
    assert!(at_kill < ROWS as u64, "the bulk ended before the kill");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        run.posts(),
        at_kill,
        "nothing POSTs once every worker is dead"
    );
    run.stack.spawn_workers(2);
    run.finish(false, Duration::from_secs(120)).await;
    only_never_sent_failures(&run.stack).await;
    assert_eq!(run.stack.live_workers(), 2);
    run.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_during_a_burst_exits_zero() {
    let mut run = Run::start("sigterm", opts(), plain_bulk(3, ROWS, 100), ROWS, 2).await;
    run.wait_posts(600).await;
    run.stack.workers[0].signal("TERM");
    let exit = run.stack.workers[0]
        .wait_exit(Duration::from_secs(20))
        .await
        .expect("the worker did not stop within SHUTDOWN_TIMEOUT");
    assert_eq!(exit.code(), Some(0), "exit status after SIGTERM: {exit:?}");
    assert!(run.posts() < ROWS as u64, "the bulk ended before SIGTERM");
    let end = run.finish(false, Duration::from_secs(120)).await;
    // A graceful stop lets in-flight calls finish and settles them: nothing is left to guess.
    assert_eq!(
        end.settled.count("COMPLETED"),
        ROWS,
        "{:?}",
        end.settled.by_status
    );
    run.cleanup().await;
}
