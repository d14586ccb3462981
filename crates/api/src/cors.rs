//! Cross-origin requests from the frontends named in `CORS_ALLOWED_ORIGINS`.
//!
//! The console is served by the API itself (same origin) and needs none of this. A frontend on
//! another origin (the seed's React app on Vite's `http://localhost:5173`, say) must be named
//! exactly — scheme, host and port; there is no wildcard. For such an origin:
//!
//! - a preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered here, before
//!   routing, with the methods and request headers the API uses (`Authorization` among them);
//! - every other answer carries `Access-Control-Allow-Origin: <that origin>`,
//!   `Access-Control-Allow-Credentials: true` and the headers a client may read (`Retry-After`,
//!   `X-Request-Id`, `Content-Disposition`).
//!
//! A preflight from any other origin is refused with 403 in the API's error shape; a simple
//! request from another origin is served without CORS headers, so the browser keeps the answer
//! from the page (the server-side checks — token, role — apply as to any caller). A request whose
//! `Origin` is the API's own (browsers send it on a same-origin `POST`) passes untouched.
//! actix-cors would refuse such requests in its own plain-text shape, hence this small middleware.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError};

use crate::error::ApiError;

/// Methods the API answers.
const ALLOW_METHODS: &str = "GET, POST, OPTIONS";
/// Request headers a cross-origin page may send.
const ALLOW_HEADERS: &str =
    "Authorization, Content-Type, Idempotency-Key, Last-Event-ID, X-Request-Id";
/// Answer headers a cross-origin page may read.
const EXPOSE_HEADERS: &str = "Retry-After, X-Request-Id, Content-Disposition";
/// How long a browser may cache a preflight answer, in seconds.
const MAX_AGE_SECS: &str = "600";

/// The origins allowed to call the API from a browser, parsed from `CORS_ALLOWED_ORIGINS`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// Parses a comma-separated list of origins (`scheme://host[:port]`, no path). `*` is refused:
    /// the API's answers are private to a logged-in user.
    pub fn parse(raw: &str) -> Result<AllowedOrigins, String> {
        let mut origins = Vec::new();
        for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            origins.push(normalise_origin(item)?);
        }
        origins.dedup();
        Ok(AllowedOrigins(origins))
    }

    /// Whether `origin` (an `Origin` header's value) is one of them.
    pub fn allows(&self, origin: &str) -> bool {
        self.0.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }

    /// The origins, normalised.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// `scheme://host[:port]` lower-cased, without a trailing slash or default port.
fn normalise_origin(item: &str) -> Result<String, String> {
    if item == "*" {
        return Err("`*` is not allowed: name each origin (e.g. http://localhost:5173)".into());
    }
    let url = url::Url::parse(item).map_err(|e| format!("{item:?} is not an origin: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{item:?} is not an http(s) origin"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{item:?} has a path: an origin is scheme://host[:port]"
        ));
    }
    Ok(url.origin().ascii_serialization())
}

/// Whether `origin` names the host the request was sent to (a same-origin request).
fn same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host))
}

fn preflight(origin: &HeaderValue) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()))
        .insert_header((header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE_SECS))
        .insert_header((header::VARY, "Origin"))
        .finish()
}

fn refused_preflight() -> HttpResponse {
    ApiError::Forbidden {
        code: "cors_origin_not_allowed",
        message: "this origin may not call the API; add it to CORS_ALLOWED_ORIGINS".into(),
    }
    .error_response()
}

/// The middleware; `allowed` comes from the settings.
pub async fn cors(
    allowed: std::sync::Arc<AllowedOrigins>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let Some(origin) = origin else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let text = origin.to_str().unwrap_or("");
    if same_origin(text, req.headers()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let is_preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let allowed = allowed.allows(text);
    if is_preflight {
        let answer = if allowed {
            preflight(&origin)
        } else {
            tracing::info!(origin = %text, "CORS preflight refused");
            refused_preflight()
        };
        return Ok(req.into_response(answer));
    }
    let mut res = next.call(req).await?.map_into_boxed_body();
    if allowed {
        let h = res.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    } else if res.status() != StatusCode::NOT_FOUND {
        tracing::debug!(origin = %text, "cross-origin request from an origin not allowed");
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn parses_and_normalises_origins() {
        let o =
            AllowedOrigins::parse(" http://localhost:5173 , HTTPS://Console.Example:443,").unwrap();
        assert_eq!(
            o.as_slice(),
            ["http://localhost:5173", "https://console.example"]
        );
        assert!(o.allows("http://localhost:5173"));
        assert!(!o.allows("http://localhost:5174"));
        assert!(AllowedOrigins::parse("").unwrap().as_slice().is_empty());
    }

    #[test]
    fn refuses_wildcards_paths_and_other_schemes() {
        assert!(AllowedOrigins::parse("*").is_err());
        assert!(AllowedOrigins::parse("http://a.example/app").is_err());
        assert!(AllowedOrigins::parse("file:///tmp").is_err());
        assert!(AllowedOrigins::parse("localhost:5173").is_err());
    }

    #[test]
    fn same_origin_compares_with_the_host_header() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_origin("http://127.0.0.1:8080", &h));
        assert!(!same_origin("http://127.0.0.1:5173", &h));
        assert!(!same_origin("http://127.0.0.1:8080", &HeaderMap::new()));
    }
}
