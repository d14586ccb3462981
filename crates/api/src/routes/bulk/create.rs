//! `POST /api/bulk-transfers`: upload a CSV file of transfers.
//!
//! Order of the checks: role, `Idempotency-Key`, form (size, fields), callback URL, idempotency
//! replay, duplicate file, CSV validation, payer account, then ONE transaction storing the bulk,
//! its rows and the reservation of its total. Only after the commit is the job queued; if the queue
//! is down the answer is still 202 — the bulk stays PENDING in the database and the worker's
//! recovery sweep queues it later. Every refusal happens before the transaction, or rolls it back:
//! a refused upload stores, reserves and queues nothing.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use db::DbError;
use db::models::{Bulk, NewBulk, NewTransfer, now};
use db::queries::{accounts, bulks};
use domain::{BulkJob, BulkState, ParseOptions, ParsedFile, TransferStatus};
use serde::Serialize;
use utoipa::ToSchema;

use super::run_fields::{RunFields, already_paid, run_fields};
use super::views::BulkAccepted;
use crate::auth::AuthUser;
use crate::callback::{upload_policy, validate_callback_url};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::upload::read_upload;

/// Request header carrying the client's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// Longest accepted idempotency key.
const MAX_KEY_LEN: usize = 255;
/// How far back a file with the same SHA-256 counts as a duplicate.
const DUPLICATE_WINDOW: chrono::Duration = chrono::Duration::hours(24);
/// How long to wait for the queue before answering anyway.
const ENQUEUE_TIMEOUT: Duration = Duration::from_secs(5);

/// The multipart form (documentation only; the handler streams the body itself).
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadRequest {
    /// CSV file, standard (`transferId,amount,currency,partyIdType,partyIdentifier`) or payment
    /// list (`type_id,valeur_id,devise,montant[,nom_complet]`).
    #[schema(value_type = String, format = Binary)]
    pub file: String,
    /// http(s) URL notified when the bulk completes.
    #[schema(example = "https://erp.cnss.example/hooks/bulk")]
    pub callback_url: Option<String>,
    /// Accept the same payee on several rows.
    pub allow_duplicate_payees: Option<bool>,
    /// Accept a file already uploaded in the last 24 hours.
    pub force: Option<bool>,
    /// Pension period `YYYY-MM` (required when the organisation's period guard is on): a payee
    /// already paid, or being paid, in another run of the period makes the file fail.
    #[schema(example = "2026-11")]
    pub period: Option<String>,
    /// RFC 3339 time before which the run does not start (it waits in SCHEDULED).
    #[schema(example = "2026-12-01T08:00:00Z")]
    pub execute_at: Option<String>,
    /// Row count printed on the payment order: a file with another count is refused.
    pub expected_count: Option<i64>,
    /// Total (minor units) printed on the payment order: a file with another total is refused.
    pub expected_total: Option<i64>,
    /// Accept payees already paid in the period (flagged `repeatInPeriod`; approval then required).
    pub allow_repeat_in_period: Option<bool>,
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let key = value.to_str().map(str::trim).unwrap_or("");
    let printable = key.chars().all(|c| c.is_ascii_graphic());
    if key.is_empty() || key.len() > MAX_KEY_LEN || !printable {
        return Err(ApiError::unprocessable(
            "invalid_idempotency_key",
            format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} printable ASCII characters"),
        ));
    }
    Ok(Some(key.to_string()))
}

fn key_reused() -> ApiError {
    ApiError::unprocessable(
        "idempotency_key_reused",
        "this Idempotency-Key was already used with a different file",
    )
}

fn invalid_file(refusal: domain::Refusal) -> ApiError {
    ApiError::InvalidFile(Box::new(refusal))
}

/// The idempotency and duplicate checks: `Some(bulk)` when the same key came with the same file
/// (answer with the original bulk), `None` when nothing stands in the way.
fn check_prior(
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

/// The upload, ready to store.
struct Intake {
    force: bool,
    org: i64,
    user: i64,
    parsed: ParsedFile,
    sha: String,
    key: Option<String>,
    callback_url: Option<String>,
    file_name: Option<String>,
    run: RunFields,
}

fn store(c: &mut db::DbConn, i: Intake) -> Result<Stored, ApiError> {
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
    let period = i.run.period.as_ref().map(|p| p.as_str().to_string());
    let mut rows = i
        .parsed
        .rows
        .into_iter()
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
        .collect::<Vec<_>>();
    let mut repeats = false;
    if let Some(p) = &period {
        let payees: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.party_id_type.as_str(), r.party_identifier.as_str()))
            .collect();
        let conflicts = db::queries::period::conflicts(c, i.org, p, &payees, None)?;
        if !conflicts.is_empty() && !i.run.allow_repeat {
            return Err(already_paid(&conflicts, &rows));
        }
        // A payee twice in this very file (allowed by `allow_duplicate_payees`) is also paid
        // twice in the period: the later lines count as repeats like those of other runs.
        let mut seen = std::collections::HashSet::new();
        let mut in_file = Vec::new();
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
        if !in_file.is_empty() && !i.run.allow_repeat {
            return Err(ApiError::Unprocessable {
                code: "already_paid_in_period",
                message: format!(
                    "{} line(s) pay a payee a second time in this period; nothing was stored \
                     (allow_repeat_in_period=true accepts them, with approval)",
                    in_file.len()
                ),
                details: in_file
                    .iter()
                    .map(|line| {
                        serde_json::json!({
                            "line": line,
                            "field": "partyIdentifier",
                            "code": "already_paid_in_period",
                            "message": "this payee is already paid by an earlier line of this file",
                        })
                    })
                    .collect(),
            });
        }
    }
    let total = i.parsed.total_amount.minor();
    let needs_approval = policy.requires_approval(total, repeats);
    let later = i.run.execute_at.is_some_and(|e| e > at);
    let new_bulk = NewBulk {
        bulk_id: domain::new_bulk_id(),
        organisation_id: i.org,
        account_pk: account.id,
        currency: currency.to_string(),
        total_amount: i.parsed.total_amount.minor(),
        total_count: i64::try_from(rows.len()).map_err(ApiError::internal)?,
        state: BulkState::start_state(policy.verification.is_on(), needs_approval, later).into(),
        file_sha256: i.sha.clone(),
        file_name: i.file_name,
        idempotency_key: i.key.clone(),
        callback_url: i.callback_url,
        created_by: i.user,
        created_at: at,
        updated_at: at,
        period: period.clone(),
        execute_at: i.run.execute_at,
        approval_required: needs_approval,
        parent_bulk_pk: None,
        verification_mode: policy.verification.as_str().to_string(),
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
            let payees: Vec<(&str, &str)> = rows
                .iter()
                .map(|r| (r.party_id_type.as_str(), r.party_identifier.as_str()))
                .collect();
            let conflicts = db::queries::period::conflicts(c, i.org, &p, &payees, None)?;
            Err(already_paid(&conflicts, &rows))
        }
        // A concurrent request with the same key committed first: behave as if it had been seen.
        Err(DbError::Conflict(_)) if i.key.is_some() => {
            let key = i.key.as_deref().unwrap_or_default();
            match bulks::find_by_idempotency_key(c, i.org, key)? {
                Some(b) if b.file_sha256 == i.sha => Ok(Stored::Replayed(b)),
                Some(_) => Err(key_reused()),
                None => Err(ApiError::internal(
                    "bulk insert conflicted without a known cause",
                )),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Outcome of [`store`].
enum Stored {
    Created(Bulk),
    Replayed(Bulk),
}

/// The 202, telling whether the run's callback will be called (see [`upload_policy`]).
async fn accepted(state: &AppState, b: &Bulk, replayed: bool) -> HttpResponse {
    let policy = match &b.callback_url {
        Some(url) => Some(upload_policy(url, &state.settings.callback_allowed_hosts).await),
        None => None,
    };
    let mut res = HttpResponse::Accepted();
    res.insert_header((
        header::LOCATION,
        format!("/api/bulk-transfers/{}/status", b.bulk_id),
    ));
    if replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    res.json(BulkAccepted::new(b, policy))
}

/// Queues a run that may start now (a queue outage leaves it PENDING for the recovery sweep).
pub async fn enqueue(state: &AppState, bulk_id: &str) {
    let job = BulkJob {
        bulk_id: bulk_id.to_string(),
    };
    match tokio::time::timeout(ENQUEUE_TIMEOUT, state.queue.push_bulk(job)).await {
        Ok(Ok(())) => tracing::info!(bulk_id, "bulk queued"),
        Ok(Err(e)) => tracing::warn!(
            bulk_id, error = %e,
            "could not queue the bulk; it stays PENDING until the recovery sweep queues it"
        ),
        Err(_) => tracing::warn!(
            bulk_id,
            "queueing the bulk timed out; it stays PENDING until the recovery sweep queues it"
        ),
    }
}

/// Uploads a CSV file of transfers (GESTIONNAIRE only). Nothing is stored unless the whole file
/// is valid and the organisation's account can cover its total.
#[utoipa::path(
    post, path = "/api/bulk-transfers", tag = "bulk-transfers",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header,
            description = "Repeat-safe key: the same key and file give the original answer")),
    request_body(content = UploadRequest, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Stored, reserved and queued", body = BulkAccepted,
         headers(("Location" = String, description = "URL of the bulk's status"))),
        (status = 401, description = "No valid access token", body = ErrorBody),
        (status = 403, description = "Role may not upload", body = ErrorBody),
        (status = 409, description = "Same file uploaded in the last 24 h (`duplicate_file`)",
         body = ErrorBody),
        (status = 413, description = "Body larger than MAX_UPLOAD_BYTES", body = ErrorBody),
        (status = 415, description = "Not multipart/form-data", body = ErrorBody),
        (status = 422, description = "Invalid file (`invalid_file`, with every row problem), \
          `insufficient_funds`, `payer_account_not_found`, `idempotency_key_reused`, \
          invalid form fields", body = ErrorBody),
    )
)]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    user.require_bulk_creator()?;
    let key = idempotency_key(&req)?;
    let form = read_upload(&req, payload, state.settings.max_upload_bytes).await?;
    let run = run_fields(&form)?;
    let callback_url = form
        .callback_url
        .as_deref()
        .map(validate_callback_url)
        .transpose()?;
    let file = form.file;
    let (file, sha) = web::block(move || {
        let sha = domain::sha256_hex(&file);
        (file, sha)
    })
    .await?;

    let (org, k, s, force) = (user.org_id, key.clone(), sha.clone(), form.force);
    let prior = state
        .db(move |c| check_prior(c, org, k.as_deref(), &s, force))
        .await?;
    if let Some(b) = prior {
        return Ok(accepted(&state, &b, true).await);
    }

    let opts = ParseOptions {
        allow_duplicate_payees: form.allow_duplicate_payees,
        max_rows: state.settings.max_rows,
        ..ParseOptions::default()
    };
    let parsed = web::block(move || domain::parse_csv(&file, &opts))
        .await?
        .map_err(invalid_file)?;
    let count = i64::try_from(parsed.rows.len()).map_err(ApiError::internal)?;
    domain::check_declared_totals(
        run.expected_count,
        run.expected_total,
        count,
        parsed.total_amount.minor(),
    )
    .map_err(|e| ApiError::unprocessable("declared_totals_mismatch", e.to_string()))?;

    let intake = Intake {
        force,
        org: user.org_id,
        user: user.user_id,
        parsed,
        sha,
        key,
        callback_url,
        file_name: form.file_name,
        run,
    };
    match state.db(move |c| store(c, intake)).await? {
        Stored::Replayed(b) => Ok(accepted(&state, &b, true).await),
        Stored::Created(b) => {
            tracing::info!(
                bulk_id = %b.bulk_id, total = b.total_count, amount = b.total_amount,
                state = %b.state, "bulk stored and funds reserved"
            );
            // Waiting for approval or for its time: queued by the approval or by the sweep. A run
            // to verify is queued too: the workers look its payees up.
            if matches!(*b.state, BulkState::Pending | BulkState::Verifying) {
                enqueue(&state, &b.bulk_id).await;
            }
            Ok(accepted(&state, &b, false).await)
        }
    }
}
