//! The adaptive in-flight limit toward the adapter, as a pure state machine (no clock, no I/O):
//! every sample comes with the instants it needs, so tests drive it with synthetic time.
//!
//! It is a delay- and loss-based AIMD in the spirit of TCP Vegas and Netflix's concurrency-limits:
//!
//! - **Loss** (a 504, a timeout, a connection error — the rail saying "too much"): the limit is
//!   halved at once, but only for a request sent after the previous halving, so one burst of
//!   timeouts from requests that were all in flight together counts once (as TCP reacts once per
//!   round trip). A failure that comes back as fast as answers do (no queue in its latency) is the
//!   far side's verdict on one transfer — a payee FSP that never answers, a refused connection —
//!   and is ignored: an overloaded rail answers late.
//! - **Samples** are the latencies of complete answers of one kind (the caller feeds transfers
//!   that COMPLETED): a refusal at the party stage or a lookup is shorter than a whole transfer,
//!   and mixing them in would make a window of successes look like a queue.
//! - **Delay**: samples are averaged over windows of at least [`WINDOW_MIN_SAMPLES`] (and at least
//!   one sample per permit, i.e. about one round trip). The baseline is the lowest window average
//!   seen — averages, not single samples, so a jittery but idle rail is not mistaken for a queue. A
//!   window whose average exceeds the baseline by [`TOLERANCE`]× and by at least
//!   [`MIN_QUEUE_DELAY`] means requests are queueing at the rail: the limit drops by
//!   [`DELAY_BACKOFF`].
//! - **Probing the baseline**: latency alone cannot tell a rail that became slower for good from a
//!   queue that never drains, and a worker that starts while others already fill the rail measures
//!   their queue as its baseline (TCP Vegas' late-comer problem). So when no window has come within
//!   [`NEAR`]× of the baseline for [`BASELINE_WINDOWS`] windows, the limit is halved and held for
//!   [`PROBE_WINDOWS`] windows, whose averages become the new baseline (BBR's ProbeRTT does the same).
//!   It costs a fraction of a round trip's throughput every few dozen round trips.
//! - **Otherwise it grows**: by one per good answer while in slow start (doubling per round trip
//!   from [`INITIAL_LIMIT`], until the first sign of a queue), then by [`GROWTH_PER_ROUND_TRIP`] per
//!   round trip.
//!
//! Several workers in front of one rail each run their own limiter and see the same delays and
//! timeouts; multiplicative decrease with additive increase makes them converge to equal shares
//! without talking to each other.

use std::time::{Duration, Instant};

/// The limit a worker starts from (or `max` when lower): small enough that the first requests do
/// not queue at a slow rail, so the first windows measure the rail's latency without a queue.
pub const INITIAL_LIMIT: usize = 8;
/// Samples per window at least.
pub const WINDOW_MIN_SAMPLES: u32 = 16;
/// Windows without one near the baseline before it is measured again.
pub const BASELINE_WINDOWS: u32 = 64;
/// Windows a probe holds the halved limit; their averages are the new baseline.
pub const PROBE_WINDOWS: u32 = 2;
/// A window this much slower than the baseline shows a queue...
pub const TOLERANCE: f64 = 1.5;
/// ...and by at least this much. Below it is the noise of a fast rail or of the gateway's own
/// scheduling: on a busy 2-core machine a worker settling and claiming answers a few to ~20 ms late,
/// and cutting the limit for that only slows its claims down (measured: −16 % end to end at 5 ms).
/// A queue at a real rail that matters is longer: its stage timeouts are seconds.
pub const MIN_QUEUE_DELAY: Duration = Duration::from_millis(25);
/// A window within this factor of the baseline, or within [`NEAR_DELAY`] of it, confirms it.
pub const NEAR: f64 = 1.25;
/// See [`NEAR`]: what a fast rail's windows stay within.
pub const NEAR_DELAY: Duration = Duration::from_millis(5);
/// Calls added to the limit per round trip without a queue, after slow start.
pub const GROWTH_PER_ROUND_TRIP: f64 = 2.0;
/// Factor applied on a queue.
pub const DELAY_BACKOFF: f64 = 0.9;
/// Factor applied on a loss.
pub const LOSS_BACKOFF: f64 = 0.5;
/// A window closes after this long even with few samples (a very slow rail).
pub const WINDOW_MAX: Duration = Duration::from_secs(2);

/// What one adapter call said about the rail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// A complete answer (a transfer that went through every stage), in this long.
    Answered(Duration),
    /// A 504, a timeout, a connection error or a server error: the rail is overloaded or failing.
    Overload,
    /// Says nothing about the rail (the call was abandoned).
    Ignore,
}

/// Why the limit moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Answers kept coming without a queue.
    Growth,
    /// Latency rose above the baseline: a queue at the rail.
    Queueing,
    /// Timeouts or errors.
    Overload,
    /// The baseline is measured again with a lower limit.
    Probe,
}

impl Reason {
    /// For logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Growth => "answers flat and successful",
            Reason::Queueing => "latency rising above the baseline",
            Reason::Overload => "timeouts or errors from the adapter",
            Reason::Probe => "measuring the rail's latency again with fewer calls in flight",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    sum: Duration,
    n: u32,
    /// Samples that close it: one per permit at its start (about one round trip), at least
    /// [`WINDOW_MIN_SAMPLES`]. Fixed at the start, so a limit growing in slow start cannot keep a
    /// window open forever.
    needed: u32,
}

/// The limiter's state.
#[derive(Debug, Clone)]
pub struct Limit {
    limit: f64,
    max: f64,
    slow_start: bool,
    window: Window,
    baseline: Option<Duration>,
    /// The fastest single answer seen (stands in for the baseline until a window closes).
    fastest: Option<Duration>,
    /// Windows since one came within the tolerance of the baseline.
    stale: u32,
    /// Windows left in a baseline probe (0: not probing).
    probe_left: u32,
    last_loss_cut: Option<Instant>,
}

impl Limit {
    /// A limiter between 1 and `max`, starting at [`INITIAL_LIMIT`] (or `max` when lower).
    pub fn new(max: usize, now: Instant) -> Limit {
        let max = max.max(1) as f64;
        Limit {
            limit: (INITIAL_LIMIT as f64).min(max),
            max,
            slow_start: true,
            window: Window {
                started: now,
                sum: Duration::ZERO,
                n: 0,
                needed: WINDOW_MIN_SAMPLES,
            },
            baseline: None,
            fastest: None,
            stale: 0,
            probe_left: 0,
            last_loss_cut: None,
        }
    }

    /// The current limit, at least 1.
    pub fn current(&self) -> usize {
        (self.limit.floor() as usize).max(1)
    }

    /// The upper bound.
    pub fn max(&self) -> usize {
        self.max as usize
    }

    /// The latency baseline, once one window has closed.
    pub fn baseline(&self) -> Option<Duration> {
        self.baseline
    }

    /// Feeds one call's signal: `sent_at` is when the call left, `now` when it ended. Returns the
    /// reason when the limit changed.
    pub fn on_signal(&mut self, sent_at: Instant, now: Instant, signal: Signal) -> Option<Reason> {
        let before = self.current();
        let reason = match signal {
            Signal::Ignore => None,
            // A failure that came back as fast as answers do is the far side's verdict on that one
            // transfer (a payee FSP that never answers, a refused connection), not a queue at the
            // rail: a rail that is overloaded answers its timeouts late, after queueing. Not a
            // loss — else a file with many unreachable payees would slow every other payment to a
            // crawl — and not a latency sample either (it stopped at an earlier stage).
            Signal::Overload if self.fast(now.saturating_duration_since(sent_at)) => None,
            Signal::Overload => self.on_loss(sent_at, now),
            Signal::Answered(rtt) => self.on_answer(rtt, now),
        };
        reason.filter(|_| self.current() != before)
    }

    /// Whether `rtt` is within what the rail answers without a queue (before the first window
    /// closes, measured against the fastest answer seen).
    fn fast(&self, rtt: Duration) -> bool {
        self.baseline
            .or(self.fastest)
            .is_some_and(|base| !queueing(base, rtt))
    }

    fn on_loss(&mut self, sent_at: Instant, now: Instant) -> Option<Reason> {
        if self.last_loss_cut.is_some_and(|cut| sent_at < cut) {
            return None; // in flight when we already cut: the same congestion episode
        }
        self.limit = (self.limit * LOSS_BACKOFF).max(1.0);
        self.slow_start = false;
        self.last_loss_cut = Some(now);
        self.restart_window(now);
        Some(Reason::Overload)
    }

    fn on_answer(&mut self, rtt: Duration, now: Instant) -> Option<Reason> {
        self.fastest = Some(self.fastest.map_or(rtt, |f| f.min(rtt)));
        self.window.sum += rtt;
        self.window.n += 1;
        let mut changed = None;
        let quiet = self.baseline().is_none_or(|base| !queueing(base, rtt));
        if self.slow_start && quiet && self.limit < self.max && self.probe_left == 0 {
            self.limit = (self.limit + 1.0).min(self.max);
            changed = Some(Reason::Growth);
        }
        let elapsed = now.saturating_duration_since(self.window.started);
        if self.window.n < self.window.needed && elapsed < WINDOW_MAX {
            return changed;
        }
        let n = self.window.n;
        let avg = self.window.sum / n;
        self.restart_window(now);
        if self.probe_left > 0 {
            // The limit is held low; what these windows see is the rail without our queue.
            self.baseline = Some(self.baseline.map_or(avg, |b| b.min(avg)));
            self.probe_left -= 1;
            return changed;
        }
        let base = *self.baseline.get_or_insert(avg);
        if avg < base {
            self.baseline = Some(avg);
        }
        if near(base, avg) {
            self.stale = 0;
        } else {
            self.stale += 1;
        }
        if self.stale >= BASELINE_WINDOWS {
            self.stale = 0;
            self.probe_left = PROBE_WINDOWS;
            self.baseline = None;
            self.limit = (self.limit * LOSS_BACKOFF).max(1.0);
            self.slow_start = false;
            return Some(Reason::Probe);
        }
        if queueing(base, avg) {
            self.limit = (self.limit * DELAY_BACKOFF).max(1.0);
            self.slow_start = false;
            return Some(Reason::Queueing);
        }
        if !self.slow_start && self.limit < self.max {
            // GROWTH_PER_ROUND_TRIP per round trip whatever the limit: a window of n answers at
            // limit L spans n / L round trips. A worker with few calls in flight then grows as
            // fast, in time, as one with many — which is what makes replicas converge to equal
            // shares (TCP's congestion avoidance grows by one segment per round trip the same way).
            let rounds = f64::from(n) / self.limit.max(1.0);
            self.limit = (self.limit + GROWTH_PER_ROUND_TRIP * rounds).min(self.max);
            changed = Some(Reason::Growth);
        }
        changed
    }

    fn restart_window(&mut self, now: Instant) {
        self.window = Window {
            started: now,
            sum: Duration::ZERO,
            n: 0,
            needed: WINDOW_MIN_SAMPLES.max(u32::try_from(self.current()).unwrap_or(u32::MAX)),
        };
    }
}

/// Close enough to the baseline to confirm it (within [`NEAR`]×, or [`NEAR_DELAY`]).
fn near(base: Duration, avg: Duration) -> bool {
    avg.as_secs_f64() <= base.as_secs_f64() * NEAR || avg.saturating_sub(base) < NEAR_DELAY
}

fn queueing(base: Duration, avg: Duration) -> bool {
    avg.as_secs_f64() > base.as_secs_f64() * TOLERANCE
        && avg.saturating_sub(base) >= MIN_QUEUE_DELAY
}

#[cfg(test)]
#[path = "limit_tests.rs"]
mod tests;
