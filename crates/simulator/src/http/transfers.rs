//! `GET /`, `POST /transfers`, `PUT /transfers/{id}`, `GET /transfers/{id}`.

use super::respond;
use crate::capacity::Admission;
use crate::config::SimConfig;
use crate::flow::{self, Next, Plan};
use crate::overload;
use crate::reply::Reply;
use crate::state::SimState;
use actix_web::{HttpResponse, web};
use std::sync::Arc;
use std::time::Duration;

/// `GET /`: the adapter answers 200 with an empty body.
pub(crate) async fn health() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .finish()
}

pub(crate) async fn post(state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    let cfg = state.config();
    let reply = match flow::begin_post(&state, &body) {
        Ok(id) => {
            // A transfer takes its slot once, when it starts: its PUTs and lookups never queue.
            let reply = match state.admit(&cfg) {
                Admission::Wait(queued) => {
                    run(state.into_inner(), id.clone(), Plan::Start, cfg, queued).await
                }
                Admission::TimedOut(after) => {
                    give_up(state.into_inner(), id.clone(), cfg, after).await
                }
            };
            tracing::debug!(transfer_id = %id, status = ?reply.status(), "POST /transfers");
            reply
        }
        Err(reply) => reply,
    };
    respond(reply)
}

pub(crate) async fn put(
    state: web::Data<SimState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let cfg = state.config();
    let id = path.into_inner();
    let reply = match flow::begin_put(&state, &id, &body) {
        Ok(plan) => {
            let id = Arc::from(id.as_str());
            run(state.into_inner(), id, plan, cfg, Duration::ZERO).await
        }
        Err(reply) => reply,
    };
    tracing::debug!(transfer_id = %id, status = ?reply.status(), "PUT /transfers/{{id}}");
    respond(reply)
}

pub(crate) async fn get(state: web::Data<SimState>, path: web::Path<String>) -> HttpResponse {
    let cfg = state.config();
    respond(flow::lookup(&state, &path, &cfg))
}

/// Runs a planned call to its answer, after `queued` in the capacity queue. With a wait or a
/// delay, the work runs in its own task: a client that gives up (read timeout) does not stop the
/// transfer, as with the real adapter.
async fn run(
    state: Arc<SimState>,
    id: Arc<str>,
    plan: Plan,
    cfg: SimConfig,
    queued: Duration,
) -> Reply {
    let delay = cfg.delay();
    if delay.is_zero() && queued.is_zero() {
        return steps(&state, &id, plan, &cfg);
    }
    let task = actix_web::rt::spawn(async move {
        let first = delay / 2;
        tokio::time::sleep(queued + first).await;
        let next = flow::advance(&state, &id, plan, &cfg);
        tokio::time::sleep(delay - first).await;
        match next {
            Next::Reply(reply) => reply,
            Next::Fulfil => flow::fulfil(&state, &id, &cfg),
        }
    });
    task.await.unwrap_or(Reply::Empty { status: 500 })
}

/// A POST whose slot lies beyond the queue timeout: the adapter answers 504 `after` the timeout.
/// In its own task too, because the switch's side of it (a commit, for some) happens regardless.
async fn give_up(state: Arc<SimState>, id: Arc<str>, cfg: SimConfig, after: Duration) -> Reply {
    let task = actix_web::rt::spawn(async move {
        tokio::time::sleep(after).await;
        overload::time_out(&state, &id, &cfg)
    });
    task.await.unwrap_or(Reply::Empty { status: 500 })
}

fn steps(state: &SimState, id: &str, plan: Plan, cfg: &SimConfig) -> Reply {
    match flow::advance(state, id, plan, cfg) {
        Next::Reply(reply) => reply,
        Next::Fulfil => flow::fulfil(state, id, cfg),
    }
}
