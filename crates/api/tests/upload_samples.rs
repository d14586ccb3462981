//! Every file of `shared/samples` through the upload endpoint, plus the form-level refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use common::{
    Backend, GESTIONNAIRE, Options, Part, SUPERVISEUR, assert_error, fixture, spawn_app,
    spawn_app_with,
};
use serde_json::Value;

/// (file, rows, total) of the valid samples.
const VALID: [(&str, usize, i64); 4] = [
    ("standard.csv", 5, 37_500),
    ("payment-list.csv", 3, 22_500),
    ("payment-list-excel-fr.csv", 2, 15_000),
    ("payment-list-with-names.csv", 3, 135_000),
];

async fn valid_samples(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let mut reserved = 0;
    let mut ml_ids = HashSet::new();
    for (name, rows, total) in VALID {
        let res = app.upload_fixture(&token, name).await;
        assert_eq!(res.status(), 202, "{name}");
        let location = res.headers()["location"].to_str().unwrap().to_string();
        let body: Value = res.json().await.unwrap();
        let id = body["bulkTransferId"].as_str().unwrap().to_string();
        assert!(id.starts_with("bulk-"), "{body}");
        assert_eq!(location, format!("/api/bulk-transfers/{id}/status"));
        assert_eq!(body["state"], "PENDING");
        assert_eq!(body["total"], rows as i64, "{name}");
        assert_eq!(body["totalAmount"], total, "{name}");
        assert_eq!(body["currency"], "XOF");
        reserved += total;
        assert_eq!(app.snapshot().await.reserved, reserved, "{name}");
        assert!(
            app.queued_jobs().await.iter().any(|j| j.contains(&id)),
            "{name} queued"
        );

        let status: Value = app.get(&token, &location).await.json().await.unwrap();
        let transfers = status["transfers"].as_array().unwrap();
        assert_eq!(transfers.len(), rows);
        assert_eq!(status["totalAmount"], total);
        assert_eq!(status["createdBy"], "gestionnaire");
        assert_eq!(status["fileName"], name);
        let ids: HashSet<&str> = transfers
            .iter()
            .map(|t| t["transferId"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), rows, "{name}: transfer ids unique");
        for t in transfers {
            assert_eq!(t["status"], "PENDING");
            let ml = t["mojaloopTransferId"].as_str().unwrap();
            assert!(uuid::Uuid::parse_str(ml).is_ok());
            assert!(ml_ids.insert(ml.to_string()), "mojaloop ids are unique");
        }
        match name {
            "standard.csv" => {
                let got: Vec<&str> = transfers
                    .iter()
                    .map(|t| t["transferId"].as_str().unwrap())
                    .collect();
                assert_eq!(got, ["tx-001", "tx-002", "tx-003", "tx-004", "tx-005"]);
                assert!(transfers[0].get("payeeName").is_none());
                assert_eq!(transfers[0]["amount"], 10_000);
                assert_eq!(transfers[0]["partyIdentifier"], "22890123456");
            }
            "payment-list-with-names.csv" => {
                assert_eq!(transfers[0]["payeeName"], "Ama Mensah");
                assert_eq!(transfers[1]["partyIdType"], "PERSONAL_ID");
                assert_eq!(transfers[1]["partyIdentifier"], "0231397500");
                assert_eq!(transfers[1]["payeeName"], "Kossi Agbeko");
            }
            _ => {}
        }
    }
    assert_eq!(app.queued_jobs().await.len(), 4);
    app.cleanup().await;
}

fn lines_and_fields(body: &Value) -> Vec<(i64, String)> {
    body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert!(d["code"].is_string() && d["message"].is_string(), "{d}");
            (
                d["line"].as_i64().unwrap(),
                d["field"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn invalid_samples(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let before = app.snapshot().await;

    let res = app.upload_fixture(&token, "invalid-rows.csv").await;
    let body = assert_error(res, 422, "invalid_file").await;
    let expected: Vec<(i64, String)> = [
        (3, "amount"),
        (4, "amount"),
        (5, "partyIdType"),
        (6, "transferId"),
        (7, "amount"),
        (7, "partyIdentifier"),
    ]
    .iter()
    .map(|(l, f)| (*l, f.to_string()))
    .collect();
    assert_eq!(lines_and_fields(&body), expected);
    app.assert_unchanged(before).await;

    let res = app.upload_fixture(&token, "unknown-header.csv").await;
    let body = assert_error(res, 422, "invalid_file").await;
    assert_eq!(lines_and_fields(&body), vec![(1, "header".to_string())]);
    app.assert_unchanged(before).await;

    // Not a CSV at all, and not UTF-8.
    for (name, bytes) in [
        ("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01".to_vec()),
        (
            "latin1.csv",
            b"transferId,amount,currency,partyIdType,partyIdentifier\ntx-\xe9,1,XOF,MSISDN,22890123456\n"
                .to_vec(),
        ),
        ("empty.csv", Vec::new()),
    ] {
        let res = app.upload(&token, &[Part::file(name, bytes)], &[]).await;
        assert_error(res, 422, "invalid_file").await;
        app.assert_unchanged(before).await;
    }
    app.cleanup().await;
}

/// A 1 MB file of 100,000 rows wrong in every cell: the answer lists the first 1,000 problems in
/// file order, counts all of them by code, and stays small.
async fn refusal_of_a_file_wrong_everywhere_is_bounded(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let before = app.snapshot().await;
    let mut file = String::from("transferId,amount,currency,partyIdType,partyIdentifier\n");
    for _ in 0..100_000 {
        file.push_str("t t,-1,EU,XX,?\n");
    }
    assert!(file.len() < 2_000_000);
    let res = app
        .upload(&token, &[Part::file("bad.csv", file.into_bytes())], &[])
        .await;
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    assert!(text.len() < 1_000_000, "answer of {} bytes", text.len());
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"], "invalid_file");
    let details = body["details"].as_array().unwrap();
    assert_eq!(details.len(), 1_000);
    assert_eq!(details[0]["line"], 2);
    let total = body["totalProblems"].as_u64().unwrap();
    assert!(total >= 300_000, "{total}");
    let by_code = body["problemsByCode"].as_object().unwrap();
    assert_eq!(
        by_code.values().map(|v| v.as_u64().unwrap()).sum::<u64>(),
        total
    );
    assert_eq!(by_code["amount_not_positive"], 100_000);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("first 1000 listed")
    );
    app.assert_unchanged(before).await;
    app.cleanup().await;
}

async fn supervisor_cannot_upload(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(SUPERVISEUR).await;
    let before = app.snapshot().await;
    let res = app.upload_fixture(&token, "standard.csv").await;
    assert_error(res, 403, "forbidden").await;
    app.assert_unchanged(before).await;
    app.cleanup().await;
}

async fn form_refusals(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let before = app.snapshot().await;
    let file = || Part::file("standard.csv", fixture("standard.csv"));

    let cases: Vec<(Vec<Part>, &str)> = vec![
        (vec![], "missing_file"),
        (
            vec![Part::text("callback_url", "https://x.example/")],
            "missing_file",
        ),
        (vec![file(), Part::text("comment", "hi")], "unknown_field"),
        (vec![file(), file()], "duplicate_field"),
        (
            vec![
                file(),
                Part::text("force", "true"),
                Part::text("force", "true"),
            ],
            "duplicate_field",
        ),
        (
            vec![file(), Part::text("force", "peut-être")],
            "invalid_field",
        ),
        (
            vec![file(), Part::text("allow_duplicate_payees", "sure")],
            "invalid_field",
        ),
        (
            vec![file(), Part::text("callback_url", "http://")],
            "invalid_callback_url",
        ),
        (
            vec![file(), Part::text("callback_url", "ftp://files.example/x")],
            "invalid_callback_url",
        ),
    ];
    for (parts, code) in cases {
        let res = app.upload(&token, &parts, &[]).await;
        assert_error(res, 422, code).await;
        app.assert_unchanged(before).await;
    }

    // Not multipart at all.
    let res = app
        .client
        .post(app.url("/api/bulk-transfers"))
        .bearer_auth(&token)
        .header("Content-Type", "text/csv")
        .body(fixture("standard.csv"))
        .send()
        .await
        .unwrap();
    assert_error(res, 415, "unsupported_media_type").await;
    // Multipart without a boundary.
    let res = app
        .client
        .post(app.url("/api/bulk-transfers"))
        .bearer_auth(&token)
        .header("Content-Type", "multipart/form-data")
        .body("garbage")
        .send()
        .await
        .unwrap();
    assert_error(res, 422, "invalid_multipart").await;
    let res = app
        .upload(&token, &[file()], &[("Idempotency-Key", &"k".repeat(300))])
        .await;
    assert_error(res, 422, "invalid_idempotency_key").await;
    app.assert_unchanged(before).await;

    // A public callback URL is accepted and stored.
    let res = app
        .upload(
            &token,
            &[
                file(),
                Part::text("callback_url", "https://erp.cnss.example/hooks/bulk"),
            ],
            &[],
        )
        .await;
    assert_eq!(res.status(), 202);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let status: Value = app.get(&token, &location).await.json().await.unwrap();
    assert_eq!(status["callbackUrl"], "https://erp.cnss.example/hooks/bulk");
    app.cleanup().await;
}

/// A frontend's own callback URL (the seed's React app sends a `localhost` one) does not refuse
/// the payment: it is stored with the run, and the 202 says the egress policy will block it.
async fn private_callbacks_are_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    for (i, url) in [
        "http://localhost:8000/api/transfers",
        "http://169.254.169.254/x",
        "http://10.0.0.1/hook",
    ]
    .into_iter()
    .enumerate()
    {
        let res = app
            .upload(
                &token,
                &[
                    Part::file("standard.csv", fixture("standard.csv")),
                    Part::text("callback_url", url),
                    Part::text("force", "true"),
                ],
                &[("Idempotency-Key", &format!("private-callback-{i}"))],
            )
            .await;
        assert_eq!(res.status(), 202, "{url}");
        let location = res.headers()["location"].to_str().unwrap().to_string();
        let accepted: Value = res.json().await.unwrap();
        assert_eq!(
            accepted["callback"]["policy"], "blocked_private_address",
            "{url}"
        );
        let status: Value = app.get(&token, &location).await.json().await.unwrap();
        assert_eq!(status["callbackUrl"], url);
    }
    app.cleanup().await;
}

async fn too_large(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            max_upload_bytes: Some(1024),
            ..Options::default()
        },
    )
    .await;
    let token = app.token(GESTIONNAIRE).await;
    let before = app.snapshot().await;
    // Small enough to pass the Content-Length pre-check: caught while streaming.
    let big = common::standard_csv(60, 100);
    assert!(big.len() > 1024 && big.len() < 8 * 1024);
    let res = app.upload(&token, &[Part::file("big.csv", big)], &[]).await;
    assert_error(res, 413, "payload_too_large").await;
    app.assert_unchanged(before).await;
    // Declared far over the limit: refused before reading.
    let huge = common::standard_csv(4000, 100);
    let res = app
        .upload(&token, &[Part::file("huge.csv", huge)], &[])
        .await;
    assert_error(res, 413, "payload_too_large").await;
    app.assert_unchanged(before).await;
    // Under the limit still works.
    let res = app.upload_fixture(&token, "standard.csv").await;
    assert_eq!(res.status(), 202);
    app.cleanup().await;
}

both_backends!(
    valid_samples,
    invalid_samples,
    refusal_of_a_file_wrong_everywhere_is_bounded,
    supervisor_cannot_upload,
    form_refusals,
    private_callbacks_are_stored,
    too_large
);
