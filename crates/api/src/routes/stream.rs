//! `POST /api/bulk-transfers/{id}/stream-ticket` and `GET /api/bulk-transfers/{id}/stream` (SSE).

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use db::queries::{bulks, security};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::auth::access::{Holder, still_holds};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::stream::sse::event_stream;
use crate::stream::ticket::TICKET_TTL_SECS;

/// A single-use ticket for `?ticket=` on the stream URL.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StreamTicket {
    /// Opaque ticket; works once, for this bulk only.
    #[schema(example = "eyJhbGciOiJIUzI1NiJ9…")]
    pub ticket: String,
    /// Seconds until it expires.
    #[schema(example = 60)]
    pub expires_in: i64,
}

/// Query of the stream.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// A ticket from `stream-ticket` (for browsers, instead of the `Authorization` header).
    pub ticket: Option<String>,
}

/// Issues a 60-second single-use ticket to open this bulk's stream from a browser.
#[utoipa::path(
    post, path = "/api/bulk-transfers/{id}/stream-ticket", tag = "bulk-transfers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Bulk id")),
    responses(
        (status = 200, description = "Ticket", body = StreamTicket),
        (status = 401, description = "No or bad access token", body = ErrorBody),
        (status = 404, description = "No such bulk in your organisation", body = ErrorBody),
    )
)]
pub async fn ticket(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let bulk_id = path.into_inner();
    let org = user.org_id;
    let id = bulk_id.clone();
    state
        .db(move |c| Ok(bulks::find_for_org(c, org, &id)?))
        .await?
        .ok_or_else(ApiError::not_found)?;
    let (ticket, _) = state
        .tickets
        .issue(user.user_id, user.org_id, &bulk_id, user.family.as_deref())
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(StreamTicket {
        ticket,
        expires_in: TICKET_TTL_SECS,
    }))
}

/// Live progress as Server-Sent Events: `retry`, a snapshot, every `progress` event (`id` = seq,
/// honouring `Last-Event-ID`), then `done` and the end. A stream whose session ends (logout,
/// account disabled) is closed within [`ACCESS_RECHECK`](crate::stream::sse::ACCESS_RECHECK). Authenticate with `Authorization: Bearer`
/// or `?ticket=` (single use).
#[utoipa::path(
    get, path = "/api/bulk-transfers/{id}/stream", tag = "bulk-transfers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Bulk id"), StreamQuery,
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event id")),
    responses(
        (status = 200, description = "text/event-stream of `progress` events then `done`", content_type = "text/event-stream", body = String),
        (status = 401, description = "No valid token or ticket", body = ErrorBody),
        (status = 404, description = "No such bulk in your organisation", body = ErrorBody),
    )
)]
pub async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse, ApiError> {
    let bulk_id = path.into_inner();
    let (org, holder) = match &query.ticket {
        Some(t) if !req.headers().contains_key(header::AUTHORIZATION) => {
            let refused =
                || ApiError::invalid_token("the ticket is invalid, expired or already used");
            let claims = state.tickets.verify(t).ok_or_else(refused)?;
            if claims.bulk != bulk_id {
                return Err(refused());
            }
            let exp = chrono::DateTime::from_timestamp(claims.exp, 0)
                .map(|d| d.naive_utc())
                .unwrap_or_else(db::models::now);
            let jti = claims.jti.clone();
            let first_use = state
                .db(move |c| Ok(security::revoke_token(c, &jti, exp)?))
                .await?;
            if !first_use {
                return Err(refused());
            }
            let holder = Holder {
                user_id: claims.sub.parse().map_err(|_| refused())?,
                jti: None,
                family: claims.fam.clone(),
            };
            // The session may have ended since the ticket was issued.
            let h = holder.clone();
            if !state.db(move |c| Ok(still_holds(c, &h)?)).await? {
                return Err(refused());
            }
            (claims.org, holder)
        }
        _ => {
            let user = AuthUser::extract(&req).await?;
            let holder = Holder {
                user_id: user.user_id,
                jti: Some(user.jti.clone()),
                family: user.family.clone(),
            };
            (user.org_id, holder)
        }
    };
    let id = bulk_id.clone();
    // Subscribe BEFORE reading the snapshot: pub/sub does not replay.
    let watcher = state.hub.watch(&bulk_id);
    let bulk = state
        .db(move |c| Ok(bulks::find_for_org(c, org, &id)?))
        .await?
        .ok_or_else(ApiError::not_found)?;
    let last_event_id = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(-1);
    let body = event_stream(watcher, state.pool.clone(), bulk.id, last_event_id, holder);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}
