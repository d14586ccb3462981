//! The Server-Sent Events body of one watcher.
//!
//! Protocol: `retry: 3000`, then a snapshot read from the database (the caller subscribed to the hub
//! BEFORE, so nothing falls between the two), then every newer event (`id: <seq>`, `event: progress`),
//! then `event: done` and the end. Nothing at or below `Last-Event-ID` is sent again. A comment every
//! 15 s keeps proxies from closing the connection. When the bus is quiet the hub re-reads the
//! database for the bulk (see [`super::hub`]), so a lost message never leaves a stream hanging.

use actix_web::web::Bytes;
use db::DbPool;
use domain::ProgressEvent;
use futures::Stream;
use std::time::Duration;
use tokio::time::Interval;

use super::hub::Watcher;
use crate::auth::access::{Holder, still_holds};

/// Keep-alive comment period.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often a stream checks that its holder's session still stands (logout, disabled user).
pub const ACCESS_RECHECK: Duration = Duration::from_secs(5);

/// Reads the bulk's current progress from the database.
pub fn snapshot(pool: &DbPool, bulk_pk: i64) -> Option<ProgressEvent> {
    let mut conn = pool.get().ok()?;
    let b = db::queries::bulks::get(&mut conn, bulk_pk).ok()?;
    event_of(&mut conn, &b)
}

/// Same as [`snapshot`], by public bulk id.
pub fn snapshot_by_id(pool: &DbPool, bulk_id: &str) -> Option<ProgressEvent> {
    let mut conn = pool.get().ok()?;
    let b = db::queries::bulks::find(&mut conn, bulk_id).ok()??;
    event_of(&mut conn, &b)
}

/// The run's event; while it is VERIFYING, with the rows looked up so far.
fn event_of(conn: &mut db::DbConn, b: &db::models::Bulk) -> Option<ProgressEvent> {
    if *b.state != domain::BulkState::Verifying {
        return Some(b.progress());
    }
    let verified = db::queries::verify::progress(conn, b.id).ok()?.verified;
    Some(
        b.progress()
            .verification(i64::from(b.verification_version), verified),
    )
}

async fn snapshot_async(pool: &DbPool, bulk_pk: i64) -> Option<ProgressEvent> {
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || snapshot(&pool, bulk_pk))
        .await
        .ok()
        .flatten()
}

fn frame(kind: &str, ev: &ProgressEvent) -> String {
    let data = serde_json::to_string(ev).unwrap_or_else(|_| "{}".into());
    format!("id: {}\nevent: {kind}\ndata: {data}\n\n", ev.seq)
}

struct State {
    watcher: Watcher,
    pool: DbPool,
    bulk_pk: i64,
    last_sent: i64,
    started: bool,
    done: bool,
    keep_alive: Interval,
    recheck: Interval,
    holder: Holder,
    /// Counts this stream in `gateway_sse_clients` until it ends.
    _client: common::metrics::SseClient,
}

/// Whether the holder's session still stands; a database hiccup keeps the stream open.
async fn holds(pool: &DbPool, holder: &Holder) -> bool {
    let (pool, holder) = (pool.clone(), holder.clone());
    tokio::task::spawn_blocking(move || {
        let mut c = pool.get().ok()?;
        still_holds(&mut c, &holder).ok()
    })
    .await
    .ok()
    .flatten()
    .unwrap_or(true)
}

impl State {
    /// Frames for an event newer than what was sent; `done` closes the stream after it.
    fn emit(&mut self, ev: &ProgressEvent, out: &mut String) {
        if ev.seq > self.last_sent {
            out.push_str(&frame("progress", ev));
            self.last_sent = ev.seq;
        }
        if ev.state.is_final() {
            out.push_str(&frame("done", ev));
            self.done = true;
        }
    }
}

/// The event stream for one watcher. `last_event_id` is the client's `Last-Event-ID` (or -1).
pub fn event_stream(
    watcher: Watcher,
    pool: DbPool,
    bulk_pk: i64,
    last_event_id: i64,
    holder: Holder,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
    keep_alive.reset();
    let mut recheck = tokio::time::interval(ACCESS_RECHECK);
    recheck.reset();
    let state = State {
        watcher,
        pool,
        bulk_pk,
        last_sent: last_event_id,
        started: false,
        done: false,
        keep_alive,
        recheck,
        holder,
        _client: common::metrics::SseClient::open(),
    };
    futures::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        let mut out = String::new();
        if !s.started {
            s.started = true;
            out.push_str("retry: 3000\n\n");
            // Mark the current value seen: the snapshot below already covers it.
            s.watcher.rx.borrow_and_update();
            match snapshot_async(&s.pool, s.bulk_pk).await {
                Some(ev) => s.emit(&ev, &mut out),
                None => out.push_str(": snapshot unavailable, waiting for events\n\n"),
            }
            return Some((Ok(Bytes::from(out)), s));
        }
        loop {
            tokio::select! {
                changed = s.watcher.rx.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                    let ev = s.watcher.rx.borrow_and_update().clone();
                    if let Some(ev) = ev {
                        s.emit(&ev, &mut out);
                    }
                }
                _ = s.keep_alive.tick() => out.push_str(": keep-alive\n\n"),
                _ = s.recheck.tick() => {
                    if !holds(&s.pool, &s.holder).await {
                        tracing::info!(user_id = s.holder.user_id, "stream closed: the session ended");
                        return None;
                    }
                }
            }
            if !out.is_empty() {
                return Some((Ok(Bytes::from(out)), s));
            }
        }
    })
}
