//! `GET /api/bulk-transfers`.

use actix_web::{HttpResponse, web};
use db::queries::bulks;
use domain::BulkState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::views::BulkSummary;
use super::{parse_cursor, parse_limit};
use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Default page size.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page size.
pub const MAX_LIMIT: i64 = 500;

/// Paging and filtering of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Bulks per page (1..=500, default 50).
    pub limit: Option<i64>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Only runs in this state.
    pub state: Option<String>,
    /// Only runs of this pension period (`YYYY-MM`).
    pub period: Option<String>,
}

/// One page of bulks, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkList {
    /// The bulks.
    pub items: Vec<BulkSummary>,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The organisation's bulks, newest first.
#[utoipa::path(
    get, path = "/api/bulk-transfers", tag = "bulk-transfers",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "A page of bulks", body = BulkList),
        (status = 401, description = "No valid access token", body = ErrorBody),
        (status = 422, description = "Invalid limit, cursor or state", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = parse_limit(q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let before = parse_cursor(q.cursor.as_deref())?;
    let filter = q
        .state
        .as_deref()
        .map(|s| {
            BulkState::parse(s.trim()).map_err(|_| {
                ApiError::unprocessable(
                    "invalid_state",
                    "state must be VERIFYING, AWAITING_APPROVAL, SCHEDULED, PENDING, PROCESSING, \
                     COMPLETED, PARTIALLY_COMPLETED, FAILED, REJECTED or CANCELLED",
                )
            })
        })
        .transpose()?;
    let period = q
        .period
        .as_deref()
        .map(|p| {
            domain::Period::parse(p)
                .map(|p| p.as_str().to_string())
                .map_err(|e| ApiError::unprocessable("invalid_period", e.to_string()))
        })
        .transpose()?;
    let org = user.org_id;
    let body = state
        .db(move |c| {
            let mut rows = bulks::list_filtered(
                c,
                org,
                filter.map(|s| s.as_str()),
                period.as_deref(),
                before,
                limit + 1,
            )?;
            let cap = usize::try_from(limit).unwrap_or(usize::MAX);
            let more = rows.len() > cap;
            rows.truncate(cap);
            let mut items = Vec::with_capacity(rows.len());
            let mut names = std::collections::HashMap::new();
            for b in &rows {
                items.push(BulkSummary::load_cached(c, b, &mut names)?);
            }
            Ok(BulkList {
                items,
                next_cursor: if more {
                    rows.last().map(|b| b.id.to_string())
                } else {
                    None
                },
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
