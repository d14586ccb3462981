//! `POST /api/bulk-transfers/{id}/approve | reject | cancel`: the second person's decision on a
//! payment run, and calling a run off before any of it is paid.
//!
//! The rules live in `db::queries::runs` (one transaction each, every state change through the
//! domain's state machine); this file checks the role, maps refusals to their codes and, once the
//! decision is committed, queues an approved run and publishes the new state on the progress bus.

use actix_web::{HttpResponse, web};
use db::models::Bulk;
use db::queries::{bulks, runs};
use domain::BulkState;
use serde::Deserialize;
use utoipa::ToSchema;

use super::views::BulkSummary;
use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Longest rejection reason kept.
const MAX_REASON: usize = 1_000;

/// Body of `approve`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApproveRequest {
    /// The SHA-256 (hex) of the file, as shown in the run's status view: the approval binds the
    /// exact file the approver looked at.
    #[schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    pub file_sha256: String,
    /// For a verified run: the `version` of the verification report the approver read
    /// (`GET …/verification`). A run verified again since is refused (`verification_changed`).
    #[serde(default)]
    #[schema(example = 1)]
    pub verification_version: Option<i32>,
}

/// Body of `reject`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RejectRequest {
    /// Why, for the uploader (1 to 1,000 characters).
    #[schema(example = "montants de novembre non validés")]
    pub reason: String,
}

async fn find(state: &AppState, user: &AuthUser, id: String) -> Result<Bulk, ApiError> {
    let org = user.org_id;
    state
        .db(move |c| Ok(bulks::find_for_org(c, org, &id)?))
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Publishes the run's new state (SSE watchers see it; final states end their stream).
pub async fn publish_state(state: &AppState, b: &Bulk) {
    let ev = b.progress();
    if let Err(e) = state.bus.publish(&ev).await {
        tracing::warn!(bulk_id = %b.bulk_id, error = %e, "state change not published");
    }
}

/// After a decision: queue the run if it may start now, tell the watchers, answer its summary.
pub(super) async fn decided(
    state: &AppState,
    b: Bulk,
    what: &str,
) -> Result<HttpResponse, ApiError> {
    tracing::info!(bulk_id = %b.bulk_id, state = %b.state, "run {what}");
    if matches!(*b.state, BulkState::Pending | BulkState::Verifying) {
        super::create::enqueue(state, &b.bulk_id).await;
    }
    publish_state(state, &b).await;
    let pk = b.id;
    let summary = state
        .db(move |c| {
            let b = bulks::get(c, pk)?;
            Ok(BulkSummary::load(c, &b)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// Approves a run waiting for approval (APPROBATEUR, never its uploader), for the file whose hash
/// the approver saw. It then starts (PENDING) or waits for its `executeAt` (SCHEDULED).
#[utoipa::path(
    post, path = "/api/bulk-transfers/{id}/approve", tag = "payment-runs",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Run id (`bulk-<uuid>`)")),
    request_body = ApproveRequest,
    responses(
        (status = 200, description = "Approved: PENDING (queued) or SCHEDULED", body = BulkSummary),
        (status = 401, description = "No valid access token", body = ErrorBody),
        (status = 403, description = "Not an APPROBATEUR (`forbidden`), or the uploader (`same_user`)",
         body = ErrorBody),
        (status = 404, description = "No such run in your organisation", body = ErrorBody),
        (status = 409, description = "Another file than the approver saw (`file_hash_mismatch`), \
          another verification report (`verification_changed`), or not awaiting approval \
          (`invalid_state`)", body = ErrorBody),
        (status = 422, description = "Malformed body, or a verified run approved without its \
          `verificationVersion` (`verification_version_required`)", body = ErrorBody),
    )
)]
pub async fn approve(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<ApproveRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require_approver()?;
    let bulk = find(&state, &user, path.into_inner()).await?;
    let body = body.into_inner();
    if bulk.verification()?.is_on() && body.verification_version.is_none() {
        return Err(ApiError::unprocessable(
            "verification_version_required",
            "this run was verified before paying: send the `verificationVersion` of the report \
             you read (GET …/verification)",
        ));
    }
    let (pk, uid, sha, version) = (
        bulk.id,
        user.user_id,
        body.file_sha256,
        body.verification_version,
    );
    let b = state
        .db(move |c| {
            Ok(runs::approve(
                c,
                pk,
                &runs::Approval {
                    user_pk: uid,
                    file_sha256: &sha,
                    verification_version: version,
                },
            )?)
        })
        .await?;
    decided(&state, b, "approved").await
}

/// Rejects a run waiting for approval (APPROBATEUR, never its uploader): REJECTED, its whole
/// reservation released in the same transaction.
#[utoipa::path(
    post, path = "/api/bulk-transfers/{id}/reject", tag = "payment-runs",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Run id (`bulk-<uuid>`)")),
    request_body = RejectRequest,
    responses(
        (status = 200, description = "Rejected, reservation released", body = BulkSummary),
        (status = 401, description = "No valid access token", body = ErrorBody),
        (status = 403, description = "Not an APPROBATEUR, or the uploader (`same_user`)", body = ErrorBody),
        (status = 404, description = "No such run in your organisation", body = ErrorBody),
        (status = 409, description = "Not awaiting approval (`invalid_state`)", body = ErrorBody),
        (status = 422, description = "Missing or too long reason", body = ErrorBody),
    )
)]
pub async fn reject(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<RejectRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require_approver()?;
    let reason = body.into_inner().reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > MAX_REASON {
        return Err(ApiError::unprocessable(
            "invalid_reason",
            format!("reason must be 1 to {MAX_REASON} characters"),
        ));
    }
    let bulk = find(&state, &user, path.into_inner()).await?;
    let (pk, uid) = (bulk.id, user.user_id);
    let b = state
        .db(move |c| Ok(runs::reject(c, pk, uid, &reason)?))
        .await?;
    decided(&state, b, "rejected").await
}

/// Cancels a run none of whose rows was sent (AWAITING_APPROVAL, SCHEDULED, or PENDING before a
/// worker claimed any row): by its uploader or an APPROBATEUR. CANCELLED, reservation released.
#[utoipa::path(
    post, path = "/api/bulk-transfers/{id}/cancel", tag = "payment-runs",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Run id (`bulk-<uuid>`)")),
    responses(
        (status = 200, description = "Cancelled, reservation released", body = BulkSummary),
        (status = 401, description = "No valid access token", body = ErrorBody),
        (status = 403, description = "Neither its uploader nor an APPROBATEUR", body = ErrorBody),
        (status = 404, description = "No such run in your organisation", body = ErrorBody),
        (status = 409, description = "Rows were sent (`already_started`), or the run is final \
          (`invalid_state`)", body = ErrorBody),
    )
)]
pub async fn cancel(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let bulk = find(&state, &user, path.into_inner()).await?;
    user.require_canceller(bulk.created_by)?;
    let (pk, uid) = (bulk.id, user.user_id);
    let b = state.db(move |c| Ok(runs::cancel(c, pk, uid)?)).await?;
    decided(&state, b, "cancelled").await
}
