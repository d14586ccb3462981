//! The stream reaches `done` even when progress messages are lost: the worker publishes through a
//! bus that drops them, and the stream re-reads the database after a few quiet seconds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use api::stream::hub::QUIET_RECHECK;
use common::{SseReader, Stack, USER, assert_well_formed};
use domain::ProgressEvent;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use transport::{BusError, ProgressBus, RedisBus};

type Fut<'a> = Pin<Box<dyn Future<Output = Result<(), BusError>> + Send + 'a>>;

/// Delegates to Redis but loses some events (counted in `lost`).
struct LossyBus {
    inner: RedisBus,
    lose_all: bool,
    lost: Arc<AtomicUsize>,
    passed: Arc<AtomicUsize>,
}

impl ProgressBus for LossyBus {
    fn publish<'life0, 'life1, 'async_trait>(
        &'life0 self,
        event: &'life1 ProgressEvent,
    ) -> Fut<'async_trait>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            if self.lose_all || event.state.is_final() {
                self.lost.fetch_add(1, Ordering::SeqCst);
                return Ok(());
            }
            self.passed.fetch_add(1, Ordering::SeqCst);
            self.inner.publish(event).await
        })
    }

    fn listen(&self) -> broadcast::Receiver<ProgressEvent> {
        self.inner.listen()
    }
}

/// Streams a 100-row bulk whose worker loses the final event (or every event) and returns the
/// time from the bulk being final in the database to `done` on the stream.
async fn run(lose_all: bool) -> Duration {
    let mut stack = Stack::new(10, &[("WORKER_CONCURRENCY", "10")]).await;
    let token = stack.login(USER).await;
    let bulk = stack.upload(&token, 100).await;
    let mut sse = SseReader::new(stack.open(&token, &bulk, None).await);
    assert_eq!(
        sse.next_within(Duration::from_secs(5)).await.retry,
        Some(3000)
    );
    assert_eq!(
        sse.next_within(Duration::from_secs(5)).await.state(),
        "PENDING"
    );

    let lost = Arc::new(AtomicUsize::new(0));
    let passed = Arc::new(AtomicUsize::new(0));
    stack.start_worker_with(Arc::new(LossyBus {
        inner: stack.bus.clone(),
        lose_all,
        lost: lost.clone(),
        passed: passed.clone(),
    }));
    // Watch the database while the stream is read, to time the gap.
    let reading =
        tokio::spawn(async move { (sse.rest(Duration::from_secs(20)).await, Instant::now()) });
    let b = stack.wait_final(&bulk, Duration::from_secs(20)).await;
    let final_at = Instant::now();
    let (frames, done_at) = reading.await.unwrap();
    assert_eq!(b.state, "COMPLETED");

    let done = assert_well_formed(&frames, 0);
    assert_eq!((done.num("completed"), done.num("total")), (100, 100));
    assert_eq!(done.state(), "COMPLETED");
    assert!(lost.load(Ordering::SeqCst) >= 1, "nothing was lost");
    if lose_all {
        assert_eq!(passed.load(Ordering::SeqCst), 0);
    }
    let gap = done_at.saturating_duration_since(final_at);
    // The bus said nothing about the end: the stream found it by re-reading the database.
    assert!(
        gap <= QUIET_RECHECK + Duration::from_secs(1),
        "done came {gap:?} after the end"
    );
    eprintln!(
        "lose_all={lose_all}: {} lost, {} passed, done {gap:?} after the bulk ended, {} progress events",
        lost.load(Ordering::SeqCst),
        passed.load(Ordering::SeqCst),
        frames.iter().filter(|f| f.is("progress")).count()
    );
    stack.wait_watched(0, Duration::from_secs(5)).await;
    stack.cleanup().await;
    gap
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_stream_ends_when_the_final_event_is_lost() {
    let gap = run(false).await;
    // Without the final event, only the quiet re-read can have ended the stream.
    assert!(
        gap >= Duration::from_secs(1),
        "done came too fast ({gap:?}) for a re-read"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_stream_ends_when_the_bus_is_silent() {
    run(true).await;
}
