//! Live progress over real HTTP, with a real worker on real Redis: a bulk streamed from its
//! snapshot to `done`, resumption with `Last-Event-ID`, and a bulk that is already final.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SseReader, Stack, USER, assert_well_formed};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(30);
const SHORT: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bulk_is_streamed_from_start_to_done() {
    let mut stack = Stack::new(20, &[("WORKER_CONCURRENCY", "20")]).await;
    let token = stack.login(USER).await;
    let bulk = stack.upload(&token, 300).await;

    // The stream is open before the worker starts, so it sees the whole life of the bulk.
    let res = stack.open(&token, &bulk, None).await;
    assert_eq!(res.status(), 200);
    let h = res.headers();
    assert_eq!(h["content-type"], "text/event-stream");
    assert_eq!(h["cache-control"], "no-cache");
    assert_eq!(h["x-accel-buffering"], "no");
    let mut sse = SseReader::new(res);
    let first = sse.next_within(SHORT).await;
    assert_eq!(first.retry, Some(3000), "first frame: {first:?}");
    assert!(first.event.is_none() && first.data.is_none());
    let snapshot = sse.next_within(SHORT).await;
    assert!(snapshot.is("progress"), "{snapshot:?}");
    assert_eq!(snapshot.state(), "PENDING");
    assert_eq!(snapshot.id, Some(2));
    assert_eq!(snapshot.num("completed"), 0);
    assert_eq!(snapshot.num("total"), 300);
    let data = snapshot.data.as_ref().unwrap();
    for field in ["bulkTransferId", "succeeded", "failed", "progress_percent"] {
        assert!(data.get(field).is_some(), "{field} missing in {data}");
    }
    assert_eq!(data["bulkTransferId"], bulk.as_str());

    let started = Instant::now();
    stack.start_worker();
    let frames = sse.rest(LONG).await;
    let elapsed = started.elapsed();
    let done = assert_well_formed(&frames, 0);
    assert_eq!(done.num("total"), 300);
    assert_eq!(done.num("succeeded"), 300, "{done:?}");
    assert_eq!(done.state(), "COMPLETED");
    let progress: Vec<_> = frames.iter().filter(|f| f.is("progress")).collect();
    assert!(
        progress.iter().any(|f| f.state() == "PROCESSING"),
        "{frames:#?}"
    );
    assert!(
        progress
            .iter()
            .any(|f| f.state() == "PROCESSING" && f.num("completed") > 0),
        "no intermediate progress: {frames:#?}"
    );
    let last = progress.last().unwrap();
    assert_eq!(
        (last.state(), last.id),
        ("COMPLETED", done.id),
        "final progress then done"
    );
    // The server closed the body right after `done` (rest() returned), and the database agrees.
    let b = stack.db_state(&bulk).await;
    assert_eq!((b.state.as_str(), b.succeeded_count), ("COMPLETED", 300));
    eprintln!(
        "300 rows streamed in {elapsed:?}: {} progress events",
        progress.len()
    );
    stack.wait_watched(0, SHORT).await;
    stack.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn last_event_id_resumes_without_duplicates() {
    // Slower: 300 rows, 4 at a time, 20 ms each → well over a second of progress.
    let mut stack = Stack::new(20, &[("WORKER_CONCURRENCY", "4")]).await;
    let token = stack.login(USER).await;
    let bulk = stack.upload(&token, 300).await;

    // Resuming at the snapshot's id: the snapshot is not sent again (nor anything else while the
    // bulk does not move).
    let mut sse = SseReader::new(stack.open(&token, &bulk, None).await);
    sse.next_within(SHORT).await;
    let snapshot = sse.next_within(SHORT).await;
    assert_eq!((snapshot.id, snapshot.state()), (Some(2), "PENDING"));
    drop(sse);
    let mut sse = SseReader::new(stack.open(&token, &bulk, Some(2)).await);
    let first = sse.next_within(SHORT).await;
    assert_eq!(first.retry, Some(3000));
    let quiet = tokio::time::timeout(Duration::from_millis(500), sse.next()).await;
    assert!(quiet.is_err(), "sent again at Last-Event-ID 0: {quiet:?}");

    // The bulk runs; the resumed stream gets only newer events. Read a few, then drop it.
    stack.start_worker();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let f = sse.next_within(LONG).await;
        if f.is("done") {
            panic!("the bulk finished before a reconnection could be tried: {seen:#?}");
        }
        assert!(f.is("progress") && f.id.unwrap() > 0, "{f:?}");
        seen.push(f);
    }
    let last_id = seen.last().unwrap().id.unwrap();
    let last_completed = seen.last().unwrap().num("completed");
    drop(sse);

    // Reconnect as EventSource would: nothing at or below the last id comes again.
    let mut sse = SseReader::new(stack.open(&token, &bulk, Some(last_id)).await);
    assert_eq!(sse.next_within(SHORT).await.retry, Some(3000));
    let frames = sse.rest(LONG).await;
    let done = assert_well_formed(&frames, last_id);
    assert!(done.num("completed") >= last_completed);
    assert_eq!(done.num("total"), 300);
    for f in &frames {
        if let Some(id) = f.id {
            assert!(id > last_id, "id {id} at or below Last-Event-ID {last_id}");
        }
    }
    eprintln!(
        "resumed after id {last_id}: {} more events",
        frames.iter().filter(|f| f.is("progress")).count()
    );
    stack.wait_watched(0, SHORT).await;
    stack.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_final_bulk_gets_one_progress_and_done_at_once() {
    let mut stack = Stack::new(0, &[]).await;
    let token = stack.login(USER).await;
    let bulk = stack.upload(&token, 20).await;
    stack.start_worker();
    let b = stack.wait_final(&bulk, LONG).await;
    assert_eq!(b.state, "COMPLETED");

    let started = Instant::now();
    let mut sse = SseReader::new(stack.open(&token, &bulk, None).await);
    let frames = sse.rest(SHORT).await;
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    assert_eq!(frames.len(), 3, "{frames:#?}");
    assert_eq!(frames[0].retry, Some(3000));
    assert!(
        frames[1].is("progress") && frames[2].is("done"),
        "{frames:#?}"
    );
    assert_eq!(frames[1].state(), "COMPLETED");
    assert_eq!(frames[1].data, frames[2].data);
    assert_eq!(frames[1].num("completed"), 20);
    assert_eq!(frames[1].id, Some(20 * 8 + 7));

    // A client that already has the final event is only told that it is over.
    let mut sse = SseReader::new(stack.open(&token, &bulk, frames[1].id).await);
    let again = sse.rest(SHORT).await;
    let events: Vec<_> = again.iter().filter(|f| f.event.is_some()).collect();
    assert_eq!(events.len(), 1, "{again:#?}");
    assert!(events[0].is("done"));
    stack.wait_watched(0, SHORT).await;
    stack.cleanup().await;
}
