//! Job queues: where the API hands a stored bulk to the workers.

use apalis_core::backend::TaskSink;
use apalis_core::backend::memory::{MemorySink, MemoryStorage};
use apalis_core::task::Task;
use apalis_core::task::builder::TaskBuilder;
use apalis_redis::{Config, ConnectionManager, RedisStorage};
use async_trait::async_trait;
use domain::{BulkJob, ChunkJob};
use futures::channel::mpsc::UnboundedSender;
use futures::{SinkExt, StreamExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The queue could not take the job (Redis down, channel closed). The database stays the source of
/// truth: the recovery sweep re-queues what could not be pushed.
#[derive(Debug, thiserror::Error)]
#[error("queue unavailable: {0}")]
pub struct QueueError(pub String);

/// Pushes jobs for the workers.
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Queues the job that starts a stored bulk.
    async fn push_bulk(&self, job: BulkJob) -> Result<(), QueueError>;
    /// Queues chunk jobs (a share of one bulk's rows each).
    async fn push_chunks(&self, jobs: Vec<ChunkJob>) -> Result<(), QueueError>;
    /// Whether the queue answers (readiness).
    async fn ping(&self) -> Result<(), QueueError>;
    /// Jobs waiting per queue ([`BULK`] / [`CHUNK`]), due or scheduled, not yet taken by a
    /// worker (the `gateway_queue_depth` metric). Empty when the queue cannot tell.
    async fn depth(&self) -> Result<Vec<(&'static str, u64)>, QueueError> {
        Ok(Vec::new())
    }
}

/// Label of the bulk-job queue in [`JobQueue::depth`].
pub const BULK: &str = "bulk";
/// Label of the chunk-job queue in [`JobQueue::depth`].
pub const CHUNK: &str = "chunk";

/// apalis-redis configuration shared by producers and consumers of one queue. Queue names carry no
/// `:` (apalis-redis uses it as a separator); task locking is off because it scans the whole backlog
/// per job — delivery is at-least-once either way and every job is idempotent.
pub fn redis_config(prefix: &str, name: &str, batch: usize) -> Config {
    Config::default()
        .queue(format!("{prefix}{name}"))
        .batch_size(batch.max(1))
        .lock_tasks(false)
        .persist_results(false)
        .heartbeat_interval(Duration::from_secs(5))
        .missed_heartbeats(3)
}

/// Queue names (without prefix).
pub const BULK_QUEUE: &str = "gateway_bulk";
/// Chunk queue name (without prefix).
pub const CHUNK_QUEUE: &str = "gateway_chunk";

/// Both queues on Redis.
#[derive(Clone)]
pub struct RedisQueue {
    conn: ConnectionManager,
    prefix: String,
    batch: usize,
}

impl RedisQueue {
    /// Connects to `url`; `prefix` isolates deployments and tests (letters, digits, `_`).
    pub async fn connect(url: &str, prefix: &str, batch: usize) -> Result<RedisQueue, QueueError> {
        let conn = connect_manager(url).await?;
        Ok(RedisQueue {
            conn,
            prefix: prefix.to_string(),
            batch,
        })
    }

    /// The bulk-job storage (for a worker to consume).
    pub fn bulk_storage(&self) -> RedisStorage<BulkJob> {
        RedisStorage::new(self.conn.clone()).with_config(redis_config(
            &self.prefix,
            BULK_QUEUE,
            self.batch,
        ))
    }

    /// The chunk-job storage (for a worker to consume).
    pub fn chunk_storage(&self) -> RedisStorage<ChunkJob> {
        RedisStorage::new(self.conn.clone()).with_config(redis_config(
            &self.prefix,
            CHUNK_QUEUE,
            self.batch,
        ))
    }

    /// The connection, for callers that need raw Redis (tests cleaning their prefix).
    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// The key prefix in use.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

/// Most job ids moved by one step of [`RedisQueue::promote_due`]: far below the ~8,000 values Lua's
/// `unpack` takes.
pub const PROMOTE_STEP: usize = 1_000;

/// Moves up to ARGV[2] jobs due by ARGV[1] (seconds) from the scheduled set KEYS[1] to the active
/// list KEYS[2] and wakes the consumers (signal list KEYS[3]), as apalis-redis' `fetch_next` does.
const PROMOTE_SCRIPT: &str = r#"
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], 0, ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ids > 0 then
  redis.call('RPUSH', KEYS[2], unpack(ids))
  redis.call('ZREM', KEYS[1], unpack(ids))
  redis.call('DEL', KEYS[3])
  redis.call('LPUSH', KEYS[3], 1)
end
return #ids
"#;

impl RedisQueue {
    /// Moves every job already due from apalis-redis' scheduled set to its active list,
    /// [`PROMOTE_STEP`] at a time; returns how many moved.
    ///
    /// apalis-redis 1.0.0 queues every job in the scheduled set and its `fetch_next` script
    /// promotes ALL due jobs in one `unpack`, which fails past ~8,000 ids ("too many results to
    /// unpack"): with a larger backlog (workers stopped while bulks kept coming) every poll fails
    /// and no job is ever taken again. The worker calls this before starting a consumer and after
    /// one failed, so the set it polls never holds that many due jobs.
    pub async fn promote_due(&self) -> Result<u64, QueueError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let mut c = self.conn.clone();
        let mut moved = 0u64;
        for name in [BULK_QUEUE, CHUNK_QUEUE] {
            let cfg = redis_config(&self.prefix, name, 1);
            loop {
                let n: u64 = redis::cmd("EVAL")
                    .arg(PROMOTE_SCRIPT)
                    .arg(3)
                    .arg(cfg.scheduled_jobs_set())
                    .arg(cfg.active_jobs_list())
                    .arg(cfg.signal_list())
                    .arg(now)
                    .arg(PROMOTE_STEP)
                    .query_async(&mut c)
                    .await
                    .map_err(|e| QueueError(e.to_string()))?;
                moved += n;
                if n < PROMOTE_STEP as u64 {
                    break;
                }
            }
        }
        Ok(moved)
    }
}

/// Connects a managed (auto-reconnecting) Redis connection, failing fast when Redis is down.
pub async fn connect_manager(url: &str) -> Result<ConnectionManager, QueueError> {
    let client = redis::Client::open(url).map_err(|e| QueueError(e.to_string()))?;
    let cfg = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(5)))
        .set_number_of_retries(2);
    client
        .get_connection_manager_with_config(cfg)
        .await
        .map_err(|e| QueueError(e.to_string()))
}

#[async_trait]
impl JobQueue for RedisQueue {
    async fn push_bulk(&self, job: BulkJob) -> Result<(), QueueError> {
        self.bulk_storage()
            .push(job)
            .await
            .map_err(|e| QueueError(e.to_string()))
    }

    async fn push_chunks(&self, jobs: Vec<ChunkJob>) -> Result<(), QueueError> {
        if jobs.is_empty() {
            return Ok(());
        }
        self.chunk_storage()
            .push_bulk(jobs)
            .await
            .map_err(|e| QueueError(e.to_string()))
    }

    async fn ping(&self) -> Result<(), QueueError> {
        let mut c = self.conn.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut c)
            .await
            .map(|_| ())
            .map_err(|e| QueueError(e.to_string()))
    }

    /// Four cheap reads in one round trip: each queue's active list (`LLEN`) and scheduled set
    /// (`ZCARD`), where apalis-redis keeps jobs until a worker takes them.
    async fn depth(&self) -> Result<Vec<(&'static str, u64)>, QueueError> {
        let mut pipe = redis::pipe();
        for name in [BULK_QUEUE, CHUNK_QUEUE] {
            let cfg = redis_config(&self.prefix, name, 1);
            pipe.cmd("LLEN").arg(cfg.active_jobs_list());
            pipe.cmd("ZCARD").arg(cfg.scheduled_jobs_set());
        }
        let mut c = self.conn.clone();
        let n: (u64, u64, u64, u64) = pipe
            .query_async(&mut c)
            .await
            .map_err(|e| QueueError(e.to_string()))?;
        Ok(vec![(BULK, n.0 + n.1), (CHUNK, n.2 + n.3)])
    }
}

type SharedSink<T> = Arc<
    futures::lock::Mutex<
        Box<
            dyn futures::Sink<
                    apalis_core::task::Task<T>,
                    Error = apalis_core::backend::memory::MemoryStorageError,
                > + Send
                + Sync
                + Unpin,
        >,
    >,
>;

/// Both queues in process memory (embedded mode): apalis `MemoryStorage`, not durable — after a
/// restart the recovery sweep re-queues from the database.
///
/// Every push goes through its own `MemorySink` over a clone of the channel's sender, never through
/// the sink the consumer holds: apalis' `MemorySink` guards its sender with a mutex whose waiter is
/// forgotten when the consumer's poll meets a producer holding it (the consumer is then never woken
/// again), and its `start_send` panics when two producers meet. Separate sinks share nothing.
///
/// Each queue counts what was pushed and not yet received by its consumer, for [`JobQueue::depth`].
#[derive(Clone)]
pub struct MemoryQueue {
    bulk: UnboundedSender<Task<BulkJob>>,
    chunk: UnboundedSender<Task<ChunkJob>>,
    bulk_waiting: Waiting,
    chunk_waiting: Waiting,
}

/// Jobs pushed and not yet received (signed: a receive may be counted before its push).
type Waiting = Arc<AtomicI64>;

fn waiting(w: &Waiting) -> u64 {
    u64::try_from(w.load(Ordering::Relaxed)).unwrap_or(0)
}

/// The consumer halves of a [`MemoryQueue`], handed to the in-process worker once.
pub struct MemoryStorages {
    /// Bulk jobs.
    pub bulk: MemoryStorage<BulkJob>,
    /// Chunk jobs.
    pub chunk: MemoryStorage<ChunkJob>,
}

/// A `MemorySink` of its own over `tx` (it gives each task the id apalis needs).
fn own_sink<T: Send + 'static>(tx: UnboundedSender<Task<T>>) -> MemorySink<T> {
    let sink: SharedSink<T> = Arc::new(futures::lock::Mutex::new(Box::new(
        tx.sink_map_err(apalis_core::backend::memory::MemoryStorageError::from),
    )));
    MemorySink::new(sink)
}

fn memory_pair<T: Send + 'static>() -> (UnboundedSender<Task<T>>, MemoryStorage<T>, Waiting) {
    let (tx, rx) = futures::channel::mpsc::unbounded::<Task<T>>();
    let count = Waiting::default();
    let received = count.clone();
    let rx = rx.inspect(move |_| {
        received.fetch_sub(1, Ordering::Relaxed);
    });
    let storage = MemoryStorage::new_with(own_sink(tx.clone()), Box::pin(rx));
    (tx, storage, count)
}

impl MemoryQueue {
    /// A new pair of in-process queues and their consumer halves.
    pub fn new() -> (MemoryQueue, MemoryStorages) {
        let (bulk, bulk_storage, bulk_waiting) = memory_pair::<BulkJob>();
        let (chunk, chunk_storage, chunk_waiting) = memory_pair::<ChunkJob>();
        (
            MemoryQueue {
                bulk,
                chunk,
                bulk_waiting,
                chunk_waiting,
            },
            MemoryStorages {
                bulk: bulk_storage,
                chunk: chunk_storage,
            },
        )
    }
}

#[async_trait]
impl JobQueue for MemoryQueue {
    async fn push_bulk(&self, job: BulkJob) -> Result<(), QueueError> {
        // Counted before the send: the consumer may receive it before `send` returns.
        self.bulk_waiting.fetch_add(1, Ordering::Relaxed);
        let sent = own_sink(self.bulk.clone())
            .send(TaskBuilder::new(job).build())
            .await;
        if sent.is_err() {
            self.bulk_waiting.fetch_sub(1, Ordering::Relaxed);
        }
        sent.map_err(|e| QueueError(e.to_string()))
    }

    async fn push_chunks(&self, jobs: Vec<ChunkJob>) -> Result<(), QueueError> {
        let mut sink = own_sink(self.chunk.clone());
        for job in jobs {
            self.chunk_waiting.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = sink.send(TaskBuilder::new(job).build()).await {
                self.chunk_waiting.fetch_sub(1, Ordering::Relaxed);
                return Err(QueueError(e.to_string()));
            }
        }
        Ok(())
    }

    async fn ping(&self) -> Result<(), QueueError> {
        Ok(())
    }

    async fn depth(&self) -> Result<Vec<(&'static str, u64)>, QueueError> {
        Ok(vec![
            (BULK, waiting(&self.bulk_waiting)),
            (CHUNK, waiting(&self.chunk_waiting)),
        ])
    }
}

/// Deletes every Redis key under `prefix` (tests clean up their own queues and channels).
pub async fn purge_prefix(url: &str, prefix: &str) -> Result<u64, QueueError> {
    if prefix.is_empty() {
        return Err(QueueError("refusing to purge an empty prefix".into()));
    }
    let mut c = connect_manager(url).await?;
    let mut cursor: u64 = 0;
    let mut deleted = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut c)
            .await
            .map_err(|e| QueueError(e.to_string()))?;
        if !keys.is_empty() {
            deleted += redis::cmd("DEL")
                .arg(&keys)
                .query_async::<u64>(&mut c)
                .await
                .map_err(|e| QueueError(e.to_string()))?;
        }
        if next == 0 {
            return Ok(deleted);
        }
        cursor = next;
    }
}
