//! The recovery sweep, run by every worker replica on a timer. Each step is idempotent and hands
//! work over with conditional updates, so replicas never duplicate each other:
//! 1. bulks PENDING too long (their job was lost, e.g. Redis was down at upload) are queued again;
//!    PROCESSING bulks with PENDING rows and no activity get a chunk job again;
//! 2. rows left PROCESSING by a dead worker become UNKNOWN (never re-POSTed);
//! 3. UNKNOWN rows due for lookup are resolved with `GET /transfers/{id}`;
//! 4. every 10 minutes, expired token revocations, used stream tickets and day-old login attempts
//!    are purged.
//!
//! Each step runs even when another one failed. Every minute a pass first measures the database's
//! clock again ([`db::clock`]): every age compared here is on it, whatever this host's clock says.

use chrono::{Duration as ChronoDuration, NaiveDateTime};
use db::models::{Transfer, now};
use db::queries::settle::{Resolution, SettleItem};
use db::queries::sweep;
use domain::{BulkJob, ChunkJob};
use sdk::LookupResult;
use std::time::Duration;

use crate::context::WorkerCtx;
use crate::execute::resend_or_fail;
use crate::pacing::Feedback;

/// Code of a row the switch never saw, once its expiry has passed.
pub const NOT_FOUND_AFTER_EXPIRY: &str = "NOT_FOUND_AFTER_EXPIRY";

/// Lookups claimed per sweep.
const LOOKUP_BATCH: i64 = 200;
/// Longest gap between two lookups of the same row.
const MAX_LOOKUP_GAP: Duration = Duration::from_secs(300);

fn chrono(d: Duration) -> ChronoDuration {
    ChronoDuration::from_std(d).unwrap_or(ChronoDuration::MAX)
}

/// Runs the sweep until shutdown.
pub async fn run_loop(ctx: WorkerCtx) {
    let mut stop = ctx.stopping.clone();
    loop {
        if let Err(e) = sweep_once(&ctx).await {
            tracing::warn!(error = %e, "recovery sweep failed; will retry");
        }
        tokio::select! {
            _ = tokio::time::sleep(ctx.settings.sweep_interval) => {}
            _ = stop.changed() => {}
        }
        if ctx.is_stopping() {
            return;
        }
    }
}

/// One pass of the sweep: every step runs even when another failed (each failure is logged);
/// the pass reports an error naming the steps that failed.
pub async fn sweep_once(ctx: &WorkerCtx) -> anyhow::Result<()> {
    let mut failed = Vec::new();
    if let Err(e) = ctx.db(db::clock::sync_when_due).await {
        tracing::warn!(error = %e, "sweep: measuring the database's clock failed");
        failed.push("clock");
    }
    if let Err(e) = start_scheduled(ctx).await {
        tracing::warn!(error = %e, "sweep: starting scheduled runs failed");
        failed.push("scheduled runs");
    }
    if let Err(e) = requeue_stalled(ctx).await {
        tracing::warn!(error = %e, "sweep: finding stalled bulks failed");
        failed.push("stalled bulks");
    }
    if let Err(e) = expire_lost_claims(ctx).await {
        tracing::warn!(error = %e, "sweep: expiring lost claims failed");
        failed.push("lost claims");
    }
    if let Err(e) = resolve_due(ctx).await {
        tracing::warn!(error = %e, "sweep: claiming due lookups failed");
        failed.push("lookups");
    }
    if let Err(e) = housekeep_when_due(ctx).await {
        tracing::warn!(error = %e, "sweep: housekeeping failed");
        failed.push("housekeeping");
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!("sweep steps failed: {}", failed.join(", ")))
    }
}

/// Bulks whose jobs were lost go back to the queue; a failed push is logged and the others
/// still go (the bulk stays idle, so the next pass takes it again).
async fn requeue_stalled(ctx: &WorkerCtx) -> anyhow::Result<()> {
    let idle_before = now() - chrono(ctx.settings.stalled_after);
    let stalled = ctx
        .db(move |c| sweep::take_stalled_bulks(c, idle_before, 100))
        .await?;
    for b in stalled {
        tracing::warn!(bulk_id = %b.bulk_id, state = %b.state, "re-queueing a stalled bulk");
        let res = if b.state == domain::BulkState::Pending.as_str() {
            ctx.queue
                .push_bulk(BulkJob {
                    bulk_id: b.bulk_id.clone(),
                })
                .await
        } else {
            ctx.queue
                .push_chunks(vec![ChunkJob {
                    bulk_id: b.bulk_id.clone(),
                    max_rows: ctx.settings.chunk_rows,
                }])
                .await
        };
        if let Err(e) = res {
            tracing::error!(bulk_id = %b.bulk_id, error = %e, "re-queueing failed; next sweep retries");
        }
    }
    Ok(())
}

/// A row PROCESSING longer than a full adapter call plus a margin has lost its worker.
async fn expire_lost_claims(ctx: &WorkerCtx) -> anyhow::Result<()> {
    let claimed_before = now()
        - chrono(ctx.settings.adapter_timeout * 2 + ctx.settings.not_sent_retry_for)
        - chrono(ctx.settings.stalled_after);
    let expired = ctx
        .db(move |c| sweep::expire_processing(c, claimed_before))
        .await?;
    if expired > 0 {
        tracing::warn!(
            rows = expired,
            "rows left PROCESSING by a lost worker are now UNKNOWN"
        );
    }
    Ok(())
}

/// UNKNOWN rows due for lookup are looked up at the switch.
async fn resolve_due(ctx: &WorkerCtx) -> anyhow::Result<()> {
    let at = now();
    let lease = at + chrono(ctx.settings.adapter_timeout) + ChronoDuration::seconds(5);
    let due = ctx
        .db(move |c| sweep::claim_due_lookups(c, at, lease, LOOKUP_BATCH))
        .await?;
    let mut set = tokio::task::JoinSet::new();
    for row in due {
        let ctx2 = ctx.clone();
        set.spawn(async move { resolve(&ctx2, row).await });
    }
    while let Some(r) = set.join_next().await {
        if let Err(e) = r {
            tracing::error!(error = %e, "lookup task failed");
        }
    }
    Ok(())
}

/// How often one worker process purges what nobody needs any more.
const HOUSEKEEPING_EVERY: i64 = 600;
/// Unix time of this process's last housekeeping.
static LAST_HOUSEKEEPING: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

async fn housekeep_when_due(ctx: &WorkerCtx) -> anyhow::Result<()> {
    use std::sync::atomic::Ordering;
    let now_secs = chrono::Utc::now().timestamp();
    let last = LAST_HOUSEKEEPING.load(Ordering::Relaxed);
    if now_secs - last < HOUSEKEEPING_EVERY
        || LAST_HOUSEKEEPING
            .compare_exchange(last, now_secs, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return Ok(());
    }
    housekeep(ctx).await
}

/// Purges revocations of tokens (and stream tickets) that expired anyway, and login attempts older
/// than a day (the throttle looks 15 minutes back). Safe from every replica at once.
pub async fn housekeep(ctx: &WorkerCtx) -> anyhow::Result<()> {
    let at = now();
    let (tokens, attempts) = ctx
        .db(move |c| {
            let tokens = db::queries::security::purge_revoked(c, at)?;
            let attempts =
                db::queries::security::purge_login_attempts(c, at - ChronoDuration::days(1))?;
            Ok((tokens, attempts))
        })
        .await?;
    if tokens + attempts > 0 {
        tracing::info!(
            tokens,
            attempts,
            "housekeeping: expired revocations and old login attempts purged"
        );
    }
    Ok(())
}

/// Looks one UNKNOWN row up and records what the switch says.
pub async fn resolve(ctx: &WorkerCtx, row: Transfer) {
    let mut permit = ctx.pacer.acquire().await;
    if let Some(p) = permit.as_mut() {
        p.sending();
    }
    let answer = ctx.sdk.get_transfer(&row.mojaloop_transfer_id).await;
    if let Some(p) = permit.as_mut() {
        p.record(match answer {
            LookupResult::Unreachable { .. } => Feedback::Overload,
            _ => Feedback::Neutral,
        });
    }
    drop(permit);
    let started_at = row.claimed_at.unwrap_or(row.created_at);
    let age = now() - started_at;
    let resolution = decide(&answer, age, &row, ctx);
    tracing::info!(
        transfer_id = %row.transfer_id, mojaloop_transfer_id = %row.mojaloop_transfer_id,
        lookup = ?answer, "lookup of an UNKNOWN transfer"
    );
    match resolution {
        Some(r) => ctx.settler.submit(SettleItem {
            transfer_pk: row.id,
            resolution: r,
        }),
        None => {
            tracing::error!(
                transfer_id = %row.transfer_id, mojaloop_transfer_id = %row.mojaloop_transfer_id,
                age_secs = age.num_seconds(),
                "transfer still UNKNOWN after UNKNOWN_MAX_AGE: money stays reserved, operator must resolve it"
            );
            let pk = row.id;
            let _ = ctx
                .db(move |c| {
                    sweep::park_unknown(
                        c,
                        pk,
                        "outcome unknown after UNKNOWN_MAX_AGE; needs an operator",
                    )
                })
                .await;
        }
    }
}

/// What to record for a lookup answer; `None` means "park it for an operator".
fn decide(
    answer: &LookupResult,
    age: ChronoDuration,
    row: &Transfer,
    ctx: &WorkerCtx,
) -> Option<Resolution> {
    let expired = age > chrono(ctx.settings.transfer_expiry);
    match answer {
        LookupResult::Committed => Some(Resolution::Completed),
        LookupResult::Aborted { code, message } => Some(Resolution::Failed {
            code: code.clone(),
            message: message.clone(),
        }),
        // The switch never saw it and, its expiry past, never will: it never happened. Sent again
        // with the same transferId (bounded like any re-send) when the adapter's own expiry is
        // shorter than ours, so the original prepare could no longer be accepted; else FAILED.
        LookupResult::NotFound if expired && ctx.settings.resend_after_expiry() => Some(resend_or_fail(
            &ctx.settings,
            row,
            NOT_FOUND_AFTER_EXPIRY.into(),
            "the switch has no record of this transfer and its expiry has passed: it never happened".into(),
        )),
        LookupResult::NotFound if expired => Some(Resolution::Failed {
            code: NOT_FOUND_AFTER_EXPIRY.into(),
            message: "the switch has no record of this transfer and its expiry has passed: it never happened".into(),
        }),
        _ if age > chrono(ctx.settings.unknown_max_age) => None,
        _ => Some(Resolution::Reschedule {
            next_lookup_at: next_lookup(row.lookup_count),
        }),
    }
}

fn next_lookup(lookups: i32) -> NaiveDateTime {
    let secs = 5u64.saturating_mul(1u64 << lookups.clamp(0, 8));
    now() + chrono(Duration::from_secs(secs).min(MAX_LOOKUP_GAP))
}

/// SCHEDULED runs whose `execute_at` has come: PENDING (conditional, so replicas never start one
/// twice), queued, and announced on the progress bus.
async fn start_scheduled(ctx: &WorkerCtx) -> anyhow::Result<()> {
    let at = now();
    let due = ctx
        .db(move |c| db::queries::runs::start_due(c, at, 100))
        .await?;
    for b in due {
        tracing::info!(bulk_id = %b.bulk_id, "scheduled run due: starting");
        let ev = b.progress();
        if let Err(e) = ctx.bus.publish(&ev).await {
            tracing::warn!(bulk_id = %b.bulk_id, error = %e, "progress not published");
        }
        // A failed push leaves it PENDING: the stalled-bulk step below queues it later.
        if let Err(e) = ctx
            .queue
            .push_bulk(BulkJob {
                bulk_id: b.bulk_id.clone(),
            })
            .await
        {
            tracing::warn!(bulk_id = %b.bulk_id, error = %e, "could not queue a due scheduled run");
        }
    }
    Ok(())
}
