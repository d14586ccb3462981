//! `GET /metrics` of a worker on `METRICS_BIND_ADDR`: the worker's families in the Prometheus text
//! format, counting what a bulk did, behind `METRICS_TOKEN` when one is set. The registry is
//! shared by every test of this process, so increases are asserted, not absolute values.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ::common::metrics::text::{Scrape, parse};
use common::{Harness, msisdn};
use db::Backend;
use simulator::SimConfig;
use std::time::Duration;

const TOKEN: &str = "scrape-token-0123456789";

fn free_addr() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

async fn scrape(http: &reqwest::Client, addr: &str) -> Scrape {
    let res = http
        .get(format!("http://{addr}/metrics"))
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
    parse(&res.text().await.unwrap()).unwrap()
}

fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    s.value(name, labels)
        .unwrap_or_else(|| panic!("no single sample {name} {labels:?}"))
}

fn transfers(s: &Scrape, outcome: &str) -> f64 {
    value(s, "gateway_transfers_total", &[("outcome", outcome)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_exports_what_its_bulks_did() {
    let mut h = Harness::new(Backend::Postgres, true, SimConfig::default()).await;
    let addr = free_addr();
    // One address for both: one listener answers /health and /metrics.
    let (stop, task) = h.start_worker(h.settings(&[
        ("WORKER_HEALTH_ADDR", &addr),
        ("METRICS_BIND_ADDR", &addr),
        ("METRICS_TOKEN", TOKEN),
    ]));
    let http = reqwest::Client::new();
    let health = wait_up(&http, &format!("http://{addr}/health")).await;
    assert_eq!(health, 200);
    let unauthorised = http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status(), 401);
    let before = scrape(&http, &addr).await;

    // 40 rows paid, 5 refused by the payee's FSP (simulator rule 3204).
    let mut rows: Vec<_> = (0..40).map(|i| ("MSISDN", msisdn(i), 100)).collect();
    rows.extend((0..5).map(|i| ("MSISDN", format!("2289{i:03}3204"), 100)));
    let bulk = h.submit(&rows).await;
    let done = h.wait_final(bulk.id, Duration::from_secs(60)).await;
    assert_eq!((done.succeeded_count, done.failed_count), (40, 5));

    let after = wait_for(&http, &addr, |s| {
        transfers(s, "completed") >= transfers(&before, "completed") + 40.0
    })
    .await;
    assert_eq!(
        transfers(&after, "completed") - transfers(&before, "completed"),
        40.0
    );
    assert_eq!(
        transfers(&after, "failed") - transfers(&before, "failed"),
        5.0
    );
    let posts = |s: &Scrape| {
        value(
            s,
            "gateway_adapter_request_duration_seconds_count",
            &[("operation", "transfers")],
        )
    };
    assert!(posts(&after) - posts(&before) >= 45.0);
    let batches = |s: &Scrape| value(s, "gateway_settlement_batch_size_sum", &[]);
    assert!(batches(&after) - batches(&before) >= 45.0);
    assert!(
        value(
            &after,
            "gateway_adapter_inflight_limit",
            &[("limiter", "transfers")]
        ) >= 1.0
    );
    assert!(
        value(
            &after,
            "gateway_adapter_inflight_limit",
            &[("limiter", "lookups")]
        ) >= 1.0
    );
    assert!(
        value(
            &after,
            "gateway_adapter_inflight",
            &[("limiter", "transfers")]
        ) >= 0.0
    );
    for result in ["delivered", "failed", "blocked"] {
        value(
            &after,
            "gateway_webhook_deliveries_total",
            &[("result", result)],
        );
    }
    for family in [
        "gateway_transfers_total",
        "gateway_adapter_request_duration_seconds",
        "gateway_settlement_batch_size",
    ] {
        assert!(after.help.contains_key(family), "{family} has no HELP");
    }
    // The API's families are not the worker's to export.
    assert!(!after.types.contains_key("gateway_sse_clients"));
    assert!(!after.types.contains_key("gateway_runs"));

    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_only_where_asked() {
    let mut h = Harness::new(Backend::Sqlite, false, SimConfig::default()).await;
    let (health, metrics) = (free_addr(), free_addr());
    let (stop, task) = h.start_worker(h.settings(&[
        ("WORKER_HEALTH_ADDR", &health),
        ("METRICS_BIND_ADDR", &metrics),
    ]));
    let http = reqwest::Client::new();
    assert_eq!(
        wait_up(&http, &format!("http://{health}/health")).await,
        200
    );
    assert_eq!(
        wait_up(&http, &format!("http://{health}/metrics")).await,
        404
    );
    assert_eq!(
        wait_up(&http, &format!("http://{metrics}/health")).await,
        404
    );
    // No METRICS_TOKEN: no token needed.
    let res = http
        .get(format!("http://{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let s = parse(&res.text().await.unwrap()).unwrap();
    assert!(s.types.contains_key("gateway_transfers_total"));
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
}

/// The status of `url` once the worker listens (it binds while starting).
async fn wait_up(http: &reqwest::Client, url: &str) -> u16 {
    for _ in 0..100 {
        if let Ok(res) = http.get(url).send().await {
            return res.status().as_u16();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} never answered");
}

/// Scrapes until `ok` holds (the counters move just after the commit the test waited for).
async fn wait_for(http: &reqwest::Client, addr: &str, ok: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let s = scrape(http, addr).await;
        if ok(&s) || tokio::time::Instant::now() > deadline {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
