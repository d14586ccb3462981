//! The operator console: static files embedded in the binary, served at `/` and `/console/…`.
//!
//! The files live in `crates/api/console/` (plain HTML, CSS and JavaScript modules, no build step,
//! nothing fetched from elsewhere) and are compiled in with `include_bytes!`, so the gateway runs
//! the console offline and needs no Node.js. Every answer carries a Content-Security-Policy without
//! inline scripts or styles, `X-Frame-Options: DENY`, `nosniff` and no referrer; the console builds
//! its pages from text nodes only (payee and file names are hostile input). Assets are revalidated
//! with an `ETag` (their SHA-256) so a new release is picked up at once.

use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::routes::resource;

/// The policy of every console answer: scripts, styles and API calls from this origin only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../console/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the console; `index.html` is the page at `/`.
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("format.js", JS),
    asset!("i18n.js", JS),
    asset!("pages.js", JS),
    asset!("run.js", JS),
];

/// The names of the embedded files (for tests and the documentation).
pub fn asset_names() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|a| a.name)
}

/// The embedded text of `name`, if it is one of the console's files.
pub fn asset_text(name: &str) -> Option<&'static str> {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .and_then(|a| std::str::from_utf8(a.body).ok())
}

fn etags() -> &'static [String] {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| format!("\"{}\"", hex::encode(&Sha256::digest(a.body)[..12])))
            .collect()
    })
}

fn serve(req: &HttpRequest, index: usize) -> HttpResponse {
    let asset = &ASSETS[index];
    let tag = &etags()[index];
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut answer = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    answer
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((
            header::ETAG,
            HeaderValue::from_str(tag).unwrap_or(HeaderValue::from_static("\"\"")),
        ));
    if fresh {
        return answer.finish();
    }
    answer
        .insert_header((header::CONTENT_TYPE, asset.content_type))
        .body(asset.body)
}

/// `GET /`: the console's page.
pub async fn index(req: HttpRequest) -> HttpResponse {
    serve(&req, 0)
}

/// `GET /console/{file}`: a script, style sheet or icon of the console.
pub async fn file(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let index = ASSETS
        .iter()
        .position(|a| a.name == name && a.name != "index.html")
        .ok_or_else(ApiError::not_found)?;
    Ok(serve(&req, index))
}

/// Registers `/` and `/console/{file}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/", "GET").route(web::get().to(index)))
        .service(resource("/console/{file}", "GET").route(web::get().to(file)));
}
