//! `GET /health` of a worker process (`WORKER_HEALTH_ADDR`): liveness plus the pacing state, as
//! JSON. A few lines over a plain TCP listener rather than a web framework in the worker: one route,
//! one small answer, read by ops and by probes.

use anyhow::Context;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::pacing::Pacer;

/// The running endpoint.
pub struct Health {
    /// Where it listens (port 0 resolved).
    pub addr: SocketAddr,
    /// The accept loop.
    pub task: JoinHandle<()>,
}

/// Binds `addr` and answers every request with the health document until `stopping` flips.
pub async fn serve(
    addr: &str,
    pacer: Pacer,
    stopping: watch::Receiver<bool>,
) -> anyhow::Result<Health> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on WORKER_HEALTH_ADDR={addr}"))?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let body = document(&pacer, *stopping.borrow());
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                // One read is enough for a probe's request line; the answer does not depend on it.
                let _ =
                    tokio::time::timeout(std::time::Duration::from_secs(2), stream.read(&mut buf))
                        .await;
                let status = if buf.starts_with(b"GET /health") {
                    "200 OK"
                } else {
                    "404 Not Found"
                };
                let reply = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Ok(Health { addr, task })
}

fn document(pacer: &Pacer, stopping: bool) -> String {
    let doc = serde_json::json!({
        "status": if stopping { "stopping" } else { "ok" },
        "pacing": pacer.snapshot(),
    });
    doc.to_string()
}
