//! Shared helpers of the simulator's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use simulator::{SimConfig, SimHandle, Simulator};
use std::collections::BTreeSet;

pub async fn start(cfg: SimConfig) -> SimHandle {
    Simulator::start(cfg, "127.0.0.1:0")
        .await
        .expect("simulator starts")
}

pub fn manual() -> SimConfig {
    SimConfig {
        auto_accept: false,
        ..SimConfig::default()
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A POST body like the captures', to payee `to_id`, with our own transferId.
pub fn transfer(transfer_id: &str, to_id: &str) -> Value {
    json!({
        "homeTransactionId": format!("home-{transfer_id}"),
        "transferId": transfer_id,
        "from": {"idType": "MSISDN", "idValue": "27710000001", "displayName": "Payer One"},
        "to": {"idType": "MSISDN", "idValue": to_id},
        "amountType": "SEND",
        "currency": "USD",
        "amount": "10.5",
        "transactionType": "TRANSFER",
        "note": "pension payment"
    })
}

/// Status and body (JSON, or `Value::Null` when empty).
pub async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = req.send().await.expect("an answer");
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.expect("a body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("JSON body")
    };
    (status, body)
}

pub async fn post(base: &str, body: &Value) -> (u16, Value) {
    send(client().post(format!("{base}/transfers")).json(body)).await
}

pub async fn put(base: &str, id: &str, body: Value) -> (u16, Value) {
    send(client().put(format!("{base}/transfers/{id}")).json(&body)).await
}

pub async fn get(base: &str, id: &str) -> (u16, Value) {
    send(client().get(format!("{base}/transfers/{id}"))).await
}

/// `GET /parties/{id_type}/{id}`.
pub async fn lookup(base: &str, id_type: &str, id: &str) -> (u16, Value) {
    send(client().get(format!("{base}/parties/{id_type}/{id}"))).await
}

/// The capture's body (copied from `shared/mojaloop/captures/`).
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect("fixture JSON")
}

/// Every key path of a JSON value (`a.b.c`), values ignored.
pub fn key_paths(v: &Value) -> BTreeSet<String> {
    fn walk(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        if let Value::Object(map) = v {
            for (k, child) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(path.clone());
                walk(child, &path, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(v, "", &mut out);
    out
}

/// Asserts the simulator's answer has exactly the capture's fields.
pub fn assert_same_shape(ours: &Value, capture: &str) {
    let theirs = key_paths(&fixture(capture));
    let ours = key_paths(ours);
    let missing: Vec<_> = theirs.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&theirs).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "shape differs from {capture}: missing {missing:?}, extra {extra:?}"
    );
}
