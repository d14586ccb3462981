//! The progress bus: workers publish, API processes listen (one connection each) and fan out.

use async_trait::async_trait;
use domain::ProgressEvent;
use futures::StreamExt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::broadcast;

/// Publishing failed; progress is advisory (the database holds the truth), so callers log and go on.
#[derive(Debug, thiserror::Error)]
#[error("progress bus: {0}")]
pub struct BusError(pub String);

/// Buffer of the in-process fan-out; a listener that falls this far behind skips events (it is told
/// so by `RecvError::Lagged` and re-reads the database).
const FANOUT_CAPACITY: usize = 8_192;

/// Publishes and listens to progress events.
#[async_trait]
pub trait ProgressBus: Send + Sync {
    /// Publishes one event on the bulk's channel.
    async fn publish(&self, event: &ProgressEvent) -> Result<(), BusError>;
    /// Every event of every bulk, as seen by this process.
    fn listen(&self) -> broadcast::Receiver<ProgressEvent>;
}

/// In-process bus (embedded mode and single-process tests).
#[derive(Clone)]
pub struct MemoryBus {
    tx: broadcast::Sender<ProgressEvent>,
}

impl Default for MemoryBus {
    fn default() -> Self {
        MemoryBus {
            tx: broadcast::channel(FANOUT_CAPACITY).0,
        }
    }
}

#[async_trait]
impl ProgressBus for MemoryBus {
    async fn publish(&self, event: &ProgressEvent) -> Result<(), BusError> {
        // No listener is not an error: nobody is watching.
        let _ = self.tx.send(event.clone());
        Ok(())
    }
    fn listen(&self) -> broadcast::Receiver<ProgressEvent> {
        self.tx.subscribe()
    }
}

/// Redis pub/sub bus: channel `<prefix>progress:<bulkTransferId>`.
#[derive(Clone)]
pub struct RedisBus {
    url: String,
    prefix: String,
    conn: redis::aio::ConnectionManager,
    fanout: Arc<OnceLock<broadcast::Sender<ProgressEvent>>>,
}

impl RedisBus {
    /// Connects the publishing side; the listening side connects on first `listen`.
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisBus, BusError> {
        let conn = crate::queue::connect_manager(url)
            .await
            .map_err(|e| BusError(e.0))?;
        Ok(RedisBus {
            url: url.to_string(),
            prefix: prefix.to_string(),
            conn,
            fanout: Arc::new(OnceLock::new()),
        })
    }

    /// The channel of one bulk.
    pub fn channel(&self, bulk_id: &str) -> String {
        format!("{}progress:{bulk_id}", self.prefix)
    }

    fn start_listener(&self) -> broadcast::Sender<ProgressEvent> {
        let tx = broadcast::channel(FANOUT_CAPACITY).0;
        let out = tx.clone();
        let url = self.url.clone();
        let pattern = format!("{}progress:*", self.prefix);
        tokio::spawn(async move {
            loop {
                match listen_once(&url, &pattern, &out).await {
                    Ok(()) => tracing::warn!("progress subscription ended; reconnecting"),
                    Err(e) => tracing::warn!(error = %e, "progress subscription failed; retrying"),
                }
                if out.receiver_count() == 0 && out.is_empty() {
                    // Keep trying anyway: watchers may come later.
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        tx
    }
}

async fn listen_once(
    url: &str,
    pattern: &str,
    out: &broadcast::Sender<ProgressEvent>,
) -> Result<(), redis::RedisError> {
    let client = redis::Client::open(url)?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.psubscribe(pattern).await?;
    tracing::debug!(pattern, "listening for progress");
    let mut messages = pubsub.on_message();
    while let Some(msg) = messages.next().await {
        let payload: Vec<u8> = match msg.get_payload() {
            Ok(p) => p,
            Err(_) => continue,
        };
        match serde_json::from_slice::<ProgressEvent>(&payload) {
            Ok(ev) => {
                let _ = out.send(ev);
            }
            Err(e) => tracing::warn!(error = %e, "ignoring malformed progress message"),
        }
    }
    Ok(())
}

#[async_trait]
impl ProgressBus for RedisBus {
    async fn publish(&self, event: &ProgressEvent) -> Result<(), BusError> {
        let payload = serde_json::to_vec(event).map_err(|e| BusError(e.to_string()))?;
        let mut c = self.conn.clone();
        redis::cmd("PUBLISH")
            .arg(self.channel(&event.bulk_transfer_id))
            .arg(payload)
            .query_async::<i64>(&mut c)
            .await
            .map(|_| ())
            .map_err(|e| BusError(e.to_string()))
    }

    fn listen(&self) -> broadcast::Receiver<ProgressEvent> {
        self.fanout
            .get_or_init(|| self.start_listener())
            .subscribe()
    }
}
