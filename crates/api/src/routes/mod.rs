//! Every route of the API, registered in one place: [`configure`].
//!
//! One handler per file. To add a route (e.g. the live progress stream in `stream.rs`), declare
//! its module here and add one `resource(...)` line to [`configure`]; the handler reads the
//! [`AppState`](crate::state::AppState) (pool, bus, keys) through `web::Data`.

pub mod accounts;
pub mod auth;
pub mod bulk;
pub mod health;
pub mod organisation;
pub mod stream;

use actix_web::{Resource, web};

use crate::error;

/// A resource whose unknown methods answer 405 in the API's error shape.
pub fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(error::method_not_allowed))
}

/// Registers every API route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/health/live").route(web::get().to(health::live)))
        .service(resource("/health/ready").route(web::get().to(health::ready)))
        .service(resource("/api/auth/login").route(web::post().to(auth::login::login)))
        .service(resource("/api/auth/refresh").route(web::post().to(auth::refresh::refresh)))
        .service(resource("/api/auth/logout").route(web::post().to(auth::logout::logout)))
        .service(resource("/api/auth/me").route(web::get().to(auth::me::me)))
        .service(
            resource("/api/bulk-transfers")
                .route(web::post().to(bulk::create::create))
                .route(web::get().to(bulk::list::list)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/status").route(web::get().to(bulk::status::status)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/report.csv")
                .route(web::get().to(bulk::report::report)),
        )
        .service(resource("/api/bulk-transfers/{id}/stream").route(web::get().to(stream::stream)))
        .service(
            resource("/api/bulk-transfers/{id}/stream-ticket")
                .route(web::post().to(stream::ticket)),
        )
        .service(resource("/api/accounts").route(web::get().to(accounts::list_accounts)))
        .service(
            resource("/api/bulk-transfers/{id}/approve")
                .route(web::post().to(bulk::decide::approve)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/reject").route(web::post().to(bulk::decide::reject)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/cancel").route(web::post().to(bulk::decide::cancel)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/retry").route(web::post().to(bulk::retry::retry)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/verification")
                .route(web::get().to(bulk::verification::report)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/verification.csv")
                .route(web::get().to(bulk::verification::report_csv)),
        )
        .service(
            resource("/api/bulk-transfers/{id}/verify")
                .route(web::post().to(bulk::verification::reverify)),
        )
        .service(resource("/api/organisation/policy").route(web::get().to(organisation::policy)));
}
