//! `simulator`: the SDK adapter simulator as a process (demo mode, benchmarks, manual tests).

use anyhow::Context;
use common::telemetry::{self, LogFormat};
use simulator::{PartyRegistry, SimConfig, Simulator, bind_addr_from_env};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let env = common::env::Env::process();
    telemetry::init(env.parse("LOG_FORMAT", LogFormat::Text)?, "info");
    let cfg = SimConfig::from_env().context("reading the simulator's configuration")?;
    let parties = PartyRegistry::from_env().context("loading the party registry")?;
    let bind = bind_addr_from_env();
    let registered = parties.len();
    let sim = Simulator::start_with_parties(cfg, parties, &bind)
        .await
        .with_context(|| {
            format!("starting the simulator on {bind} (set SIM_BIND_ADDR to a free port)")
        })?;
    println!("simulator listening on {}", sim.base_url());
    tracing::info!(url = %sim.base_url(), ?cfg, registered, "SDK adapter simulator started");
    common::shutdown::signal().await;
    tracing::info!("stopping");
    sim.stop().await;
    Ok(())
}
