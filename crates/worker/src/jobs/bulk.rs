//! The bulk job: start a stored bulk and fan its rows out as chunk jobs.

use anyhow::Context;
use db::queries::bulks;
use domain::{BulkJob, BulkState, ChunkJob};

use crate::context::WorkerCtx;

/// Marks the bulk PROCESSING (`PENDING → PROCESSING`, conditional) and queues its first chunk jobs,
/// or, for a VERIFYING run, queues the chunk jobs that look its payees up;
/// at most `LANES_PER_BULK`, so one big bulk never fills the queue ahead of other organisations'.
/// A duplicate job finds the bulk no longer PENDING and does nothing.
pub async fn run(ctx: &WorkerCtx, job: BulkJob) -> anyhow::Result<()> {
    let bulk_id = job.bulk_id.clone();
    let found = ctx
        .db(move |c| bulks::find(c, &bulk_id))
        .await
        .context("loading bulk")?;
    let Some(bulk) = found else {
        tracing::warn!(bulk_id = %job.bulk_id, "bulk job for an unknown bulk; dropped");
        return Ok(());
    };
    let pk = bulk.id;
    let verifying = *bulk.state == BulkState::Verifying;
    let bulk = if verifying {
        // Its payees are looked up first, by the same chunk jobs (they see the state).
        bulk
    } else if ctx.db(move |c| bulks::mark_processing(c, pk)).await? {
        ctx.db(move |c| bulks::get(c, pk)).await?
    } else {
        tracing::debug!(bulk_id = %bulk.bulk_id, state = %bulk.state, "bulk already started; duplicate job ignored");
        return Ok(());
    };
    if let Err(e) = ctx.bus.publish(&bulk.progress()).await {
        tracing::warn!(bulk_id = %bulk.bulk_id, error = %e, "progress not published");
    }
    let rows = u64::try_from(bulk.total_count).unwrap_or(0);
    let per = u64::from(ctx.settings.chunk_rows);
    let lanes = rows
        .div_ceil(per)
        .clamp(1, u64::from(ctx.settings.lanes_per_bulk));
    let jobs = (0..lanes)
        .map(|_| ChunkJob {
            bulk_id: bulk.bulk_id.clone(),
            max_rows: ctx.settings.chunk_rows,
        })
        .collect();
    ctx.queue
        .push_chunks(jobs)
        .await
        .context("queueing chunk jobs (the sweep will retry)")?;
    if verifying {
        tracing::info!(bulk_id = %bulk.bulk_id, rows, lanes, "verification started");
    } else {
        tracing::info!(bulk_id = %bulk.bulk_id, rows, lanes, "bulk started");
    }
    Ok(())
}
