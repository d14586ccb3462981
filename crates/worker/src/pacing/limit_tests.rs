//! Tests of the limiter against a simulated rail (synthetic time, no I/O).
use super::*;

/// A rail that completes `capacity` calls per second after `base` latency, FIFO, with `in_flight`
/// calls outstanding: the latency each call sees (Little's law once saturated).
fn rail_latency(in_flight: usize, capacity: f64, base: Duration) -> Duration {
    let unqueued = capacity * base.as_secs_f64();
    let queued = (in_flight as f64 - unqueued).max(0.0);
    base + Duration::from_secs_f64(queued / capacity)
}

/// Runs `steps` answers through the limiter against the rail model; returns the limits seen.
fn drive(
    limit: &mut Limit,
    t: &mut Instant,
    steps: usize,
    capacity: f64,
    base: Duration,
) -> Vec<(usize, f64)> {
    let mut seen = Vec::new();
    for _ in 0..steps {
        let rtt = rail_latency(limit.current(), capacity, base);
        // One answer every 1/throughput seconds.
        let throughput = (limit.current() as f64 / rtt.as_secs_f64()).min(capacity);
        *t += Duration::from_secs_f64(1.0 / throughput);
        limit.on_signal(*t - rtt, *t, Signal::Answered(rtt));
        seen.push((limit.current(), throughput));
    }
    seen
}

#[test]
fn starts_small_and_grows_while_answers_are_flat() {
    let mut t = Instant::now();
    let mut l = Limit::new(500, t);
    assert_eq!(l.current(), INITIAL_LIMIT);
    // A rail far faster than 500 in flight can fill: the limit reaches the bound.
    drive(&mut l, &mut t, 5_000, 1e9, Duration::from_millis(20));
    assert_eq!(l.current(), 500);
}

#[test]
fn settles_near_the_rails_capacity_without_collapsing() {
    let mut t = Instant::now();
    let mut l = Limit::new(500, t);
    let capacity = 300.0;
    let base = Duration::from_millis(50);
    let seen = drive(&mut l, &mut t, 60_000, capacity, base);
    let tail = &seen[seen.len() - 30_000..];
    let max = tail.iter().map(|s| s.0).max().unwrap_or(0);
    // Answers arrive at the throughput rate, so the mean over answers weighs busy periods more;
    // weigh each answer by its duration instead: time-averaged throughput.
    let time: f64 = tail.iter().map(|s| 1.0 / s.1).sum();
    let mean = tail.len() as f64 / time;
    // 300/s × 50 ms = 15 in flight fill the rail; a short queue on top is fine, 500 is not.
    assert!(
        mean >= 0.9 * capacity,
        "the rail must stay busy: {mean:.0}/s"
    );
    assert!(max <= 60, "the queue must stay short: max {max}");
}

#[test]
fn a_rail_that_slows_down_for_good_is_learnt() {
    let mut t = Instant::now();
    let mut l = Limit::new(500, t);
    drive(&mut l, &mut t, 20_000, 300.0, Duration::from_millis(20));
    // The rail's own latency triples (a slower payee FSP): the baseline follows after a probe,
    // and the rail is kept busy at its new bandwidth-delay product (300/s × 60 ms = 18).
    let seen = drive(&mut l, &mut t, 60_000, 300.0, Duration::from_millis(60));
    let tail = &seen[seen.len() - 20_000..];
    let time: f64 = tail.iter().map(|s| 1.0 / s.1).sum();
    let mean = tail.len() as f64 / time;
    assert!(mean >= 270.0, "{mean:.0}/s");
    let longest = tail.iter().map(|s| s.0).max().unwrap_or(0);
    assert!(
        longest <= 40,
        "the queue must stay short: limit up to {longest}"
    );
}

#[test]
fn falls_fast_on_timeouts_and_rises_back() {
    let mut t = Instant::now();
    let mut l = Limit::new(200, t);
    drive(&mut l, &mut t, 5_000, 1e9, Duration::from_millis(10));
    assert_eq!(l.current(), 200);
    // A burst of 504s: every request was in flight together, so the limit halves once per
    // episode, not once per timeout.
    let sent = t;
    t += Duration::from_millis(100);
    for _ in 0..50 {
        l.on_signal(sent, t, Signal::Overload);
    }
    assert_eq!(l.current(), 100);
    // A second episode (requests sent after the cut) halves again.
    let sent = t + Duration::from_millis(1);
    t += Duration::from_millis(200);
    assert_eq!(
        l.on_signal(sent, t, Signal::Overload),
        Some(Reason::Overload)
    );
    assert_eq!(l.current(), 50);
    // The rail recovers: the limit climbs back to the bound.
    drive(&mut l, &mut t, 20_000, 1e9, Duration::from_millis(10));
    assert_eq!(l.current(), 200);
}

#[test]
fn jitter_alone_is_not_a_queue() {
    // 80 ± 40 ms, independent of load (the suite's simulator): the limit must still grow.
    let mut t = Instant::now();
    let mut l = Limit::new(300, t);
    let mut seed = 12345u64;
    for _ in 0..60_000 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let jitter = (seed >> 33) % 81; // 0..=80
        let rtt = Duration::from_millis(40 + jitter);
        t += Duration::from_secs_f64(0.08 / l.current() as f64);
        l.on_signal(t - rtt, t, Signal::Answered(rtt));
    }
    assert!(l.current() >= 250, "limit {}", l.current());
}

#[test]
fn the_gateways_own_noise_on_a_fast_rail_is_not_a_queue() {
    // Sub-millisecond answers that double now and then (scheduling): below MIN_QUEUE_DELAY.
    let mut t = Instant::now();
    let mut l = Limit::new(100, t);
    for i in 0..20_000u64 {
        let rtt = Duration::from_micros(if i % 7 == 0 { 3_000 } else { 800 });
        t += Duration::from_micros(50);
        l.on_signal(t - rtt, t, Signal::Answered(rtt));
    }
    assert_eq!(l.current(), 100);
}

/// Two limiters in front of one rail, `b` starting after `late` answers; answers go to each in
/// proportion to its calls in flight. Returns a's time-averaged share of the calls in flight,
/// the rail's utilisation and the longest queue (seconds), after a warm-up.
fn two_on_one_rail(late: usize, steps: usize, capacity: f64, base: Duration) -> (f64, f64, f64) {
    let mut t = Instant::now();
    let mut a = Limit::new(500, t);
    let mut b = Limit::new(500, t);
    let mut credit = 0.0;
    let (mut share_time, mut busy_time, mut time, mut longest) = (0.0, 0.0, 0.0, 0.0f64);
    for step in 0..steps {
        let total = if step < late {
            a.current()
        } else {
            a.current() + b.current()
        };
        let rtt = rail_latency(total, capacity, base);
        let throughput = (total as f64 / rtt.as_secs_f64()).min(capacity);
        let dt = 1.0 / throughput;
        t += Duration::from_secs_f64(dt);
        let l = if step < late {
            &mut a
        } else {
            credit += a.current() as f64 / total as f64;
            if credit >= 1.0 {
                credit -= 1.0;
                &mut a
            } else {
                &mut b
            }
        };
        l.on_signal(t - rtt, t, Signal::Answered(rtt));
        if step > late + steps / 5 {
            share_time += dt * a.current() as f64 / (a.current() + b.current()) as f64;
            busy_time += dt * throughput / capacity;
            time += dt;
            longest = longest.max((rtt - base).as_secs_f64());
        }
    }
    (share_time / time, busy_time / time, longest)
}

#[test]
fn two_limiters_on_one_rail_share_it_fairly() {
    // Started together, or one long after the other (it then measures the other's queue as
    // its baseline until a probe): equal shares on average, the rail busy, a short queue.
    for (late, capacity, base_ms) in [
        (0, 400.0, 40),
        (3_000, 400.0, 40),
        (5_000, 300.0, 50),
        (20_000, 1000.0, 250),
    ] {
        let (share, busy, queue) =
            two_on_one_rail(late, 200_000, capacity, Duration::from_millis(base_ms));
        let case = format!("late {late}, {capacity}/s, {base_ms} ms");
        assert!((0.4..=0.6).contains(&share), "{case}: a's share {share:.2}");
        assert!(busy >= 0.95, "{case}: rail busy {busy:.3}");
        assert!(queue < 0.5, "{case}: longest queue {queue:.3} s");
    }
}

#[test]
fn fast_failures_of_some_payees_do_not_slow_the_others() {
    // A third of the payees time out at their FSP, answered as fast as everything else: the
    // rail itself is idle, the limit must still reach its bound.
    let mut t = Instant::now();
    let mut l = Limit::new(200, t);
    for i in 0..20_000u32 {
        let rtt = Duration::from_millis(80);
        t += Duration::from_secs_f64(0.08 / l.current() as f64);
        let signal = if i % 3 == 0 {
            Signal::Overload
        } else {
            Signal::Answered(rtt)
        };
        l.on_signal(t - rtt, t, signal);
    }
    assert_eq!(l.current(), 200);
    // The same failures arriving late (after queueing) are losses: the limit comes down.
    let late = Duration::from_secs(2);
    t += late;
    assert_eq!(
        l.on_signal(t - late, t, Signal::Overload),
        Some(Reason::Overload)
    );
    assert_eq!(l.current(), 100);
}

#[test]
fn never_below_one_or_above_max() {
    let mut t = Instant::now();
    let mut l = Limit::new(3, t);
    for _ in 0..100 {
        t += Duration::from_secs(1);
        l.on_signal(t, t, Signal::Overload);
    }
    assert_eq!(l.current(), 1);
    drive(&mut l, &mut t, 2_000, 1e9, Duration::from_millis(1));
    assert_eq!(l.current(), 3);
}
