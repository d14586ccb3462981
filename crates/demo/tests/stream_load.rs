//! Many watchers of one bulk: 200 concurrent streams over real HTTP all see the bulk to `done`,
//! through ONE bus subscription of the API process fanned out in-process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SseReader, Stack, USER, assert_well_formed, redis_url};
use domain::{BulkState, ProgressEvent};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

const WATCHERS: usize = 200;

/// How many Redis connections receive a message published on this test's progress channels:
/// `PUBLISH` answers the number of receivers (pattern subscribers included).
async fn redis_receivers(stack: &Stack) -> i64 {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let probe = ProgressEvent::new("bulk-probe", BulkState::Pending, 0, 0, 0);
    redis::cmd("PUBLISH")
        .arg(format!("{}progress:bulk-probe", stack.prefix))
        .arg(serde_json::to_string(&probe).unwrap())
        .query_async(&mut c)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_watchers_all_receive_done() {
    let mut stack = Stack::new(20, &[("WORKER_CONCURRENCY", "20")]).await;
    let token = stack.login(USER).await;
    let bulk = stack.upload(&token, 300).await;

    // Every watcher connects and reads its snapshot before the worker starts.
    let ready = Arc::new(Barrier::new(WATCHERS + 1));
    let mut tasks = Vec::with_capacity(WATCHERS);
    for _ in 0..WATCHERS {
        let ready = ready.clone();
        let req = stack
            .client
            .get(stack.stream_url(&bulk))
            .bearer_auth(&token);
        tasks.push(tokio::spawn(async move {
            let mut sse = SseReader::new(req.send().await.unwrap());
            let retry = sse.next_within(Duration::from_secs(20)).await;
            assert_eq!(retry.retry, Some(3000));
            let snapshot = sse.next_within(Duration::from_secs(20)).await;
            assert_eq!((snapshot.state(), snapshot.id), ("PENDING", Some(2)));
            ready.wait().await;
            sse.rest(Duration::from_secs(40)).await
        }));
    }
    let t0 = Instant::now();
    tokio::time::timeout(Duration::from_secs(30), ready.wait())
        .await
        .expect("all watchers connected");
    let connected = t0.elapsed();
    // One slot in the hub for the bulk, one Redis subscriber for the whole process.
    assert_eq!(stack.hub.watched(), 1);
    assert_eq!(redis_receivers(&stack).await, 1);

    let t1 = Instant::now();
    stack.start_worker();
    let mut events = 0;
    for task in tasks {
        let frames = task.await.unwrap();
        let done = assert_well_formed(&frames, 0);
        assert_eq!((done.num("total"), done.num("succeeded")), (300, 300));
        assert_eq!(done.data.as_ref().unwrap()["bulkTransferId"], bulk.as_str());
        events += frames.iter().filter(|f| f.is("progress")).count();
    }
    eprintln!(
        "{WATCHERS} watchers connected in {connected:?}, all done {:?} after the worker started \
         ({events} progress events delivered)",
        t1.elapsed()
    );
    stack.wait_watched(0, Duration::from_secs(5)).await;
    stack.cleanup().await;
}
