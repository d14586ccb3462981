//! `gateway-api resolve`: an operator settles an UNKNOWN row by hand, after the switch was asked.
//!
//! Three steps, each able to refuse (exit 5, nothing changed):
//! 1. the row must be UNKNOWN, and no longer under automatic lookup (the workers park a row for an
//!    operator once `UNKNOWN_MAX_AGE` has passed) unless `--force`;
//! 2. the switch is asked (`GET /transfers/{id}` through the SDK adapter at `SCHEME_ADAPTER_URL`)
//!    and its answer printed; an outcome it contradicts is refused even with `--force` (COMPLETED
//!    against ABORTED or "not found", FAILED against COMMITTED); a switch that cannot answer, or a
//!    transfer it still holds open, needs `--force`;
//! 3. the row is settled and the resolution audited, with the switch's answer, in one transaction
//!    that re-checks the row is still UNKNOWN (a worker may have settled it meanwhile).

use std::time::Duration;

use anyhow::Context;
use db::models::Transfer;
use db::queries::settle::{Resolution, SettleItem, settle_batch};
use db::queries::{audit, bulks, transfers};
use db::{DbConn, DbError, DbPool};
use domain::{AuditAction, TransferStatus};
use sdk::{LookupResult, SdkClient};
use serde_json::json;

use super::admin::cli_event;
use super::{CliError, usage};

/// What the operator asked for.
pub(super) struct Request {
    /// The row's Mojaloop transfer id.
    pub transfer: String,
    /// COMPLETED (`true`) or FAILED.
    pub completed: bool,
    /// Kept as a FAILED row's message.
    pub reason: Option<String>,
    /// `--force`.
    pub force: bool,
}

/// Where the switch is reached.
pub(super) struct Adapter {
    /// `SCHEME_ADAPTER_URL`.
    pub url: String,
    /// `ADAPTER_TIMEOUT`.
    pub timeout: Duration,
}

/// Runs the three steps.
pub(super) async fn run(pool: DbPool, adapter: Adapter, req: Request) -> Result<(), CliError> {
    let row = blocking(&pool, {
        let (transfer, force) = (req.transfer.clone(), req.force);
        move |c| settleable(c, &transfer, force)
    })
    .await?;
    let sdk = SdkClient::new(&adapter.url, adapter.timeout).context("the SDK adapter's URL")?;
    let answer = sdk.get_transfer(&row.mojaloop_transfer_id).await;
    println!(
        "the switch (through {}) says: {}",
        adapter.url,
        describe(&answer)
    );
    agrees(&answer, req.completed, req.force)?;
    let after = blocking(&pool, move |c| apply(c, &row, &req, &answer)).await?;
    println!(
        "transfer {} ({}) is now {}",
        after.mojaloop_transfer_id, after.transfer_id, after.status
    );
    Ok(())
}

async fn blocking<T: Send + 'static>(
    pool: &DbPool,
    f: impl FnOnce(&mut DbConn) -> Result<T, CliError> + Send + 'static,
) -> Result<T, CliError> {
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().context("connecting to the database")?;
        f(&mut conn)
    })
    .await
    .context("database task")?
}

/// Step 1: the row, if it is the operator's to settle.
fn settleable(c: &mut DbConn, transfer: &str, force: bool) -> Result<Transfer, CliError> {
    let row = transfers::find_by_mojaloop_id(c, transfer)
        .context("reading transfers")?
        .ok_or_else(|| usage(format!("no transfer with Mojaloop id {transfer:?}")))?;
    if row.status != TransferStatus::Unknown.as_str() {
        return Err(usage(format!(
            "transfer {transfer} is {}, not UNKNOWN: nothing to resolve",
            row.status
        )));
    }
    if let Some(next) = row.next_lookup_at
        && !force
    {
        return Err(CliError::Refused(format!(
            "transfer {transfer} is still looked up automatically ({} lookups so far, next at \
             {next} UTC): the workers settle it from the switch's answer, and park it for an \
             operator once UNKNOWN_MAX_AGE has passed. Wait for that, or pass --force",
            row.lookup_count
        )));
    }
    Ok(row)
}

/// The switch's answer in words.
fn describe(answer: &LookupResult) -> String {
    match answer {
        LookupResult::Committed => "COMMITTED: the money moved".into(),
        LookupResult::Aborted { code, message } => {
            format!("ABORTED ({code}: {message}): the money did not move")
        }
        LookupResult::NotFound => {
            "no such transfer: it never reached the switch's transfer stage".into()
        }
        LookupResult::Pending { state } => format!("{state}: not final yet"),
        LookupResult::Unreachable { reason } => format!("no answer ({reason})"),
    }
}

/// Step 2: refuses an outcome the switch contradicts, and one it cannot confirm without `--force`.
fn agrees(answer: &LookupResult, completed: bool, force: bool) -> Result<(), CliError> {
    let outcome = if completed { "COMPLETED" } else { "FAILED" };
    let contradiction = match answer {
        LookupResult::Committed => !completed,
        LookupResult::Aborted { .. } | LookupResult::NotFound => completed,
        LookupResult::Pending { .. } | LookupResult::Unreachable { .. } => {
            if force {
                return Ok(());
            }
            return Err(CliError::Refused(format!(
                "the switch cannot confirm {outcome} ({}): nothing changed. Ask again later, \
                 or pass --force if the outcome is known otherwise",
                describe(answer)
            )));
        }
    };
    if contradiction {
        return Err(CliError::Refused(format!(
            "{outcome} contradicts the switch ({}): nothing changed",
            describe(answer)
        )));
    }
    Ok(())
}

/// The switch's answer as recorded in the audit event.
fn switch_word(answer: &LookupResult) -> &'static str {
    match answer {
        LookupResult::Committed => "COMMITTED",
        LookupResult::Aborted { .. } => "ABORTED",
        LookupResult::NotFound => "NOT_FOUND",
        LookupResult::Pending { .. } => "PENDING",
        LookupResult::Unreachable { .. } => "UNREACHABLE",
    }
}

/// Step 3: settles the row (still UNKNOWN, re-checked in the transaction) and audits it.
fn apply(
    c: &mut DbConn,
    row: &Transfer,
    req: &Request,
    answer: &LookupResult,
) -> Result<Transfer, CliError> {
    let bulk = bulks::get(c, row.bulk_pk).context("reading the run")?;
    let resolution = if req.completed {
        Resolution::Completed
    } else {
        Resolution::Failed {
            code: "RESOLVED_BY_OPERATOR".into(),
            message: req
                .reason
                .clone()
                .unwrap_or_else(|| "resolved as failed by an operator".into()),
        }
    };
    let pk = row.id;
    let settle = |c: &mut DbConn| -> Result<Transfer, DbError> {
        let now = transfers::get(c, pk)?;
        if now.status != TransferStatus::Unknown.as_str() {
            return Err(DbError::Conflict(now.status.as_str().to_string()));
        }
        settle_batch(
            c,
            &[SettleItem {
                transfer_pk: pk,
                resolution,
            }],
        )?;
        transfers::get(c, pk)
    };
    let event = |after: &Transfer| {
        cli_event(
            AuditAction::TransferResolved,
            &row.mojaloop_transfer_id,
            bulk.organisation_id,
        )
        .details(json!({
            "status": after.status.as_str(),
            "reason": req.reason,
            "switch": switch_word(answer),
            "forced": req.force,
            "bulkTransferId": bulk.bulk_id,
            "transferId": after.transfer_id,
            "amount": after.amount,
        }))
    };
    audit::recorded(c, settle, event).map_err(|e| match e {
        DbError::Conflict(status) => CliError::Refused(format!(
            "transfer {} became {status} meanwhile (a worker settled it): nothing changed",
            row.mojaloop_transfer_id
        )),
        other => CliError::Failed(anyhow::Error::new(other).context("settling")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aborted() -> LookupResult {
        LookupResult::Aborted {
            code: "ABORTED".into(),
            message: "payee refused".into(),
        }
    }

    #[test]
    fn the_switch_decides_what_an_operator_may_record() {
        let pending = LookupResult::Pending {
            state: "RESERVED".into(),
        };
        let down = LookupResult::Unreachable {
            reason: "connection refused".into(),
        };
        // (answer, completed, force) → allowed
        let cases = [
            (LookupResult::Committed, true, false, true),
            (LookupResult::Committed, false, false, false),
            (LookupResult::Committed, false, true, false),
            (aborted(), false, false, true),
            (aborted(), true, true, false),
            (LookupResult::NotFound, false, false, true),
            (LookupResult::NotFound, true, true, false),
            (pending.clone(), true, false, false),
            (pending, false, true, true),
            (down.clone(), false, false, false),
            (down, true, true, true),
        ];
        for (answer, completed, force, allowed) in cases {
            let got = agrees(&answer, completed, force);
            assert_eq!(got.is_ok(), allowed, "{answer:?} {completed} {force}");
            if let Err(e) = got {
                assert_eq!(e.exit_code(), 5);
            }
        }
    }
}
