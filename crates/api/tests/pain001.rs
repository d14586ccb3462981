//! pain.001 uploads at `POST /api/bulk-transfers`, on both backends: the domain's golden .03 and
//! .09 files accepted with their count, total, MsgId and execution date; refusals (a wrong
//! control sum as `control_sum_mismatch` with its XML path, a DTD, a fraction of XOF) storing,
//! reserving and queueing nothing; a MsgId used once per organisation (409
//! `duplicate_message_id`, also for a cancelled run, also with `force`); 10,000 transactions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "support/iso.rs"]
mod iso;

use common::{Backend, GESTIONNAIRE, OTHER_ORG_USER, Part, TestApp, assert_error, spawn_app};
use iso::{Tx, golden, pain001};
use serde_json::Value;

both_backends!(
    golden_files_are_accepted,
    execution_date_from_the_file_or_the_form,
    refused_files_store_nothing,
    a_message_id_is_used_once,
    racing_uploads_of_one_message_id,
    ten_thousand_transactions,
);

async fn upload(app: &TestApp, token: &str, name: &str, file: Vec<u8>) -> reqwest::Response {
    app.upload(token, &[Part::file(name, file)], &[]).await
}

async fn accepted(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 202, "{body}");
    body
}

async fn status(app: &TestApp, token: &str, bulk: &Value) -> Value {
    let bulk = bulk["bulkTransferId"].as_str().unwrap();
    let res = app
        .get(token, &format!("/api/bulk-transfers/{bulk}/status"))
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn golden_files_are_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;

    let b = accepted(upload(&app, &token, "v03.xml", golden("v03-one.xml")).await).await;
    assert_eq!(
        (b["total"].as_i64(), b["totalAmount"].as_i64()),
        (Some(1), Some(25_000))
    );
    assert_eq!(b["currency"], "XOF");
    let s = status(&app, &token, &b).await;
    assert_eq!(s["msgId"], "CNSS-2026-05-0001");
    assert_eq!(s["messageNameId"], "pain.001.001.03");
    // ReqdExctnDt 2026-05-01 is past: the run starts now.
    assert_eq!(s["state"], "PENDING");
    assert!(s.get("executeAt").is_none(), "{s}");
    let row = &s["transfers"][0];
    assert_eq!(row["transferId"], "PENS-2026-05-0001");
    assert_eq!(row["line"], 40);
    assert_eq!(row["partyIdentifier"], "22890123456");
    assert_eq!(row["payeeName"], "Kossi Mensah & fils");

    let b = accepted(upload(&app, &token, "v09.xml", golden("v09-proxy.xml")).await).await;
    assert_eq!(
        (b["total"].as_i64(), b["totalAmount"].as_i64()),
        (Some(1), Some(15_000))
    );
    let s = status(&app, &token, &b).await;
    assert_eq!(
        (s["msgId"].as_str(), s["messageNameId"].as_str()),
        (Some("MSG-09-PRXY"), Some("pain.001.001.09"))
    );
    assert_eq!(s["transfers"][0]["partyIdentifier"], "22890123457");

    // The README's sample: two blocks, a proxy, a PERSONAL_ID.
    let sample =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sample-pain001.xml");
    let b =
        accepted(upload(&app, &token, "sample.xml", std::fs::read(sample).unwrap()).await).await;
    assert_eq!(
        (b["total"].as_i64(), b["totalAmount"].as_i64()),
        (Some(4), Some(150_000))
    );
    let s = status(&app, &token, &b).await;
    assert_eq!(s["transfers"][1]["partyIdentifier"], "22890123204");
    assert_eq!(s["transfers"][2]["partyIdType"], "PERSONAL_ID");
    assert_eq!(app.snapshot().await.reserved, 190_000);
    assert_eq!(app.queued_jobs().await.len(), 3);
    app.cleanup().await;
}

async fn execution_date_from_the_file_or_the_form(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let txs = vec![Tx::new("E-1", 1_000, "22890000011")];
    let file = pain001("MSG-LATER", Some("2099-01-31"), &[("P1", txs.clone())]);
    let b = accepted(upload(&app, &token, "later.xml", file).await).await;
    assert_eq!(b["state"], "SCHEDULED");
    let s = status(&app, &token, &b).await;
    assert_eq!(s["executeAt"], "2099-01-31T00:00:00Z");

    // The form's execute_at wins over the file's date.
    let file = pain001("MSG-FORM", Some("2099-01-31"), &[("P1", txs)]);
    let parts = [
        Part::file("form.xml", file),
        Part::text("execute_at", "2099-02-01T08:30:00Z"),
    ];
    let b = accepted(app.upload(&token, &parts, &[]).await).await;
    let s = status(&app, &token, &b).await;
    assert_eq!(s["executeAt"], "2099-02-01T08:30:00Z");
    assert!(app.queued_jobs().await.is_empty(), "scheduled runs wait");
    app.cleanup().await;
}

/// `(line, field, code)` of the single problem of a refusal, after checking its shape.
async fn only_problem(res: reqwest::Response, code: &str) -> (Value, (u64, String, String)) {
    let body = assert_error(res, 422, code).await;
    assert_eq!(body["totalProblems"], 1, "{body}");
    let d = &body["details"][0];
    let key = (
        d["line"].as_u64().unwrap(),
        d["field"].as_str().unwrap().to_string(),
        d["code"].as_str().unwrap().to_string(),
    );
    (body, key)
}

async fn refused_files_store_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let before = app.snapshot().await;
    let grp = "/Document/CstmrCdtTrfInitn";

    let res = upload(&app, &token, "sum.xml", golden("wrong-group-ctrlsum.xml")).await;
    let (body, key) = only_problem(res, "control_sum_mismatch").await;
    assert_eq!(
        key,
        (
            8,
            format!("{grp}/GrpHdr/CtrlSum"),
            "control_sum_mismatch".into()
        )
    );
    assert!(body["message"].as_str().unwrap().contains("AM10"), "{body}");
    assert!(
        body["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("AM10")
    );
    app.assert_unchanged(before).await;

    let res = upload(&app, &token, "count.xml", golden("wrong-block-nboftxs.xml")).await;
    let (body, key) = only_problem(res, "control_sum_mismatch").await;
    assert_eq!(key.1, format!("{grp}/PmtInf[2]/NbOfTxs"));
    assert!(
        body["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("AM18")
    );
    app.assert_unchanged(before).await;

    let res = upload(&app, &token, "lol.xml", golden("billion-laughs.xml")).await;
    let (_, key) = only_problem(res, "invalid_file").await;
    assert_eq!(key, (2, "/".into(), "xml_dtd_forbidden".into()));
    app.assert_unchanged(before).await;

    let res = upload(&app, &token, "fraction.xml", golden("xof-fraction.xml")).await;
    let (_, key) = only_problem(res, "invalid_file").await;
    let path = format!("{grp}/PmtInf[1]/CdtTrfTxInf[1]/Amt/InstdAmt");
    assert_eq!(key, (18, path, "amount_has_decimals".into()));
    app.assert_unchanged(before).await;

    // A control sum wrong AND another problem: the file is invalid, not only its totals.
    let bad = String::from_utf8(golden("wrong-group-ctrlsum.xml"))
        .unwrap()
        .replace(
            "<EndToEndId>T-2</EndToEndId>",
            "<EndToEndId>T 2</EndToEndId>",
        );
    let res = upload(&app, &token, "two.xml", bad.into_bytes()).await;
    let body = assert_error(res, 422, "invalid_file").await;
    assert_eq!(body["problemsByCode"]["control_sum_mismatch"], 1, "{body}");
    app.assert_unchanged(before).await;
    app.cleanup().await;
}

async fn a_message_id_is_used_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let first = accepted(upload(&app, &token, "a.xml", golden("v03-one.xml")).await).await;
    let first_id = first["bulkTransferId"].as_str().unwrap();
    let after_first = app.snapshot().await;

    // Same MsgId, another file (another EndToEndId): not the duplicate-file guard answering.
    let other = String::from_utf8(golden("v03-one.xml"))
        .unwrap()
        .replace("PENS-2026-05-0001", "PENS-2026-05-0002")
        .into_bytes();
    let res = upload(&app, &token, "b.xml", other.clone()).await;
    let body = assert_error(res, 409, "duplicate_message_id").await;
    assert_eq!(body["details"][0]["bulkTransferId"], first_id);
    assert_eq!(body["details"][0]["msgId"], "CNSS-2026-05-0001");
    assert!(body["message"].as_str().unwrap().contains(first_id));
    assert_eq!(app.snapshot().await, after_first);

    // The same file again is the duplicate-file guard's; with force=true, the MsgId's.
    let res = upload(&app, &token, "a.xml", golden("v03-one.xml")).await;
    assert_error(res, 409, "duplicate_file").await;
    let parts = [
        Part::file("a.xml", golden("v03-one.xml")),
        Part::text("force", "true"),
    ];
    assert_error(
        app.upload(&token, &parts, &[]).await,
        409,
        "duplicate_message_id",
    )
    .await;

    // Cancelled, the first run keeps its MsgId.
    let res = app
        .client
        .post(app.url(&format!("/api/bulk-transfers/{first_id}/cancel")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = upload(&app, &token, "b.xml", other.clone()).await;
    assert_error(res, 409, "duplicate_message_id").await;

    // Another organisation has its own message ids.
    let theirs = app.token(OTHER_ORG_USER).await;
    accepted(upload(&app, &theirs, "b.xml", other).await).await;
    app.cleanup().await;
}

/// Six files with one MsgId at once: one run, five 409s naming it (the unique index answers for
/// the uploads that passed the early check together).
async fn racing_uploads_of_one_message_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let uploads = (1..=6).map(|i| {
        let txs = vec![Tx::new(&format!("E-{i}"), 100, &format!("2289000001{i}"))];
        let file = pain001("MSG-RACE", None, &[("P1", txs)]);
        let (app, token) = (&app, &token);
        async move { upload(app, token, &format!("{i}.xml"), file).await }
    });
    let answers = futures::future::join_all(uploads).await;
    let mut created = Vec::new();
    let mut refused = Vec::new();
    for res in answers {
        if res.status() == 202 {
            created.push(accepted(res).await["bulkTransferId"].clone());
        } else {
            refused.push(assert_error(res, 409, "duplicate_message_id").await);
        }
    }
    assert_eq!((created.len(), refused.len()), (1, 5));
    for r in refused {
        assert_eq!(r["details"][0]["bulkTransferId"], created[0]);
    }
    assert_eq!(app.snapshot().await.bulks, 1);
    app.cleanup().await;
}

async fn ten_thousand_transactions(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let txs: Vec<Tx> = (1..=10_000)
        .map(|i| Tx::new(&format!("PENS-{i:05}"), 100, &format!("2289{i:07}")))
        .collect();
    let (a, b) = txs.split_at(4_000);
    let file = pain001("MSG-10K", None, &[("P-A", a.to_vec()), ("P-B", b.to_vec())]);
    let b = accepted(upload(&app, &token, "10k.xml", file).await).await;
    assert_eq!(
        (b["total"].as_i64(), b["totalAmount"].as_i64()),
        (Some(10_000), Some(1_000_000))
    );
    let snap = app.snapshot().await;
    assert_eq!((snap.transfers, snap.reserved), (10_000, 1_000_000));
    let id = b["bulkTransferId"].as_str().unwrap().to_string();
    let bulk = app
        .with_db(move |c| db::queries::bulks::find(c, &id).unwrap().unwrap())
        .await;
    let blocks = bulk.payment_blocks().unwrap().unwrap();
    let blocks: Vec<_> = blocks.iter().map(|b| (b.0.as_str(), b.1)).collect();
    assert_eq!(blocks, [("P-A", 4_000), ("P-B", 6_000)]);
    app.cleanup().await;
}
