//! The gateway's HTTP API as a user sees it: login, multipart upload (written by hand), status, and
//! the Server-Sent Events stream read chunk by chunk.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::time::{Duration, Instant};

/// A logged-in user.
#[derive(Clone)]
pub struct Api {
    /// HTTP client (no proxy).
    pub http: reqwest::Client,
    /// API base URL.
    pub base: String,
    /// Bearer access token.
    pub token: String,
}

#[derive(Deserialize)]
struct Login {
    access: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Accepted {
    bulk_transfer_id: String,
}

/// One SSE event as received.
#[derive(Debug, Clone)]
pub struct SseEvent {
    /// `progress` or `done`.
    pub kind: String,
    /// `seq` of the event.
    pub seq: i64,
    /// Final rows so far.
    pub completed: i64,
    /// Wall-clock arrival time.
    pub at: DateTime<Utc>,
    /// Monotonic arrival time.
    pub instant: Instant,
}

#[derive(Deserialize)]
struct EventData {
    seq: i64,
    completed: i64,
}

/// A plain client for the API (no proxy, no global timeout: streams are long).
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .build()?)
}

impl Api {
    /// `POST /api/auth/login`.
    pub async fn login(base: &str, user: &str, password: &str) -> anyhow::Result<Api> {
        let http = http_client()?;
        let resp = http
            .post(format!("{base}/api/auth/login"))
            .json(&serde_json::json!({"username": user, "password": password}))
            .send()
            .await?;
        if !resp.status().is_success() {
            bail!("login of {user} refused: {}", resp.status());
        }
        let l: Login = resp.json().await?;
        Ok(Api {
            http,
            base: base.to_string(),
            token: l.access,
        })
    }

    /// `POST /api/bulk-transfers` with `file` (and `force=true`); the bulk id once 202 is received.
    pub async fn upload(&self, csv: &[u8], file_name: &str) -> anyhow::Result<String> {
        self.upload_with(csv, file_name, &[]).await
    }

    /// [`Api::upload`] with more text fields of the form (e.g. `execute_at`).
    pub async fn upload_with(
        &self,
        csv: &[u8],
        file_name: &str,
        fields: &[(&str, &str)],
    ) -> anyhow::Result<String> {
        let (status, text) = self.post_file(csv, file_name, fields).await?;
        if status != 202 {
            bail!(
                "upload answered {status}: {}",
                text.chars().take(600).collect::<String>()
            );
        }
        let a: Accepted = serde_json::from_str(&text).context("upload answer")?;
        Ok(a.bulk_transfer_id)
    }

    /// Uploads a file and returns the answer's status and body, whatever they are.
    pub async fn post_file(
        &self,
        csv: &[u8],
        file_name: &str,
        fields: &[(&str, &str)],
    ) -> anyhow::Result<(u16, String)> {
        let boundary = format!("bench{}", uuid::Uuid::new_v4().simple());
        let mut body = Vec::with_capacity(csv.len() + 512);
        for (name, value) in [("force", "true")].iter().chain(fields) {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n\
                     {value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
                 filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(csv);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let resp = self
            .http
            .post(format!("{}/api/bulk-transfers", self.base))
            .bearer_auth(&self.token)
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await?;
        let status = resp.status().as_u16();
        Ok((status, resp.text().await?))
    }

    /// `GET /api/bulk-transfers/{id}/status?limit=1` (the summary fields).
    pub async fn status(&self, bulk: &str) -> anyhow::Result<serde_json::Value> {
        let resp = self
            .http
            .get(format!(
                "{}/api/bulk-transfers/{bulk}/status?limit=1",
                self.base
            ))
            .bearer_auth(&self.token)
            .send()
            .await?;
        if !resp.status().is_success() {
            bail!("status of {bulk}: {}", resp.status());
        }
        Ok(resp.json().await?)
    }

    /// `GET /api/bulk-transfers/{id}/verification?limit=1` (the report's counts).
    pub async fn verification(&self, bulk: &str) -> anyhow::Result<serde_json::Value> {
        let resp = self
            .http
            .get(format!(
                "{}/api/bulk-transfers/{bulk}/verification?limit=1",
                self.base
            ))
            .bearer_auth(&self.token)
            .send()
            .await?;
        if !resp.status().is_success() {
            bail!("verification report of {bulk}: {}", resp.status());
        }
        Ok(resp.json().await?)
    }

    /// `POST /api/bulk-transfers/{id}/cancel`; the run's summary.
    pub async fn cancel(&self, bulk: &str) -> anyhow::Result<serde_json::Value> {
        let resp = self
            .http
            .post(format!("{}/api/bulk-transfers/{bulk}/cancel", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            bail!(
                "cancel of {bulk} answered {status}: {}",
                text.chars().take(300).collect::<String>()
            );
        }
        serde_json::from_str(&text).context("cancel answer")
    }

    /// Follows `/stream` until `done` (reconnecting with `Last-Event-ID` if the stream ends
    /// early), calling `on_event` for each event as it arrives; fails after `timeout`.
    pub async fn follow(
        &self,
        bulk: &str,
        timeout: Duration,
        mut on_event: impl FnMut(&SseEvent),
    ) -> anyhow::Result<Vec<SseEvent>> {
        let until = Instant::now() + timeout;
        let mut events: Vec<SseEvent> = Vec::new();
        let mut attempts = 0;
        loop {
            let mut req = self
                .http
                .get(format!("{}/api/bulk-transfers/{bulk}/stream", self.base))
                .bearer_auth(&self.token)
                .header("Accept", "text/event-stream");
            if let Some(last) = events.last() {
                req = req.header("Last-Event-ID", last.seq.to_string());
            }
            let left = until.saturating_duration_since(Instant::now());
            let read = async {
                let mut resp = req.send().await?;
                if !resp.status().is_success() {
                    bail!("stream of {bulk}: {}", resp.status());
                }
                let mut parser = SseParser::default();
                while let Some(chunk) = resp.chunk().await? {
                    for ev in parser.feed(&chunk) {
                        on_event(&ev);
                        let done = ev.kind == "done";
                        events.push(ev);
                        if done {
                            return Ok(true);
                        }
                    }
                }
                Ok::<bool, anyhow::Error>(false)
            };
            match tokio::time::timeout(left, read).await {
                Ok(Ok(true)) => return Ok(events),
                Ok(Ok(false)) | Ok(Err(_)) if attempts < 5 => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Ok(Ok(false)) => bail!("stream of {bulk} ended without `done`"),
                Ok(Err(e)) => return Err(e),
                Err(_) => bail!("no `done` for {bulk} within {timeout:?}"),
            }
        }
    }
}

/// Incremental SSE parser: bytes in, complete events out (timestamped at the chunk's arrival).
#[derive(Default)]
pub struct SseParser {
    buf: Vec<u8>,
    kind: Option<String>,
    data: Option<String>,
}

impl SseParser {
    /// Feeds a chunk; returns every event completed by it.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let (at, instant) = (Utc::now(), Instant::now());
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=pos).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if let (Some(kind), Some(data)) = (self.kind.take(), self.data.take())
                    && let Ok(d) = serde_json::from_str::<EventData>(&data)
                {
                    out.push(SseEvent {
                        kind,
                        seq: d.seq,
                        completed: d.completed,
                        at,
                        instant,
                    });
                }
                self.kind = None;
                self.data = None;
            } else if let Some(v) = line.strip_prefix("event:") {
                self.kind = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("data:") {
                self.data = Some(v.trim().to_string());
            }
        }
        out
    }
}
