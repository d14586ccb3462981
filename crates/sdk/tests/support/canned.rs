//! A raw TCP "adapter" answering a fixed script, to test what the client makes of each answer —
//! including the ones a well-behaved server never gives (reset after the request, half a body).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What to do with the next request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Write these bytes and keep the connection.
    Bytes(Vec<u8>),
    /// Read the request, then close the connection without a byte.
    Drop,
    /// Read the request and never answer.
    Hang,
    /// Write these bytes, then close the connection AND stop listening.
    BytesThenShutdown(Vec<u8>),
}

/// A full HTTP/1.1 response.
pub fn http(status: &str, body: &str) -> Answer {
    Answer::Bytes(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\n\
             Content-Length: {}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// A response whose body stops after `sent` of its announced bytes, then the connection closes.
pub fn truncated(status: &str, body: &str, sent: usize) -> Answer {
    let mut bytes = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(&body.as_bytes()[..sent]);
    Answer::BytesThenShutdown(bytes)
}

/// A request as received: `"POST /transfers"` and its body.
#[derive(Debug, Clone)]
pub struct Seen {
    pub line: String,
    pub body: String,
}

/// The running canned server.
pub struct Canned {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Canned {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Starts a server that plays `script`, one answer per request, across connections.
pub async fn serve(script: Vec<Answer>) -> Canned {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    let seen_task = seen.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { return };
                    let (script, seen, stop) = (script.clone(), seen_task.clone(), stop_tx.clone());
                    tokio::spawn(connection(stream, script, seen, stop));
                }
                _ = stop_rx.changed() => return, // drops the listener: connections now refused
            }
        }
    });
    Canned { addr, seen }
}

async fn connection(
    mut stream: TcpStream,
    script: Arc<Mutex<VecDeque<Answer>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<tokio::sync::watch::Sender<bool>>,
) {
    loop {
        let Some(request) = read_request(&mut stream).await else {
            return;
        };
        seen.lock().unwrap().push(request);
        let next = script.lock().unwrap().pop_front();
        match next {
            Some(Answer::Bytes(bytes)) => {
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Some(Answer::BytesThenShutdown(bytes)) => {
                let _ = stream.write_all(&bytes).await;
                let _ = stop.send(true);
                return;
            }
            Some(Answer::Hang) => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
            Some(Answer::Drop) | None => return,
        }
    }
}

/// Reads one request (head + Content-Length body); `None` at EOF.
async fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let line = head.lines().next().unwrap_or_default();
    let line = line.rsplit_once(' ').map_or(line, |(l, _)| l).to_string();
    let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).to_string();
    Some(Seen { line, body })
}

/// A port on which nothing listens.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}
