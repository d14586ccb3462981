//! Routes of the simulated adapter and of its admin API.

mod admin;
mod drop_body;
mod parties;
mod transfers;

use crate::reply::Reply;
use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

/// Every route: the adapter's (`/`, `/transfers…`, `/parties…`) and the simulator's own
/// (`/__sim/…`).
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(transfers::health))
        .route("/transfers", web::post().to(transfers::post))
        .route("/transfers/{transfer_id}", web::put().to(transfers::put))
        .route("/transfers/{transfer_id}", web::get().to(transfers::get))
        .route("/parties/{id_type}/{id_value}", web::get().to(parties::get))
        .route("/__sim/counters", web::get().to(admin::counters))
        .route("/__sim/config", web::get().to(admin::get_config))
        .route("/__sim/config", web::put().to(admin::put_config))
        .route("/__sim/parties", web::get().to(admin::get_parties))
        .route("/__sim/parties", web::put().to(admin::put_parties))
        .route("/__sim/reset", web::post().to(admin::reset));
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The HTTP response for a [`Reply`].
pub(crate) fn respond(reply: Reply) -> HttpResponse {
    match reply {
        Reply::Json { status: code, body } => HttpResponse::build(status(code))
            .content_type("application/json; charset=utf-8")
            .body(body),
        Reply::Empty { status: code } => HttpResponse::build(status(code)).finish(),
        Reply::Drop => HttpResponse::Ok().body(BoxBody::new(drop_body::DropConnection)),
    }
}
