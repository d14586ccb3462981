//! `GET /metrics` of the API with a worker in the same process (as in the embedded demo): every
//! `gateway_*` family once, from one registry, moving with an upload that runs to completion.
//! The registry is shared by every test of this process: increases are asserted, not totals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ::common::metrics::text::{Scrape, parse};
use common::{SseReader, Stack, USER};
use domain::BulkState;
use std::time::Duration;

const TOKEN: &str = "metrics-token-0123456789";
const ROWS: usize = 120;

/// Every family the gateway exports; the embedded stack has them all.
const FAMILIES: &[&str] = &[
    "gateway_transfers_total",
    "gateway_adapter_request_duration_seconds",
    "gateway_adapter_inflight_limit",
    "gateway_adapter_inflight",
    "gateway_runs",
    "gateway_queue_depth",
    "gateway_settlement_batch_size",
    "gateway_sse_clients",
    "gateway_webhook_deliveries_total",
    "gateway_http_requests_total",
    "gateway_http_request_duration_seconds",
];

async fn scrape_text(stack: &Stack) -> String {
    let res = stack
        .client
        .get(stack.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    res.text().await.unwrap()
}

async fn scrape(stack: &Stack) -> Scrape {
    parse(&scrape_text(stack).await).unwrap()
}

fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    s.value(name, labels)
        .unwrap_or_else(|| panic!("no single sample {name} {labels:?}"))
}

fn completed(s: &Scrape) -> f64 {
    value(s, "gateway_transfers_total", &[("outcome", "completed")])
}

fn runs(s: &Scrape, state: BulkState) -> f64 {
    value(s, "gateway_runs", &[("state", state.as_str())])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upload_run_to_completion_shows_in_the_metrics() {
    let mut stack = Stack::new(5, &[("METRICS_TOKEN", TOKEN)]).await;
    // As in the embedded demo, where the worker starts with the API: its families are there (at
    // their values so far) from the first scrape, before this test's worker starts.
    ::common::metrics::register_worker();
    let denied = stack
        .client
        .get(stack.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    assert_eq!(denied.headers()["www-authenticate"], "Bearer");

    let token = stack.login(USER).await;
    let before = scrape(&stack).await;
    let bulk = stack.upload(&token, ROWS).await;

    // No worker yet: the run waits in the queue, and a live stream is open on it.
    let res = stack.open(&token, &bulk, None).await;
    assert_eq!(res.status(), 200);
    let mut sse = SseReader::new(res);
    sse.next_within(Duration::from_secs(5)).await;
    let waiting = scrape(&stack).await;
    let sse_clients = |s: &Scrape| value(s, "gateway_sse_clients", &[]);
    assert!(sse_clients(&waiting) >= sse_clients(&before) + 1.0);
    assert!(value(&waiting, "gateway_queue_depth", &[("queue", "bulk")]) >= 1.0);
    value(&waiting, "gateway_queue_depth", &[("queue", "chunk")]);
    let logins = |s: &Scrape| {
        s.value(
            "gateway_http_requests_total",
            &[("method", "POST"), ("status", "200")],
        )
        .unwrap_or(0.0)
    };
    assert!(logins(&waiting) >= 1.0, "the login was not counted");

    stack.start_worker();
    let done = stack.wait_final(&bulk, Duration::from_secs(60)).await;
    assert_eq!(done.succeeded_count, ROWS as i64);
    sse.rest(Duration::from_secs(10)).await;

    // The counters move just after the commit; the runs' count is cached up to 5 s.
    let after = wait_for(&stack, |s| {
        completed(s) >= completed(&before) + ROWS as f64
            && runs(s, BulkState::Completed) >= runs(&before, BulkState::Completed) + 1.0
    })
    .await;
    let text = scrape_text(&stack).await;
    for family in FAMILIES {
        assert_eq!(
            text.matches(&format!("# TYPE {family} ")).count(),
            1,
            "{family} not exported exactly once:\n{text}"
        );
        assert!(after.help.contains_key(*family), "{family} has no HELP");
    }
    assert_eq!(completed(&after) - completed(&before), ROWS as f64);
    assert_eq!(
        runs(&after, BulkState::Pending),
        0.0,
        "every state is shown"
    );
    // Declared by the worker when it starts: absent from the first scrape, so 0 there.
    let posts = |s: &Scrape| {
        s.value(
            "gateway_adapter_request_duration_seconds_count",
            &[("operation", "transfers")],
        )
    };
    assert!(posts(&after).unwrap() - posts(&before).unwrap_or(0.0) >= ROWS as f64);
    let settled = |s: &Scrape| value(s, "gateway_settlement_batch_size_sum", &[]);
    assert_eq!(settled(&after) - settled(&before), ROWS as f64);
    assert!(
        value(
            &after,
            "gateway_adapter_inflight_limit",
            &[("limiter", "transfers")]
        ) >= 1.0
    );
    for result in ["delivered", "failed", "blocked"] {
        value(
            &after,
            "gateway_webhook_deliveries_total",
            &[("result", result)],
        );
    }
    stack.wait_watched(0, Duration::from_secs(5)).await;
    assert_eq!(
        sse_clients(&scrape(&stack).await),
        sse_clients(&before),
        "the stream was counted until it ended"
    );
    stack.cleanup().await;
}

/// Scrapes until `ok` holds or 15 s pass (longer than the runs' cache).
async fn wait_for(stack: &Stack, ok: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let s = scrape(stack).await;
        if ok(&s) || tokio::time::Instant::now() > deadline {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
