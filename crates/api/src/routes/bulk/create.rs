//! `POST /api/bulk-transfers`: upload a CSV file or a pain.001 message of transfers.
//!
//! Order of the checks: role, `Idempotency-Key`, form (size, fields), callback URL, idempotency
//! replay, duplicate file, file validation (CSV or pain.001, told apart by the content: see
//! [`payment_file`](super::payment_file)), declared totals, pain.001 MsgId not used before,
//! policy, payer account, period, then ONE transaction storing the bulk,
//! its rows and the reservation of its total. Only after the commit is the job queued; if the queue
//! is down the answer is still 202 — the bulk stays PENDING in the database and the worker's
//! recovery sweep queues it later. Every refusal happens before the transaction, or rolls it back:
//! a refused upload stores, reserves and queues nothing.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use db::models::Bulk;
use domain::{BulkJob, BulkState, ParseOptions};
use serde::Serialize;
use utoipa::ToSchema;

use super::intake::{Intake, Stored, check_prior, store};
use super::payment_file;
use super::run_fields::run_fields;
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
/// How long to wait for the queue before answering anyway.
const ENQUEUE_TIMEOUT: Duration = Duration::from_secs(5);

/// The multipart form (documentation only; the handler streams the body itself).
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadRequest {
    /// The payment file, its format told by its content: a CSV file, standard
    /// (`transferId,amount,currency,partyIdType,partyIdentifier[,payeeName]`) or payment list
    /// (`type_id,valeur_id,devise,montant[,nom_complet]`), or an ISO 20022 pain.001.001.03 /
    /// pain.001.001.09 `Document` (XML: `GrpHdr/MsgId` unique per organisation, `ReqdExctnDt`
    /// as `execute_at` unless the form sends one, `EndToEndId` as transferId).
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
    /// RFC 3339 time before which the run does not start (it waits in SCHEDULED). For a pain.001
    /// it replaces the file's `ReqdExctnDt`.
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

/// Uploads a CSV file or a pain.001 message of transfers (GESTIONNAIRE only). Nothing is stored
/// unless the whole file is valid and the organisation's account can cover its total.
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
        (status = 409, description = "Same file uploaded in the last 24 h (`duplicate_file`); \
          a pain.001 whose `GrpHdr/MsgId` the organisation already used (`duplicate_message_id`, \
          naming the earlier run)", body = ErrorBody),
        (status = 413, description = "Body larger than MAX_UPLOAD_BYTES", body = ErrorBody),
        (status = 415, description = "Not multipart/form-data", body = ErrorBody),
        (status = 422, description = "Invalid file (`invalid_file`, with every problem: line, \
          field = the column or, for pain.001, the XML path); a pain.001 whose only problems are \
          control totals that do not match (`control_sum_mismatch`, ISO reasons AM10 / AM18), \
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
    let file = web::block(move || payment_file::parse(&file, &opts)).await??;
    let parsed = file.parsed;
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
        iso: file.iso,
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
