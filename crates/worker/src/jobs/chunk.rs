//! The chunk job: claim and send up to `max_rows` rows of one bulk, then hand the rest on.

use anyhow::Context;
use db::models::now;
use db::queries::{accounts, bulks, transfers};
use domain::{ChunkJob, Currency};
use sdk::Party;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

use crate::context::WorkerCtx;
use crate::execute::{BulkInfo, execute};
use crate::pacing::Permits;

/// Rows claimed per database round trip at most.
const CLAIM_BATCH: usize = 50;
/// Longest a chunk job waits for rows in a re-send backoff before handing over to a new job.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

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
    // A run being verified is looked up, never sent.
    if *bulk.state == domain::BulkState::Verifying {
        return crate::jobs::verify::run(ctx, bulk, job).await;
    }
    // Only a started run sends: a job that outlived its run, or one for a run still waiting for
    // approval or its schedule (which no code path queues, but the queue is not the authority),
    // sends nothing — money moves only after the fund's controls said so.
    if *bulk.state != domain::BulkState::Processing {
        tracing::debug!(bulk_id = %bulk.bulk_id, state = %bulk.state, "chunk job for a run not PROCESSING; dropped");
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
    // Plain `JoinHandle`s, not a `JoinSet`: if apalis drops this job's future (timeout, consumer
    // restarted after a Redis outage), the transfers already claimed keep going and get recorded
    // instead of being aborted half-way.
    let mut tasks: Vec<JoinHandle<()>> = Vec::new();
    let mut waited = Duration::ZERO;
    while sent < budget && !ctx.is_stopping() {
        let want = (budget - sent).min(CLAIM_BATCH);
        let Some(permits) = ctx.pacer.acquire_batch(want).await else {
            break;
        };
        if ctx.is_stopping() {
            break;
        }
        // Claim and start in one detached task, so rows are never claimed without being sent.
        let started = tokio::spawn(claim_and_start(ctx.clone(), info.clone(), bulk.id, permits));
        let (claimed, handles) = started.await.context("claim task")??;
        tasks.retain(|t| !t.is_finished());
        tasks.extend(handles);
        if claimed == 0 {
            // Nothing due. Rows waiting out a re-send backoff keep this job alive until they are
            // due (bounded, so the job hands over to a fresh one now and then).
            let pk = bulk.id;
            match ctx.db(move |c| transfers::next_retry_at(c, pk)).await? {
                Some(at) if waited < MAX_RETRY_WAIT => {
                    // Still working on it: the sweep must not take the run for stalled and
                    // queue another chunk job beside this one.
                    ctx.db(move |c| bulks::touch(c, pk)).await?;
                    let wait = (at - now())
                        .to_std()
                        .unwrap_or_default()
                        .min(MAX_RETRY_WAIT);
                    waited += wait.max(Duration::from_millis(50));
                    let mut stop = ctx.stopping.clone();
                    tokio::select! {
                        _ = tokio::time::sleep(wait.max(Duration::from_millis(50))) => {}
                        _ = stop.changed() => {}
                    }
                    continue;
                }
                // Rows still in flight may come back to be sent again (a failure before the
                // prepare): wait for their outcomes to be committed, then look again.
                _ if tasks.iter().any(|t| !t.is_finished()) => {
                    for t in tasks.drain(..) {
                        if let Err(e) = t.await {
                            tracing::error!(bulk_id = %info.bulk_id, error = %e, "transfer task failed");
                        }
                    }
                    ctx.settler.flush().await;
                    continue;
                }
                _ => break,
            }
        }
        sent += claimed;
    }
    for t in tasks {
        if let Err(e) = t.await {
            tracing::error!(bulk_id = %info.bulk_id, error = %e, "transfer task failed");
        }
    }
    // Outcomes still in the settler's batch would hide rows handed back for another send.
    ctx.settler.flush().await;
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

/// Claims as many rows as there are permits and starts one transfer task per row, each with one
/// of the permits (those left over go back).
async fn claim_and_start(
    ctx: WorkerCtx,
    info: Arc<BulkInfo>,
    bulk_pk: i64,
    mut permits: Permits,
) -> anyhow::Result<(usize, Vec<JoinHandle<()>>)> {
    let want = permits.len() as i64;
    let rows = ctx.db(move |c| transfers::claim(c, bulk_pk, want)).await?;
    let mut handles = Vec::with_capacity(rows.len());
    let claimed = rows.len();
    for row in rows {
        let Some(one) = permits.take_one() else { break };
        handles.push(tokio::spawn(execute(ctx.clone(), info.clone(), row, one)));
    }
    Ok((claimed, handles))
}
