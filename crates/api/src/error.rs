//! The one error type of the HTTP API and the one JSON shape every error response has.
//!
//! Rules:
//! - Every refusal is an [`ApiError`]; its status is chosen by an explicit match on the variant.
//! - The body is always `{"error": "<stable code>", "message": "<human text>", "details": [...]}`
//!   (plus `required`/`available` for `insufficient_funds`, `totalProblems`/`problemsByCode` for
//!   `invalid_file`). 4xx bodies say what the caller did
//!   wrong; 5xx bodies never carry the cause: it is logged, with the request id, instead.
//! - Errors produced by actix itself (JSON, path and query extractors, unknown routes, wrong
//!   methods, multipart parsing) are converted into the same shape by the handlers in this module.
//! - A database error is never turned into "not found" or an empty answer: only
//!   [`DbError::NotFound`] becomes 404, business refusals keep their meaning, an unreachable
//!   database is a 503 (`unavailable`), the rest is a 500.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use db::DbError;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "error": "invalid_file",
    "message": "the file has 1 problem(s); nothing was stored",
    "details": [{"line": 3, "field": "amount", "code": "amount_not_positive",
                 "message": "the amount must be greater than zero"}]
}))]
pub struct ErrorBody {
    /// Stable machine-readable code.
    pub error: String,
    /// Human-readable explanation.
    pub message: String,
    /// Items explaining the error (row problems, failed checks…); often empty.
    #[schema(value_type = Vec<Object>)]
    pub details: Vec<Value>,
    /// `insufficient_funds` only: amount the bulk needs (minor units).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<i64>,
    /// `insufficient_funds` only: amount available on the account (minor units).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<i64>,
    /// `invalid_file` only: every problem found (`details` lists the first 1,000).
    #[serde(rename = "totalProblems", skip_serializing_if = "Option::is_none")]
    pub total_problems: Option<usize>,
    /// `invalid_file` only: the count of the problems found, by code.
    #[serde(rename = "problemsByCode", skip_serializing_if = "Option::is_none")]
    pub problems_by_code: Option<std::collections::BTreeMap<String, usize>>,
}

/// A refusal or failure of an API request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed.
    #[error("{message}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        message: String,
    },
    /// 401: no valid credentials.
    #[error("{message}")]
    Unauthorized {
        /// Stable code (`unauthorized`, `invalid_credentials`, `invalid_token`, `token_revoked`).
        code: &'static str,
        /// Explanation.
        message: String,
    },
    /// 403: authenticated but not allowed.
    #[error("{message}")]
    Forbidden {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        message: String,
    },
    /// 404: absent, or not visible to the caller (never 403, so ids cannot be probed).
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: conflicts with an existing resource.
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        message: String,
        /// Extra items (e.g. the existing bulk).
        details: Vec<Value>,
    },
    /// 413: body larger than allowed.
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 415: wrong `Content-Type`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: well-formed but refused by a rule.
    #[error("{message}")]
    Unprocessable {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        message: String,
        /// Every problem found.
        details: Vec<Value>,
    },
    /// 422 `invalid_file`: the first problems of a refused file, and how many there are; the code
    /// is `control_sum_mismatch` when every problem is a pain.001 control total that does not
    /// match its transactions (ISO 20022 reasons AM10, AM18).
    #[error("{}", invalid_file_message(.0))]
    InvalidFile(Box<domain::Refusal>),
    /// 422: the payer account cannot cover the bulk.
    #[error("insufficient funds: required {required}, available {available}")]
    InsufficientFunds {
        /// Minor units needed.
        required: i64,
        /// Minor units available.
        available: i64,
    },
    /// 429: too many failed logins; retry after this many seconds.
    #[error("too many failed logins")]
    TooManyRequests {
        /// Seconds until a new attempt is accepted.
        retry_after_secs: u64,
    },
    /// 503: a dependency is down (cause logged, not returned).
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure (cause logged, not returned).
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl ApiError {
    /// A 422 with no details.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Unprocessable {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// A 400.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// A 401 with code `invalid_token`.
    pub fn invalid_token(message: impl Into<String>) -> ApiError {
        ApiError::Unauthorized {
            code: "invalid_token",
            message: message.into(),
        }
    }

    /// The generic 404.
    pub fn not_found() -> ApiError {
        ApiError::NotFound("no such resource".into())
    }

    /// A 500 from anything displayable.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(anyhow::anyhow!("{cause}"))
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Unauthorized { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Unprocessable { code, .. } => code,
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::InsufficientFunds { .. } => "insufficient_funds",
            ApiError::InvalidFile(r) if only_control_sums(r) => CONTROL_SUM_MISMATCH,
            ApiError::InvalidFile(_) => "invalid_file",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    /// The JSON body of this error (5xx bodies are generic).
    pub fn body(&self) -> ErrorBody {
        let (details, required, available) = match self {
            ApiError::Conflict { details, .. } | ApiError::Unprocessable { details, .. } => {
                (details.clone(), None, None)
            }
            ApiError::InsufficientFunds {
                required,
                available,
            } => (
                vec![serde_json::json!({"required": required, "available": available})],
                Some(*required),
                Some(*available),
            ),
            ApiError::InvalidFile(refusal) => (
                refusal
                    .problems
                    .iter()
                    .filter_map(|p| serde_json::to_value(p).ok())
                    .collect(),
                None,
                None,
            ),
            _ => (Vec::new(), None, None),
        };
        let (total_problems, problems_by_code) = match self {
            ApiError::InvalidFile(r) => (Some(r.total), Some(r.by_code.clone())),
            _ => (None, None),
        };
        let message = match self {
            ApiError::Internal(_) => "an internal error occurred; it has been logged".to_string(),
            ApiError::Unavailable(_) => "a dependency is unavailable; retry later".to_string(),
            other => other.to_string(),
        };
        ErrorBody {
            error: self.code().to_string(),
            message,
            details,
            required,
            available,
            total_problems,
            problems_by_code,
        }
    }
}

const CONTROL_SUM_MISMATCH: &str = domain::iso20022::codes::CONTROL_SUM_MISMATCH;

/// Whether every problem of the refusal is a control total that does not match: the message is
/// sound, its declared `NbOfTxs`/`CtrlSum` are not, and the caller should see that first.
fn only_control_sums(r: &domain::Refusal) -> bool {
    !r.by_code.is_empty() && r.by_code.keys().all(|c| c == CONTROL_SUM_MISMATCH)
}

fn invalid_file_message(r: &domain::Refusal) -> String {
    if only_control_sums(r) {
        format!(
            "{} control total(s) of the file do not match its transactions (ISO 20022 reason \
             AM10 for a sum, AM18 for a count); nothing was stored",
            r.total
        )
    } else if r.problems.len() < r.total {
        format!(
            "the file has {} problem(s), the first {} listed; nothing was stored",
            r.total,
            r.problems.len()
        )
    } else {
        format!("the file has {} problem(s); nothing was stored", r.total)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::InsufficientFunds { .. } | ApiError::InvalidFile(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            // The cause goes to the log (inside the request span, so with its request id).
            tracing::error!(error = %self, "request failed");
        }
        let mut res = HttpResponse::build(status);
        match self {
            ApiError::Unauthorized { .. } => {
                res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            _ => {}
        }
        res.json(self.body())
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => ApiError::not_found(),
            DbError::Conflict(_) => ApiError::Conflict {
                code: "conflict",
                message: "the request conflicts with existing data".into(),
                details: Vec::new(),
            },
            DbError::InsufficientFunds {
                required,
                available,
            } => ApiError::InsufficientFunds {
                required,
                available,
            },
            DbError::InvalidState(state) => ApiError::Conflict {
                code: "invalid_state",
                message: format!("the run is {state}: this action is not possible now"),
                details: vec![serde_json::json!({ "state": state })],
            },
            DbError::Transition(t) => ApiError::Conflict {
                code: "invalid_state",
                message: t.to_string(),
                details: Vec::new(),
            },
            DbError::SameUser => ApiError::Forbidden {
                code: "same_user",
                message: "the person who uploaded a run cannot approve or reject it".into(),
            },
            DbError::FileHashMismatch => ApiError::Conflict {
                code: "file_hash_mismatch",
                message: "fileSha256 is not the hash of this run's file: look at the run again \
                          before approving"
                    .into(),
                details: Vec::new(),
            },
            DbError::NotVerified => ApiError::Conflict {
                code: "not_verified",
                message: "this run is not verified: its organisation's verification was off when \
                          it was uploaded"
                    .into(),
                details: Vec::new(),
            },
            DbError::VerificationChanged => ApiError::Conflict {
                code: "verification_changed",
                message: "the run's verification report changed since you looked at it (it was \
                          verified again): read the report again before approving"
                    .into(),
                details: Vec::new(),
            },
            DbError::AlreadyStarted => ApiError::Conflict {
                code: "already_started",
                message: "rows of this run were already sent: it can no longer be cancelled".into(),
                details: Vec::new(),
            },
            DbError::RetryOpen(child) => ApiError::Conflict {
                code: "retry_open",
                message: format!("a retry of this run is still open: {child}"),
                details: vec![serde_json::json!({ "bulkTransferId": child })],
            },
            DbError::NothingToRetry(why) => ApiError::Conflict {
                code: "nothing_to_retry",
                message: why,
                details: Vec::new(),
            },
            DbError::AlreadyPaidInPeriod(conflicts) => ApiError::Unprocessable {
                code: "already_paid_in_period",
                message: format!(
                    "{} payee(s) of this file are already paid, or being paid, in this period by \
                     another run; nothing was stored",
                    conflicts.len()
                ),
                details: conflicts
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "field": "partyIdentifier",
                            "code": "already_paid_in_period",
                            "partyIdType": c.party_id_type,
                            "partyIdentifier": c.party_identifier,
                            "bulkTransferId": c.bulk_id,
                            "message": format!("already paid in this period by {}", c.bulk_id),
                        })
                    })
                    .collect(),
            },
            // The database is down or unreachable: a 503 the client may retry, not a bug.
            other if other.is_unavailable() => ApiError::Unavailable(other.to_string()),
            other => ApiError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(format!("blocking task failed: {e}"))
    }
}

/// `web::JsonConfig` error handler: malformed JSON → 400, wrong fields → 422, too big → 413,
/// wrong content type → 415.
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::PayloadTooLarge { limit: *limit },
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("expected Content-Type: application/json".into())
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::unprocessable("invalid_body", format!("invalid request body: {e}"))
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::bad_request("malformed_json", format!("malformed JSON: {e}"))
        }
        other => ApiError::bad_request("invalid_body", format!("unreadable body: {other}")),
    };
    api.into()
}

/// `web::QueryConfig` error handler → 400 `invalid_query`.
pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_query", format!("invalid query string: {err}")).into()
}

/// `web::PathConfig` error handler → 404 (a path that does not parse names nothing).
pub fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::not_found().into()
}

/// Default service: unknown route → 404 in the error shape.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("no route matches this path".into()))
}

/// Default service of each resource: known path, wrong method → 405 in the error shape.
pub async fn method_not_allowed(allow: &'static str) -> HttpResponse {
    let mut res = ApiError::MethodNotAllowed.error_response();
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    res
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn server_errors_hide_their_cause() {
        let e = ApiError::internal("password=hunter2 at db host 10.0.0.3");
        let body = serde_json::to_string(&e.body()).unwrap();
        assert!(!body.contains("hunter2"));
        assert_eq!(e.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let e = ApiError::Unavailable("redis down at 10.0.0.4".into());
        assert!(
            !serde_json::to_string(&e.body())
                .unwrap()
                .contains("10.0.0.4")
        );
    }

    #[test]
    fn insufficient_funds_carries_amounts() {
        let e = ApiError::from(DbError::InsufficientFunds {
            required: 10,
            available: 3,
        });
        let v = serde_json::to_value(e.body()).unwrap();
        assert_eq!(v["error"], "insufficient_funds");
        assert_eq!(v["required"], 10);
        assert_eq!(v["available"], 3);
        assert_eq!(v["details"][0]["required"], 10);
    }

    #[test]
    fn unreachable_database_is_503() {
        let e = ApiError::from(DbError::Pool("timed out waiting for connection".into()));
        assert_eq!(e.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            serde_json::to_value(e.body()).unwrap()["error"],
            "unavailable"
        );
        let e = ApiError::from(DbError::Corrupt("state X".into()));
        assert_eq!(e.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn shape_has_details_always() {
        let v = serde_json::to_value(ApiError::not_found().body()).unwrap();
        assert_eq!(v["error"], "not_found");
        assert!(v["details"].as_array().unwrap().is_empty());
        assert!(v.get("required").is_none());
    }
}
