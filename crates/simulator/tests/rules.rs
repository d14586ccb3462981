//! Each failure rule, and what the switch ledger says about it afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use simulator::SimConfig;
use std::io::{Read, Write};
use support::*;

/// POSTs to `payee`, then looks the transfer up.
async fn post_then_get(payee: &str) -> (u16, serde_json::Value, u16, serde_json::Value, bool) {
    let sim = start(SimConfig::default()).await;
    let id = new_id();
    let (status, body) = post(&sim.base_url(), &transfer(&id, payee)).await;
    let (get_status, get_body) = get(&sim.base_url(), &id).await;
    let committed = sim.is_committed(&id);
    assert_eq!(
        sim.counters().total_posts,
        1,
        "counted before the rule applied"
    );
    sim.stop().await;
    (status, body, get_status, get_body, committed)
}

fn assert_not_found(status: u16, body: &serde_json::Value) {
    assert_eq!(status, 500);
    assert_eq!(body["statusCode"], "3208");
    assert_eq!(
        body["transferState"]["lastError"]["mojaloopError"]["errorInformation"]["errorCode"],
        "3208"
    );
    assert_eq!(body["transferState"]["currentState"], "ERROR_OCCURRED");
}

#[tokio::test]
async fn normal_payee_commits() {
    let (status, body, gs, gb, committed) = post_then_get("22890123456").await;
    assert_eq!(
        (status, body["currentState"].as_str()),
        (200, Some("COMPLETED"))
    );
    assert_eq!(
        (gs, gb["fulfil"]["body"]["transferState"].as_str()),
        (200, Some("COMMITTED"))
    );
    assert!(committed);
}

#[tokio::test]
async fn party_not_found_3204() {
    let (status, body, gs, gb, committed) = post_then_get("22890123204").await;
    assert_eq!((status, body["statusCode"].as_str()), (500, Some("3204")));
    assert_eq!(
        body["transferState"]["lastError"]["mojaloopError"]["errorInformation"]["errorDescription"],
        "Party not found"
    );
    assert_not_found(gs, &gb);
    assert!(!committed);
}

#[tokio::test]
async fn quote_rejected_5103() {
    let (status, body, gs, gb, committed) = post_then_get("22890125103").await;
    assert_eq!((status, body["statusCode"].as_str()), (500, Some("5103")));
    assert!(body["transferState"].get("quoteResponse").is_none());
    assert_not_found(gs, &gb);
    assert!(!committed);
}

#[tokio::test]
async fn transfer_rejected_5105_is_aborted_at_the_switch() {
    let (status, body, gs, gb, committed) = post_then_get("22890125105").await;
    assert_eq!((status, body["statusCode"].as_str()), (500, Some("5105")));
    assert_eq!(body["transferState"]["to"]["fspId"], "failfsp");
    // Like the real adapter: the lookup "completed", the switch says ABORTED.
    assert_eq!(gs, 200);
    assert_eq!(gb["currentState"], "COMPLETED");
    assert_eq!(gb["fulfil"]["body"]["transferState"], "ABORTED");
    assert!(!committed);
}

#[tokio::test]
async fn timeout_before_commit_0504() {
    let (status, body, gs, gb, committed) = post_then_get("22890120504").await;
    assert_eq!((status, body["statusCode"].as_str()), (504, Some("504")));
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Timeout resolving payee for transfer "),
        "{message}"
    );
    assert_eq!(
        body["transferState"]["lastError"],
        json!({"httpStatusCode": 504})
    );
    assert_not_found(gs, &gb);
    assert!(!committed);
}

#[tokio::test]
async fn timeout_after_commit_0505_moved_the_money() {
    let (status, body, gs, gb, committed) = post_then_get("22890120505").await;
    assert_eq!((status, body["statusCode"].as_str()), (504, Some("504")));
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Timeout waiting for fulfil for transfer "),
        "{message}"
    );
    assert!(
        body["transferState"].get("fulfil").is_none(),
        "the caller never saw the fulfil"
    );
    assert!(body["transferState"].get("prepare").is_some());
    assert_eq!(
        (gs, gb["fulfil"]["body"]["transferState"].as_str()),
        (200, Some("COMMITTED"))
    );
    assert!(committed);
}

#[tokio::test]
async fn empty_500_for_0500() {
    let sim = start(SimConfig::default()).await;
    let id = new_id();
    let resp = client()
        .post(format!("{}/transfers", sim.base_url()))
        .json(&transfer(&id, "22890120500"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    assert!(resp.bytes().await.unwrap().is_empty());
    let (gs, gb) = get(&sim.base_url(), &id).await;
    assert_not_found(gs, &gb);
    assert!(!sim.is_committed(&id));
    sim.stop().await;
}

#[tokio::test]
async fn drop_rule_closes_without_status_line() {
    let sim = start(SimConfig::default()).await;
    let id = new_id();
    let body = serde_json::to_vec(&transfer(&id, "22890120999")).unwrap();
    let addr = sim.addr;
    let raw = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let head = format!(
            "POST /transfers HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&body).unwrap();
        let mut answer = Vec::new();
        // EOF (Ok) or a reset (Err) both mean "closed"; a timeout would fail below.
        let closed = match stream.read_to_end(&mut answer) {
            Ok(_) => true,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        };
        (closed, answer)
    })
    .await
    .unwrap();
    assert!(raw.0, "connection closed");
    assert!(
        raw.1.is_empty(),
        "no bytes at all: {:?}",
        String::from_utf8_lossy(&raw.1)
    );
    assert_eq!(sim.counters().total_posts, 1);
    let (gs, gb) = get(&sim.base_url(), &id).await;
    assert_not_found(gs, &gb);
    sim.stop().await;
}

#[tokio::test]
async fn payee_fee_0777_completes_with_auto_accept() {
    let (status, body, gs, _, committed) = post_then_get("22890120777").await;
    assert_eq!(status, 200);
    assert_eq!(body["currentState"], "COMPLETED");
    let quote = &body["quoteResponse"]["body"];
    assert_eq!(
        quote["payeeFspFee"],
        json!({"currency": "USD", "amount": "1"})
    );
    assert_eq!(quote["transferAmount"]["amount"], "10.5");
    assert_eq!(quote["payeeReceiveAmount"]["amount"], "9.5");
    assert_eq!(gs, 200);
    assert!(committed);
}

#[tokio::test]
async fn fee_uses_the_currency_exponent() {
    let sim = start(SimConfig {
        auto_accept: false,
        payee_fee_minor: 250,
        ..SimConfig::default()
    })
    .await;
    let id = new_id();
    let mut body = transfer(&id, "22890120777");
    body["currency"] = json!("XOF");
    body["amount"] = json!("10000");
    post(&sim.base_url(), &body).await;
    let (_, quoted) = put(&sim.base_url(), &id, json!({"acceptParty": true})).await;
    let quote = &quoted["quoteResponse"]["body"];
    assert_eq!(
        quote["payeeFspFee"],
        json!({"currency": "XOF", "amount": "250"})
    );
    assert_eq!(quote["payeeReceiveAmount"]["amount"], "9750");
    sim.stop().await;
}

#[tokio::test]
async fn unknown_id_lookup_is_not_found() {
    let sim = start(SimConfig::default()).await;
    let (gs, gb) = get(&sim.base_url(), "00000000-0000-4000-8000-000000000000").await;
    assert_not_found(gs, &gb);
    assert!(
        gb["message"]
            .as_str()
            .unwrap()
            .contains("Transfer ID not found")
    );
    let (status, body) = get(&sim.base_url(), "not-a-uuid").await;
    assert_eq!((status, body["statusCode"].as_i64()), (400, Some(400)));
    sim.stop().await;
}
