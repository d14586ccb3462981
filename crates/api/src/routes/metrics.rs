//! `GET /metrics`: the Prometheus scrape.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Every `gateway_*` metric of this process in the Prometheus text format. Open unless
/// `METRICS_TOKEN` is set (then `Authorization: Bearer <token>`); not for the public network.
#[utoipa::path(
    get, path = "/metrics", tag = "health",
    responses(
        (status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain", body = String),
        (status = 401, description = "METRICS_TOKEN is set and the bearer token is missing or wrong", body = ErrorBody),
    )
)]
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !common::metrics::authorized(authorization, state.settings.metrics_token.as_ref()) {
        return Err(ApiError::Unauthorized {
            code: "unauthorized",
            message: "this endpoint needs the metrics bearer token (METRICS_TOKEN)".into(),
        });
    }
    let body = crate::metrics::scrape(&state).await;
    Ok(HttpResponse::Ok()
        .content_type(common::metrics::CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}
