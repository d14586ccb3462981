//! Hostile input through the real HTTP API of a `gateway-api` process: every bad file of the corpus
//! and every malformed request gets a 4xx in the one error shape, and nothing is stored, reserved,
//! journaled or queued. A file that looks hostile but is valid (formula injection, SQL and script
//! text where they are plain data) is stored verbatim and comes back escaped in the report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use db::queries::{accounts, bulks, ledger, orgs, transfers};
use serde_json::Value;
use suite::corpus::{self, SCRIPT};
use suite::csvgen::cells;
use suite::http::{Part, assert_error, check_error};
use suite::{GESTIONNAIRE, Options, Stack};

/// Counts and money that a refused request must leave as they were.
#[derive(Debug, PartialEq, Eq)]
struct Trace {
    bulks: i64,
    transfers: i64,
    balance: i64,
    reserved: i64,
    journal: (i64, i64, i64, i64),
}

async fn trace(s: &Stack) -> Trace {
    s.db(|c| {
        let org = orgs::find_by_name(c, "CNSS").unwrap().unwrap();
        let a = accounts::find_for_org(c, org.id, "XOF").unwrap().unwrap();
        let t = ledger::totals(c, a.id).unwrap();
        Trace {
            bulks: bulks::count(c).unwrap(),
            transfers: transfers::count(c).unwrap(),
            balance: a.balance,
            reserved: a.reserved,
            journal: (t.credited, t.reserved, t.consumed, t.released),
        }
    })
    .await
}

/// Nothing changed in the database, and nothing at all under the test's Redis prefix (no job).
async fn assert_no_trace(s: &Stack, before: &Trace, what: &str) {
    assert_eq!(&trace(s).await, before, "{what}: the database changed");
    let keys = s.redis_keys().await;
    assert!(keys.is_empty(), "{what}: Redis keys appeared: {keys:?}");
}

fn detail_codes(body: &Value) -> Vec<String> {
    body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_files_are_refused_without_a_trace() {
    let s = Stack::start("hostile-files", Options::default()).await;
    let token = s.api.login(GESTIONNAIRE.0, GESTIONNAIRE.1).await.access;
    let before = trace(&s).await;
    let files = corpus::bad_files();
    assert!(files.len() >= 40, "corpus of {} files", files.len());
    let mut wrong = Vec::new();
    for f in files {
        let parts = [Part::file("paie.csv", f.bytes)];
        let res = s.api.upload_parts(&token, &parts, &[]).await;
        match check_error(res, Some(f.status), Some(f.error)).await {
            Err(e) => wrong.push(format!("{}: {e}", f.name)),
            Ok(body) => {
                if let Some(code) = f.detail {
                    let codes = detail_codes(&body);
                    if !codes.iter().any(|c| c == code) {
                        wrong.push(format!("{}: expected {code} in {codes:?}", f.name));
                    }
                    for d in body["details"].as_array().unwrap() {
                        let shaped = d["line"].is_u64()
                            && d["field"].is_string()
                            && d["message"].is_string();
                        assert!(shaped, "{}: {d}", f.name);
                    }
                }
            }
        }
        assert_no_trace(&s, &before, &f.name).await;
    }
    assert!(
        wrong.is_empty(),
        "{} unexpected answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    s.cleanup().await;
}

/// (what, parts, headers, status, error code).
type Form<'a> = (&'a str, Vec<Part>, Vec<(&'a str, String)>, u16, &'a str);

fn raw_multipart(body: &str) -> Vec<u8> {
    body.replace('\n', "\r\n").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_requests_are_refused_without_a_trace() {
    let s = Stack::start("hostile-requests", Options::default()).await;
    let token = s.api.login(GESTIONNAIRE.0, GESTIONNAIRE.1).await.access;
    let before = trace(&s).await;
    let csv = b"transferId,amount,currency,partyIdType,partyIdentifier\ntx-1,100,XOF,MSISDN,22890000011\n";
    let mp = "multipart/form-data; boundary=XyZ";
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "raw CSV body",
            "text/csv",
            csv.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "JSON body",
            "application/json",
            br#"{"file":"x"}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "form-urlencoded body",
            "application/x-www-form-urlencoded",
            b"file=a".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "multipart without boundary",
            "multipart/form-data",
            csv.to_vec(),
            422,
            "invalid_multipart",
        ),
        (
            "multipart garbage",
            mp,
            b"\x00\x01garbage without any boundary".to_vec(),
            422,
            "invalid_multipart",
        ),
        (
            "multipart never closed",
            mp,
            raw_multipart(
                "--XyZ\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\n\ntransferId,amount\n",
            ),
            422,
            "invalid_multipart",
        ),
        (
            "part without headers",
            mp,
            raw_multipart("--XyZ\n\nabc\n--XyZ--\n"),
            422,
            "invalid_multipart",
        ),
        (
            "part without a name",
            mp,
            raw_multipart(
                "--XyZ\nContent-Disposition: form-data; filename=\"a.csv\"\n\nabc\n--XyZ--\n",
            ),
            422,
            "invalid_multipart",
        ),
        (
            "empty multipart",
            mp,
            raw_multipart("--XyZ--\n"),
            422,
            "missing_file",
        ),
    ];
    for (what, ct, body, status, code) in cases {
        let res = s.api.upload_raw(&token, ct, body, &[]).await;
        assert_error(res, Some(status), Some(code), what).await;
        assert_no_trace(&s, &before, what).await;
    }
    let file = || Part::file("paie.csv", csv.to_vec());
    let forms: Vec<Form<'_>> = vec![
        (
            "missing file field",
            vec![Part::text("force", "true")],
            vec![],
            422,
            "missing_file",
        ),
        (
            "file sent as a text field",
            vec![Part::text("fichier", "x")],
            vec![],
            422,
            "unknown_field",
        ),
        (
            "two file fields",
            vec![file(), file()],
            vec![],
            422,
            "duplicate_field",
        ),
        (
            "two force fields",
            vec![
                file(),
                Part::text("force", "true"),
                Part::text("force", "true"),
            ],
            vec![],
            422,
            "duplicate_field",
        ),
        (
            "unknown field",
            vec![file(), Part::text("amount", "1")],
            vec![],
            422,
            "unknown_field",
        ),
        (
            "force=maybe",
            vec![file(), Part::text("force", "maybe")],
            vec![],
            422,
            "invalid_field",
        ),
        (
            "text field of 5 KB",
            vec![file(), Part::text("callback_url", &"a".repeat(5000))],
            vec![],
            422,
            "field_too_long",
        ),
        (
            "callback_url not UTF-8",
            vec![
                file(),
                Part {
                    name: "callback_url".into(),
                    filename: None,
                    data: vec![0xff, 0xfe],
                },
            ],
            vec![],
            422,
            "invalid_field",
        ),
        (
            "callback_url not a URL",
            vec![file(), Part::text("callback_url", "javascript:alert(1)")],
            vec![],
            422,
            "invalid_callback_url",
        ),
        (
            "Idempotency-Key of 300 characters",
            vec![file()],
            vec![("Idempotency-Key", "k".repeat(300))],
            422,
            "invalid_idempotency_key",
        ),
        (
            "Idempotency-Key with spaces",
            vec![file()],
            vec![("Idempotency-Key", "a b".into())],
            422,
            "invalid_idempotency_key",
        ),
    ];
    for (what, parts, headers, status, code) in forms {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = s.api.upload_parts(&token, &parts, &headers).await;
        assert_error(res, Some(status), Some(code), what).await;
        assert_no_trace(&s, &before, what).await;
    }
    // No token, a garbage token, a token in the query string.
    let (ct, body) = suite::http::encode(&[file()]);
    for (what, auth) in [
        ("no token", None),
        ("garbage token", Some("Bearer abc.def.ghi")),
        (
            "Basic auth",
            Some("Basic Z2VzdGlvbm5haXJlOmdlc3Rpb25uYWlyZTEyMw=="),
        ),
    ] {
        let mut req = s
            .api
            .http
            .post(s.api.url("/api/bulk-transfers"))
            .header("Content-Type", &ct)
            .body(body.clone());
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        assert_error(req.send().await.unwrap(), Some(401), None, what).await;
        assert_no_trace(&s, &before, what).await;
    }
    s.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_looking_valid_file_is_stored_verbatim_and_escaped_in_the_report() {
    let s = Stack::start("hostile-valid", Options::default()).await;
    let token = s.api.login(GESTIONNAIRE.0, GESTIONNAIRE.1).await.access;
    let alias_sql = "x';DROP/**/TABLE/**/bulk_transfers;--";
    // Reordered header, a `;`-free file with quoted cells; amounts with surrounding spaces are
    // trimmed by design (README: cells with surrounding spaces are accepted).
    let names = [
        r#"=HYPERLINK("http://x","y")"#,
        "+SUM(1,2)",
        "-2+3",
        "@cmd",
        "Robert'); DROP TABLE users;--",
        SCRIPT,
    ];
    let mut csv =
        String::from("payeeName,partyIdentifier,partyIdType,currency,amount,transferId\n");
    for (i, n) in names.iter().enumerate() {
        csv.push_str(&format!(
            "\"{}\",2289000{i:04}1,MSISDN,XOF,100,tx-{i}\n",
            n.replace('"', "\"\"")
        ));
    }
    csv.push_str(&format!("Ama,{alias_sql},ALIAS,XOF, 250 ,tx-alias\n"));
    let bulk = s.api.upload_ok(&token, csv.into_bytes()).await;

    let status = s
        .api
        .get_json(&token, &format!("/api/bulk-transfers/{bulk}/status"))
        .await;
    assert_eq!(status["totalAmount"], 6 * 100 + 250, "{status}");
    let rows = status["transfers"].as_array().unwrap();
    for (i, n) in names.iter().enumerate() {
        assert_eq!(rows[i]["payeeName"], *n, "stored verbatim");
    }
    assert_eq!(rows[6]["partyIdentifier"], alias_sql);
    // The SQL text was data: every table is still there and counted.
    let (b, t) = s
        .db(|c| (bulks::count(c).unwrap(), transfers::count(c).unwrap()))
        .await;
    assert_eq!((b, t), (1, 7));

    let res = s
        .api
        .get(&token, &format!("/api/bulk-transfers/{bulk}/report.csv"))
        .await;
    assert_eq!(res.status(), 200);
    let report = res.text().await.unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 8, "{report}");
    for line in &lines[1..] {
        for cell in cells(line) {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "formula cell {cell:?} in {line}"
            );
        }
    }
    let hyperlink = cells(lines[1]);
    assert_eq!(
        hyperlink[3],
        format!("'{}", names[0]),
        "escaped, otherwise intact"
    );
    assert_eq!(cells(lines[4])[3], "'@cmd");
    // The `;--` inside is where a French Excel would start a cell: escaped there too.
    assert_eq!(cells(lines[7])[2], api::csv_out::escape_cell(alias_sql));
    assert_eq!(cells(lines[7])[2], alias_sql.replace(";--", ";'--"));
    assert_eq!(cells(lines[7])[4], "250");
    s.cleanup().await;
}
