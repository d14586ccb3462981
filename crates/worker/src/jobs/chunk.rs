//! The chunk job: claim and send up to `max_rows` rows of one bulk, then hand the rest on.

use anyhow::Context;
use db::queries::{accounts, bulks, transfers};
use domain::{ChunkJob, Currency};
use sdk::Party;
use std::sync::Arc;
use tokio::task::JoinSet;

use crate::context::WorkerCtx;
use crate::execute::{BulkInfo, execute};

/// Rows claimed per database round trip at most.
const CLAIM_BATCH: usize = 50;

/// Claims rows just before sending them (`PENDING → PROCESSING`, in small batches sized to the free
/// in-flight permits), so a crash leaves few rows PROCESSING; those are resolved by lookup, never
/// re-sent. When done, queues one more chunk job if the bulk still has PENDING rows: a bulk keeps
/// a bounded number of jobs in the queue, which keeps the fleet fair between organisations.
pub async fn run(ctx: &WorkerCtx, job: ChunkJob) -> anyhow::Result<()> {
    let bulk_id = job.bulk_id.clone();
    let Some(bulk) = ctx.db(move |c| bulks::find(c, &bulk_id)).await? else {
        tracing::warn!(bulk_id = %job.bulk_id, "chunk job for an unknown bulk; dropped");
        return Ok(());
    };
    if domain::BulkState::parse(&bulk.state).is_ok_and(|s| s.is_final()) {
        return Ok(());
    }
    let account_pk = bulk.account_pk;
    let account = ctx.db(move |c| accounts::get(c, account_pk)).await?;
    let currency = Currency::parse(&bulk.currency).context("bulk currency")?;
    let mut payer = Party::new(account.party_id_type, account.party_identifier);
    payer.display_name = Some(ctx.settings.payer_display_name.clone());
    let info = Arc::new(BulkInfo {
        bulk_id: bulk.bulk_id.clone(),
        currency: bulk.currency.clone(),
        exponent: currency.exponent(),
        payer,
    });

    let budget = job.max_rows as usize;
    let mut sent = 0usize;
    let mut tasks = JoinSet::new();
    while sent < budget && !ctx.is_stopping() {
        let want = (budget - sent)
            .min(CLAIM_BATCH)
            .min(ctx.settings.concurrency.div_ceil(4).max(1));
        let Ok(mut permits) = ctx
            .in_flight
            .clone()
            .acquire_many_owned(u32::try_from(want).unwrap_or(1))
            .await
        else {
            break;
        };
        if ctx.is_stopping() {
            break;
        }
        let pk = bulk.id;
        let rows = ctx
            .db(move |c| transfers::claim(c, pk, want as i64))
            .await?;
        if rows.is_empty() {
            break;
        }
        sent += rows.len();
        for row in rows {
            let Some(one) = permits.split(1) else { break };
            tasks.spawn(execute(ctx.clone(), info.clone(), row, one));
        }
        while let Some(done) = tasks.try_join_next() {
            if let Err(e) = done {
                tracing::error!(bulk_id = %info.bulk_id, error = %e, "transfer task failed");
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done {
            tracing::error!(bulk_id = %info.bulk_id, error = %e, "transfer task failed");
        }
    }
    let pk = bulk.id;
    if ctx.db(move |c| transfers::has_pending(c, pk)).await? {
        ctx.queue
            .push_chunks(vec![ChunkJob {
                bulk_id: bulk.bulk_id.clone(),
                max_rows: job.max_rows,
            }])
            .await
            .context("queueing the next chunk (the sweep will retry)")?;
    }
    Ok(())
}
