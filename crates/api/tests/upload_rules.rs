//! Money and repeat rules of the upload: funds, payer account, idempotency, duplicate files,
//! duplicate payees, and a queue outage after the commit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::{
    Backend, FailingQueue, GESTIONNAIRE, Options, Part, assert_error, fixture, spawn_app,
    spawn_app_with,
};
use serde_json::Value;

async fn insufficient_funds(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            balance: Some(30_000),
            ..Options::default()
        },
    )
    .await;
    let token = app.token(GESTIONNAIRE).await;
    let before = app.snapshot().await;
    let res = app.upload_fixture(&token, "standard.csv").await;
    let body = assert_error(res, 422, "insufficient_funds").await;
    assert_eq!(body["required"], 37_500);
    assert_eq!(body["available"], 30_000);
    app.assert_unchanged(before).await;
    // A smaller file fits; then the same money cannot be promised twice.
    let res = app.upload_fixture(&token, "payment-list.csv").await;
    assert_eq!(res.status(), 202);
    let res = app
        .upload_fixture(&token, "payment-list-excel-fr.csv")
        .await;
    let body = assert_error(res, 422, "insufficient_funds").await;
    assert_eq!(body["required"], 15_000);
    assert_eq!(body["available"], 30_000 - 22_500);
    assert_eq!(app.snapshot().await.reserved, 22_500);
    app.cleanup().await;
}

async fn payer_account_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let before = app.snapshot().await;
    let file = b"transferId,amount,currency,partyIdType,partyIdentifier\n\
                 tx-1,1000,XAF,MSISDN,23790123456\n"
        .to_vec();
    let res = app
        .upload(&token, &[Part::file("xaf.csv", file)], &[])
        .await;
    assert_error(res, 422, "payer_account_not_found").await;
    app.assert_unchanged(before).await;
    app.cleanup().await;
}

async fn idempotency(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let key = [("Idempotency-Key", "pensions-2026-11")];
    let standard = || vec![Part::file("standard.csv", fixture("standard.csv"))];

    let first = app.upload(&token, &standard(), &key).await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    let after_first = app.snapshot().await;

    let again = app.upload(&token, &standard(), &key).await;
    assert_eq!(again.status(), 202);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["bulkTransferId"], first["bulkTransferId"]);
    assert_eq!(again["totalAmount"], 37_500);
    assert_eq!(app.snapshot().await, after_first, "no second bulk");
    assert_eq!(app.queued_jobs().await.len(), 1, "no second job");

    let other = app
        .upload(
            &token,
            &[Part::file("payment-list.csv", fixture("payment-list.csv"))],
            &key,
        )
        .await;
    assert_error(other, 422, "idempotency_key_reused").await;
    assert_eq!(app.snapshot().await, after_first);
    assert_eq!(app.queued_jobs().await.len(), 1);

    // Keys are per organisation: another organisation may use the same one.
    let theirs = app.token(common::OTHER_ORG_USER).await;
    let res = app.upload(&theirs, &standard(), &key).await;
    assert_eq!(res.status(), 202);
    let res: Value = res.json().await.unwrap();
    assert_ne!(res["bulkTransferId"], first["bulkTransferId"]);
    app.cleanup().await;
}

async fn duplicate_file(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let res = app.upload_fixture(&token, "payment-list.csv").await;
    assert_eq!(res.status(), 202);
    let first: Value = res.json().await.unwrap();
    let before = app.snapshot().await;

    let res = app.upload_fixture(&token, "payment-list.csv").await;
    let body = assert_error(res, 409, "duplicate_file").await;
    assert_eq!(
        body["details"][0]["bulkTransferId"],
        first["bulkTransferId"]
    );
    assert_eq!(app.snapshot().await, before);
    assert_eq!(app.queued_jobs().await.len(), 1);

    // A fresh idempotency key does not bypass the guard either.
    let res = app
        .upload(
            &token,
            &[Part::file("payment-list.csv", fixture("payment-list.csv"))],
            &[("Idempotency-Key", "new-key")],
        )
        .await;
    assert_error(res, 409, "duplicate_file").await;

    let res = app
        .upload(
            &token,
            &[
                Part::file("payment-list.csv", fixture("payment-list.csv")),
                Part::text("force", "true"),
            ],
            &[],
        )
        .await;
    assert_eq!(res.status(), 202);
    let forced: Value = res.json().await.unwrap();
    assert_ne!(forced["bulkTransferId"], first["bulkTransferId"]);
    let after = app.snapshot().await;
    assert_eq!(after.bulks, 2);
    assert_eq!(after.reserved, 2 * 22_500);
    assert_eq!(app.queued_jobs().await.len(), 2);
    app.cleanup().await;
}

/// Ten identical uploads at the same moment: exactly one is stored, the others are told 409.
async fn duplicate_file_race(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let sends = (0..10).map(|_| app.upload_fixture(&token, "standard.csv"));
    let statuses: Vec<u16> = futures::future::join_all(sends)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        9,
        "{statuses:?}"
    );
    let after = app.snapshot().await;
    assert_eq!(after.bulks, 1);
    assert_eq!(after.reserved, 37_500);
    assert_eq!(app.queued_jobs().await.len(), 1);
    app.cleanup().await;
}

async fn duplicate_payees(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let before = app.snapshot().await;
    let file = || {
        b"type_id,valeur_id,devise,montant\n\
          MSISDN,22890123456,XOF,1000\n\
          MSISDN,22890123456,XOF,2000\n"
            .to_vec()
    };
    let res = app
        .upload(&token, &[Part::file("d.csv", file())], &[])
        .await;
    let body = assert_error(res, 422, "invalid_file").await;
    assert_eq!(body["details"][0]["line"], 3);
    assert_eq!(body["details"][0]["code"], "duplicate_payee");
    app.assert_unchanged(before).await;
    let res = app
        .upload(
            &token,
            &[
                Part::file("d.csv", file()),
                Part::text("allow_duplicate_payees", "true"),
            ],
            &[],
        )
        .await;
    assert_eq!(res.status(), 202);
    app.cleanup().await;
}

async fn queue_down_still_accepts(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            queue: Some(Arc::new(FailingQueue)),
            ..Options::default()
        },
    )
    .await;
    let token = app.token(GESTIONNAIRE).await;
    let res = app.upload_fixture(&token, "standard.csv").await;
    assert_eq!(res.status(), 202);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["state"], "PENDING");
    let status: Value = app.get(&token, &location).await.json().await.unwrap();
    assert_eq!(status["state"], "PENDING");
    assert_eq!(status["transfers"].as_array().unwrap().len(), 5);
    let snap = app.snapshot().await;
    assert_eq!((snap.bulks, snap.transfers, snap.reserved), (1, 5, 37_500));
    app.cleanup().await;
}

both_backends!(
    insufficient_funds,
    payer_account_not_found,
    idempotency,
    duplicate_file,
    duplicate_file_race,
    duplicate_payees,
    queue_down_still_accepts
);
