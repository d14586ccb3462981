//! The shape of a fault scenario: a gateway with workers running a bulk uploaded through the API and
//! watched over SSE; the test injects its fault mid-bulk; [`Run::finish`] then proves the end state.

use std::time::Duration;

use simulator::SimConfig;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::checks::{self, Settled};
use crate::sse::{self, StreamOutcome};
use crate::stack::{GESTIONNAIRE, Options, Stack};

/// Simulator latency of the fault scenarios: a bulk lasts long enough to be hit mid-way.
pub fn sim_config() -> SimConfig {
    SimConfig {
        latency_ms: 80,
        jitter_ms: 40,
        ..SimConfig::default()
    }
}

/// A bulk running on a gateway.
pub struct Run {
    /// The gateway.
    pub stack: Stack,
    /// GESTIONNAIRE access token.
    pub token: String,
    /// The bulk.
    pub bulk: String,
    /// Its number of rows.
    pub rows: usize,
    follow: Option<JoinHandle<StreamOutcome>>,
    started: Instant,
}

/// What a scenario ended with.
pub struct Ended {
    /// The organisation's rows and money.
    pub settled: Settled,
    /// What the SSE follower saw.
    pub stream: StreamOutcome,
    /// Time from upload to settled.
    pub took: Duration,
}

impl Run {
    /// Starts a gateway with `opts`, uploads `csv` (of `rows` rows) through the API, follows its
    /// stream and starts `workers` worker processes.
    pub async fn start(
        name: &str,
        opts: Options,
        csv: Vec<u8>,
        rows: usize,
        workers: usize,
    ) -> Run {
        let mut stack = Stack::start(name, opts).await;
        let token = stack.api.login(GESTIONNAIRE.0, GESTIONNAIRE.1).await.access;
        let bulk = stack.api.upload_ok(&token, csv).await;
        let follow = sse::spawn_follow(&stack.api, &token, &bulk, Duration::from_secs(300));
        stack.spawn_workers(workers);
        Run {
            stack,
            token,
            bulk,
            rows,
            follow: Some(follow),
            started: Instant::now(),
        }
    }

    /// Waits until the simulator has received `n` POSTs (the bulk is well under way).
    pub async fn wait_posts(&self, n: u64) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while self.stack.sim.counters().total_posts < n {
            assert!(
                Instant::now() < deadline,
                "{}: only {} POSTs after 90 s",
                self.stack.name,
                self.stack.sim.counters().total_posts
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// POSTs received so far.
    pub fn posts(&self) -> u64 {
        self.stack.sim.counters().total_posts
    }

    /// Waits for the bulk to settle, then checks: every row final (or UNKNOWN with its money still
    /// reserved, when `unknown_ok`), each transferId prepared at most once and POSTed again only
    /// after a proof it never reached the transfer stage, COMPLETED exactly when the
    /// switch committed, balance and reserved equal to the journal, and the SSE stream at `done`
    /// with the database's final counts.
    pub async fn finish(&mut self, unknown_ok: bool, timeout: Duration) -> Ended {
        let bulk = checks::wait_settled(&self.stack, &self.bulk, timeout, unknown_ok).await;
        let took = self.started.elapsed();
        let settled = checks::assert_org_consistent(&self.stack, "CNSS", unknown_ok).await;
        checks::assert_switch_matches(&self.stack, &[&settled]);
        assert!(
            self.stack.sim.counters().total_posts as i64 <= self.rows as i64 + settled.resends,
            "{}: more POSTs than rows and recorded re-sends",
            self.stack.name
        );
        let stream = match self.follow.take() {
            Some(f) if unknown_ok && bulk.state == "PROCESSING" => {
                f.abort();
                StreamOutcome::default()
            }
            Some(f) => {
                let out = tokio::time::timeout(Duration::from_secs(30), f)
                    .await
                    .unwrap_or_else(|_| {
                        panic!("{}: the stream never reached done", self.stack.name)
                    })
                    .unwrap_or_else(|e| panic!("{e}"));
                let done = out
                    .done
                    .clone()
                    .unwrap_or_else(|| panic!("{}: no done event: {out:?}", self.stack.name));
                assert_eq!(
                    done["state"],
                    bulk.state.as_str(),
                    "{}: done {done}",
                    self.stack.name
                );
                assert_eq!(
                    done["succeeded"], bulk.succeeded_count,
                    "{}: done {done}",
                    self.stack.name
                );
                assert_eq!(
                    done["failed"], bulk.failed_count,
                    "{}: done {done}",
                    self.stack.name
                );
                out
            }
            None => StreamOutcome::default(),
        };
        eprintln!(
            "{}: settled in {took:?}: rows {:?}, bulk {}, stream {} events / {} reconnects, posts {}",
            self.stack.name,
            settled.by_status,
            bulk.state,
            stream.progress_events,
            stream.reconnects,
            self.posts()
        );
        Ended {
            settled,
            stream,
            took,
        }
    }

    /// Stops everything.
    pub async fn cleanup(self) {
        self.stack.cleanup().await;
    }
}
