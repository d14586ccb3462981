//! Shared helpers of the SDK's integration tests: capture fixtures, requests, and a tiny raw HTTP
//! server that answers canned bytes (or misbehaves on purpose).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod canned;

use sdk::{Party, QuotePolicy, TransferRequest};

/// A capture's body (copied from `shared/mojaloop/captures/`).
pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).expect(&path)
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// 10.50 USD to `payee`, like the captures.
pub fn request(payee: &str) -> TransferRequest {
    let id = new_id();
    let mut req = TransferRequest::send(
        format!("home-{id}"),
        id,
        Party {
            display_name: Some("Payer One".to_string()),
            ..Party::new("MSISDN", "27710000001")
        },
        Party::new("MSISDN", payee),
        "USD",
        1050,
        2,
    );
    req.note = Some("pension payment".to_string());
    req
}

/// Expects 10.50 USD, no fee.
pub fn policy() -> QuotePolicy {
    QuotePolicy {
        expected_amount_minor: 1050,
        exponent: 2,
        max_payee_fee_minor: 0,
    }
}
