//! Status (paging, cursor, filter), list, CSV report, and the 404 visibility rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    Backend, GESTIONNAIRE, OTHER_ORG_USER, Part, SUPERVISEUR, TestApp, assert_error, settle,
    spawn_app, standard_csv,
};
use serde_json::Value;

async fn upload(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> String {
    let res = app.upload(token, &[Part::file(name, bytes)], &[]).await;
    assert_eq!(res.status(), 202);
    let body: Value = res.json().await.unwrap();
    body["bulkTransferId"].as_str().unwrap().to_string()
}

async fn json(app: &TestApp, token: &str, path: &str) -> Value {
    let res = app.get(token, path).await;
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

async fn status_paging(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let id = upload(&app, &token, "25.csv", standard_csv(25, 100)).await;
    settle(&app, &id, 3, 2, "Payee FSP refused").await;
    let base = format!("/api/bulk-transfers/{id}/status");

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("{base}?limit=10&cursor={c}"),
            None => format!("{base}?limit=10"),
        };
        let page = json(&app, &token, &path).await;
        pages += 1;
        for t in page["transfers"].as_array().unwrap() {
            seen.push(t["transferId"].as_str().unwrap().to_string());
        }
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (1..=25).map(|i| format!("tx-{i:05}")).collect();
    assert_eq!(seen, expected, "every row once, in file order");

    let summary = json(&app, &token, &base).await;
    assert_eq!(summary["state"], "PROCESSING");
    assert_eq!(summary["total"], 25);
    assert_eq!(summary["totalAmount"], 2_500);
    assert_eq!(summary["completed"], 5);
    assert_eq!(summary["succeeded"], 3);
    assert_eq!(summary["failed"], 2);
    assert_eq!(summary["progress_percent"], 20.0);
    assert_eq!(summary["createdBy"], "gestionnaire");
    assert!(summary["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(summary["nextCursor"].is_null());

    let done = json(&app, &token, &format!("{base}?status=COMPLETED")).await;
    let done = done["transfers"].as_array().unwrap();
    assert_eq!(done.len(), 3);
    assert!(
        done.iter()
            .all(|t| t["status"] == "COMPLETED" && t["completedAt"].is_string())
    );
    let failed = json(&app, &token, &format!("{base}?status=FAILED")).await;
    let failed = failed["transfers"].as_array().unwrap();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["errorCode"], "5100");
    assert_eq!(failed[0]["errorMessage"], "Payee FSP refused");
    let pending = json(&app, &token, &format!("{base}?status=PENDING&limit=15")).await;
    assert_eq!(pending["transfers"].as_array().unwrap().len(), 15);
    assert!(pending["nextCursor"].is_string());

    for (query, code) in [
        ("limit=0", "invalid_limit"),
        ("limit=10001", "invalid_limit"),
        ("cursor=abc", "invalid_cursor"),
        ("status=DONE", "invalid_status"),
    ] {
        let res = app.get(&token, &format!("{base}?{query}")).await;
        assert_error(res, 422, code).await;
    }
    let res = app.get(&token, &format!("{base}?limit=ten")).await;
    assert_error(res, 400, "invalid_query").await;
    let res = app.get(&token, &format!("{base}?limit=10000")).await;
    assert_eq!(res.status(), 200);
    app.cleanup().await;
}

async fn visibility(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let id = upload(&app, &token, "s.csv", common::fixture("standard.csv")).await;
    let status = format!("/api/bulk-transfers/{id}/status");
    let report = format!("/api/bulk-transfers/{id}/report.csv");

    // Both roles of the organisation see it.
    let sup = app.token(SUPERVISEUR).await;
    assert_eq!(app.get(&sup, &status).await.status(), 200);
    assert_eq!(app.get(&sup, &report).await.status(), 200);

    // Another organisation gets 404, exactly as for an id that does not exist.
    let other = app.token(OTHER_ORG_USER).await;
    let foreign = assert_error(app.get(&other, &status).await, 404, "not_found").await;
    assert_error(app.get(&other, &report).await, 404, "not_found").await;
    let missing = "/api/bulk-transfers/bulk-00000000-0000-4000-8000-000000000000/status";
    let absent = assert_error(app.get(&token, missing).await, 404, "not_found").await;
    assert_eq!(foreign, absent);
    let list = json(&app, &other, "/api/bulk-transfers").await;
    assert!(list["items"].as_array().unwrap().is_empty());
    app.cleanup().await;
}

async fn list_paging(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let mut ids = Vec::new();
    for name in [
        "standard.csv",
        "payment-list.csv",
        "payment-list-with-names.csv",
    ] {
        ids.push(upload(&app, &token, name, common::fixture(name)).await);
    }
    settle(&app, &ids[0], 5, 0, "").await;

    let page1 = json(&app, &token, "/api/bulk-transfers?limit=2").await;
    let items = page1["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["bulkTransferId"], ids[2].as_str(), "newest first");
    assert_eq!(items[1]["bulkTransferId"], ids[1].as_str());
    let cursor = page1["nextCursor"].as_str().unwrap();
    let page2 = json(
        &app,
        &token,
        &format!("/api/bulk-transfers?limit=2&cursor={cursor}"),
    )
    .await;
    let items = page2["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["bulkTransferId"], ids[0].as_str());
    assert_eq!(items[0]["state"], "COMPLETED");
    assert_eq!(items[0]["succeeded"], 5);
    assert!(page2["nextCursor"].is_null());

    let pending = json(&app, &token, "/api/bulk-transfers?state=PENDING").await;
    assert_eq!(pending["items"].as_array().unwrap().len(), 2);
    let done = json(&app, &token, "/api/bulk-transfers?state=COMPLETED").await;
    assert_eq!(done["items"].as_array().unwrap().len(), 1);
    let res = app.get(&token, "/api/bulk-transfers?state=DONE").await;
    assert_error(res, 422, "invalid_state").await;
    let res = app.get(&token, "/api/bulk-transfers?limit=501").await;
    assert_error(res, 422, "invalid_limit").await;
    let res = app.get(&token, "/api/bulk-transfers?color=red").await;
    assert_error(res, 400, "invalid_query").await;
    app.cleanup().await;
}

async fn report_csv(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let file = "type_id,valeur_id,devise,montant,nom_complet\n\
                MSISDN,22890123456,XOF,1000,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"clic\"\")\"\n\
                MSISDN,22890654321,XOF,2000,@SUM(A1)\n\
                MSISDN,22891112233,XOF,3000,Afi Dossou\n\
                MSISDN,22891112244,XOF,4000,Kofi;=HYPERLINK(1)\n";
    let id = upload(&app, &token, "names.csv", file.as_bytes().to_vec()).await;
    settle(&app, &id, 1, 1, "-2+3 cmd").await;

    let res = app
        .get(&token, &format!("/api/bulk-transfers/{id}/report.csv"))
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let text = res.text().await.unwrap();
    // Every field quoted, the header too.
    assert_eq!(
        text.lines().next().unwrap(),
        "\"transferId\",\"partyIdType\",\"partyIdentifier\",\"payeeName\",\"amount\",\
         \"currency\",\"status\",\"mojaloopTransferId\",\"errorCode\",\"errorMessage\",\
         \"completedAt\""
    );
    assert!(
        text.lines()
            .skip(1)
            .all(|l| l.starts_with('"') && l.ends_with('"'))
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 4);
    // A formula hidden after `;` (a French Excel's delimiter) is escaped too.
    assert_eq!(&rows[3][3], "Kofi;'=HYPERLINK(1)");
    let mut semicolon = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_reader(text.as_bytes());
    for record in semicolon.records() {
        for cell in record.unwrap().iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell:?}");
        }
    }
    assert_eq!(&rows[0][3], "'=HYPERLINK(\"http://evil.example\",\"clic\")");
    assert_eq!(&rows[0][4], "1000");
    assert_eq!(&rows[0][5], "XOF");
    assert_eq!(&rows[0][6], "COMPLETED");
    assert!(rows[0][10].ends_with('Z'));
    assert!(uuid::Uuid::parse_str(&rows[0][7]).is_ok());
    assert_eq!(&rows[1][3], "'@SUM(A1)");
    assert_eq!(&rows[1][6], "FAILED");
    assert_eq!(&rows[1][8], "5100");
    assert_eq!(&rows[1][9], "'-2+3 cmd");
    assert_eq!(&rows[2][3], "Afi Dossou");
    assert_eq!(&rows[2][6], "PENDING");
    assert_eq!(&rows[2][10], "");
    app.cleanup().await;
}

async fn large_report_streams_every_row(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let n = 4_500; // more than two database pages
    let id = upload(&app, &token, "big.csv", standard_csv(n, 1)).await;
    let text = app
        .get(&token, &format!("/api/bulk-transfers/{id}/report.csv"))
        .await
        .text()
        .await
        .unwrap();
    let ids: Vec<String> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    assert_eq!(ids.len(), n);
    assert_eq!(ids[0], "tx-00001");
    assert_eq!(ids[n - 1], format!("tx-{n:05}"));
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), n);
    app.cleanup().await;
}

both_backends!(
    status_paging,
    visibility,
    list_paging,
    report_csv,
    large_report_streams_every_row
);
