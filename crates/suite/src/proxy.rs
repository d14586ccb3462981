//! A TCP proxy the test can cut: put between the binaries and PostgreSQL (or the adapter) to make
//! that dependency disappear and come back on the same address.
//!
//! While cut, the listening socket is closed (new connections are refused, as with a stopped
//! server) and every open connection is dropped on both sides (as with a crashed one).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running proxy.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    up: watch::Sender<bool>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    task: JoinHandle<()>,
}

fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let s = TcpSocket::new_v4()?;
    s.set_reuseaddr(true)?;
    s.bind(addr)?;
    s.listen(1024)
}

impl Proxy {
    /// Starts forwarding a free local port to `target`.
    pub async fn start(target: SocketAddr) -> Proxy {
        let first = bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .unwrap_or_else(|e| panic!("proxy bind: {e}"));
        let addr = first
            .local_addr()
            .unwrap_or_else(|e| panic!("proxy addr: {e}"));
        let (up, up_rx) = watch::channel(true);
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let task = tokio::spawn(supervise(Some(first), addr, target, up_rx, conns.clone()));
        Proxy {
            addr,
            up,
            conns,
            task,
        }
    }

    /// Refuses new connections and drops the open ones.
    pub fn cut(&self) {
        let _ = self.up.send(false);
        let mut conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
        for c in conns.drain(..) {
            c.abort();
        }
    }

    /// Accepts connections again (on the same address).
    pub fn restore(&self) {
        let _ = self.up.send(true);
    }

    /// Connections currently forwarded.
    pub fn open_connections(&self) -> usize {
        let mut conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
        conns.retain(|c| !c.is_finished());
        conns.len()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}

async fn supervise(
    mut listener: Option<tokio::net::TcpListener>,
    addr: SocketAddr,
    target: SocketAddr,
    mut up: watch::Receiver<bool>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
) {
    loop {
        if !*up.borrow_and_update() {
            drop(listener.take());
            if up.changed().await.is_err() {
                return;
            }
            continue;
        }
        let l = match listener.take() {
            Some(l) => l,
            None => match bind(addr) {
                Ok(l) => l,
                Err(_) => {
                    // The port is briefly busy after a cut: try again.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        loop {
            tokio::select! {
                accepted = l.accept() => {
                    let Ok((client, _)) = accepted else { continue };
                    let h = tokio::spawn(forward(client, target));
                    let mut c = conns.lock().unwrap_or_else(PoisonError::into_inner);
                    c.retain(|c| !c.is_finished());
                    c.push(h);
                }
                changed = up.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    if !*up.borrow() {
                        break;
                    }
                }
            }
        }
        drop(l);
        // Connections accepted while the cut was being requested go too.
        let mut c = conns.lock().unwrap_or_else(PoisonError::into_inner);
        for h in c.drain(..) {
            h.abort();
        }
    }
}

async fn forward(mut client: TcpStream, target: SocketAddr) {
    let Ok(mut server) = TcpStream::connect(target).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}
