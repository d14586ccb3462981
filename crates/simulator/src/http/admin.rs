//! `/__sim/…`: counters, live config, reset.

use crate::config::ConfigPatch;
use crate::reply::bad_request;
use crate::state::SimState;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct CountersQuery {
    #[serde(default)]
    detail: bool,
}

/// `GET /__sim/counters[?detail=true]`.
pub(crate) async fn counters(
    state: web::Data<SimState>,
    query: web::Query<CountersQuery>,
) -> HttpResponse {
    HttpResponse::Ok().json(state.counters(query.detail))
}

/// `GET /__sim/config`.
pub(crate) async fn get_config(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(state.config())
}

/// `PUT /__sim/config`: any subset of the config's fields; answers the new config.
pub(crate) async fn put_config(state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    match serde_json::from_slice::<ConfigPatch>(&body) {
        Ok(patch) => HttpResponse::Ok().json(state.update_config(|c| c.apply(&patch))),
        Err(e) => super::respond(bad_request(&e.to_string())),
    }
}

/// `POST /__sim/reset`: forgets every transfer and counter.
pub(crate) async fn reset(state: web::Data<SimState>) -> HttpResponse {
    state.reset();
    HttpResponse::NoContent().finish()
}
