//! The client against raw canned answers: transport failures (refused, reset after sending, half a
//! body, no answer) and whole `execute` flows with scripted adapter answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sdk::{AcceptMode, CallResult, LookupResult, Outcome, SdkClient, Stage};
use std::time::Duration;
use support::canned::{Answer, closed_port, http, serve, truncated};
use support::{fixture, policy, request};

fn client(base: &str) -> SdkClient {
    SdkClient::new(base, Duration::from_millis(800)).unwrap()
}

fn is_unknown(o: &Outcome) -> bool {
    matches!(o, Outcome::Unknown { .. })
}

#[tokio::test]
async fn connection_refused_is_not_sent() {
    let base = format!("http://{}", closed_port().await);
    let sdk = client(&base);
    let outcome = sdk.execute(&request("22890123456"), &policy()).await;
    assert!(matches!(outcome, Outcome::NotSent { .. }), "{outcome:?}");
    assert!(matches!(
        sdk.get_transfer("9335b732-314d-495b-83af-84d691f34887")
            .await,
        LookupResult::Unreachable { .. }
    ));
    assert!(sdk.health().await.is_err());
}

#[tokio::test]
async fn unresolvable_host_is_not_sent() {
    let sdk = client("http://adapter.invalid:4001");
    let outcome = sdk.post_transfer(&request("1")).await;
    assert!(matches!(outcome, CallResult::NotSent { .. }), "{outcome:?}");
}

#[tokio::test]
async fn reset_after_sending_is_unknown() {
    let server = serve(vec![Answer::Drop]).await;
    let outcome = client(&server.base_url())
        .execute(&request("1"), &policy())
        .await;
    assert!(is_unknown(&outcome), "{outcome:?}");
    assert_eq!(server.requests().len(), 1, "the request did arrive");
}

#[tokio::test]
async fn no_answer_is_unknown_after_the_timeout() {
    let server = serve(vec![Answer::Hang]).await;
    let outcome = client(&server.base_url())
        .execute(&request("1"), &policy())
        .await;
    let Outcome::Unknown { reason } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(reason.contains("timed out"), "{reason}");
}

#[tokio::test]
async fn half_a_body_is_unknown() {
    let body = fixture("auto-on");
    let server = serve(vec![truncated("200 OK", &body, 100)]).await;
    let outcome = client(&server.base_url())
        .execute(&request("1"), &policy())
        .await;
    assert!(is_unknown(&outcome), "{outcome:?}");
}

#[tokio::test]
async fn canned_answers_classify_end_to_end() {
    let cases: Vec<(Answer, &str)> = vec![
        (http("200 OK", &fixture("auto-on")), "Completed"),
        (
            http("500 Internal Server Error", &fixture("err-party-not-found")),
            "Failed 3204",
        ),
        (
            http("500 Internal Server Error", &fixture("err-quote-rejected")),
            "Failed 5103",
        ),
        (
            http(
                "500 Internal Server Error",
                &fixture("err-transfer-rejected"),
            ),
            "Failed 5105",
        ),
        (
            http("400 Bad Request", &fixture("err-bad-amount")),
            "Failed 400",
        ),
        (
            http("504 Gateway Timeout", &fixture("err-timeout")),
            "NotPrepared PARTY_LOOKUP_TIMEOUT",
        ),
        (
            http("504 Gateway Timeout", &fixture("err-timeout-quote")),
            "NotPrepared QUOTE_TIMEOUT",
        ),
        (
            http("504 Gateway Timeout", &fixture("err-timeout-fulfil")),
            "Unknown",
        ),
        (http("500 Internal Server Error", ""), "Unknown"),
        (
            http("500 Internal Server Error", &fixture("manual-unknown-id")),
            "Unknown",
        ),
        (http("502 Bad Gateway", "<html></html>"), "Unknown"),
        (http("200 OK", "not json"), "Unknown"),
        (http("204 No Content", ""), "Unknown"),
    ];
    for (answer, want) in cases {
        let server = serve(vec![answer]).await;
        let outcome = client(&server.base_url())
            .execute(&request("1"), &policy())
            .await;
        let got = match &outcome {
            Outcome::Completed { .. } => "Completed".to_string(),
            Outcome::Failed { code, .. } => format!("Failed {code}"),
            Outcome::NotSent { .. } => "NotSent".to_string(),
            Outcome::NotPrepared { code, .. } => format!("NotPrepared {code}"),
            Outcome::Unknown { .. } => "Unknown".to_string(),
        };
        assert_eq!(got, want, "{outcome:?}");
        assert_eq!(
            server.requests().len(),
            1,
            "exactly one POST, never retried"
        );
    }
}

#[tokio::test]
async fn manual_flow_accepts_party_then_quote() {
    let server = serve(vec![
        http("200 OK", &fixture("manual-1-post")),
        http("200 OK", &fixture("manual-2-accept-party")),
        http("200 OK", &fixture("manual-3-accept-quote")),
    ])
    .await;
    let req = request("27720000001");
    let outcome = client(&server.base_url()).execute(&req, &policy()).await;
    assert_eq!(
        outcome,
        Outcome::Completed {
            fee_above_limit: None
        }
    );
    let seen = server.requests();
    let lines: Vec<_> = seen.iter().map(|s| s.line.as_str()).collect();
    let put = format!("PUT /transfers/{}", req.transfer_id);
    assert_eq!(lines, ["POST /transfers", put.as_str(), put.as_str()]);
    assert_eq!(seen[1].body, r#"{"acceptParty":true}"#);
    assert_eq!(seen[2].body, r#"{"acceptQuote":true}"#);
    let posted: serde_json::Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(posted["transferId"], req.transfer_id.as_str());
    assert_eq!(posted["amount"], "10.5");
    assert_eq!(posted["amountType"], "SEND");
    assert_eq!(posted["transactionType"], "TRANSFER");
}

#[tokio::test]
async fn quote_with_another_amount_is_refused() {
    let server = serve(vec![
        http("200 OK", &fixture("manual-2-accept-party")),
        http("200 OK", &fixture("manual-r4-reject-quote")),
    ])
    .await;
    let mut p = policy();
    p.expected_amount_minor = 1000;
    let outcome = client(&server.base_url()).execute(&request("1"), &p).await;
    let Outcome::Failed { code, message } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(code, "QUOTE_REFUSED");
    assert!(
        message.contains("10.5 USD") && message.contains("10 USD"),
        "{message}"
    );
    assert_eq!(server.requests()[1].body, r#"{"acceptQuote":false}"#);
}

#[tokio::test]
async fn quote_with_a_fee_above_the_maximum_is_refused() {
    let with_fee = fixture("manual-2-accept-party").replacen(
        "\"payeeFspFee\": {\n        \"currency\": \"USD\",\n        \"amount\": \"0\"",
        "\"payeeFspFee\": {\n        \"currency\": \"USD\",\n        \"amount\": \"1.25\"",
        1,
    );
    assert_ne!(with_fee, fixture("manual-2-accept-party"), "fixture edited");
    let script = |body: &str| {
        vec![
            http("200 OK", body),
            http("200 OK", &fixture("manual-r4-reject-quote")),
        ]
    };
    let server = serve(script(&with_fee)).await;
    let outcome = client(&server.base_url())
        .execute(&request("1"), &policy())
        .await;
    let Outcome::Failed { code, message } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(code, "QUOTE_REFUSED");
    assert!(message.contains("payeeFspFee 1.25 USD"), "{message}");
    assert!(message.contains("maximum 0 USD"), "{message}");

    // The same quote passes a policy that allows 1.25.
    let server = serve(vec![
        http("200 OK", &with_fee),
        http("200 OK", &fixture("manual-3-accept-quote")),
    ])
    .await;
    let mut p = policy();
    p.max_payee_fee_minor = 125;
    let outcome = client(&server.base_url()).execute(&request("1"), &p).await;
    assert_eq!(
        outcome,
        Outcome::Completed {
            fee_above_limit: None
        }
    );
}

#[tokio::test]
async fn a_failed_put_accept_is_unknown_never_not_sent() {
    // Reset on the PUT acceptQuote: the transfer may complete.
    let server = serve(vec![
        http("200 OK", &fixture("manual-2-accept-party")),
        Answer::Drop,
    ])
    .await;
    let outcome = client(&server.base_url())
        .execute(&request("1"), &policy())
        .await;
    assert!(is_unknown(&outcome), "{outcome:?}");

    // 504 on the PUT acceptQuote.
    let server = serve(vec![
        http("200 OK", &fixture("manual-2-accept-party")),
        http("504 Gateway Timeout", &fixture("err-timeout")),
    ])
    .await;
    let outcome = client(&server.base_url())
        .execute(&request("1"), &policy())
        .await;
    assert!(is_unknown(&outcome), "{outcome:?}");

    // The adapter vanishes after answering the POST: the PUT acceptParty cannot even connect, yet
    // the transfer exists at the adapter, so the POST must not be repeated.
    let server = serve(vec![Answer::BytesThenShutdown(
        match http("200 OK", &fixture("manual-1-post")) {
            Answer::Bytes(b) => b,
            _ => unreachable!(),
        },
    )])
    .await;
    let outcome = client(&server.base_url())
        .execute(&request("1"), &policy())
        .await;
    assert!(is_unknown(&outcome), "{outcome:?}");
}

#[tokio::test]
async fn a_failure_answer_to_a_put_is_a_failure() {
    let server = serve(vec![
        http("200 OK", &fixture("manual-1-post")),
        http("500 Internal Server Error", &fixture("err-quote-rejected")),
    ])
    .await;
    let outcome = client(&server.base_url())
        .execute(&request("1"), &policy())
        .await;
    assert!(
        matches!(outcome, Outcome::Failed { ref code, .. } if code == "5103"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn lookups_over_http() {
    let server = serve(vec![
        http("200 OK", &fixture("get-transfer")),
        http("504 Gateway Timeout", &fixture("err-timeout")),
        Answer::Drop,
    ])
    .await;
    let sdk = client(&server.base_url());
    let id = "9335b732-314d-495b-83af-84d691f34887";
    assert_eq!(sdk.get_transfer(id).await, LookupResult::Committed);
    assert!(matches!(
        sdk.get_transfer(id).await,
        LookupResult::Unreachable { .. }
    ));
    assert!(matches!(
        sdk.get_transfer(id).await,
        LookupResult::Unreachable { .. }
    ));
    let lines: Vec<_> = server.requests().into_iter().map(|s| s.line).collect();
    assert_eq!(lines[0], format!("GET /transfers/{id}"));
}

#[tokio::test]
async fn health_checks_the_root() {
    let server = serve(vec![
        http("200 OK", ""),
        http("503 Service Unavailable", ""),
    ])
    .await;
    let sdk = client(&server.base_url());
    assert!(sdk.health().await.is_ok());
    assert!(sdk.health().await.is_err());
    assert_eq!(server.requests()[0].line, "GET /");
}

#[test]
fn bad_base_urls_are_refused() {
    assert!(SdkClient::new("not a url", Duration::from_secs(1)).is_err());
    assert!(SdkClient::new("mailto:x@y", Duration::from_secs(1)).is_err());
    assert!(SdkClient::new("http://127.0.0.1:4001/", Duration::from_secs(1)).is_ok());
}

/// In manual mode nothing is prepared before our quote acceptance: a dropped party acceptance is
/// certain. In auto mode (or once an answer disproved manual mode) the same drop is UNKNOWN.
#[tokio::test]
async fn manual_mode_makes_failures_before_the_quote_acceptance_certain() {
    let script = || vec![http("200 OK", &fixture("manual-1-post")), Answer::Drop];
    let server = serve(script()).await;
    let manual = client(&server.base_url()).with_accept_mode(AcceptMode::Manual);
    let outcome = manual.execute(&request("27720000001"), &policy()).await;
    assert!(
        matches!(
            outcome,
            Outcome::NotPrepared {
                stage: Stage::Quote,
                ..
            }
        ),
        "{outcome:?}"
    );

    let server = serve(script()).await;
    let auto = client(&server.base_url());
    let outcome = auto.execute(&request("27720000001"), &policy()).await;
    assert!(is_unknown(&outcome), "{outcome:?}");

    // A POST that completes on its own disproves manual mode for good.
    let server = serve(vec![
        http("200 OK", &fixture("auto-on")),
        http("200 OK", &fixture("manual-1-post")),
        Answer::Drop,
    ])
    .await;
    let sdk = client(&server.base_url()).with_accept_mode(AcceptMode::Manual);
    assert_eq!(
        sdk.execute(&request("1"), &policy()).await,
        Outcome::Completed {
            fee_above_limit: None
        }
    );
    assert_eq!(sdk.accept_mode(), AcceptMode::Auto);
    let outcome = sdk.execute(&request("27720000001"), &policy()).await;
    assert!(is_unknown(&outcome), "{outcome:?}");
}
