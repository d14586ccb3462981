//! The rail's capacity: one virtual FIFO queue in front of the simulated switch.
//!
//! A rail (adapter, switch, payee FSPs) carries so many transfers a second whatever it is offered;
//! what comes beyond waits for its turn. The queue is virtual: only the instant the next slot frees
//! is kept (one mutex, O(1) per request) and each request sleeps until its own slot. A request the
//! adapter gives up on keeps its slot — the hub still works on it — so the wait on an overloaded
//! rail keeps growing until the offered load drops below the capacity: the collapse a caller must
//! learn to stay clear of.
//!
//! A party lookup (`GET /parties`) is one of the three exchanges a transfer has with the hub
//! (parties, quotes, transfers): it takes a third of a transfer's slot, so a rail carrying 10
//! transfers a second answers 30 lookups a second, or any mix in between.

use crate::state::lock;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// A POST's place in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Its slot comes after this wait (zero on an idle or unlimited rail): proceed then.
    Wait(Duration),
    /// Its slot lies beyond the queue timeout: the adapter gives up after this long (504).
    TimedOut(Duration),
}

/// A transfer's slot holds this many lookups.
pub(crate) const LOOKUPS_PER_SLOT: u64 = 3;

/// The queue: when the next slot is free.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    next_free: Mutex<Option<Instant>>,
}

impl Queue {
    /// Takes the next slot of a rail carrying `capacity_tps` (0 = unlimited, no slot taken).
    pub fn admit(&self, capacity_tps: u64, timeout: Duration) -> Admission {
        self.admit_at(Instant::now(), capacity_tps, timeout)
    }

    /// Takes a lookup's share of a slot ([`LOOKUPS_PER_SLOT`]) in the same queue.
    pub fn admit_lookup(&self, capacity_tps: u64, timeout: Duration) -> Admission {
        self.take(
            Instant::now(),
            capacity_tps.saturating_mul(LOOKUPS_PER_SLOT),
            timeout,
        )
    }

    fn admit_at(&self, now: Instant, capacity_tps: u64, timeout: Duration) -> Admission {
        self.take(now, capacity_tps, timeout)
    }

    /// Takes the next `1 s / per_second` of the rail.
    fn take(&self, now: Instant, per_second: u64, timeout: Duration) -> Admission {
        if per_second == 0 {
            return Admission::Wait(Duration::ZERO);
        }
        let interval = Duration::from_nanos(1_000_000_000 / per_second);
        let mut next_free = lock(&self.next_free);
        let slot = next_free.map_or(now, |free| free.max(now));
        *next_free = Some(slot.checked_add(interval).unwrap_or(slot));
        let wait = slot.saturating_duration_since(now);
        if wait <= timeout {
            Admission::Wait(wait)
        } else {
            Admission::TimedOut(timeout)
        }
    }

    /// Forgets the backlog (`POST /__sim/reset`).
    pub fn clear(&self) {
        *lock(&self.next_free) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn unlimited_never_waits_nor_keeps_a_backlog() {
        let q = Queue::default();
        let now = Instant::now();
        for _ in 0..1000 {
            assert_eq!(q.admit_at(now, 0, MS), Admission::Wait(Duration::ZERO));
        }
        assert_eq!(q.admit_at(now, 10, MS), Admission::Wait(Duration::ZERO));
    }

    #[test]
    fn slots_are_spaced_by_one_over_the_capacity() {
        let q = Queue::default();
        let now = Instant::now();
        let waits: Vec<_> = (0..100)
            .map(|_| q.admit_at(now, 200, 10 * MS * 100))
            .collect();
        for (i, w) in (0u32..).zip(&waits) {
            assert_eq!(*w, Admission::Wait(5 * MS * i));
        }
    }

    #[test]
    fn an_idle_rail_starts_afresh() {
        let q = Queue::default();
        let now = Instant::now();
        q.admit_at(now, 100, MS * 50);
        q.admit_at(now, 100, MS * 50);
        // 20 ms later the two slots (0 and 10 ms) are long gone.
        assert_eq!(
            q.admit_at(now + 20 * MS, 100, MS * 50),
            Admission::Wait(Duration::ZERO)
        );
    }

    #[test]
    fn a_lookup_takes_a_third_of_a_slot() {
        let q = Queue::default();
        let now = Instant::now();
        let second = 1000 * MS;
        // 10 transfers/s: a slot is 100 ms, a lookup 33.3 ms.
        assert_eq!(
            q.take(now, 10 * LOOKUPS_PER_SLOT, second),
            Admission::Wait(Duration::ZERO)
        );
        assert_eq!(
            q.take(now, 10 * LOOKUPS_PER_SLOT, second),
            Admission::Wait(Duration::from_nanos(33_333_333))
        );
        assert_eq!(
            q.admit_at(now, 10, second),
            Admission::Wait(Duration::from_nanos(66_666_666))
        );
        assert_eq!(
            q.take(now, 10 * LOOKUPS_PER_SLOT, second),
            Admission::Wait(Duration::from_nanos(166_666_666))
        );
    }

    #[test]
    fn beyond_the_timeout_the_slot_stays_taken() {
        let q = Queue::default();
        let now = Instant::now();
        let out: Vec<_> = (0..10).map(|_| q.admit_at(now, 100, 50 * MS)).collect();
        assert_eq!(
            out[5],
            Admission::Wait(50 * MS),
            "exactly the timeout still waits"
        );
        assert!(out[6..].iter().all(|a| *a == Admission::TimedOut(50 * MS)));
        // The ten slots are consumed: 100 ms later the next one is at 100 ms, no wait.
        assert_eq!(
            q.admit_at(now + 100 * MS, 100, 50 * MS),
            Admission::Wait(Duration::ZERO)
        );
        assert_eq!(
            q.admit_at(now + 100 * MS, 100, 50 * MS),
            Admission::Wait(10 * MS)
        );
        q.clear();
        assert_eq!(
            q.admit_at(now + 100 * MS, 100, 50 * MS),
            Admission::Wait(Duration::ZERO)
        );
    }
}
