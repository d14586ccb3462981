//! `GET /api/bulk-transfers/{id}/status`.

use actix_web::{HttpResponse, web};
use db::queries::{bulks, transfers, webhooks};
use domain::TransferStatus;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::callback_view::CallbackView;
use super::views::{BulkSummary, TransferView};
use super::{parse_cursor, parse_limit};
use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Default page size of `transfers`.
pub const DEFAULT_LIMIT: i64 = 1_000;
/// Largest page size of `transfers`.
pub const MAX_LIMIT: i64 = 10_000;

/// Paging and filtering of the transfers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatusQuery {
    /// Transfers per page (1..=10000, default 1000).
    pub limit: Option<i64>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Only transfers in this status (`PENDING`, `PROCESSING`, `UNKNOWN`, `COMPLETED`, `FAILED`,
    /// `CANCELLED`, `EXCLUDED`).
    pub status: Option<String>,
}

/// A bulk's summary and one page of its transfers.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkStatus {
    /// The summary.
    #[serde(flatten)]
    pub summary: BulkSummary,
    /// One page of transfers, in file order.
    pub transfers: Vec<TransferView>,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// What was told to the run's `callback_url`; `null` without one.
    pub callback: Option<CallbackView>,
}

/// A bulk's progress and its transfers. Bulks of other organisations are 404.
#[utoipa::path(
    get, path = "/api/bulk-transfers/{id}/status", tag = "bulk-transfers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Bulk id (`bulk-<uuid>`)"), StatusQuery),
    responses(
        (status = 200, description = "Summary and a page of transfers", body = BulkStatus),
        (status = 401, description = "No valid access token", body = ErrorBody),
        (status = 404, description = "No such bulk in your organisation", body = ErrorBody),
        (status = 422, description = "Invalid limit, cursor or status", body = ErrorBody),
    )
)]
pub async fn status(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = parse_limit(q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let after = parse_cursor(q.cursor.as_deref())?;
    let filter = q
        .status
        .as_deref()
        .map(|s| {
            TransferStatus::parse(s.trim()).map_err(|_| {
                ApiError::unprocessable(
                    "invalid_status",
                    "status must be PENDING, PROCESSING, UNKNOWN, COMPLETED, FAILED, CANCELLED or \
                     EXCLUDED",
                )
            })
        })
        .transpose()?;
    let (org, bulk_id) = (user.org_id, path.into_inner());
    let body = state
        .db(move |c| {
            let bulk = bulks::find_for_org(c, org, &bulk_id)?.ok_or_else(ApiError::not_found)?;
            let mut rows =
                transfers::page(c, bulk.id, filter.map(|s| s.as_str()), after, limit + 1)?;
            let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
            rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            let next_cursor = if more {
                rows.last().map(|r| r.id.to_string())
            } else {
                None
            };
            Ok(BulkStatus {
                transfers: rows
                    .iter()
                    .map(|t| TransferView::new(t, &bulk.currency))
                    .collect(),
                summary: BulkSummary::load(c, &bulk)?,
                next_cursor,
                callback: CallbackView::new(&bulk, &webhooks::for_bulk(c, bulk.id)?),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
