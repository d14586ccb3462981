//! `POST /api/bulk-transfers/{id}/retry`: a new run with exactly the FAILED rows of a final run.

use actix_web::{HttpResponse, web};
use db::queries::{bulks, orgs, runs};
use domain::BulkState;

use super::decide::publish_state;
use super::views::BulkSummary;
use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Creates the retry run (GESTIONNAIRE): new Mojaloop transferIds, same payees, amounts and period,
/// linked both ways (`parentBulkTransferId`, `childBulkTransferIds`), reserved like an upload, and
/// approved again when the organisation's policy requires it.
#[utoipa::path(
    post, path = "/api/bulk-transfers/{id}/retry", tag = "payment-runs",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Run id (`bulk-<uuid>`)")),
    responses(
        (status = 201, description = "The retry run", body = BulkSummary,
         headers(("Location" = String, description = "URL of the new run's status"))),
        (status = 401, description = "No valid access token", body = ErrorBody),
        (status = 403, description = "Role may not retry", body = ErrorBody),
        (status = 404, description = "No such run in your organisation", body = ErrorBody),
        (status = 409, description = "A retry is still open (`retry_open`), or nothing to retry \
          (`nothing_to_retry`)", body = ErrorBody),
        (status = 422, description = "Not enough money (`insufficient_funds`), or a payee paid \
          meanwhile in the period (`already_paid_in_period`)", body = ErrorBody),
    )
)]
pub async fn retry(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require_retrier()?;
    let (org, uid, id) = (user.org_id, user.user_id, path.into_inner());
    let (child, summary) = state
        .db(move |c| {
            let parent = bulks::find_for_org(c, org, &id)?.ok_or_else(ApiError::not_found)?;
            let policy = orgs::get(c, org)?.policy()?;
            let child = runs::create_retry(c, parent.id, uid, |total| {
                policy.requires_approval(total, false)
            })?;
            let summary = BulkSummary::load(c, &child)?;
            Ok((child, summary))
        })
        .await?;
    tracing::info!(bulk_id = %child.bulk_id, state = %child.state, "retry run created");
    if matches!(*child.state, BulkState::Pending | BulkState::Verifying) {
        super::create::enqueue(&state, &child.bulk_id).await;
    }
    publish_state(&state, &child).await;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/bulk-transfers/{}/status", child.bulk_id),
        ))
        .json(summary))
}
