//! The in-process fan-out of progress events.
//!
//! One task reads the process's single bus subscription and keeps, per watched bulk, the newest
//! event in a `watch` channel. A watcher only ever sees the latest state: a slow client skips
//! intermediate events but can never miss the final one (it is the newest), and a slow client
//! never slows the others (nobody waits for it). Entries disappear when their last watcher leaves.
//!
//! When the bus has said nothing about a watched bulk for [`QUIET_RECHECK`] (a lost message, Redis
//! restarted), the hub reads that bulk's progress from the database once and feeds it to every
//! watcher — one query per quiet bulk, however many people watch it — so every stream reaches `done`.

use db::DbPool;
use domain::ProgressEvent;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch};
use transport::ProgressBus;

/// Re-read a watched bulk from the database after this long without news from the bus.
pub const QUIET_RECHECK: Duration = Duration::from_secs(3);

struct Slot {
    tx: watch::Sender<Option<ProgressEvent>>,
    last_news: Instant,
}

type Slots = Arc<Mutex<HashMap<String, Slot>>>;

/// Per-process registry of bulks being watched.
#[derive(Clone)]
pub struct ProgressHub {
    slots: Slots,
}

impl ProgressHub {
    /// Starts relaying `bus` events to watchers (call once per process, inside a Tokio runtime).
    pub fn start(bus: Arc<dyn ProgressBus>, pool: DbPool) -> ProgressHub {
        let slots: Slots = Arc::default();
        let hub = ProgressHub {
            slots: slots.clone(),
        };
        let mut rx = bus.listen();
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(ev) => dispatch(&slots, ev),
                    // Skipped events are harmless: streams re-read the database when the bus is quiet.
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(skipped = n, "progress relay lagged")
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        tokio::spawn(recheck_quiet(hub.slots.clone(), pool));
        hub
    }

    /// Watches one bulk; the receiver holds the newest event seen since (or `None`).
    pub fn watch(&self, bulk_id: &str) -> Watcher {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let rx = match slots.get(bulk_id) {
            Some(slot) => slot.tx.subscribe(),
            None => {
                let (tx, rx) = watch::channel(None);
                let last_news = Instant::now();
                slots.insert(bulk_id.to_string(), Slot { tx, last_news });
                rx
            }
        };
        Watcher {
            rx,
            bulk_id: bulk_id.to_string(),
            slots: self.slots.clone(),
        }
    }

    /// Bulks currently watched (tests check it returns to zero).
    pub fn watched(&self) -> usize {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

fn dispatch(slots: &Slots, ev: ProgressEvent) {
    let mut slots = slots.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(slot) = slots.get_mut(&ev.bulk_transfer_id) {
        slot.last_news = Instant::now();
        // Events from several workers may arrive out of order: keep the highest seq.
        slot.tx.send_if_modified(|cur| match cur {
            Some(c) if c.seq >= ev.seq => false,
            _ => {
                *cur = Some(ev);
                true
            }
        });
    }
}

/// One stream's subscription; dropping it frees the bulk's slot when it was the last.
pub struct Watcher {
    /// Newest event.
    pub rx: watch::Receiver<Option<ProgressEvent>>,
    bulk_id: String,
    slots: Slots,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        // Let go of this receiver while holding the lock: otherwise two watchers leaving at once
        // could each still see the other's receiver and both leave the slot behind.
        drop(std::mem::replace(&mut self.rx, watch::channel(None).1));
        if let Some(slot) = slots.get(&self.bulk_id)
            && slot.tx.receiver_count() == 0
        {
            slots.remove(&self.bulk_id);
        }
    }
}

/// Feeds quiet bulks from the database, one query per bulk.
async fn recheck_quiet(slots: Slots, pool: DbPool) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if Arc::strong_count(&slots) == 1 {
            return; // the hub is gone
        }
        let quiet: Vec<String> = {
            let mut slots = slots.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            slots
                .iter_mut()
                .filter(|(_, s)| now.duration_since(s.last_news) >= QUIET_RECHECK)
                .map(|(id, s)| {
                    s.last_news = now;
                    id.clone()
                })
                .collect()
        };
        if quiet.is_empty() {
            continue;
        }
        let pool = pool.clone();
        let events = tokio::task::spawn_blocking(move || {
            quiet
                .iter()
                .filter_map(|id| super::sse::snapshot_by_id(&pool, id))
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        for ev in events {
            dispatch(&slots, ev);
        }
    }
}
