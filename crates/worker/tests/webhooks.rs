//! Webhooks from the outbox to a real HTTP receiver on loopback: signed, retried after 500s and a
//! dropped connection, delivered once per event id, never sent to a private address that is not
//! allow-listed, never following a redirect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, msisdn};
use db::Backend;
use db::models::WebhookDelivery;
use db::queries::webhooks;
use simulator::SimConfig;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SECRET: &str = "whsec_test_0123456789abcdef";

/// What the receiver does with the n-th request (the last one repeats).
#[derive(Clone, Debug)]
enum Reply {
    Status(u16),
    /// Reads the request, then closes the connection without answering.
    Drop,
    /// `302` to this location.
    Redirect(String),
}

#[derive(Debug, Clone)]
struct Received {
    headers: HashMap<String, String>,
    body: Vec<u8>,
    answered: Option<u16>,
}

/// A minimal HTTP/1.1 receiver: counts connections, keeps every request it read.
#[derive(Clone)]
struct Receiver {
    url: String,
    connections: Arc<Mutex<usize>>,
    requests: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(script: Vec<Reply>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/bulk", listener.local_addr().unwrap());
        let r = Receiver {
            url,
            connections: Arc::default(),
            requests: Arc::default(),
        };
        let me = r.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                *me.connections.lock().unwrap() += 1;
                let me = me.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let Some((headers, body)) = read_request(&mut sock).await else {
                        return;
                    };
                    let n = me.requests.lock().unwrap().len();
                    let reply = script[n.min(script.len() - 1)].clone();
                    let answered = match &reply {
                        Reply::Status(s) => Some(*s),
                        Reply::Redirect(_) => Some(302),
                        Reply::Drop => None,
                    };
                    me.requests.lock().unwrap().push(Received {
                        headers,
                        body,
                        answered,
                    });
                    let head = match reply {
                        Reply::Drop => return,
                        Reply::Status(s) => format!("HTTP/1.1 {s} X\r\n"),
                        Reply::Redirect(to) => format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\n"),
                    };
                    let text = format!("{head}Content-Length: 2\r\nConnection: close\r\n\r\nok");
                    let _ = sock.write_all(text.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        r
    }

    fn requests(&self) -> Vec<Received> {
        self.requests.lock().unwrap().clone()
    }

    fn connections(&self) -> usize {
        *self.connections.lock().unwrap()
    }
}

/// Reads one request: headers (lower-cased names) and a `Content-Length` body.
async fn read_request(
    sock: &mut tokio::net::TcpStream,
) -> Option<(HashMap<String, String>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let headers: HashMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers.get("content-length")?.parse().ok()?;
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some((headers, buf[head_end..head_end + len].to_vec()))
}

fn deliveries(h: &Harness, bulk_pk: i64) -> Vec<WebhookDelivery> {
    let mut c = h.pool.get().unwrap();
    webhooks::for_bulk(&mut c, bulk_pk).unwrap()
}

/// Waits until every delivery of the run left PENDING, or `timeout`.
async fn wait_settled(h: &Harness, bulk_pk: i64, timeout: Duration) -> Vec<WebhookDelivery> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let d = deliveries(h, bulk_pk);
        let done = !d.is_empty() && d.iter().all(|d| d.state != webhooks::PENDING);
        if done || tokio::time::Instant::now() > deadline {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn set_secret(h: &Harness) {
    let mut c = h.pool.get().unwrap();
    webhooks::set_secret(&mut c, h.org_pk, SECRET).unwrap();
}

async fn retried_until_delivered(backend: Backend, redis: bool) {
    let mut h = Harness::new(backend, redis, SimConfig::default()).await;
    set_secret(&h);
    let rx = Receiver::start(vec![
        Reply::Status(500),
        Reply::Status(503),
        Reply::Drop,
        Reply::Status(200),
    ])
    .await;
    let settings = h.settings(&[
        ("CALLBACK_ALLOWED_HOSTS", "127.0.0.1"),
        ("WEBHOOK_RETRY_BASE", "100ms"),
    ]);
    let (stop, task) = h.start_worker(settings);
    let rows: Vec<_> = (0..5).map(|i| ("MSISDN", msisdn(i), 1_000)).collect();
    let bulk = h.submit_with_callback(&rows, &rx.url).await;
    let done = h.wait_final(bulk.id, Duration::from_secs(30)).await;
    assert_eq!(done.state, "COMPLETED");
    let d = wait_settled(&h, bulk.id, Duration::from_secs(30)).await;
    assert_eq!(d.len(), 1, "one event: bulk.completed");
    assert_eq!(d[0].state, webhooks::DELIVERED);
    assert_eq!(d[0].attempts, 4);
    assert_eq!(d[0].last_status, Some(200));
    // Nothing more once delivered.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let got = rx.requests();
    assert_eq!(got.len(), 4, "500, 503, dropped, 200");
    let attempts = {
        let mut c = h.pool.get().unwrap();
        webhooks::attempts(&mut c, d[0].id).unwrap()
    };
    let statuses: Vec<Option<i32>> = attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![Some(500), Some(503), None, Some(200)]);

    let now = chrono::Utc::now().timestamp();
    for r in &got {
        assert_eq!(r.headers["x-gateway-event-id"], d[0].event_id);
        assert_eq!(r.headers["content-type"], "application/json");
        let sig = &r.headers["x-gateway-signature"];
        assert!(
            domain::webhook::verify(SECRET.as_bytes(), sig, &r.body, now, 60),
            "signature {sig} verifies over the raw body"
        );
        assert!(!domain::webhook::verify(
            b"another secret",
            sig,
            &r.body,
            now,
            60
        ));
    }
    // Exactly once per event id, from the receiver's view.
    let accepted: Vec<&Received> = got.iter().filter(|r| r.answered == Some(200)).collect();
    assert_eq!(accepted.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&accepted[0].body).unwrap();
    assert_eq!(body["event"], "bulk.completed");
    assert_eq!(body["eventId"], d[0].event_id.as_str());
    assert_eq!(body["bulkTransferId"], bulk.bulk_id.as_str());
    assert_eq!(body["state"], "COMPLETED");
    assert_eq!(body["counts"]["completed"], 5);
    assert_eq!(body["counts"]["pending"], 0);
    assert_eq!(body["amounts"]["completed"], 5_000);
    assert_eq!(body["amounts"]["currency"], "XOF");
    assert!(body["occurredAt"].as_str().unwrap().ends_with('Z'));
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signed_and_retried_until_delivered_pg() {
    retried_until_delivered(Backend::Postgres, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signed_and_retried_until_delivered_sqlite() {
    retried_until_delivered(Backend::Sqlite, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_private_target_is_never_contacted_without_the_allowlist() {
    let mut h = Harness::new(Backend::Postgres, true, SimConfig::default()).await;
    set_secret(&h);
    let rx = Receiver::start(vec![Reply::Status(200)]).await;
    let (stop, task) = h.start_worker(h.settings(&[("WEBHOOK_RETRY_BASE", "100ms")]));
    let rows: Vec<_> = (0..2).map(|i| ("MSISDN", msisdn(i), 100)).collect();
    let bulk = h.submit_with_callback(&rows, &rx.url).await;
    h.wait_final(bulk.id, Duration::from_secs(30)).await;
    let d = wait_settled(&h, bulk.id, Duration::from_secs(10)).await;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].state, webhooks::BLOCKED);
    assert!(
        d[0].last_error
            .as_deref()
            .unwrap()
            .contains("blocked_private_address")
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.connections(), 0, "not even a TCP connection");
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redirect_is_not_followed() {
    let mut h = Harness::new(Backend::Postgres, true, SimConfig::default()).await;
    set_secret(&h);
    let elsewhere = Receiver::start(vec![Reply::Status(200)]).await;
    let rx = Receiver::start(vec![Reply::Redirect(elsewhere.url.clone())]).await;
    let settings = h.settings(&[
        ("CALLBACK_ALLOWED_HOSTS", "127.0.0.1"),
        ("WEBHOOK_RETRY_BASE", "100ms"),
    ]);
    let (stop, task) = h.start_worker(settings);
    let rows: Vec<_> = (0..2).map(|i| ("MSISDN", msisdn(i), 100)).collect();
    let bulk = h.submit_with_callback(&rows, &rx.url).await;
    h.wait_final(bulk.id, Duration::from_secs(30)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while rx.requests().len() < 3 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(rx.requests().len() >= 3, "tried again after each 302");
    assert_eq!(
        elsewhere.connections(),
        0,
        "the redirect target is never contacted"
    );
    let d = deliveries(&h, bulk.id);
    assert_eq!(d[0].state, webhooks::PENDING, "a 302 is not a delivery");
    assert_eq!(d[0].last_status, Some(302));
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_is_sent_unsigned() {
    let mut h = Harness::new(Backend::Postgres, true, SimConfig::default()).await;
    let rx = Receiver::start(vec![Reply::Status(200)]).await;
    let settings = h.settings(&[
        ("CALLBACK_ALLOWED_HOSTS", "127.0.0.1"),
        ("WEBHOOK_RETRY_BASE", "100ms"),
    ]);
    let (stop, task) = h.start_worker(settings);
    let rows: Vec<_> = (0..2).map(|i| ("MSISDN", msisdn(i), 100)).collect();
    let bulk = h.submit_with_callback(&rows, &rx.url).await;
    h.wait_final(bulk.id, Duration::from_secs(30)).await;
    // Without a secret the event waits (attempts recorded) ...
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while deliveries(&h, bulk.id)
        .first()
        .is_none_or(|d| d.attempts < 2)
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let d = deliveries(&h, bulk.id);
    assert!(d[0].attempts >= 2);
    assert!(
        d[0].last_error
            .as_deref()
            .unwrap()
            .contains("no webhook secret")
    );
    assert_eq!(rx.connections(), 0);
    // ... and goes out, signed, once the organisation has one.
    set_secret(&h);
    let d = wait_settled(&h, bulk.id, Duration::from_secs(30)).await;
    assert_eq!(d[0].state, webhooks::DELIVERED);
    let got = rx.requests();
    assert_eq!(got.len(), 1);
    let now = chrono::Utc::now().timestamp();
    let sig = &got[0].headers["x-gateway-signature"];
    assert!(domain::webhook::verify(
        SECRET.as_bytes(),
        sig,
        &got[0].body,
        now,
        60
    ));
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    h.cleanup().await;
}
