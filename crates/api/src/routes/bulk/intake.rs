//! Storing an accepted upload: the idempotency and duplicate-file checks, the organisation's
//! pain.001 MsgId, the policy and pension period, then ONE transaction writing the bulk, its rows and the
//! reservation of its total (`db::queries::bulks::create_unique`). Every refusal happens before
//! that transaction or rolls it back.

use db::DbError;
use db::models::{Bulk, NewBulk, NewTransfer, now};
use db::queries::{accounts, bulks};
use domain::{BulkState, OrgPolicy, ParsedFile, TransferStatus};

use super::payment_file::IsoMessage;
use super::run_fields::{RunFields, already_paid, already_paid_in_file};
use crate::error::ApiError;

/// How far back a file with the same SHA-256 counts as a duplicate.
pub const DUPLICATE_WINDOW: chrono::Duration = chrono::Duration::hours(24);

fn key_reused() -> ApiError {
    ApiError::unprocessable(
        "idempotency_key_reused",
        "this Idempotency-Key was already used with a different file",
    )
}

/// The idempotency and duplicate checks: `Some(bulk)` when the same key came with the same file
/// (answer with the original bulk), `None` when nothing stands in the way.
pub fn check_prior(
    c: &mut db::DbConn,
    org: i64,
    key: Option<&str>,
    sha: &str,
    force: bool,
) -> Result<Option<Bulk>, ApiError> {
    if let Some(key) = key
        && let Some(b) = bulks::find_by_idempotency_key(c, org, key)?
    {
        return if b.file_sha256 == sha {
            Ok(Some(b))
        } else {
            Err(key_reused())
        };
    }
    if !force && let Some(b) = bulks::find_recent_by_sha(c, org, sha, now() - DUPLICATE_WINDOW)? {
        return Err(duplicate_file(&b));
    }
    Ok(None)
}

/// 409 for a file the organisation already uploaded within [`DUPLICATE_WINDOW`].
fn duplicate_file(b: &Bulk) -> ApiError {
    ApiError::Conflict {
        code: "duplicate_file",
        message: "this file was already uploaded in the last 24 hours; send force=true to \
                  upload it again"
            .into(),
        details: vec![serde_json::json!({
            "bulkTransferId": b.bulk_id,
            "state": b.state,
            "createdAt": b.created_at.and_utc(),
        })],
    }
}

/// 409 for a pain.001 whose `GrpHdr/MsgId` the organisation already used, whatever became of
/// that run: ISO 20022 wants a MsgId unique per sender, and a pain.002 names its run by it.
fn duplicate_message_id(msg_id: &str, b: &Bulk) -> ApiError {
    ApiError::Conflict {
        code: "duplicate_message_id",
        message: format!(
            "the pain.001 message id (GrpHdr/MsgId) `{msg_id}` was already used by {}: a \
             message id is used once; give the file a new MsgId",
            b.bulk_id
        ),
        details: vec![serde_json::json!({
            "field": "/Document/CstmrCdtTrfInitn/GrpHdr/MsgId",
            "msgId": msg_id,
            "bulkTransferId": b.bulk_id,
            "state": b.state,
            "createdAt": b.created_at.and_utc(),
        })],
    }
}

/// The upload, ready to store.
pub struct Intake {
    /// `force=true`: no duplicate-file check.
    pub force: bool,
    /// The uploader's organisation.
    pub org: i64,
    /// The uploader.
    pub user: i64,
    /// The valid file.
    pub parsed: ParsedFile,
    /// SHA-256 hex of the file.
    pub sha: String,
    /// `Idempotency-Key`.
    pub key: Option<String>,
    /// Validated callback URL.
    pub callback_url: Option<String>,
    /// The file name sent.
    pub file_name: Option<String>,
    /// Period, schedule, declared totals, repeats.
    pub run: RunFields,
    /// What a pain.001 upload adds.
    pub iso: Option<IsoMessage>,
}

/// Outcome of [`store`].
pub enum Stored {
    /// A new run.
    Created(Bulk),
    /// The run a concurrent request with the same key and file stored first.
    Replayed(Bulk),
}

/// Checks the policy, the payer account and the period, then stores the run.
pub fn store(c: &mut db::DbConn, i: Intake) -> Result<Stored, ApiError> {
    if let Some(m) = &i.iso
        && let Some(b) = bulks::find_by_msg_id(c, i.org, &m.msg_id)?
    {
        return Err(duplicate_message_id(&m.msg_id, &b));
    }
    let policy = db::queries::orgs::get(c, i.org)?.policy()?;
    if policy.period_guard && i.run.period.is_none() {
        return Err(ApiError::unprocessable(
            "period_required",
            "your organisation pays by pension period: send period=YYYY-MM",
        ));
    }
    let currency = i.parsed.currency.code();
    let account = accounts::find_for_org(c, i.org, currency)?.ok_or_else(|| {
        ApiError::unprocessable(
            "payer_account_not_found",
            format!("your organisation has no {currency} account to pay this file from"),
        )
    })?;
    let at = now();
    let execute_at = match &i.iso {
        Some(m) => m.execute_at(i.run.execute_at, at),
        None => i.run.execute_at,
    };
    let mut rows = new_rows(i.parsed.rows, at);
    let period = i.run.period.as_ref().map(|p| p.as_str().to_string());
    let repeats = match &period {
        Some(p) => mark_repeats(c, i.org, p, i.run.allow_repeat, &mut rows)?,
        None => false,
    };
    let total = i.parsed.total_amount.minor();
    let needs_approval = policy.requires_approval(total, repeats);
    let new_bulk = NewBulk {
        bulk_id: domain::new_bulk_id(),
        organisation_id: i.org,
        account_pk: account.id,
        currency: currency.to_string(),
        total_amount: total,
        total_count: i64::try_from(rows.len()).map_err(ApiError::internal)?,
        state: start_state(&policy, needs_approval, execute_at, at),
        file_sha256: i.sha.clone(),
        file_name: i.file_name,
        idempotency_key: i.key.clone(),
        callback_url: i.callback_url,
        created_by: i.user,
        created_at: at,
        updated_at: at,
        period: period.clone(),
        execute_at,
        approval_required: needs_approval,
        parent_bulk_pk: None,
        verification_mode: policy.verification.as_str().to_string(),
        msg_id: i.iso.as_ref().map(|m| m.msg_id.clone()),
        msg_name_id: i.iso.as_ref().map(|m| m.msg_name_id.to_string()),
        payment_blocks: i
            .iso
            .as_ref()
            .map(|m| db::models::encode_payment_blocks(&m.blocks)),
    };
    // Checked again inside the storing transaction: two identical uploads racing each other
    // cannot both pass the early check above.
    let duplicate_since = (!i.force).then(|| at - DUPLICATE_WINDOW);
    match bulks::create_unique(c, &new_bulk, &mut rows, duplicate_since) {
        Ok(b) => Ok(Stored::Created(b)),
        Err(DbError::DuplicateFile(b)) => Err(duplicate_file(&b)),
        // Another run of the period claimed one of these payees between the check and the
        // commit: name the lines now.
        Err(DbError::AlreadyPaidInPeriod(_)) => {
            let p = period.unwrap_or_default();
            let conflicts = db::queries::period::conflicts(c, i.org, &p, &payees(&rows), None)?;
            Err(already_paid(&conflicts, &rows))
        }
        Err(DbError::Conflict(why)) => {
            let msg_id = i.iso.as_ref().map(|m| m.msg_id.as_str());
            conflict_cause(c, i.org, i.key.as_deref(), &i.sha, msg_id)?
                .ok_or_else(|| DbError::Conflict(why).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// What a concurrent upload that committed first has in common with this one: the same key (the
/// same file: answer as if it had been seen, another file: refused), or the same pain.001 MsgId;
/// `None` when neither is found.
fn conflict_cause(
    c: &mut db::DbConn,
    org: i64,
    key: Option<&str>,
    sha: &str,
    msg_id: Option<&str>,
) -> Result<Option<Stored>, ApiError> {
    if let Some(key) = key
        && let Some(b) = bulks::find_by_idempotency_key(c, org, key)?
    {
        return if b.file_sha256 == sha {
            Ok(Some(Stored::Replayed(b)))
        } else {
            Err(key_reused())
        };
    }
    if let Some(msg_id) = msg_id
        && let Some(b) = bulks::find_by_msg_id(c, org, msg_id)?
    {
        return Err(duplicate_message_id(msg_id, &b));
    }
    Ok(None)
}

fn start_state(
    policy: &OrgPolicy,
    needs_approval: bool,
    execute_at: Option<chrono::NaiveDateTime>,
    at: chrono::NaiveDateTime,
) -> db::types::DbBulkState {
    let later = execute_at.is_some_and(|e| e > at);
    BulkState::start_state(policy.verification.is_on(), needs_approval, later).into()
}

/// The insert rows of the file, in file order, each with its Mojaloop transferId fixed now.
fn new_rows(rows: Vec<domain::ParsedRow>, at: chrono::NaiveDateTime) -> Vec<NewTransfer> {
    rows.into_iter()
        .map(|r| NewTransfer {
            bulk_pk: 0,
            line: i64::try_from(r.line).unwrap_or(i64::MAX),
            transfer_id: r.transfer_id,
            mojaloop_transfer_id: domain::new_mojaloop_transfer_id(),
            party_id_type: r.party_id_type.as_str().to_string(),
            party_identifier: r.party_identifier.as_str().to_string(),
            payee_name: r.payee_name,
            amount: r.amount.minor(),
            status: TransferStatus::Pending.into(),
            created_at: at,
            updated_at: at,
            repeat_in_period: false,
        })
        .collect()
}

fn payees(rows: &[NewTransfer]) -> Vec<(&str, &str)> {
    rows.iter()
        .map(|r| (r.party_id_type.as_str(), r.party_identifier.as_str()))
        .collect()
}

/// The pension-period guard: refuses payees another run of the period holds, or a payee twice
/// in the file, unless `allow_repeat`; flags the repeats and says whether there is one.
fn mark_repeats(
    c: &mut db::DbConn,
    org: i64,
    period: &str,
    allow_repeat: bool,
    rows: &mut [NewTransfer],
) -> Result<bool, ApiError> {
    let conflicts = db::queries::period::conflicts(c, org, period, &payees(rows), None)?;
    if !conflicts.is_empty() && !allow_repeat {
        return Err(already_paid(&conflicts, rows));
    }
    // A payee twice in this very file (allowed by `allow_duplicate_payees`) is also paid twice
    // in the period: the later lines count as repeats like those of other runs.
    let mut seen = std::collections::HashSet::new();
    let mut in_file = Vec::new();
    let mut repeats = false;
    for r in rows.iter_mut() {
        let again = !seen.insert((r.party_id_type.clone(), r.party_identifier.clone()));
        r.repeat_in_period = again
            || conflicts.iter().any(|x| {
                x.party_id_type == r.party_id_type && x.party_identifier == r.party_identifier
            });
        if again {
            in_file.push(r.line);
        }
        repeats |= r.repeat_in_period;
    }
    if !in_file.is_empty() && !allow_repeat {
        return Err(already_paid_in_file(&in_file));
    }
    Ok(repeats)
}
