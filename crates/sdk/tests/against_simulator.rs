//! The client's outcome and lookup for every simulator rule, with auto-accept on and off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sdk::{AcceptMode, LookupResult, Outcome, QuotePolicy, SdkClient, TransferRequest};
use simulator::{SimConfig, SimHandle, Simulator};
use std::time::Duration;
use support::{policy, request};

async fn sim(cfg: SimConfig) -> (SimHandle, SdkClient) {
    let mode = if cfg.auto_accept {
        AcceptMode::Auto
    } else {
        AcceptMode::Manual
    };
    let sim = Simulator::start(cfg, "127.0.0.1:0").await.unwrap();
    let sdk = SdkClient::new(&sim.base_url(), Duration::from_secs(5))
        .unwrap()
        .with_accept_mode(mode);
    (sim, sdk)
}

fn manual() -> SimConfig {
    SimConfig {
        auto_accept: false,
        ..SimConfig::default()
    }
}

/// `Completed`, `Failed <code>`, `NotSent`, `Unknown`.
fn outcome_name(o: &Outcome) -> String {
    match o {
        Outcome::Completed {
            fee_above_limit: None,
        } => "Completed".to_string(),
        Outcome::Completed {
            fee_above_limit: Some(why),
        } => {
            assert!(why.contains("exceeds the allowed maximum"), "{why}");
            "Completed fee_above_limit".to_string()
        }
        Outcome::Failed { code, .. } => format!("Failed {code}"),
        Outcome::NotSent { .. } => "NotSent".to_string(),
        Outcome::NotPrepared { code, .. } => format!("NotPrepared {code}"),
        Outcome::Unknown { .. } => "Unknown".to_string(),
    }
}

fn lookup_name(l: &LookupResult) -> &'static str {
    match l {
        LookupResult::Committed => "Committed",
        LookupResult::Aborted { .. } => "Aborted",
        LookupResult::NotFound => "NotFound",
        LookupResult::Pending { .. } => "Pending",
        LookupResult::Unreachable { .. } => "Unreachable",
    }
}

/// (payee, outcome, lookup afterwards) for every rule.
async fn check_rules(cfg: SimConfig, table: &[(&str, &str, &str)], policy: QuotePolicy) {
    let (sim, sdk) = sim(cfg).await;
    let mut requests: Vec<TransferRequest> = Vec::new();
    for (payee, want_outcome, want_lookup) in table {
        let req = request(payee);
        let outcome = sdk.execute(&req, &policy).await;
        assert_eq!(
            outcome_name(&outcome),
            *want_outcome,
            "{payee}: {outcome:?}"
        );
        let lookup = sdk.get_transfer(&req.transfer_id).await;
        assert_eq!(lookup_name(&lookup), *want_lookup, "{payee}: {lookup:?}");
        assert_eq!(
            sim.is_committed(&req.transfer_id),
            *want_lookup == "Committed",
            "{payee}"
        );
        requests.push(req);
    }
    let counters = sim.counters();
    assert_eq!(
        counters.total_posts,
        table.len() as u64,
        "every row POSTed exactly once"
    );
    assert!(counters.duplicate_transfer_ids.is_empty());
    assert!(counters.duplicate_home_transaction_ids.is_empty());
    for req in &requests {
        assert_eq!(counters.posts.as_ref().unwrap()[&req.transfer_id], 1);
    }
    sim.stop().await;
}

#[tokio::test]
async fn every_rule_with_auto_accept() {
    check_rules(
        SimConfig::default(),
        &[
            ("22890123456", "Completed", "Committed"),
            ("22890123204", "Failed 3204", "NotFound"),
            ("22890125103", "Failed 5103", "NotFound"),
            ("22890125105", "Failed 5105", "Aborted"),
            (
                "22890120504",
                "NotPrepared PARTY_LOOKUP_TIMEOUT",
                "NotFound",
            ),
            ("22890120505", "Unknown", "Committed"),
            ("22890120500", "Unknown", "NotFound"),
            ("22890120999", "Unknown", "NotFound"),
            // The adapter accepts the fee itself: the money moved, with a fee above the policy's
            // maximum, which the outcome says.
            ("22890120777", "Completed fee_above_limit", "Committed"),
        ],
        policy(),
    )
    .await;
}

#[tokio::test]
async fn every_rule_with_manual_acceptance() {
    check_rules(
        manual(),
        &[
            ("22890123456", "Completed", "Committed"),
            ("22890123204", "Failed 3204", "NotFound"),
            ("22890125103", "Failed 5103", "NotFound"),
            ("22890125105", "Failed 5105", "Aborted"),
            (
                "22890120504",
                "NotPrepared PARTY_LOOKUP_TIMEOUT",
                "NotFound",
            ),
            ("22890120505", "Unknown", "Committed"),
            // Nothing is prepared before our quote acceptance: a failed POST is certain.
            (
                "22890120500",
                "NotPrepared NO_ANSWER_BEFORE_PREPARE",
                "NotFound",
            ),
            (
                "22890120999",
                "NotPrepared NO_ANSWER_BEFORE_PREPARE",
                "NotFound",
            ),
            // A fee above MAX_PAYEE_FEE (0): refused, nothing reaches the switch.
            ("22890120777", "Failed QUOTE_REFUSED", "NotFound"),
        ],
        policy(),
    )
    .await;
}

#[tokio::test]
async fn fee_within_the_policy_is_accepted() {
    let (sim, sdk) = sim(manual()).await;
    let mut p = policy();
    p.max_payee_fee_minor = 100;
    let outcome = sdk.execute(&request("22890120777"), &p).await;
    assert_eq!(
        outcome,
        Outcome::Completed {
            fee_above_limit: None
        }
    );
    sim.stop().await;
}

#[tokio::test]
async fn refused_quote_names_the_amounts() {
    let (sim, sdk) = sim(manual()).await;
    let outcome = sdk.execute(&request("22890120777"), &policy()).await;
    let Outcome::Failed { code, message } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(code, sdk::QUOTE_REFUSED);
    assert!(message.contains("payeeFspFee 1 USD"), "{message}");
    assert!(message.contains("maximum 0 USD"), "{message}");
    assert!(message.contains("10.5 USD"), "{message}");
    assert_eq!(sim.counters().committed, 0);

    let mut p = policy();
    p.expected_amount_minor = 1051;
    let outcome = sdk.execute(&request("22890123456"), &p).await;
    let Outcome::Failed { code, message } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(code, sdk::QUOTE_REFUSED);
    assert!(message.contains("transferAmount 10.5 USD"), "{message}");
    assert!(message.contains("10.51 USD"), "{message}");
    assert_eq!(sim.counters().committed, 0);
    sim.stop().await;
}

#[tokio::test]
async fn zero_decimal_currency_round_trip() {
    let (sim, sdk) = sim(manual()).await;
    let mut req = request("22890123456");
    req.currency = "XOF".to_string();
    req.amount = sdk::format_amount(10000, 0);
    let p = QuotePolicy {
        expected_amount_minor: 10000,
        exponent: 0,
        max_payee_fee_minor: 0,
    };
    assert_eq!(
        sdk.execute(&req, &p).await,
        Outcome::Completed {
            fee_above_limit: None
        }
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_client_timeout_is_unknown_and_the_lookup_resolves_it() {
    let (sim, _) = sim(SimConfig {
        latency_ms: 600,
        ..SimConfig::default()
    })
    .await;
    let impatient = SdkClient::new(&sim.base_url(), Duration::from_millis(150)).unwrap();
    let req = request("22890123456");
    let outcome = impatient.execute(&req, &policy()).await;
    assert!(matches!(outcome, Outcome::Unknown { .. }), "{outcome:?}");
    let patient = SdkClient::new(&sim.base_url(), Duration::from_secs(5)).unwrap();
    let mut last = LookupResult::NotFound;
    for _ in 0..40 {
        last = patient.get_transfer(&req.transfer_id).await;
        if last == LookupResult::Committed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(last, LookupResult::Committed);
    assert_eq!(sim.counters().total_posts, 1);
    sim.stop().await;
}

#[tokio::test]
async fn a_400_is_a_failure() {
    let (sim, sdk) = sim(SimConfig::default()).await;
    let mut req = request("22890123456");
    req.amount = "10.50".to_string();
    let outcome = sdk.execute(&req, &policy()).await;
    assert!(
        matches!(outcome, Outcome::Failed { ref code, .. } if code == "400"),
        "{outcome:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_stopped_simulator_is_not_sent() {
    let (sim, sdk) = sim(SimConfig::default()).await;
    assert!(sdk.health().await.is_ok());
    sim.stop().await;
    let outcome = sdk.execute(&request("22890123456"), &policy()).await;
    assert!(matches!(outcome, Outcome::NotSent { .. }), "{outcome:?}");
    assert!(sdk.health().await.is_err());
}

#[tokio::test]
async fn an_unknown_id_is_not_found() {
    let (sim, sdk) = sim(SimConfig::default()).await;
    assert_eq!(
        sdk.get_transfer("00000000-0000-4000-8000-000000000000")
            .await,
        LookupResult::NotFound
    );
    sim.stop().await;
}

/// The observer is told every call, by operation: in manual mode a transfer is a POST and two
/// PUTs, then a lookup and a party lookup.
#[tokio::test]
async fn the_observer_times_every_call() {
    use std::sync::{Arc, Mutex};
    let (sim, sdk) = sim(manual()).await;
    let seen: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let log = seen.clone();
    let sdk = sdk.with_observer(Arc::new(move |op: sdk::Operation, took: Duration| {
        assert!(took < Duration::from_secs(5));
        log.lock().unwrap().push(op.as_str());
    }));
    let req = request("22890000001");
    assert!(matches!(
        sdk.execute(&req, &policy()).await,
        Outcome::Completed { .. }
    ));
    sdk.get_transfer(&req.transfer_id).await;
    sdk.get_party("MSISDN", "22890000001").await;
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "transfers",
            "accept_party",
            "accept_quote",
            "transfer_lookup",
            "parties"
        ]
    );
    sim.stop().await;
}
