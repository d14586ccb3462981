//! `GET /parties/{Type}/{ID}`: the adapter's synchronous party lookup.

use super::respond;
use crate::capacity::Admission;
use crate::lookup::{self, Resolution};
use crate::party_reply;
use crate::reply::bad_request;
use crate::state::SimState;
use crate::validate::validate_party_path;
use actix_web::{HttpResponse, web};
use std::time::Duration;
use uuid::Uuid;

pub(crate) async fn get(
    state: web::Data<SimState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    state.count_party_lookup();
    let (id_type, id_value) = path.into_inner();
    if let Err(message) = validate_party_path(&id_type, &id_value) {
        return respond(bad_request(&message));
    }
    let cfg = state.config();
    // Counted on arrival, like a POST: a first GET of a transient identifier is the first one
    // even if the queue then gives up on it.
    let resolution = lookup::resolve(&state, &id_type, &id_value);
    let party_timeout = Duration::from_millis(cfg.party_timeout_ms);
    let reply = match state.admit_lookup(&cfg) {
        Admission::TimedOut(after) => {
            tokio::time::sleep(after).await;
            state.count_overload_timeout();
            party_reply::timeout()
        }
        Admission::Wait(queued) => {
            sleep(queued).await;
            let latency = Duration::from_millis(cfg.party_latency_ms);
            // A switch slower than the adapter's party timeout is a switch that never answered.
            let resolution = if latency > party_timeout {
                Resolution::Timeout
            } else {
                resolution
            };
            let seed = Uuid::new_v4().to_string();
            match resolution {
                Resolution::Timeout => {
                    sleep(party_timeout).await;
                    party_reply::timeout()
                }
                Resolution::Found(party) => {
                    sleep(latency).await;
                    party_reply::found(&id_type, &id_value, &party, &seed)
                }
                Resolution::NotFound => {
                    sleep(latency).await;
                    party_reply::not_found(&seed)
                }
            }
        }
    };
    tracing::debug!(%id_type, %id_value, status = ?reply.status(), "GET /parties");
    respond(reply)
}

async fn sleep(d: Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}
