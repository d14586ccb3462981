//! The in-process fan-out of progress events.
//!
//! One task reads the process's single bus subscription and keeps, per watched bulk, the newest
//! event in a `watch` channel. A watcher only ever sees the latest state: a slow client skips
//! intermediate events but can never miss the final one (it is the newest), and a slow client
//! never slows the others (nobody waits for it). Entries disappear when their last watcher leaves.

use domain::ProgressEvent;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{broadcast, watch};
use transport::ProgressBus;

type Slots = Arc<Mutex<HashMap<String, watch::Sender<Option<ProgressEvent>>>>>;

/// Per-process registry of bulks being watched.
#[derive(Clone)]
pub struct ProgressHub {
    slots: Slots,
}

impl ProgressHub {
    /// Starts relaying `bus` events to watchers (call once per process, inside a Tokio runtime).
    pub fn start(bus: Arc<dyn ProgressBus>) -> ProgressHub {
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
        hub
    }

    /// Watches one bulk; the receiver holds the newest event seen since (or `None`).
    pub fn watch(&self, bulk_id: &str) -> Watcher {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let rx = match slots.get(bulk_id) {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = watch::channel(None);
                slots.insert(bulk_id.to_string(), tx);
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
    let slots = slots.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(tx) = slots.get(&ev.bulk_transfer_id) {
        // Events from several workers may arrive out of order: keep the highest seq.
        tx.send_if_modified(|cur| match cur {
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
        if let Some(tx) = slots.get(&self.bulk_id)
            && tx.receiver_count() == 0
        {
            slots.remove(&self.bulk_id);
        }
    }
}
