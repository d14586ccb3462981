//! A job queue that is always down (Redis unreachable), written without `async-trait` by spelling
//! out the boxed-future signatures the trait expects.

use std::future::Future;
use std::pin::Pin;

use domain::{BulkJob, ChunkJob};
use transport::{JobQueue, QueueError};

type Fut<'a> = Pin<Box<dyn Future<Output = Result<(), QueueError>> + Send + 'a>>;

/// Every call fails as a Redis outage would.
pub struct FailingQueue;

fn down<'a>() -> Fut<'a> {
    Box::pin(async { Err(QueueError("connection refused (test)".into())) })
}

impl JobQueue for FailingQueue {
    fn push_bulk<'life0, 'async_trait>(&'life0 self, _job: BulkJob) -> Fut<'async_trait>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        down()
    }

    fn push_chunks<'life0, 'async_trait>(&'life0 self, _jobs: Vec<ChunkJob>) -> Fut<'async_trait>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        down()
    }

    fn ping<'life0, 'async_trait>(&'life0 self) -> Fut<'async_trait>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        down()
    }
}
