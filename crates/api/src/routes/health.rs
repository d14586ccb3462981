//! `/health/live` and `/health/ready`.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// How long a dependency may take to answer a readiness probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` (live) or `ready`.
    #[schema(example = "ready")]
    pub status: String,
}

/// The process is up.
#[utoipa::path(
    get, path = "/health/live", tag = "health",
    responses((status = 200, description = "Alive", body = Health))
)]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

/// The database and the queue answer.
#[utoipa::path(
    get, path = "/health/ready", tag = "health",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "A dependency is down (listed in details)", body = ErrorBody),
    )
)]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let db = tokio::time::timeout(PROBE_TIMEOUT, state.db(|c| Ok(db::ping(c)?))).await;
    let db_ok = match db {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database down");
            false
        }
        Err(_) => {
            tracing::warn!("readiness: database timed out");
            false
        }
    };
    let queue_ok = match tokio::time::timeout(PROBE_TIMEOUT, state.queue.ping()).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: queue down");
            false
        }
        Err(_) => {
            tracing::warn!("readiness: queue timed out");
            false
        }
    };
    if db_ok && queue_ok {
        return Ok(HttpResponse::Ok().json(Health {
            status: "ready".into(),
        }));
    }
    let details = [("database", db_ok), ("queue", queue_ok)]
        .into_iter()
        .map(|(component, ok)| {
            serde_json::json!({"component": component, "status": if ok { "up" } else { "down" }})
        })
        .collect();
    // 503 with the failing components named; the causes are in the log only.
    Ok(not_ready(details))
}

fn not_ready(details: Vec<serde_json::Value>) -> HttpResponse {
    HttpResponse::ServiceUnavailable().json(ErrorBody {
        error: "not_ready".into(),
        message: "a dependency is unavailable".into(),
        details,
        required: None,
        available: None,
        total_problems: None,
        problems_by_code: None,
    })
}
