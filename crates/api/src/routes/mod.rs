//! Every route of the API, registered in one place: [`configure`].
//!
//! One handler per file. To add a route (e.g. the live progress stream in `stream.rs`), declare
//! its module here and add one `resource(...)` line to [`configure`]; the handler reads the
//! [`AppState`](crate::state::AppState) (pool, bus, keys) through `web::Data`.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod health;
pub mod metrics;
pub mod organisation;
pub mod stream;

use actix_web::{Resource, web};

use crate::error;

/// A resource whose other methods answer 405 in the API's error shape, with `Allow: <allow>`
/// (the methods its routes answer, e.g. `"GET, POST"`).
pub fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || error::method_not_allowed(allow)))
}

/// Registers every API route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/health/live", "GET").route(web::get().to(health::live)))
        .service(resource("/health/ready", "GET").route(web::get().to(health::ready)))
        .service(resource("/metrics", "GET").route(web::get().to(metrics::metrics)))
        .service(resource("/api/auth/login", "POST").route(web::post().to(auth::login::login)))
        .service(
            resource("/api/auth/refresh", "POST").route(web::post().to(auth::refresh::refresh)),
        )
        .service(resource("/api/auth/logout", "POST").route(web::post().to(auth::logout::logout)))
        .service(resource("/api/auth/me", "GET").route(web::get().to(auth::me::me)))
        .service(
            resource("/api/bulk-transfers", "GET, POST")
                .route(web::post().to(bulk::create::create))
                .route(web::get().to(bulk::list::list)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/status", "GET")
                .route(web::get().to(bulk::status::status)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/report.csv", "GET")
                .route(web::get().to(bulk::report::report)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/pain002", "GET")
                .route(web::get().to(bulk::pain002::pain002)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/stream", "GET").route(web::get().to(stream::stream)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/stream-ticket", "POST")
                .route(web::post().to(stream::ticket)),
        )
        .service(resource("/api/accounts", "GET").route(web::get().to(accounts::list_accounts)))
        .service(resource("/api/audit", "GET").route(web::get().to(audit::list)))
        .service(
            resource("/api/bulk-transfers/{id}/approve", "POST")
                .route(web::post().to(bulk::decide::approve)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/reject", "POST")
                .route(web::post().to(bulk::decide::reject)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/cancel", "POST")
                .route(web::post().to(bulk::decide::cancel)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/retry", "POST")
                .route(web::post().to(bulk::retry::retry)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/verification", "GET")
                .route(web::get().to(bulk::verification::report)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/verification.csv", "GET")
                .route(web::get().to(bulk::verification::report_csv)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/verify", "POST")
                .route(web::post().to(bulk::verification::reverify)),
        )
        .service(
            resource("/api/organisation/policy", "GET").route(web::get().to(organisation::policy)),
        );
}
