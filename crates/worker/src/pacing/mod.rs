//! Pacing of every call to the SDK adapter: one limit on the calls in flight from this worker,
//! adaptive by default ([`limit`]), fixed at `WORKER_CONCURRENCY` with `ADAPTER_PACING=fixed`.
//!
//! The limit is a `tokio` semaphore whose size follows the limiter: raising it adds permits,
//! lowering it takes free permits away at once and collects the rest as they come back (a debt),
//! so a call already in flight is never interrupted. Waiters are served in FIFO order, so chunk
//! jobs of different bulks (and the sweep's lookups) take turns.
//!
//! A [`Permit`] is held for one transfer (POST and the PUTs of manual mode) or one lookup; the caller
//! marks when the call leaves ([`Permit::sending`]) and says what came back ([`Permit::record`]).

mod gauges;
pub mod limit;

use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use gauges::Gauges;
use limit::{Limit, Reason, Signal};

/// `ADAPTER_PACING`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PacingMode {
    /// The limit follows the rail's answers, up to `WORKER_CONCURRENCY`.
    #[default]
    Adaptive,
    /// Always `WORKER_CONCURRENCY` in flight at most.
    Fixed,
}

impl std::str::FromStr for PacingMode {
    type Err = String;
    fn from_str(s: &str) -> Result<PacingMode, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "adaptive" => Ok(PacingMode::Adaptive),
            "fixed" => Ok(PacingMode::Fixed),
            other => Err(format!("expected adaptive or fixed, got {other:?}")),
        }
    }
}

/// What came back from a paced call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feedback {
    /// A transfer that went through every stage: its latency is a sample.
    Answered,
    /// A 504, a timeout, a connection error, a server error: the rail may be pushing back (a loss
    /// if it came late, ignored if as fast as answers come).
    Overload,
    /// Says nothing about the rail's load (a definitive refusal, a lookup answered).
    Neutral,
}

/// The pacing state, for the health output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PacingSnapshot {
    /// `adaptive` or `fixed`.
    pub mode: PacingMode,
    /// Calls allowed in flight now.
    pub limit: usize,
    /// `WORKER_CONCURRENCY`.
    pub max: usize,
    /// Calls in flight now.
    pub in_flight: usize,
    /// The latency baseline the limiter measured, in milliseconds.
    pub baseline_ms: Option<f64>,
}

struct State {
    limit: Limit,
    /// Permits the semaphore represents (in flight + free + debt).
    applied: usize,
    /// Permits to destroy as they come back, after the limit was lowered below what was in flight.
    debt: usize,
    last_logged: usize,
}

struct Inner {
    sem: Arc<Semaphore>,
    mode: PacingMode,
    state: Mutex<State>,
    lowered: Notify,
    in_flight: AtomicUsize,
    gauges: Gauges,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.gauges.limit_moved(lock(&self.state).applied, 0);
    }
}

/// The in-flight limit of one worker toward the adapter (cheap to clone).
#[derive(Clone)]
pub struct Pacer {
    inner: Arc<Inner>,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Pacer {
    /// A pacer allowing at most `max` calls in flight.
    pub fn new(mode: PacingMode, max: usize) -> Pacer {
        Pacer::build(mode, max, None)
    }

    /// Like [`Pacer::new`], its limit and calls in flight exported as the `limiter` series of
    /// `gateway_adapter_inflight_limit` / `gateway_adapter_inflight`.
    pub fn exported(mode: PacingMode, max: usize, limiter: &str) -> Pacer {
        Pacer::build(mode, max, Some(limiter))
    }

    fn build(mode: PacingMode, max: usize, limiter: Option<&str>) -> Pacer {
        let max = max.max(1);
        let limit = Limit::new(max, Instant::now());
        let start = match mode {
            PacingMode::Adaptive => limit.current(),
            PacingMode::Fixed => max,
        };
        Pacer {
            inner: Arc::new(Inner {
                sem: Arc::new(Semaphore::new(start)),
                mode,
                state: Mutex::new(State {
                    limit,
                    applied: start,
                    debt: 0,
                    last_logged: start,
                }),
                lowered: Notify::new(),
                in_flight: AtomicUsize::new(0),
                gauges: limiter.map_or_else(Gauges::default, |l| Gauges::new(l, start)),
            }),
        }
    }

    /// Calls allowed in flight now.
    pub fn limit(&self) -> usize {
        lock(&self.inner.state).applied
    }

    /// Calls in flight now.
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.load(Ordering::Relaxed)
    }

    /// For the health output.
    pub fn snapshot(&self) -> PacingSnapshot {
        let st = lock(&self.inner.state);
        PacingSnapshot {
            mode: self.inner.mode,
            limit: st.applied,
            max: st.limit.max(),
            in_flight: self.in_flight(),
            baseline_ms: st.limit.baseline().map(|d| d.as_secs_f64() * 1000.0),
        }
    }

    /// One permit (a lookup).
    pub async fn acquire(&self) -> Option<Permit> {
        self.acquire_batch(1).await?.take_one()
    }

    /// Up to `want` permits for rows about to be claimed: waits for `min(want, limit / 4)` (at least
    /// one), so rows are claimed in batches, never more than can be sent at once. A limit lowered
    /// while waiting makes the wait start again with the smaller batch.
    pub async fn acquire_batch(&self, want: usize) -> Option<Permits> {
        loop {
            // Armed before the limit is read, so a drop in between is not missed.
            let lowered = self.inner.lowered.notified();
            tokio::pin!(lowered);
            lowered.as_mut().enable();
            let target = want.min(self.limit() / 4).max(1);
            let n = u32::try_from(target).unwrap_or(u32::MAX);
            tokio::select! {
                got = self.inner.sem.clone().acquire_many_owned(n) => {
                    let permit = got.ok()?;
                    // Permits a waiter held when the limit dropped come back through here, not
                    // through `give_back`: pay the debt from them first.
                    if let Some(permit) = self.inner.pay_debt(permit) {
                        return Some(Permits { permit: Some(permit), pacer: self.inner.clone() });
                    }
                }
                _ = &mut lowered => continue,
            }
        }
    }
}

impl Inner {
    fn record(&self, sent_at: Instant, feedback: Feedback) {
        if self.mode == PacingMode::Fixed {
            return;
        }
        let now = Instant::now();
        let signal = match feedback {
            Feedback::Answered => Signal::Answered(now.saturating_duration_since(sent_at)),
            Feedback::Overload => Signal::Overload,
            Feedback::Neutral => Signal::Ignore,
        };
        let mut st = lock(&self.state);
        if let Some(reason) = st.limit.on_signal(sent_at, now, signal) {
            let new = st.limit.current();
            self.apply(&mut st, new, reason);
        }
    }

    fn apply(&self, st: &mut State, new: usize, reason: Reason) {
        if new > st.applied {
            let mut up = new - st.applied;
            let pay = up.min(st.debt);
            st.debt -= pay;
            up -= pay;
            if up > 0 {
                self.sem.add_permits(up);
            }
        } else if new < st.applied {
            let down = st.applied - new;
            let free = down.min(self.sem.available_permits());
            let taken = u32::try_from(free)
                .ok()
                .filter(|n| *n > 0)
                .and_then(|n| self.sem.clone().try_acquire_many_owned(n).ok())
                .map_or(0, |p| {
                    let n = p.num_permits();
                    p.forget();
                    n
                });
            st.debt += down - taken;
            self.lowered.notify_waiters();
        }
        self.gauges.limit_moved(st.applied, new);
        st.applied = new;
        let last = st.last_logged.max(1);
        if new.abs_diff(last) * 4 >= last {
            tracing::info!(
                adapter_limit = new,
                previous = st.last_logged,
                reason = reason.as_str(),
                baseline_ms = st.limit.baseline().map(|d| d.as_secs_f64() * 1000.0),
                in_flight = self.in_flight.load(Ordering::Relaxed),
                "adapter in-flight limit changed"
            );
            st.last_logged = new;
        }
    }

    /// Destroys as many of `permit` as are owed after a lowered limit; the rest, if any, is kept.
    fn pay_debt(&self, mut permit: OwnedSemaphorePermit) -> Option<OwnedSemaphorePermit> {
        let mut st = lock(&self.state);
        let pay = st.debt.min(permit.num_permits());
        if pay == 0 {
            return Some(permit);
        }
        st.debt -= pay;
        if pay == permit.num_permits() {
            permit.forget();
            return None;
        }
        if let Some(owed) = permit.split(pay) {
            owed.forget();
        }
        Some(permit)
    }

    /// Returns permits to the semaphore, destroying those owed after a lowered limit.
    fn give_back(&self, mut permit: OwnedSemaphorePermit) {
        let mut st = lock(&self.state);
        let pay = st.debt.min(permit.num_permits());
        if pay > 0 {
            st.debt -= pay;
            if pay == permit.num_permits() {
                permit.forget();
                return;
            }
            if let Some(owed) = permit.split(pay) {
                owed.forget();
            }
        }
        drop(st);
        drop(permit);
    }
}

/// Permits acquired together, handed out one per call; those not handed out go back on drop.
pub struct Permits {
    permit: Option<OwnedSemaphorePermit>,
    pacer: Arc<Inner>,
}

impl Permits {
    /// How many are left.
    pub fn len(&self) -> usize {
        self.permit.as_ref().map_or(0, |p| p.num_permits())
    }

    /// Whether none is left.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One permit for one call.
    pub fn take_one(&mut self) -> Option<Permit> {
        let all = self.permit.as_mut()?;
        let one = if all.num_permits() == 1 {
            self.permit.take()?
        } else {
            all.split(1)?
        };
        self.pacer.in_flight.fetch_add(1, Ordering::Relaxed);
        self.pacer.gauges.call_started();
        Some(Permit {
            permit: Some(one),
            pacer: self.pacer.clone(),
            sent_at: Instant::now(),
        })
    }
}

impl Drop for Permits {
    fn drop(&mut self) {
        if let Some(p) = self.permit.take() {
            self.pacer.give_back(p);
        }
    }
}

/// The right to have one call in flight to the adapter.
pub struct Permit {
    permit: Option<OwnedSemaphorePermit>,
    pacer: Arc<Inner>,
    sent_at: Instant,
}

impl Permit {
    /// Marks the moment the call leaves (latency is measured from here).
    pub fn sending(&mut self) {
        self.sent_at = Instant::now();
    }

    /// Feeds what the call said about the rail to the limiter (the permit stays held: a call retried
    /// in place records each attempt).
    pub fn record(&mut self, feedback: Feedback) {
        self.pacer.record(self.sent_at, feedback);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.pacer.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.pacer.gauges.call_ended();
        if let Some(p) = self.permit.take() {
            self.pacer.give_back(p);
        }
    }
}

#[cfg(test)]
#[path = "pacer_tests.rs"]
mod tests;
