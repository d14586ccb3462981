//! The payment run's states on the live stream: a run waiting for approval streams
//! AWAITING_APPROVAL, its approval is seen as PENDING then PROCESSING … `done`; a rejected run's
//! stream ends with `done` in REJECTED. Organisation CNSS-VISA of the demo seed needs approval.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SseReader, Stack};
use serde_json::{Value, json};
use std::time::Duration;

const SHORT: Duration = Duration::from_secs(10);
const UPLOADER: (&str, &str) = ("gestionnaire-visa", "approbateur123");
const APPROVER: (&str, &str) = ("approbateur", "approbateur123");

async fn decide(stack: &Stack, token: &str, bulk: &str, action: &str, body: Value) -> Value {
    let res = stack
        .client
        .post(stack.url(&format!("/api/bulk-transfers/{bulk}/{action}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn file_hash(stack: &Stack, token: &str, bulk: &str) -> String {
    let res = stack
        .client
        .get(stack.url(&format!("/api/bulk-transfers/{bulk}/status")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    v["fileSha256"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn approval_and_rejection_are_streamed() {
    let mut stack = Stack::new(0, &[]).await;
    stack.start_worker();
    let uploader = stack.login(UPLOADER).await;
    let approver = stack.login(APPROVER).await;

    // Rejected: the stream ends with `done` in REJECTED.
    let bulk = stack.upload(&uploader, 3).await;
    let mut sse = SseReader::new(stack.open(&approver, &bulk, None).await);
    sse.next_within(SHORT).await; // retry
    let snapshot = sse.next_within(SHORT).await;
    assert_eq!(
        (snapshot.state(), snapshot.id),
        ("AWAITING_APPROVAL", Some(0))
    );
    decide(&stack, &approver, &bulk, "reject", json!({"reason": "non"})).await;
    let rest = sse.rest(SHORT).await;
    let last = rest.last().expect("frames after the snapshot");
    assert!(last.is("done"), "{rest:?}");
    assert_eq!(last.state(), "REJECTED");

    // Approved: PENDING, then the worker takes it to COMPLETED and `done`.
    let bulk = stack.upload(&uploader, 3).await;
    let mut sse = SseReader::new(stack.open(&approver, &bulk, None).await);
    sse.next_within(SHORT).await;
    assert_eq!(sse.next_within(SHORT).await.state(), "AWAITING_APPROVAL");
    let sha = file_hash(&stack, &approver, &bulk).await;
    decide(
        &stack,
        &approver,
        &bulk,
        "approve",
        json!({"fileSha256": sha}),
    )
    .await;
    let rest = sse.rest(Duration::from_secs(30)).await;
    let states: Vec<&str> = rest
        .iter()
        .filter_map(|f| f.data.as_ref().map(|_| f.state()))
        .collect();
    assert!(
        states.contains(&"PENDING") || states.contains(&"PROCESSING"),
        "{states:?}"
    );
    let last = rest.last().unwrap();
    assert!(last.is("done"), "{rest:?}");
    assert_eq!(last.state(), "COMPLETED");
    // Progress events strictly increase (`done` repeats the final one's id).
    let ids: Vec<i64> = rest
        .iter()
        .filter(|f| f.is("progress"))
        .filter_map(|f| f.id)
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "seq strictly increasing: {ids:?}"
    );
    stack.cleanup().await;
}
