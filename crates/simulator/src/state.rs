//! Shared state: the switch ledger (transferId → record), the party registry, the POST, prepare
//! and lookup counters, the capacity queue and the live config.
//!
//! Plain `std::sync::Mutex`es held for a map operation only — never across an `.await` or while a
//! response is rendered — are enough for thousands of requests per second on two workers.

use crate::capacity::{Admission, Queue};
use crate::config::SimConfig;
use crate::model::{Record, SwitchState};
use crate::registry::{PartyEntry, PartyRegistry, RegistryError};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A snapshot of what the simulator was asked, for tests that must prove "POSTed exactly once".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counters {
    /// Every `POST /transfers` received, valid or not.
    pub total_posts: u64,
    /// Distinct `transferId`s POSTed (ids the simulator generated included).
    pub distinct_transfer_ids: u64,
    /// `transferId`s POSTed more than once, sorted.
    pub duplicate_transfer_ids: Vec<String>,
    /// `homeTransactionId`s POSTed more than once, sorted.
    pub duplicate_home_transaction_ids: Vec<String>,
    /// Commits at the switch (money movements). A transferId POSTed twice and completed twice
    /// counts twice, as the real adapter pays twice.
    pub committed: u64,
    /// Prepares received by the switch (each one reserves the funds of a transfer).
    pub prepared: u64,
    /// `transferId`s the switch received more than one prepare for, sorted. Empty proves that no
    /// row reached the switch's ledger twice, however often it was POSTed.
    pub duplicate_prepares: Vec<String>,
    /// 504s answered because the request's slot in the capacity queue lay beyond the queue
    /// timeout (see [`SimConfig::capacity_tps`]).
    pub overload_timeouts: u64,
    /// Every `GET /parties/{Type}/{ID}` received, valid or not.
    pub party_lookups: u64,
    /// POSTs per `transferId` (only with `?detail=true` on the HTTP endpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub posts: Option<BTreeMap<String, u32>>,
    /// POSTs per `homeTransactionId` (only with `?detail=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_transaction_posts: Option<BTreeMap<String, u32>>,
}

#[derive(Default)]
struct PostCounts {
    by_transfer_id: HashMap<String, u32>,
    by_home_transaction_id: HashMap<String, u32>,
    /// Prepares at the switch per transferId.
    prepares: HashMap<String, u32>,
    /// `GET /parties` per `Type/ID`, kept only for identifiers under a transient rule (the only
    /// ones whose answer depends on it).
    transient_lookups: HashMap<String, u32>,
}

/// Everything the handlers share.
pub(crate) struct SimState {
    config: Mutex<SimConfig>,
    ledger: Mutex<HashMap<String, Record>>,
    counts: Mutex<PostCounts>,
    total_posts: AtomicU64,
    committed: AtomicU64,
    overload_timeouts: AtomicU64,
    party_lookups: AtomicU64,
    queue: Queue,
    /// Copied on write: a lookup clones the `Arc` and reads without holding the lock.
    parties: Mutex<Arc<PartyRegistry>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not take the simulator down with it: the data stays usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SimState {
    pub fn new(config: SimConfig, parties: PartyRegistry) -> SimState {
        SimState {
            config: Mutex::new(config),
            ledger: Mutex::new(HashMap::new()),
            counts: Mutex::new(PostCounts::default()),
            total_posts: AtomicU64::new(0),
            committed: AtomicU64::new(0),
            overload_timeouts: AtomicU64::new(0),
            party_lookups: AtomicU64::new(0),
            queue: Queue::default(),
            parties: Mutex::new(Arc::new(parties)),
        }
    }

    /// The registry as it is now.
    pub fn parties(&self) -> Arc<PartyRegistry> {
        lock(&self.parties).clone()
    }

    /// Upserts entries (all or nothing); how many were given.
    pub fn upsert_parties(
        &self,
        entries: impl IntoIterator<Item = PartyEntry>,
    ) -> Result<usize, RegistryError> {
        // Clones the registry only while a lookup still holds the old one; `upsert` checks every
        // entry before changing anything.
        Arc::make_mut(&mut lock(&self.parties)).upsert(entries)
    }

    /// Records one `GET /parties`, before anything else happens to it.
    pub fn count_party_lookup(&self) {
        self.party_lookups.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a GET of an identifier under a transient rule; how many there have been, this one
    /// included.
    pub fn count_transient_lookup(&self, id_type: &str, id_value: &str) -> u32 {
        let mut counts = lock(&self.counts);
        let n = counts
            .transient_lookups
            .entry(format!("{id_type}/{id_value}"))
            .or_default();
        *n += 1;
        *n
    }

    pub fn config(&self) -> SimConfig {
        *lock(&self.config)
    }

    pub fn set_config(&self, config: SimConfig) {
        *lock(&self.config) = config;
    }

    pub fn update_config(&self, f: impl FnOnce(&mut SimConfig)) -> SimConfig {
        let mut cfg = lock(&self.config);
        f(&mut cfg);
        *cfg
    }

    /// Records one POST, before anything else happens to it. Returns how many POSTs of this
    /// transferId there have been, this one included (0 without a transferId).
    pub fn count_post(&self, transfer_id: Option<&str>, home_transaction_id: Option<&str>) -> u32 {
        self.total_posts.fetch_add(1, Ordering::Relaxed);
        let mut counts = lock(&self.counts);
        if let Some(id) = home_transaction_id {
            *counts
                .by_home_transaction_id
                .entry(id.to_string())
                .or_default() += 1;
        }
        transfer_id.map_or(0, |id| {
            let n = counts.by_transfer_id.entry(id.to_string()).or_default();
            *n += 1;
            *n
        })
    }

    pub fn count_commit(&self) {
        self.committed.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a prepare received by the switch.
    pub fn count_prepare(&self, transfer_id: &str) {
        *lock(&self.counts)
            .prepares
            .entry(transfer_id.to_string())
            .or_default() += 1;
    }

    pub fn count_overload_timeout(&self) {
        self.overload_timeouts.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes a POST's slot in the capacity queue.
    pub fn admit(&self, cfg: &SimConfig) -> Admission {
        self.queue.admit(cfg.capacity_tps, cfg.queue_timeout())
    }

    /// Takes a lookup's share of a slot in the same queue.
    pub fn admit_lookup(&self, cfg: &SimConfig) -> Admission {
        self.queue
            .admit_lookup(cfg.capacity_tps, cfg.queue_timeout())
    }

    pub fn counters(&self, detail: bool) -> Counters {
        let counts = lock(&self.counts);
        let duplicates = |m: &HashMap<String, u32>| {
            let mut v: Vec<String> = m
                .iter()
                .filter(|(_, n)| **n > 1)
                .map(|(k, _)| k.clone())
                .collect();
            v.sort_unstable();
            v
        };
        let sorted = |m: &HashMap<String, u32>| m.iter().map(|(k, v)| (k.clone(), *v)).collect();
        Counters {
            total_posts: self.total_posts.load(Ordering::Relaxed),
            distinct_transfer_ids: counts.by_transfer_id.len() as u64,
            duplicate_transfer_ids: duplicates(&counts.by_transfer_id),
            duplicate_home_transaction_ids: duplicates(&counts.by_home_transaction_id),
            committed: self.committed.load(Ordering::Relaxed),
            prepared: counts.prepares.values().map(|n| u64::from(*n)).sum(),
            duplicate_prepares: duplicates(&counts.prepares),
            overload_timeouts: self.overload_timeouts.load(Ordering::Relaxed),
            party_lookups: self.party_lookups.load(Ordering::Relaxed),
            posts: detail.then(|| sorted(&counts.by_transfer_id)),
            home_transaction_posts: detail.then(|| sorted(&counts.by_home_transaction_id)),
        }
    }

    /// Forgets every transfer, counter and the queue's backlog; the config and the party
    /// registry stay.
    pub fn reset(&self) {
        lock(&self.ledger).clear();
        *lock(&self.counts) = PostCounts::default();
        self.total_posts.store(0, Ordering::Relaxed);
        self.committed.store(0, Ordering::Relaxed);
        self.overload_timeouts.store(0, Ordering::Relaxed);
        self.party_lookups.store(0, Ordering::Relaxed);
        self.queue.clear();
    }

    /// Stores a new record for a POST. A transferId POSTed again keeps what the switch already
    /// knows about it (the switch is the system of record; the adapter starts afresh).
    pub fn insert(&self, mut rec: Record) {
        let mut ledger = lock(&self.ledger);
        if let Some(old) = ledger.get(&*rec.transfer_id) {
            rec.switch = old.switch;
        }
        ledger.insert(rec.transfer_id.to_string(), rec);
    }

    /// Applies `f` to the record and returns a copy of the result (`None` if unknown).
    pub fn update<R>(
        &self,
        transfer_id: &str,
        f: impl FnOnce(&mut Record) -> R,
    ) -> Option<(R, Record)> {
        let mut ledger = lock(&self.ledger);
        let rec = ledger.get_mut(transfer_id)?;
        let out = f(rec);
        Some((out, rec.clone()))
    }

    /// The switch's state of a transfer.
    pub fn switch_state(&self, transfer_id: &str) -> SwitchState {
        lock(&self.ledger)
            .get(transfer_id)
            .map_or(SwitchState::Unknown, |r| r.switch)
    }
}
