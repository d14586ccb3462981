//! The worker's small HTTP endpoint: `GET /health` (`WORKER_HEALTH_ADDR`: liveness plus the
//! pacing state, as JSON) and `GET /metrics` (`METRICS_BIND_ADDR`: the Prometheus text format).
//! A few lines over a plain TCP listener rather than a web framework in the worker: two routes,
//! small answers, read by ops, probes and Prometheus. Both addresses may be the same: one
//! listener then answers both routes.

use anyhow::Context;
use common::env::Secret;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::pacing::Pacer;
use crate::settings::WorkerSettings;

/// Longest request head read (a scrape's is a few hundred bytes).
const MAX_HEAD: usize = 8 * 1024;
/// Time a client has to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// One running listener.
pub struct Health {
    /// Where it listens (port 0 resolved).
    pub addr: SocketAddr,
    /// Whether it answers `GET /health`.
    pub health: bool,
    /// Whether it answers `GET /metrics`.
    pub metrics: bool,
    /// The accept loop.
    pub task: JoinHandle<()>,
}

/// What the listeners answer from.
struct Source {
    pacer: Pacer,
    stopping: watch::Receiver<bool>,
    token: Option<Secret>,
}

/// Starts the listeners the settings ask for: none, one (health, metrics, or both on the same
/// address) or two.
pub async fn start(
    settings: &WorkerSettings,
    pacer: Pacer,
    stopping: watch::Receiver<bool>,
) -> anyhow::Result<Vec<Health>> {
    let src = Arc::new(Source {
        pacer,
        stopping,
        token: settings.metrics_token.clone(),
    });
    let (health, metrics) = (&settings.health_addr, &settings.metrics_addr);
    let mut out = Vec::new();
    match (health, metrics) {
        (Some(h), Some(m)) if h == m => out.push(serve(h, true, true, src).await?),
        _ => {
            if let Some(h) = health {
                out.push(serve(h, true, false, src.clone()).await?);
            }
            if let Some(m) = metrics {
                out.push(serve(m, false, true, src).await?);
            }
        }
    }
    Ok(out)
}

async fn serve(
    addr: &str,
    health: bool,
    metrics: bool,
    src: Arc<Source>,
) -> anyhow::Result<Health> {
    let var = if health {
        "WORKER_HEALTH_ADDR"
    } else {
        "METRICS_BIND_ADDR"
    };
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {var}={addr}"))?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let src = src.clone();
            tokio::spawn(answer(stream, health, metrics, src));
        }
    });
    Ok(Health {
        addr: bound,
        health,
        metrics,
        task,
    })
}

async fn answer(mut stream: TcpStream, health: bool, metrics: bool, src: Arc<Source>) {
    let head = read_head(&mut stream).await;
    let (path, authorization) = request_line_and_auth(&head);
    let (status, content_type, body) = match path {
        Some("/health") if health => ("200 OK", "application/json", health_doc(&src)),
        Some("/metrics") if metrics => {
            if common::metrics::authorized(authorization, src.token.as_ref()) {
                let body = common::metrics::render(Vec::new());
                ("200 OK", common::metrics::CONTENT_TYPE, body)
            } else {
                (
                    "401 Unauthorized",
                    "text/plain",
                    "bearer token required\n".into(),
                )
            }
        }
        _ => ("404 Not Found", "text/plain", "not found\n".into()),
    };
    let challenge = if status.starts_with("401") {
        "www-authenticate: Bearer\r\n"
    } else {
        ""
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{challenge}connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The request head (up to the blank line, [`MAX_HEAD`] or [`READ_TIMEOUT`]), lossily as text.
async fn read_head(stream: &mut TcpStream) -> String {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let read = async {
        while buf.len() < MAX_HEAD && !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(READ_TIMEOUT, read).await;
    String::from_utf8_lossy(&buf).into_owned()
}

/// The path of a `GET` (query string dropped) and the `Authorization` header, if any.
fn request_line_and_auth(head: &str) -> (Option<&str>, Option<&str>) {
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .and_then(|l| l.strip_prefix("GET "))
        .and_then(|rest| rest.split(' ').next())
        .map(|target| target.split('?').next().unwrap_or(target));
    let auth = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value.trim());
    (path, auth)
}

fn health_doc(src: &Source) -> String {
    let doc = serde_json::json!({
        "status": if *src.stopping.borrow() { "stopping" } else { "ok" },
        "pacing": src.pacer.snapshot(),
    });
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_path_and_the_bearer() {
        let head = "GET /metrics?x=1 HTTP/1.1\r\nHost: w\r\nAUTHORIZATION: Bearer abc\r\n\r\n";
        assert_eq!(
            request_line_and_auth(head),
            (Some("/metrics"), Some("Bearer abc"))
        );
        let head = "POST /metrics HTTP/1.1\r\n\r\n";
        assert_eq!(request_line_and_auth(head), (None, None));
        assert_eq!(request_line_and_auth(""), (None, None));
    }
}
