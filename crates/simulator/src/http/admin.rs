//! `/__sim/…`: counters, live config, party registry, reset.

use crate::config::ConfigPatch;
use crate::registry::PartyEntry;
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

/// `GET /__sim/parties`: every registered party, sorted by id type and identifier.
pub(crate) async fn get_parties(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(state.parties().entries())
}

/// `PUT /__sim/parties`: a JSON array of entries, upserted all or nothing; answers the registry.
pub(crate) async fn put_parties(state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    let entries = match serde_json::from_slice::<Vec<PartyEntry>>(&body) {
        Ok(entries) => entries,
        Err(e) => return super::respond(bad_request(&e.to_string())),
    };
    match state.upsert_parties(entries) {
        Ok(_) => HttpResponse::Ok().json(state.parties().entries()),
        Err(e) => super::respond(bad_request(&e.to_string())),
    }
}

/// `POST /__sim/reset`: forgets every transfer and counter (the registry stays).
pub(crate) async fn reset(state: web::Data<SimState>) -> HttpResponse {
    state.reset();
    HttpResponse::NoContent().finish()
}
