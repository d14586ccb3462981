//! `GET /api/bulk-transfers/{id}/pain002` on both backends, read back with quick-xml and checked
//! by xmllint: a pain.001 run while it runs (ACTC, PDNG) and once final (PART, ACSC/RJCT per row,
//! the ISO reason of each failed row, its blocks and original ids); a CSV run (ids from the bulk
//! id) before and after it is cancelled (RJCT, DS02); more rows than a page; who may read it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "support/iso.rs"]
mod iso;

use common::{
    Backend, GESTIONNAIRE, OTHER_ORG_USER, Part, SUPERVISEUR, TestApp, assert_error, fixture,
    spawn_app,
};
use db::queries::settle::{Resolution, SettleItem, settle_batch};
use db::queries::{bulks, transfers};
use iso::{Pain002, Tx, assert_well_formed, pain001, read_pain002};
use serde_json::Value;

both_backends!(
    a_pain001_run_while_it_runs_and_once_final,
    a_csv_run_and_its_cancellation,
    more_rows_than_a_page,
    who_may_read_it,
);

const NS: &str = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10";

async fn upload(app: &TestApp, token: &str, name: &str, file: Vec<u8>) -> String {
    let res = app.upload(token, &[Part::file(name, file)], &[]).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 202, "{body}");
    body["bulkTransferId"].as_str().unwrap().to_string()
}

/// The report, after checking the answer's headers and that xmllint finds it well-formed.
async fn pain002(app: &TestApp, token: &str, bulk: &str) -> Pain002 {
    let res = app
        .get(token, &format!("/api/bulk-transfers/{bulk}/pain002"))
        .await;
    assert_eq!(res.status(), 200);
    let h = res.headers();
    assert_eq!(h["content-type"], "application/xml; charset=utf-8");
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(
        disposition.contains(&format!("{bulk}-pain002.xml")),
        "{disposition}"
    );
    let xml = res.text().await.unwrap();
    assert_well_formed(&xml);
    let report = read_pain002(&xml);
    assert_eq!(report.namespace, NS);
    assert!(
        report.msg_id.starts_with("RPT-") && report.msg_id.len() <= 35,
        "{}",
        report.msg_id
    );
    report
}

/// Settles the rows named by transferId as a worker would: `None` paid, `Some(code)` failed.
async fn settle(app: &TestApp, bulk: &str, outcomes: &[(&str, Option<&str>)]) {
    let bulk = bulk.to_string();
    let outcomes: Vec<(String, Option<String>)> = outcomes
        .iter()
        .map(|(id, code)| (id.to_string(), code.map(str::to_string)))
        .collect();
    app.with_db(move |c| {
        let b = bulks::find(c, &bulk).unwrap().unwrap();
        bulks::mark_processing(c, b.id).unwrap();
        let rows = transfers::claim(c, b.id, 1_000).unwrap();
        let items: Vec<SettleItem> = outcomes
            .iter()
            .map(|(id, code)| SettleItem {
                transfer_pk: rows.iter().find(|r| &r.transfer_id == id).unwrap().id,
                resolution: match code {
                    None => Resolution::Completed,
                    Some(code) => Resolution::Failed {
                        code: code.clone(),
                        message: format!("refused with {code}"),
                    },
                },
            })
            .collect();
        settle_batch(c, &items).unwrap();
    })
    .await
}

fn statuses(r: &Pain002) -> Vec<(&str, &str, Option<&str>)> {
    r.txs()
        .into_iter()
        .map(|t| (t.e2e.as_str(), t.status.as_str(), t.reason.as_deref()))
        .collect()
}

async fn a_pain001_run_while_it_runs_and_once_final(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let file = pain001(
        "CNSS-2026-12-0001",
        None,
        &[
            (
                "P-A",
                vec![
                    Tx::new("A-1", 1_000, "22890000101"),
                    Tx::new("A-2", 2_000, "22890003204"),
                ],
            ),
            (
                "P-B",
                vec![
                    Tx::new("B-1", 3_000, "22890000103"),
                    Tx::new("B-2", 4_000, "22890005105"),
                    Tx::new("B-3", 500, "22890000105"),
                ],
            ),
        ],
    );
    let bulk = upload(&app, &token, "dec.xml", file).await;

    let r = pain002(&app, &token, &bulk).await;
    assert_eq!(r.orgnl_msg_id, "CNSS-2026-12-0001");
    assert_eq!(r.orgnl_msg_nm_id, "pain.001.001.09");
    assert_eq!(
        (r.orgnl_nb_of_txs.as_str(), r.orgnl_ctrl_sum.as_deref()),
        ("5", Some("10500"))
    );
    assert_eq!(r.grp_sts, "ACTC");
    assert_eq!(r.per_status, [("PDNG".to_string(), 5)]);
    let blocks: Vec<_> = r
        .blocks
        .iter()
        .map(|(id, t)| (id.as_str(), t.len()))
        .collect();
    assert_eq!(blocks, [("P-A", 2), ("P-B", 3)]);
    assert!(r.txs().iter().all(|t| t.reason.is_none()));
    assert_eq!(r.tx("A-2").amount, Some(("2000".into(), "XOF".into())));
    let running_id = r.msg_id.clone();

    settle(
        &app,
        &bulk,
        &[
            ("A-1", None),
            ("A-2", Some("3204")),
            ("B-1", None),
            ("B-2", Some("5105")),
            ("B-3", None),
        ],
    )
    .await;
    let r = pain002(&app, &token, &bulk).await;
    assert_eq!(r.grp_sts, "PART");
    assert_ne!(r.msg_id, running_id, "another state, another report id");
    assert_eq!(
        statuses(&r),
        [
            ("A-1", "ACSC", None),
            ("A-2", "RJCT", Some("AC01")),
            ("B-1", "ACSC", None),
            ("B-2", "RJCT", Some("NARR")),
            ("B-3", "ACSC", None),
        ]
    );
    assert_eq!(
        r.tx("A-2").info,
        ["Mojaloop error 3204", "refused with 3204"]
    );
    assert_eq!(
        r.tx("B-2").info,
        ["Mojaloop error 5105", "refused with 5105"]
    );
    assert_eq!(
        r.per_status,
        [("ACSC".to_string(), 3), ("RJCT".to_string(), 2)]
    );
    assert_eq!(r.orgnl_ctrl_sum.as_deref(), Some("10500"));
    app.cleanup().await;
}

async fn a_csv_run_and_its_cancellation(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let bulk = upload(&app, &token, "standard.csv", fixture("standard.csv")).await;
    let hex = bulk.strip_prefix("bulk-").unwrap().replace('-', "");
    let r = pain002(&app, &token, &bulk).await;
    assert_eq!(
        (r.orgnl_msg_id.as_str(), r.orgnl_msg_nm_id.as_str()),
        (hex.as_str(), "gateway.csv")
    );
    assert_eq!(
        (r.orgnl_nb_of_txs.as_str(), r.orgnl_ctrl_sum.as_deref()),
        ("5", Some("37500"))
    );
    assert_eq!(r.blocks.len(), 1);
    assert_eq!(r.blocks[0].0, hex);
    assert_eq!(r.grp_sts, "ACTC");
    let ids: Vec<&str> = r.txs().iter().map(|t| t.e2e.as_str()).collect();
    assert_eq!(ids, ["tx-001", "tx-002", "tx-003", "tx-004", "tx-005"]);

    let res = app
        .client
        .post(app.url(&format!("/api/bulk-transfers/{bulk}/cancel")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let r = pain002(&app, &token, &bulk).await;
    assert_eq!(r.grp_sts, "RJCT");
    assert!(
        r.txs()
            .iter()
            .all(|t| t.status == "RJCT" && t.reason.as_deref() == Some("DS02")),
        "{r:?}"
    );
    app.cleanup().await;
}

async fn more_rows_than_a_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let n = 12_000;
    let txs: Vec<Tx> = (1..=n)
        .map(|i| Tx::new(&format!("T{i:05}"), 50, &format!("2289{i:07}")))
        .collect();
    let (a, b) = txs.split_at(7_001);
    let file = pain001("MSG-12K", None, &[("P1", a.to_vec()), ("P2", b.to_vec())]);
    let bulk = upload(&app, &token, "12k.xml", file).await;
    let r = pain002(&app, &token, &bulk).await;
    let sizes: Vec<_> = r
        .blocks
        .iter()
        .map(|(id, t)| (id.as_str(), t.len()))
        .collect();
    assert_eq!(sizes, [("P1", 7_001), ("P2", n - 7_001)]);
    let ids: Vec<String> = r.txs().iter().map(|t| t.e2e.clone()).collect();
    let want: Vec<String> = (1..=n).map(|i| format!("T{i:05}")).collect();
    assert_eq!(ids, want, "every row once, in file order");
    app.cleanup().await;
}

async fn who_may_read_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let bulk = upload(&app, &token, "standard.csv", fixture("standard.csv")).await;
    let path = format!("/api/bulk-transfers/{bulk}/pain002");
    let reader = app.token(SUPERVISEUR).await;
    pain002(&app, &reader, &bulk).await;
    // Another organisation's run is the same 404 as a run that does not exist.
    let theirs = app.token(OTHER_ORG_USER).await;
    assert_error(app.get(&theirs, &path).await, 404, "not_found").await;
    let unknown = "/api/bulk-transfers/bulk-00000000-0000-4000-8000-000000000000/pain002";
    assert_error(app.get(&token, unknown).await, 404, "not_found").await;
    let res = app.client.get(app.url(&path)).send().await.unwrap();
    assert_error(res, 401, "unauthorized").await;
    let res = app
        .client
        .post(app.url(&path))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "GET");
    assert_error(res, 405, "method_not_allowed").await;
    app.cleanup().await;
}
