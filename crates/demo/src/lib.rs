#![doc = include_str!("../README.md")]

use anyhow::Context;
use common::env::Env;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use transport::{MemoryBus, MemoryQueue};

/// The party registry of the embedded simulator (`scripts/sim-parties.csv`): the names the switch
/// returns for the numbers of `scripts/sample-verification.csv`.
pub const DEMO_PARTIES: &str = include_str!("../../../scripts/sim-parties.csv");
/// Defaults of the embedded mode; any of them can be overridden by the real environment.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("DATABASE_URL", "sqlite://data/gateway.db"),
    ("QUEUE", "memory"),
    ("BIND_ADDR", "127.0.0.1:8080"),
    ("SIM_BIND_ADDR", "127.0.0.1:4001"),
    ("BCRYPT_COST", "10"),
    ("WORKER_CONCURRENCY", "100"),
    // Webhooks to a receiver on this machine are allowed in the demo (never by default elsewhere).
    ("CALLBACK_ALLOWED_HOSTS", "localhost,127.0.0.1,::1"),
    // Vite's development server, where the seed's React frontend runs.
    (
        "CORS_ALLOWED_ORIGINS",
        "http://localhost:5173,http://127.0.0.1:5173",
    ),
];

/// Where the running demo answers.
#[derive(Debug, Clone)]
pub struct DemoInfo {
    /// API base URL.
    pub api_url: String,
    /// Simulator base URL.
    pub simulator_url: String,
}

/// The JWT secret of the embedded mode: `JWT_SECRET` if set, else one generated once and kept in
/// `data/jwt-secret` so tokens survive a restart.
fn demo_secret(data_dir: &std::path::Path) -> anyhow::Result<String> {
    if let Ok(s) = std::env::var("JWT_SECRET") {
        return Ok(s);
    }
    let path = data_dir.join("jwt-secret");
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim().to_string();
        if s.len() >= 32 {
            return Ok(s);
        }
    }
    let s = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    std::fs::write(&path, &s).with_context(|| format!("writing {}", path.display()))?;
    Ok(s)
}

/// Runs the embedded gateway until `shutdown` resolves; `ready` is called once it answers.
pub async fn run(
    overrides: &[(&str, &str)],
    ready: impl FnOnce(&DemoInfo, &api::DemoSeed),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mut vars: HashMap<String, String> = DEFAULTS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in std::env::vars() {
        vars.insert(k, v);
    }
    for (k, v) in overrides {
        vars.insert(k.to_string(), v.to_string());
    }
    let db_url = vars.get("DATABASE_URL").cloned().unwrap_or_default();
    let data_dir = std::path::Path::new(&db::connection::normalise_url(&db_url))
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    if !vars.contains_key("JWT_SECRET") {
        vars.insert("JWT_SECRET".into(), demo_secret(&data_dir)?);
    }

    let sim_bind = vars
        .get("SIM_BIND_ADDR")
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:4001".into());
    let sim_cfg = simulator::SimConfig::from_lookup(&Env::from_fn(|k| vars.get(k).cloned()))?;
    // The demo's party registry (names behind the sample files' numbers) unless SIM_PARTIES_FILE
    // names another one.
    let parties = if vars.contains_key("SIM_PARTIES_FILE") {
        simulator::PartyRegistry::from_lookup(&Env::from_fn(|k| vars.get(k).cloned()))?
    } else {
        simulator::PartyRegistry::from_csv(DEMO_PARTIES).context("the demo's party registry")?
    };
    let sim = simulator::Simulator::start_with_parties(sim_cfg, parties, &sim_bind)
        .await
        .with_context(|| {
            format!("starting the adapter simulator on {sim_bind} (set SIM_BIND_ADDR)")
        })?;
    vars.insert("SCHEME_ADAPTER_URL".into(), sim.base_url());
    // The built-in adapter's own settings are known here: the worker is told them rather than
    // trusting defaults (its expiry bounds when a row the switch never saw may be sent again).
    vars.insert("ADAPTER_EXPIRY".into(), format!("{}s", sim_cfg.expiry_secs));
    let mode = if sim_cfg.auto_accept {
        "auto"
    } else {
        "manual"
    };
    vars.insert("ADAPTER_ACCEPT_MODE".into(), mode.into());

    let env = Env::from_fn(|k| vars.get(k).cloned());
    let api_settings = api::Settings::from_env(&env)?;
    let worker_settings = worker::WorkerSettings::from_env(&env)?;
    let pool =
        api::startup::connect_database(&api_settings.database_url, api_settings.db_pool_size)
            .await?;
    let cost = api_settings.bcrypt_cost;
    let seed_pool = pool.clone();
    let seed = tokio::task::spawn_blocking(move || api::seed_demo(&seed_pool, cost)).await??;

    let (queue, storages) = MemoryQueue::new();
    let queue = Arc::new(queue);
    let bus = Arc::new(MemoryBus::default());
    let app = api::Application::build(
        api_settings,
        api::AppDeps {
            pool: pool.clone(),
            queue: queue.clone(),
            bus: bus.clone(),
        },
    )
    .await?;
    let info = DemoInfo {
        api_url: format!("http://127.0.0.1:{}", app.port()),
        simulator_url: sim.base_url(),
    };
    let server = app.handle();
    let api_task = tokio::spawn(app.run_until_stopped());

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut worker_stop = stop_rx.clone();
    let worker_task = tokio::spawn(worker::run(
        worker_settings,
        worker::WorkerDeps {
            pool,
            queue,
            bus,
            source: worker::JobSource::Memory(storages),
        },
        async move {
            let _ = worker_stop.wait_for(|s| *s).await;
        },
    ));
    ready(&info, &seed);
    shutdown.await;
    tracing::info!("stopping");
    let _ = stop_tx.send(true);
    server.stop(true).await;
    let _ = api_task.await;
    let _ = worker_task.await;
    sim.stop().await;
    Ok(())
}
