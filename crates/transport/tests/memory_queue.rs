//! The in-process queue under concurrent producers: every job reaches the apalis consumer, none is
//! stuck and no producer panics (apalis' shared `MemorySink` loses the consumer's wake-up or panics
//! when producers and the consumer meet on its mutex).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use apalis::prelude::*;
use domain::{BulkJob, ChunkJob};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use transport::{JobQueue, MemoryQueue};

async fn count(_job: BulkJob, seen: Data<Arc<AtomicUsize>>) -> Result<(), BoxDynError> {
    seen.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_producers_never_stall_the_consumer() {
    let (queue, storages) = MemoryQueue::new();
    let seen = Arc::new(AtomicUsize::new(0));
    let worker = WorkerBuilder::new("memory-queue-test")
        .backend(storages.bulk)
        .data(seen.clone())
        .concurrency(4)
        .build(count);
    let running = tokio::spawn(worker.run());
    let queue = Arc::new(queue);
    let producers: Vec<_> = (0..8)
        .map(|p| {
            let q = queue.clone();
            tokio::spawn(async move {
                for i in 0..250 {
                    q.push_bulk(BulkJob {
                        bulk_id: format!("bulk-{p}-{i}"),
                    })
                    .await
                    .unwrap();
                    q.push_chunks(vec![ChunkJob {
                        bulk_id: format!("bulk-{p}-{i}"),
                        max_rows: 1,
                    }])
                    .await
                    .unwrap();
                    if i % 16 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    for p in producers {
        p.await.expect("a producer panicked");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while seen.load(Ordering::SeqCst) < 2_000 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "consumer stalled after {} of 2000 jobs",
            seen.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Every bulk job was received; the chunk jobs have no consumer and still wait.
    let depth = queue.depth().await.unwrap();
    assert_eq!(
        depth,
        vec![
            (transport::queue::BULK, 0),
            (transport::queue::CHUNK, 2_000)
        ]
    );
    running.abort();
}
