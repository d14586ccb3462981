//! The adapter misbehaves during a running bulk: every failure rule of the simulator mixed in one
//! bulk (504 before and after commit, 500 without body, dropped connections, FSPIOP errors), a 5 s
//! latency spike (past ADAPTER_TIMEOUT), and the adapter unreachable for 30 s (a cut proxy: the
//! switch behind it keeps its state). Each ends with the checks of [`Run::finish`].
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use db::queries::{bulks, transfers};
use serde_json::json;
use suite::checks::failed_codes;
use suite::csvgen::{mixed_bulk, plain_bulk};
use suite::scenario::{Run, sim_config};
use suite::{Options, Stack};

const ROWS: usize = 5_000;

fn opts(adapter_proxy: bool) -> Options {
    Options {
        sim: sim_config(),
        adapter_proxy,
        ..Options::default()
    }
}

/// Final status and error code of every row, by the last four digits of its payee.
async fn outcomes_by_rule(stack: &Stack, bulk: &str) -> HashMap<String, HashMap<String, usize>> {
    let id = bulk.to_string();
    let rows = stack
        .db(move |c| {
            let b = bulks::find(c, &id).unwrap().unwrap();
            transfers::page(c, b.id, None, None, 1_000_000).unwrap()
        })
        .await;
    let mut out: HashMap<String, HashMap<String, usize>> = HashMap::new();
    for r in rows {
        let rule = r.party_identifier[r.party_identifier.len() - 4..].to_string();
        let rule = if rule.ends_with('1') {
            "plain".into()
        } else {
            rule
        };
        let what = format!("{} {}", r.status, r.error_code.unwrap_or_default());
        *out.entry(rule)
            .or_default()
            .entry(what.trim().to_string())
            .or_default() += 1;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_adapter_failure_rule_in_one_bulk() {
    let rules = [
        "", "0504", "", "0505", "", "0500", "", "0999", "3204", "5105", "5103", "", "0514", "0524",
        "0998", "0534",
    ];
    // A whole number of rows per rule.
    let rows = ROWS - ROWS % rules.len();
    let csv = mixed_bulk(4, rows, 100, &rules);
    let mut run = Run::start("adapter-rules", opts(false), csv, rows, 2).await;
    run.finish(false, Duration::from_secs(120)).await;
    let got = outcomes_by_rule(&run.stack, &run.bulk).await;
    let per = rows / rules.len();
    let expect = |status: &str| HashMap::from([(status.to_string(), per)]);
    // Never reached the transfer stage, every attempt (PRE_PREPARE_RETRIES = 2 re-sends each).
    let never = "FAILED NOT_FOUND_AFTER_EXPIRY";
    assert_eq!(
        got["plain"],
        HashMap::from([("COMPLETED".to_string(), per * 5)])
    );
    assert_eq!(
        got["0505"],
        expect("COMPLETED"),
        "504 after commit: resolved by lookup"
    );
    assert_eq!(
        got["0504"],
        expect("FAILED PARTY_LOOKUP_TIMEOUT"),
        "504 resolving payee every time"
    );
    assert_eq!(
        got["0534"],
        expect("FAILED QUOTE_TIMEOUT"),
        "504 requesting quote every time"
    );
    assert_eq!(got["0500"], expect(never), "500 without body");
    assert_eq!(got["0999"], expect(never), "dropped connection");
    // A passing failure before the prepare: sent again with the same transferId, paid once.
    assert_eq!(got["0514"], expect("COMPLETED"), "504 resolving payee once");
    assert_eq!(
        got["0524"],
        expect("COMPLETED"),
        "504 requesting quote once"
    );
    assert_eq!(got["0998"], expect("COMPLETED"), "dropped once, not found");
    assert_eq!(got["3204"], expect("FAILED 3204"));
    assert_eq!(got["5105"], expect("FAILED 5105"));
    assert_eq!(got["5103"], expect("FAILED 5103"));
    run.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn latency_spike_past_the_adapter_timeout() {
    let mut run = Run::start(
        "adapter-spike",
        opts(false),
        plain_bulk(5, ROWS, 100),
        ROWS,
        2,
    )
    .await;
    run.wait_posts(600).await;
    let config = |body: serde_json::Value| {
        let http = run.stack.api.http.clone();
        let url = format!("{}/__sim/config", run.stack.sim.base_url());
        async move {
            let res = http.put(url).json(&body).send().await.unwrap();
            assert!(res.status().is_success(), "{}", res.status());
        }
    };
    config(json!({"latencyMs": 5000, "jitterMs": 0})).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let cfg = sim_config();
    config(json!({"latencyMs": cfg.latency_ms, "jitterMs": cfg.jitter_ms})).await;
    let end = run.finish(false, Duration::from_secs(120)).await;
    // Every call that timed out had reached the switch: lookups find them all COMMITTED.
    assert_eq!(
        end.settled.count("COMPLETED"),
        ROWS,
        "{:?}",
        end.settled.by_status
    );
    run.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn adapter_unreachable_for_30_seconds() {
    let mut run = Run::start(
        "adapter-down",
        opts(true),
        plain_bulk(6, ROWS, 100),
        ROWS,
        2,
    )
    .await;
    run.wait_posts(600).await;
    let proxy = run.stack.adapter_proxy.as_ref().unwrap();
    proxy.cut();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = run.posts();
    tokio::time::sleep(Duration::from_secs(28)).await;
    assert_eq!(
        run.posts(),
        during,
        "a POST reached the adapter while it was down"
    );
    assert_eq!(
        run.stack.live_workers(),
        2,
        "a worker died while the adapter was down"
    );
    run.stack.adapter_proxy.as_ref().unwrap().restore();
    run.finish(false, Duration::from_secs(120)).await;
    let codes = failed_codes(&run.stack, "CNSS").await;
    assert!(
        codes.keys().all(|c| c == "NOT_FOUND_AFTER_EXPIRY"),
        "only calls cut before reaching the switch may fail: {codes:?}"
    );
    run.cleanup().await;
}
