//! Tests of the pacer's semaphore bookkeeping.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use std::time::Duration;

#[tokio::test]
async fn fixed_mode_is_a_plain_limit() {
    let p = Pacer::new(PacingMode::Fixed, 10);
    assert_eq!(p.limit(), 10);
    let mut batch = p.acquire_batch(50).await.unwrap();
    assert_eq!(batch.len(), 2, "a quarter of the limit per claim");
    let mut one = batch.take_one().unwrap();
    one.record(Feedback::Overload);
    assert_eq!(p.limit(), 10, "fixed mode ignores the rail");
    assert_eq!(p.in_flight(), 1);
    drop(one);
    drop(batch);
    assert_eq!(p.in_flight(), 0);
}

#[tokio::test]
async fn a_lowered_limit_takes_effect_as_permits_come_back() {
    let p = Pacer::new(PacingMode::Adaptive, 100);
    let start = p.limit();
    assert_eq!(start, limit::INITIAL_LIMIT);
    let mut held: Vec<Permit> = Vec::new();
    for _ in 0..start {
        held.push(p.acquire().await.unwrap());
    }
    assert_eq!(p.in_flight(), start);
    // A timeout halves the limit while every permit is out: nothing is interrupted, the debt
    // is collected as permits return.
    held[0].record(Feedback::Overload);
    assert_eq!(p.limit(), start / 2);
    held.clear();
    assert_eq!(p.in_flight(), 0);
    assert_eq!(p.inner.sem.available_permits(), start / 2);
    // While waiting for a batch, a lower limit shrinks the batch instead of deadlocking.
    let waiter = {
        let p = p.clone();
        tokio::spawn(async move { p.acquire_batch(50).await.map(|b| b.len()) })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(waiter.await.unwrap(), Some(1));
}

#[tokio::test]
async fn answers_raise_the_limit_up_to_the_bound() {
    let p = Pacer::new(PacingMode::Adaptive, 40);
    for _ in 0..2_000 {
        let mut one = p.acquire().await.unwrap();
        one.sending();
        one.record(Feedback::Answered);
    }
    assert_eq!(p.limit(), 40);
    assert_eq!(p.inner.sem.available_permits(), 40);
    let snap = p.snapshot();
    assert_eq!((snap.limit, snap.max, snap.in_flight), (40, 40, 0));
}

#[tokio::test]
async fn an_exported_pacer_moves_its_gauges() {
    let (limit, in_flight) = common::metrics::inflight_gauges("pacer-test");
    let p = Pacer::exported(PacingMode::Adaptive, 100, "pacer-test");
    assert_eq!(limit.get(), limit::INITIAL_LIMIT as i64);
    let mut one = p.acquire().await.unwrap();
    assert_eq!(in_flight.get(), 1);
    one.record(Feedback::Overload);
    assert_eq!(
        limit.get(),
        p.limit() as i64,
        "the gauge follows a lowered limit"
    );
    drop(one);
    assert_eq!(in_flight.get(), 0);
    drop(p);
    assert_eq!(limit.get(), 0, "a dropped pacer takes its share back");
}
