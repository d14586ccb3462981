//! Starting and stopping the simulator: one actix-web server, two workers.

use crate::config::SimConfig;
use crate::http::routes;
use crate::model::SwitchState;
use crate::registry::{PartyEntry, PartyRegistry, RegistryError};
use crate::state::{Counters, SimState};
use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use tokio::task::JoinHandle;

/// Two workers: the target is thousands of requests per second on a two-core machine, next to the
/// system under test.
const WORKERS: usize = 2;

/// The simulated SDK scheme adapter.
pub struct Simulator;

impl Simulator {
    /// Starts a simulator listening on `bind` (`"127.0.0.1:0"` picks a free port) and returns once
    /// it accepts connections, with an empty party registry (every lookup follows the suffix
    /// rules). Must be called inside a Tokio runtime.
    pub async fn start(cfg: SimConfig, bind: &str) -> anyhow::Result<SimHandle> {
        Self::start_with_parties(cfg, PartyRegistry::new(), bind).await
    }

    /// [`Simulator::start`] with a party registry (e.g. [`PartyRegistry::from_path`]).
    pub async fn start_with_parties(
        cfg: SimConfig,
        parties: PartyRegistry,
        bind: &str,
    ) -> anyhow::Result<SimHandle> {
        let state = web::Data::new(SimState::new(cfg, parties));
        let listener = TcpListener::bind(bind).with_context(|| format!("cannot bind {bind}"))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let data = state.clone();
        let server = HttpServer::new(move || App::new().app_data(data.clone()).configure(routes))
            .workers(WORKERS)
            .disable_signals()
            .shutdown_timeout(2)
            .listen(listener)
            .with_context(|| format!("cannot listen on {addr}"))?
            .run();
        let server_handle = server.handle();
        let task = tokio::spawn(server);
        Ok(SimHandle {
            addr,
            state: state.into_inner(),
            server: server_handle,
            task,
        })
    }
}

/// A running simulator.
pub struct SimHandle {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<SimState>,
    server: ServerHandle,
    task: JoinHandle<std::io::Result<()>>,
}

impl SimHandle {
    /// `http://{addr}`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A snapshot of the counters, per-id maps included.
    pub fn counters(&self) -> Counters {
        self.state.counters(true)
    }

    /// The live config.
    pub fn config(&self) -> SimConfig {
        self.state.config()
    }

    /// Replaces the config; applies to calls that start afterwards.
    pub fn set_config(&self, cfg: SimConfig) {
        self.state.set_config(cfg);
    }

    /// Forgets every transfer and counter; the config and the party registry stay.
    pub fn reset(&self) {
        self.state.reset();
    }

    /// Adds parties to the registry or replaces those registered under the same id type and
    /// identifier (`PUT /__sim/parties`). All or nothing; returns how many were given.
    pub fn upsert_parties(
        &self,
        entries: impl IntoIterator<Item = PartyEntry>,
    ) -> Result<usize, RegistryError> {
        self.state.upsert_parties(entries)
    }

    /// The party registry as it is now.
    pub fn parties(&self) -> PartyRegistry {
        PartyRegistry::clone(&self.state.parties())
    }

    /// Whether the simulated switch committed this transfer (money moved).
    pub fn is_committed(&self, transfer_id: &str) -> bool {
        matches!(
            self.state.switch_state(transfer_id),
            SwitchState::Committed(_)
        )
    }

    /// Stops accepting, lets in-flight calls finish (2 s at most) and waits for the server to end.
    pub async fn stop(self) {
        self.server.stop(true).await;
        let _ = self.task.await;
    }
}
