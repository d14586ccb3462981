//! A chunk job of a VERIFYING run: look its payees up at the switch, grade the registered names,
//! and end the verification once every row has an answer.
//!
//! Lookups move no money and are idempotent, so a row is leased rather than claimed for good: a
//! worker that dies mid-lookup leaves rows that another job looks up once the lease passed. What
//! moves money (exclusions) happens once, in `db::queries::verify::finish`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Duration as ChronoDuration;
use db::models::{Bulk, now};
use db::queries::bulks;
use db::queries::verify::{self, LookupRecord, LookupRow};
use domain::{BulkState, ChunkJob, LookupResult, RegisteredName, grade_name};
use sdk::PartyLookup;
use tokio::task::JoinHandle;

use crate::context::WorkerCtx;
use crate::pacing::{Feedback, Permit, Permits};

/// Rows leased per database round trip at most.
const CLAIM_BATCH: usize = 50;
/// How long a leased row is left to its worker before another may look it up, at least (twice
/// `ADAPTER_TIMEOUT` if that is longer).
const LEASE: Duration = Duration::from_secs(120);
/// Longest wait between two lookups of a row that got no usable answer.
const MAX_LOOKUP_BACKOFF: Duration = Duration::from_secs(30);
/// Longest a job waits for rows in a lookup backoff before handing over to a new job.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// Least time between two progress events of one job.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Looks up to `max_rows` rows of a VERIFYING run up, then either ends the verification (every row
/// answered) or hands the rest on to one more job.
pub async fn run(ctx: &WorkerCtx, bulk: Bulk, job: ChunkJob) -> anyhow::Result<()> {
    let budget = job.max_rows as usize;
    let bulk = Arc::new(bulk);
    let mut done = 0usize;
    let mut waited = Duration::ZERO;
    let mut tasks: Vec<JoinHandle<()>> = Vec::new();
    while done < budget && !ctx.is_stopping() {
        let want = (budget - done).min(CLAIM_BATCH);
        let Some(permits) = ctx.lookup_pacer.acquire_batch(want).await else {
            break;
        };
        // Longer than any lookup can take, so a lease runs out only when its worker is gone.
        let lease = LEASE.max(ctx.settings.adapter_timeout * 2 + Duration::from_secs(10));
        let (pk, lease_until, n) = (bulk.id, now() + chrono(lease), permits.len() as i64);
        let rows = ctx
            .db(move |c| verify::claim(c, pk, n, lease_until))
            .await?;
        if rows.is_empty() {
            drop(permits);
            // This job's own lookups in flight may come back as errors to look up again: wait
            // for them to be recorded, then look again.
            if tasks.iter().any(|t| !t.is_finished()) {
                for t in tasks.drain(..) {
                    if let Err(e) = t.await {
                        tracing::error!(bulk_id = %bulk.bulk_id, error = %e, "lookup task failed");
                    }
                }
                continue;
            }
            match ctx.db(move |c| verify::next_retry_at(c, pk)).await? {
                Some(at) if waited < MAX_RETRY_WAIT => {
                    ctx.db(move |c| bulks::touch(c, pk)).await?;
                    let wait = (at - now())
                        .to_std()
                        .unwrap_or_default()
                        .clamp(Duration::from_millis(50), MAX_RETRY_WAIT);
                    waited += wait;
                    let mut stop = ctx.stopping.clone();
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stop.changed() => {}
                    }
                    continue;
                }
                _ => break,
            }
        }
        done += rows.len();
        tasks.retain(|t| !t.is_finished());
        tasks.push(tokio::spawn(look_up_batch(
            ctx.clone(),
            bulk.clone(),
            rows,
            lease_until,
            permits,
        )));
    }
    for t in tasks {
        if let Err(e) = t.await {
            tracing::error!(bulk_id = %bulk.bulk_id, error = %e, "lookup task failed");
        }
    }
    let pk = bulk.id;
    let progress = ctx.db(move |c| verify::progress(c, pk)).await?;
    if progress.unresolved == 0 {
        return finish(ctx, &bulk).await;
    }
    // Rows are left. If this job stopped for its budget or after waiting out backoffs, one more
    // job goes on. Otherwise the rows left are leased to other jobs, which end the verification
    // when they have recorded them (each job checks after committing its own): queueing another
    // job now would only spin. A lease whose worker died runs out, and the sweep re-queues a run
    // that stays quiet.
    let more = done >= budget || waited >= MAX_RETRY_WAIT;
    if more && !ctx.is_stopping() {
        ctx.queue
            .push_chunks(vec![job])
            .await
            .context("queueing the next verification chunk (the sweep will retry)")?;
    }
    Ok(())
}

/// Looks a batch of rows up, one permit each, and stores the answers in one transaction.
async fn look_up_batch(
    ctx: WorkerCtx,
    bulk: Arc<Bulk>,
    rows: Vec<LookupRow>,
    lease_until: chrono::NaiveDateTime,
    mut permits: Permits,
) {
    let mut lookups = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(permit) = permits.take_one() else {
            break;
        };
        lookups.push(tokio::spawn(look_up(ctx.clone(), row, permit)));
    }
    drop(permits);
    let mut records = Vec::with_capacity(lookups.len());
    for l in lookups {
        match l.await {
            Ok(r) => records.push(r),
            Err(e) => tracing::error!(bulk_id = %bulk.bulk_id, error = %e, "lookup failed"),
        }
    }
    let (pk, n) = (bulk.id, records.len());
    match ctx
        .db(move |c| verify::record(c, pk, lease_until, &records))
        .await
    {
        Ok(written) if written < n => tracing::warn!(
            bulk_id = %bulk.bulk_id, dropped = n - written,
            "lookup results came back after their lease (or the run changed): not stored"
        ),
        Ok(_) => {}
        Err(e) => {
            // The leases run out and the rows are looked up again.
            tracing::warn!(bulk_id = %bulk.bulk_id, error = %e, "lookup results not stored");
            return;
        }
    }
    publish(&ctx, &bulk).await;
}

/// One lookup, graded.
async fn look_up(ctx: WorkerCtx, row: LookupRow, mut permit: Permit) -> LookupRecord {
    permit.sending();
    let answer = ctx
        .sdk
        .get_party(&row.party_id_type, &row.party_identifier)
        .await;
    permit.record(match answer {
        PartyLookup::Found(_) | PartyLookup::NotFound { .. } => Feedback::Answered,
        PartyLookup::Error { .. } => Feedback::Overload,
    });
    drop(permit);
    record_of(&ctx, &row, answer)
}

/// What to store for a lookup's answer: a grade for a found party; for no usable answer, another
/// lookup after a backoff, or not found once `PARTY_LOOKUP_RETRIES` are spent.
fn record_of(ctx: &WorkerCtx, row: &LookupRow, answer: PartyLookup) -> LookupRecord {
    let mut rec = LookupRecord {
        transfer_pk: row.id,
        ..LookupRecord::default()
    };
    match answer {
        PartyLookup::Found(p) => {
            let registered = RegisteredName {
                display: p.name.as_deref(),
                first: p.first_name.as_deref(),
                middle: p.middle_name.as_deref(),
                last: p.last_name.as_deref(),
            };
            rec.name_match = Some(grade_name(row.payee_name.as_deref(), &registered));
            rec.result = Some(LookupResult::Found);
            rec.fsp_id = p.fsp_id;
            rec.name = p.name;
            rec.first_name = p.first_name;
            rec.middle_name = p.middle_name;
            rec.last_name = p.last_name;
            rec.birth_date = p.date_of_birth;
        }
        PartyLookup::NotFound { detail } => {
            rec.result = Some(LookupResult::NotFound);
            rec.error = Some(detail);
        }
        PartyLookup::Error { reason } => {
            let attempts = u32::try_from(row.party_attempts).unwrap_or(u32::MAX);
            if attempts > ctx.settings.party_lookup_retries {
                rec.result = Some(LookupResult::NotFound);
                rec.error = Some(format!("no answer after {attempts} lookups: {reason}"));
            } else {
                let backoff = ctx
                    .settings
                    .party_lookup_backoff
                    .saturating_mul(1u32 << attempts.saturating_sub(1).min(16))
                    .min(MAX_LOOKUP_BACKOFF);
                rec.result = Some(LookupResult::Error);
                rec.error = Some(reason);
                rec.retry_at = Some(now() + chrono(backoff));
            }
        }
    }
    rec
}

/// Ends the verification if this job is the one to do it, then sends the run on its way.
async fn finish(ctx: &WorkerCtx, bulk: &Bulk) -> anyhow::Result<()> {
    let pk = bulk.id;
    let Some(done) = ctx.db(move |c| verify::finish(c, pk)).await? else {
        return Ok(());
    };
    tracing::info!(
        bulk_id = %done.bulk_id, state = %done.state, excluded = done.excluded_count,
        excluded_amount = done.excluded_amount, version = done.verification_version,
        "verification complete"
    );
    if let Err(e) = ctx.bus.publish(&done.progress()).await {
        tracing::warn!(bulk_id = %done.bulk_id, error = %e, "progress not published");
    }
    if *done.state == BulkState::Pending {
        ctx.queue
            .push_bulk(domain::BulkJob {
                bulk_id: done.bulk_id.clone(),
            })
            .await
            .context("queueing the verified run (the sweep will retry)")?;
    }
    Ok(())
}

/// A progress event with the rows looked up so far (at most one per [`PROGRESS_EVERY`] per run
/// and process is enough for watchers; the final one always goes out from [`finish`]).
async fn publish(ctx: &WorkerCtx, bulk: &Bulk) {
    if !ctx.progress_due(&bulk.bulk_id, PROGRESS_EVERY) {
        return;
    }
    let pk = bulk.id;
    let Ok(p) = ctx.db(move |c| verify::progress(c, pk)).await else {
        return;
    };
    let ev = bulk
        .progress()
        .verification(i64::from(bulk.verification_version), p.verified);
    if let Err(e) = ctx.bus.publish(&ev).await {
        tracing::warn!(bulk_id = %bulk.bulk_id, error = %e, "progress not published");
    }
}

fn chrono(d: Duration) -> ChronoDuration {
    ChronoDuration::from_std(d).unwrap_or(ChronoDuration::MAX)
}
