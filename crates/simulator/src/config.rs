//! Runtime settings of the simulator, from the environment or `PUT /__sim/config`.

use common::env::Env;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Default listen address of the binary (the real adapter's outbound port).
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:4001";

/// How the simulated adapter behaves. Serialized camelCase for `PUT /__sim/config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SimConfig {
    /// `true`: `POST /transfers` runs to the end like an adapter with `AUTO_ACCEPT_PARTY` and
    /// `AUTO_ACCEPT_QUOTES`; `false`: it halts at `WAITING_FOR_PARTY_ACCEPTANCE` and
    /// `WAITING_FOR_QUOTE_ACCEPTANCE`.
    pub auto_accept: bool,
    /// Fixed delay of every POST/PUT, in milliseconds.
    pub latency_ms: u64,
    /// Random extra delay, uniform in `0..=jitter_ms`.
    pub jitter_ms: u64,
    /// The fee quoted (minor units of the transfer's currency) by the `…0777` rule.
    pub payee_fee_minor: i64,
    /// Seconds after which a transfer prepared but never fulfilled is reported ABORTED by the switch.
    pub expiry_secs: u64,
    /// Transfers per second the simulated rail (adapter + switch + payee FSPs) carries; `0` =
    /// unlimited. Beyond it `POST /transfers` waits in one FIFO queue (see the crate README).
    pub capacity_tps: u64,
    /// How long a POST may wait in that queue before the adapter gives up with a 504, in
    /// milliseconds (the real adapter's own timeout towards the switch).
    pub queue_timeout_ms: u64,
    /// How long `GET /parties` waits for a switch that never answers before the adapter's 500
    /// `Timeout`, in milliseconds. The real adapter waits ~10 s; kept short so tests are quick.
    pub party_timeout_ms: u64,
    /// Delay of every `GET /parties` the switch answers, in milliseconds. Beyond
    /// `party_timeout_ms` the lookup times out instead, as the adapter stops waiting.
    pub party_latency_ms: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            auto_accept: true,
            latency_ms: 0,
            jitter_ms: 0,
            payee_fee_minor: 100,
            expiry_secs: 60,
            capacity_tps: 0,
            queue_timeout_ms: 2000,
            party_timeout_ms: 200,
            party_latency_ms: 0,
        }
    }
}

impl SimConfig {
    /// Reads `SIM_AUTO_ACCEPT`, `SIM_LATENCY_MS`, `SIM_JITTER_MS`, `SIM_PAYEE_FEE_MINOR`,
    /// `SIM_EXPIRY_SECS`, `SIM_CAPACITY_TPS`, `SIM_QUEUE_TIMEOUT_MS`, `SIM_PARTY_TIMEOUT_MS` and
    /// `SIM_PARTY_LATENCY_MS` (defaults as in [`SimConfig::default`]). The party registry is
    /// read apart: [`crate::PartyRegistry::from_env`].
    pub fn from_env() -> anyhow::Result<SimConfig> {
        Self::from_lookup(&Env::process())
    }

    /// Same as [`SimConfig::from_env`] over any lookup (tests).
    pub fn from_lookup(env: &Env<'_>) -> anyhow::Result<SimConfig> {
        let d = SimConfig::default();
        Ok(SimConfig {
            auto_accept: env.bool("SIM_AUTO_ACCEPT", d.auto_accept)?,
            latency_ms: env.parse("SIM_LATENCY_MS", d.latency_ms)?,
            jitter_ms: env.parse("SIM_JITTER_MS", d.jitter_ms)?,
            payee_fee_minor: env.parse("SIM_PAYEE_FEE_MINOR", d.payee_fee_minor)?,
            expiry_secs: env.parse("SIM_EXPIRY_SECS", d.expiry_secs)?,
            capacity_tps: env.parse("SIM_CAPACITY_TPS", d.capacity_tps)?,
            queue_timeout_ms: env.parse("SIM_QUEUE_TIMEOUT_MS", d.queue_timeout_ms)?,
            party_timeout_ms: env.parse("SIM_PARTY_TIMEOUT_MS", d.party_timeout_ms)?,
            party_latency_ms: env.parse("SIM_PARTY_LATENCY_MS", d.party_latency_ms)?,
        })
    }

    /// One call's delay: `latency_ms` plus a uniform random share of `jitter_ms`.
    pub fn delay(&self) -> Duration {
        let jitter = if self.jitter_ms == 0 {
            0
        } else {
            rand::random_range(0..=self.jitter_ms)
        };
        Duration::from_millis(self.latency_ms.saturating_add(jitter))
    }

    /// The queue timeout as a [`Duration`].
    pub fn queue_timeout(&self) -> Duration {
        Duration::from_millis(self.queue_timeout_ms)
    }

    pub(crate) fn apply(&mut self, patch: &ConfigPatch) {
        if let Some(v) = patch.auto_accept {
            self.auto_accept = v;
        }
        if let Some(v) = patch.latency_ms {
            self.latency_ms = v;
        }
        if let Some(v) = patch.jitter_ms {
            self.jitter_ms = v;
        }
        if let Some(v) = patch.payee_fee_minor {
            self.payee_fee_minor = v;
        }
        if let Some(v) = patch.expiry_secs {
            self.expiry_secs = v;
        }
        if let Some(v) = patch.capacity_tps {
            self.capacity_tps = v;
        }
        if let Some(v) = patch.queue_timeout_ms {
            self.queue_timeout_ms = v;
        }
        if let Some(v) = patch.party_timeout_ms {
            self.party_timeout_ms = v;
        }
        if let Some(v) = patch.party_latency_ms {
            self.party_latency_ms = v;
        }
    }
}

/// `SIM_BIND_ADDR`, default [`DEFAULT_BIND_ADDR`].
pub fn bind_addr_from_env() -> String {
    Env::process().string("SIM_BIND_ADDR", DEFAULT_BIND_ADDR)
}

/// Body of `PUT /__sim/config`: the fields of [`SimConfig`], each optional (absent = unchanged).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ConfigPatch {
    auto_accept: Option<bool>,
    latency_ms: Option<u64>,
    jitter_ms: Option<u64>,
    payee_fee_minor: Option<i64>,
    expiry_secs: Option<u64>,
    capacity_tps: Option<u64>,
    queue_timeout_ms: Option<u64>,
    party_timeout_ms: Option<u64>,
    party_latency_ms: Option<u64>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> anyhow::Result<SimConfig> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SimConfig::from_lookup(&Env::from_fn(move |k| map.get(k).cloned()))
    }

    #[test]
    fn defaults() {
        let cfg = read(&[]).unwrap();
        assert_eq!(cfg, SimConfig::default());
        assert!(cfg.auto_accept);
        assert_eq!(cfg.expiry_secs, 60);
        assert_eq!(cfg.payee_fee_minor, 100);
        assert_eq!(cfg.capacity_tps, 0, "unlimited unless asked");
        assert_eq!(cfg.queue_timeout_ms, 2000);
        assert_eq!((cfg.party_timeout_ms, cfg.party_latency_ms), (200, 0));
    }

    #[test]
    fn reads_every_variable() {
        let cfg = read(&[
            ("SIM_AUTO_ACCEPT", "false"),
            ("SIM_LATENCY_MS", "150"),
            ("SIM_JITTER_MS", "20"),
            ("SIM_PAYEE_FEE_MINOR", "250"),
            ("SIM_EXPIRY_SECS", "5"),
            ("SIM_CAPACITY_TPS", "8"),
            ("SIM_QUEUE_TIMEOUT_MS", "750"),
            ("SIM_PARTY_TIMEOUT_MS", "10000"),
            ("SIM_PARTY_LATENCY_MS", "35"),
        ])
        .unwrap();
        assert_eq!(
            cfg,
            SimConfig {
                auto_accept: false,
                latency_ms: 150,
                jitter_ms: 20,
                payee_fee_minor: 250,
                expiry_secs: 5,
                capacity_tps: 8,
                queue_timeout_ms: 750,
                party_timeout_ms: 10_000,
                party_latency_ms: 35,
            }
        );
    }

    #[test]
    fn names_the_malformed_variable() {
        let err = read(&[("SIM_LATENCY_MS", "fast")]).unwrap_err();
        assert!(err.to_string().contains("SIM_LATENCY_MS"), "{err}");
    }

    #[test]
    fn delay_stays_within_jitter() {
        let cfg = SimConfig {
            latency_ms: 10,
            jitter_ms: 5,
            ..SimConfig::default()
        };
        for _ in 0..100 {
            let d = cfg.delay().as_millis();
            assert!((10..=15).contains(&d), "{d}");
        }
    }

    #[test]
    fn patch_changes_only_given_fields() {
        let mut cfg = SimConfig::default();
        let patch: ConfigPatch =
            serde_json::from_str(r#"{"autoAccept": false, "latencyMs": 7}"#).unwrap();
        cfg.apply(&patch);
        assert!(!cfg.auto_accept);
        assert_eq!(cfg.latency_ms, 7);
        assert_eq!(cfg.payee_fee_minor, 100);
        let patch: ConfigPatch =
            serde_json::from_str(r#"{"capacityTps": 6, "queueTimeoutMs": 300}"#).unwrap();
        cfg.apply(&patch);
        assert_eq!((cfg.capacity_tps, cfg.queue_timeout_ms), (6, 300));
        assert_eq!(cfg.latency_ms, 7);
        let patch: ConfigPatch =
            serde_json::from_str(r#"{"partyTimeoutMs": 50, "partyLatencyMs": 5}"#).unwrap();
        cfg.apply(&patch);
        assert_eq!((cfg.party_timeout_ms, cfg.party_latency_ms), (50, 5));
    }
}
