//! A Server-Sent Events follower of one bulk's stream, reconnecting with `Last-Event-ID` as a browser
//! would, until `event: done` or a deadline.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::http::Api;

/// What a follower saw.
#[derive(Debug, Clone, Default)]
pub struct StreamOutcome {
    /// `progress` events received.
    pub progress_events: usize,
    /// The `data` of `event: done`, if it came.
    pub done: Option<Value>,
    /// Times the stream had to be opened again (refused, cut or ended without `done`).
    pub reconnects: u32,
    /// Whether every `id:` was greater than the previous one.
    pub ids_increasing: bool,
    /// Status codes of refused (re)connections.
    pub refused: Vec<u16>,
}

struct Block {
    id: Option<i64>,
    event: Option<String>,
    data: String,
}

fn parse_block(block: &str) -> Block {
    let mut b = Block {
        id: None,
        event: None,
        data: String::new(),
    };
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("id:") {
            b.id = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("event:") {
            b.event = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("data:") {
            b.data.push_str(v.trim_start());
        }
    }
    b
}

/// Follows `/api/bulk-transfers/{bulk}/stream` until `done` or `timeout`.
pub async fn follow(api: Api, token: String, bulk: String, timeout: Duration) -> StreamOutcome {
    let deadline = Instant::now() + timeout;
    let mut out = StreamOutcome {
        ids_increasing: true,
        ..StreamOutcome::default()
    };
    let mut last_id: i64 = -1;
    let mut first = true;
    while Instant::now() < deadline {
        if !first {
            out.reconnects += 1;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        first = false;
        let mut req = api
            .http
            .get(api.url(&format!("/api/bulk-transfers/{bulk}/stream")))
            .bearer_auth(&token)
            .timeout(deadline.saturating_duration_since(Instant::now()));
        if last_id >= 0 {
            req = req.header("Last-Event-ID", last_id.to_string());
        }
        let mut res = match req.send().await {
            Ok(r) => r,
            Err(_) => continue,
        };
        if res.status() != 200 {
            out.refused.push(res.status().as_u16());
            continue;
        }
        let mut buf = String::new();
        loop {
            let chunk = match tokio::time::timeout_at(deadline, res.chunk()).await {
                Ok(Ok(Some(c))) => c,
                _ => break,
            };
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let b = parse_block(&block);
                match b.event.as_deref() {
                    Some("progress") => {
                        out.progress_events += 1;
                        if let Some(id) = b.id {
                            if id <= last_id {
                                out.ids_increasing = false;
                            }
                            last_id = last_id.max(id);
                        }
                    }
                    Some("done") => {
                        out.done = serde_json::from_str(&b.data).ok();
                        return out;
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// Starts [`follow`] in the background.
pub fn spawn_follow(
    api: &Api,
    token: &str,
    bulk: &str,
    timeout: Duration,
) -> tokio::task::JoinHandle<StreamOutcome> {
    tokio::spawn(follow(
        api.clone(),
        token.to_string(),
        bulk.to_string(),
        timeout,
    ))
}
