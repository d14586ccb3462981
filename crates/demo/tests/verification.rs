//! Verify before paying, end to end over real HTTP on both backends: API, Redis queue and bus,
//! in-process workers and the simulated adapter with the demo's party registry. Every lookup result
//! and name grade of the demo's sample file lands in the report; `exclude` keeps the unknown and
//! mismatched payees out and releases exactly their money; `report` excludes nothing and the run
//! goes on by itself; a lookup timeout is retried then found (or counts as not found once the
//! retries are spent); approval binds the report's version; the SSE stream shows the verification's
//! progress; and at payment time in manual-accept mode a payee whose provider or name changed since
//! the verification is stopped before the quote.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{Backend, SseReader, Stack};
use db::queries::{accounts, ledger, orgs};
use domain::{ApprovalMode, BulkState, OrgPolicy, VerificationMode};
use serde_json::{Value, json};
use simulator::{PartyEntry, PartyRegistry, SimConfig};

const UPLOADER: (&str, &str) = ("gestionnaire-verif", "approbateur123");
const APPROVER: (&str, &str) = ("approbateur-verif", "approbateur123");
const SAMPLE: &str = include_str!("../../../scripts/sample-verification.csv");
const REGISTRY: &str = include_str!("../../../scripts/sim-parties.csv");
const LONG: Duration = Duration::from_secs(30);

/// What the report must say of each row of the sample file: result, grade, excluded.
const EXPECTED: [(&str, &str, Option<&str>, bool); 16] = [
    ("ver-001", "FOUND", Some("MATCH"), false),
    ("ver-002", "FOUND", Some("MATCH"), false),
    ("ver-003", "FOUND", Some("MATCH"), false),
    ("ver-004", "FOUND", Some("MATCH"), false), // MENSAH Akossiwa: order and case
    ("ver-005", "FOUND", Some("MATCH"), false), // Sedjro HOUNKPE: accents
    ("ver-006", "FOUND", Some("MATCH"), false), // n'guessan adjoua
    ("ver-007", "FOUND", Some("PARTIAL"), false), // K. Agbeko: an initial
    ("ver-008", "FOUND", Some("PARTIAL"), false), // middle name missing
    ("ver-009", "FOUND", Some("PARTIAL"), false), // Kosi Agbekoh: misspelt
    ("ver-010", "FOUND", Some("MISMATCH"), true),
    ("ver-011", "FOUND", Some("MISMATCH"), true),
    ("ver-012", "NOT_FOUND", None, true),
    ("ver-013", "NOT_FOUND", None, true),
    ("ver-014", "FOUND", Some("NO_NAME_IN_FILE"), false),
    ("ver-015", "FOUND", Some("NO_NAME_AT_SWITCH"), false),
    ("ver-016", "FOUND", Some("MISMATCH"), true), // a timeout first, then the simulator's name
];

async fn stack(backend: Backend, sim: SimConfig, extra: &[(&str, &str)]) -> Stack {
    let mut vars = vec![
        ("PARTY_LOOKUP_BACKOFF", "100ms"),
        ("PARTY_LOOKUP_RETRIES", "2"),
    ];
    vars.extend_from_slice(extra);
    let s = Stack::on(backend, sim, &vars).await;
    let registry = PartyRegistry::from_csv(REGISTRY).unwrap();
    s.sim().upsert_parties(registry.entries()).unwrap();
    s
}

fn fast_sim() -> SimConfig {
    SimConfig {
        party_timeout_ms: 50,
        ..SimConfig::default()
    }
}

async fn set_policy(s: &Stack, approval: bool, verification: VerificationMode) {
    let pool = s.pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut c = pool.get().unwrap();
        let org = orgs::find_by_name(&mut c, api::seed::DEMO_VERIFY_ORG)
            .unwrap()
            .unwrap();
        let policy = OrgPolicy {
            approval: if approval {
                ApprovalMode::Required
            } else {
                ApprovalMode::Off
            },
            verification,
            ..OrgPolicy::default()
        };
        orgs::set_policy(&mut c, org.id, &policy).unwrap();
    })
    .await
    .unwrap();
}

async fn get_json(s: &Stack, token: &str, path: &str) -> Value {
    let res = s
        .client
        .get(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

async fn post(s: &Stack, token: &str, path: &str, body: Value) -> reqwest::Response {
    s.client
        .post(s.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn report(s: &Stack, token: &str, bulk: &str) -> Value {
    get_json(
        s,
        token,
        &format!("/api/bulk-transfers/{bulk}/verification?limit=100"),
    )
    .await
}

fn row<'a>(report: &'a Value, tid: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["transferId"] == tid)
        .unwrap_or_else(|| panic!("{tid} not in the report"))
}

/// Every row of the sample has the expected result and grade; with `exclude`, exactly the
/// expected rows are EXCLUDED.
fn assert_sample_report(report: &Value, exclude: bool) {
    for (tid, result, grade, excluded) in EXPECTED {
        let r = row(report, tid);
        assert_eq!(r["result"], result, "{tid}: {r}");
        assert_eq!(r["nameMatch"].as_str(), grade, "{tid}: {r}");
        let status = if exclude && excluded {
            "EXCLUDED"
        } else {
            "PENDING"
        };
        assert_eq!(r["status"], status, "{tid}: {r}");
    }
    let by_grade = &report["summary"]["byGrade"];
    for grade in [
        "MATCH",
        "PARTIAL",
        "MISMATCH",
        "NO_NAME_IN_FILE",
        "NO_NAME_AT_SWITCH",
    ] {
        let want = EXPECTED.iter().filter(|e| e.2 == Some(grade)).count();
        assert_eq!(by_grade[grade]["count"], want, "{grade}: {by_grade}");
    }
    assert_eq!(report["summary"]["byResult"]["NOT_FOUND"]["count"], 2);
    assert_eq!(report["summary"]["byResult"]["FOUND"]["count"], 14);
    assert_eq!(report["verified"], 16);
}

/// Σ amounts of the sample's rows that `exclude` keeps out.
fn excluded_amount() -> i64 {
    SAMPLE
        .lines()
        .skip(1)
        .filter(|l| EXPECTED.iter().any(|e| e.3 && l.starts_with(e.0)))
        .map(|l| l.split(',').nth(1).unwrap().parse::<i64>().unwrap())
        .sum()
}

/// (balance, reserved) of the verifying organisation's account, and its RELEASE lines for `bulk`.
async fn money(s: &Stack, bulk: &str) -> (i64, i64, Vec<(Option<i64>, i64)>) {
    let pool = s.pool.clone();
    let bulk = bulk.to_string();
    tokio::task::spawn_blocking(move || {
        let mut c = pool.get().unwrap();
        let b = db::queries::bulks::find(&mut c, &bulk).unwrap().unwrap();
        let a = accounts::get(&mut c, b.account_pk).unwrap();
        let releases = ledger::for_bulk(&mut c, b.id)
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "RELEASE")
            .map(|e| (e.transfer_pk, e.amount))
            .collect();
        (a.balance, a.reserved, releases)
    })
    .await
    .unwrap()
}

async fn exclude_then_approve(backend: Backend) {
    let mut s = stack(backend, fast_sim(), &[]).await;
    let (up, ap) = (s.login(UPLOADER).await, s.login(APPROVER).await);
    let (balance0, reserved0, _) = (0, 0, ());
    let bulk = s.upload_csv(&up, "pensions-2026-12.csv", SAMPLE).await;
    assert_eq!(*s.db_state(&bulk).await.state, BulkState::Verifying);
    // The stream is open before any worker runs: it shows the verification as it goes.
    let mut sse = SseReader::new(s.open(&up, &bulk, None).await);
    s.start_worker();
    let mut verified = Vec::new();
    let mut last_seq = -1;
    loop {
        let f = sse.next_within(LONG).await;
        if !f.is("progress") {
            continue;
        }
        assert!(f.num("seq") > last_seq, "seq rises: {f:?}");
        last_seq = f.num("seq");
        if f.state() == "VERIFYING" {
            assert_eq!(f.data.as_ref().unwrap()["phase"], "verification", "{f:?}");
            verified.push(f.num("verified"));
        }
        if f.state() == "AWAITING_APPROVAL" {
            break;
        }
    }
    assert!(verified.windows(2).all(|w| w[0] <= w[1]), "{verified:?}");
    assert!(verified.iter().any(|v| *v > 0), "{verified:?}");

    let r = report(&s, &ap, &bulk).await;
    assert_eq!(r["version"], 1);
    assert_eq!(r["mode"], "exclude");
    assert_sample_report(&r, true);
    assert_eq!(r["summary"]["excluded"]["count"], 5);
    assert_eq!(r["summary"]["excluded"]["amount"], excluded_amount());
    assert!(
        r["summary"]["byFsp"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["fspId"] == "tmoney")
    );
    // The excluded rows' money went back, one RELEASE line each, in the same step.
    let total: i64 = SAMPLE
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse::<i64>().unwrap())
        .sum();
    let (balance, reserved, releases) = money(&s, &bulk).await;
    let _ = (balance0, reserved0);
    assert_eq!(reserved, total - excluded_amount());
    assert_eq!(releases.len(), 5);
    assert!(releases.iter().all(|(t, _)| t.is_some()));
    assert_eq!(releases.iter().map(|r| r.1).sum::<i64>(), excluded_amount());
    // The CSV has every row.
    let csv = s
        .client
        .get(s.url(&format!("/api/bulk-transfers/{bulk}/verification.csv")))
        .bearer_auth(&ap)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 17, "{text}");
    assert!(text.starts_with("line,transferId,"));

    // Approval binds the report's version: none, or a stale one, is refused.
    let sha = s.db_state(&bulk).await.file_sha256;
    let approve = |v: Value| json!({"fileSha256": sha, "verificationVersion": v});
    let res = post(
        &s,
        &ap,
        &format!("/api/bulk-transfers/{bulk}/approve"),
        json!({"fileSha256": sha}),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "verification_version_required"
    );
    let res = post(
        &s,
        &ap,
        &format!("/api/bulk-transfers/{bulk}/verify"),
        json!({}),
    )
    .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    s.wait_state(&bulk, BulkState::AwaitingApproval, LONG).await;
    let r2 = report(&s, &ap, &bulk).await;
    assert_eq!(r2["version"], 2);
    assert_sample_report(&r2, true);
    let res = post(
        &s,
        &ap,
        &format!("/api/bulk-transfers/{bulk}/approve"),
        approve(json!(1)),
    )
    .await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "verification_changed"
    );
    // Re-verifying excluded nothing twice: still five RELEASE lines.
    assert_eq!(money(&s, &bulk).await.2.len(), 5);
    let res = post(
        &s,
        &ap,
        &format!("/api/bulk-transfers/{bulk}/approve"),
        approve(json!(2)),
    )
    .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);

    let done = s.wait_final(&bulk, LONG).await;
    assert_eq!(*done.state, BulkState::PartiallyCompleted);
    assert_eq!(done.succeeded_count, 11);
    assert_eq!(done.failed_count, 5);
    assert_eq!(done.excluded_count, 5);
    assert_eq!(done.approved_verification_version, Some(2));
    // Excluded rows were never sent; the others once each.
    let counters = s.sim().counters();
    assert_eq!(counters.total_posts, 11);
    assert!(counters.duplicate_transfer_ids.is_empty());
    let (balance_after, reserved_after, _) = money(&s, &bulk).await;
    assert_eq!(reserved_after, 0);
    assert_eq!(balance - balance_after, total - excluded_amount());
    s.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exclude_then_approve_postgres() {
    exclude_then_approve(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exclude_then_approve_sqlite() {
    exclude_then_approve(Backend::Sqlite).await;
}

async fn report_mode_goes_on_by_itself(backend: Backend) {
    let mut s = stack(backend, fast_sim(), &[]).await;
    set_policy(&s, false, VerificationMode::Report).await;
    let up = s.login(UPLOADER).await;
    let bulk = s.upload_csv(&up, "report-mode.csv", SAMPLE).await;
    s.start_worker();
    let done = s.wait_final(&bulk, LONG).await;
    // Nothing excluded: the two unknown payees failed at payment (3204), the rest were paid.
    assert_eq!(done.excluded_count, 0);
    assert_eq!(done.succeeded_count, 14);
    assert_eq!(done.failed_count, 2);
    let r = report(&s, &up, &bulk).await;
    assert_eq!(r["mode"], "report");
    assert_eq!(r["version"], 1);
    for (tid, result, grade, _) in EXPECTED {
        let row = row(&r, tid);
        assert_eq!(row["result"], result, "{tid}");
        assert_eq!(row["nameMatch"].as_str(), grade, "{tid}");
        assert_ne!(row["status"], "EXCLUDED", "{tid}");
    }
    assert_eq!(r["summary"]["excluded"]["count"], 0);
    // Every row was sent; ver-016 (a 504 before the prepare) twice with the same transferId.
    let counters = s.sim().counters();
    assert_eq!(counters.distinct_transfer_ids, 16);
    assert!(counters.duplicate_prepares.is_empty());
    s.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn report_mode_goes_on_by_itself_postgres() {
    report_mode_goes_on_by_itself(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn report_mode_goes_on_by_itself_sqlite() {
    report_mode_goes_on_by_itself(Backend::Sqlite).await;
}

async fn timeouts_retried(backend: Backend) {
    let mut s = stack(backend, fast_sim(), &[]).await;
    set_policy(&s, false, VerificationMode::Exclude).await;
    let up = s.login(UPLOADER).await;
    // 0514: the first lookup times out, the next finds the simulator's own name for unknown
    // numbers. 0504: every lookup times out, so after PARTY_LOOKUP_RETRIES=2 more it counts as not
    // found and is excluded.
    let csv = "transferId,amount,currency,partyIdType,partyIdentifier,payeeName\n\
               t-1,1000,XOF,MSISDN,22890220514,Test Payee\n\
               t-2,2000,XOF,MSISDN,22890220504,Yawa Amouzou\n\
               t-3,3000,XOF,MSISDN,22890112201,Ama Mensah\n";
    let bulk = s.upload_csv(&up, "timeouts.csv", csv).await;
    s.start_worker();
    let done = s.wait_final(&bulk, LONG).await;
    assert_eq!(*done.state, BulkState::PartiallyCompleted);
    assert_eq!(done.excluded_count, 1);
    assert_eq!(done.excluded_amount, 2000);
    let r = report(&s, &up, &bulk).await;
    let found = row(&r, "t-1");
    assert_eq!(found["result"], "FOUND", "{found}");
    assert_eq!(found["nameMatch"], "MATCH");
    assert_eq!(found["attempts"], 2, "{found}");
    let lost = row(&r, "t-2");
    assert_eq!(lost["result"], "NOT_FOUND", "{lost}");
    assert_eq!(lost["attempts"], 3, "{lost}");
    assert!(
        lost["error"]
            .as_str()
            .unwrap()
            .contains("no answer after 3"),
        "{lost}"
    );
    assert_eq!(lost["status"], "EXCLUDED");
    assert_eq!(row(&r, "t-3")["status"], "COMPLETED");
    s.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn timeouts_retried_postgres() {
    timeouts_retried(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn timeouts_retried_sqlite() {
    timeouts_retried(Backend::Sqlite).await;
}

async fn changed_party_stopped_before_the_quote(backend: Backend) {
    let sim = SimConfig {
        auto_accept: false,
        ..fast_sim()
    };
    let mut s = stack(backend, sim, &[("ADAPTER_ACCEPT_MODE", "manual")]).await;
    let (up, ap) = (s.login(UPLOADER).await, s.login(APPROVER).await);
    let csv = "transferId,amount,currency,partyIdType,partyIdentifier,payeeName\n\
               same,1000,XOF,MSISDN,22890112201,Ama Mensah\n\
               renamed,2000,XOF,MSISDN,22997112210,Codjo Ahouansou\n\
               moved,3000,XOF,MSISDN,22996112211,Fifamè Dossou\n";
    let bulk = s.upload_csv(&up, "changed.csv", csv).await;
    s.start_worker();
    let b = s.wait_state(&bulk, BulkState::AwaitingApproval, LONG).await;
    // Between the report and the payment, one number passed to someone else and one wallet moved
    // to another provider.
    s.sim()
        .upsert_parties([
            PartyEntry::new("MSISDN", "22997112210", "Kwame", "Boateng").at_fsp("mtnmomo"),
            PartyEntry::new("MSISDN", "22996112211", "Fifamè", "Dossou").at_fsp("celtiis"),
        ])
        .unwrap();
    let body = json!({"fileSha256": b.file_sha256, "verificationVersion": b.verification_version});
    let res = post(
        &s,
        &ap,
        &format!("/api/bulk-transfers/{bulk}/approve"),
        body,
    )
    .await;
    assert_eq!(res.status(), 200);
    let done = s.wait_final(&bulk, LONG).await;
    assert_eq!(*done.state, BulkState::PartiallyCompleted);
    let st = get_json(&s, &up, &format!("/api/bulk-transfers/{bulk}/status")).await;
    let rows = st["transfers"].as_array().unwrap();
    let of = |tid: &str| {
        rows.iter()
            .find(|r| r["transferId"] == tid)
            .unwrap()
            .clone()
    };
    assert_eq!(of("same")["status"], "COMPLETED");
    for tid in ["renamed", "moved"] {
        let r = of(tid);
        assert_eq!(r["status"], "FAILED", "{r}");
        assert_eq!(r["errorCode"], "NAME_CHANGED_SINCE_VERIFICATION", "{r}");
    }
    // Only the unchanged payee's transfer reached the switch.
    assert_eq!(s.sim().counters().prepared, 1);

    // A retry of the stopped rows is verified again: the number now held by someone else is
    // excluded, the wallet that moved is paid at its new provider after a new approval.
    let res = post(
        &s,
        &up,
        &format!("/api/bulk-transfers/{bulk}/retry"),
        json!({}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let child = res.json::<Value>().await.unwrap()["bulkTransferId"]
        .as_str()
        .unwrap()
        .to_string();
    let c = s
        .wait_state(&child, BulkState::AwaitingApproval, LONG)
        .await;
    let r = report(&s, &ap, &child).await;
    assert_eq!(row(&r, "renamed")["nameMatch"], "MISMATCH");
    assert_eq!(row(&r, "renamed")["status"], "EXCLUDED");
    assert_eq!(row(&r, "moved")["fspId"], "celtiis");
    let body = json!({"fileSha256": c.file_sha256, "verificationVersion": c.verification_version});
    let res = post(
        &s,
        &ap,
        &format!("/api/bulk-transfers/{child}/approve"),
        body,
    )
    .await;
    assert_eq!(res.status(), 200);
    let done = s.wait_final(&child, LONG).await;
    assert_eq!((done.succeeded_count, done.excluded_count), (1, 1));
    assert_eq!(s.sim().counters().prepared, 2);
    s.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changed_party_stopped_before_the_quote_postgres() {
    changed_party_stopped_before_the_quote(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changed_party_stopped_before_the_quote_sqlite() {
    changed_party_stopped_before_the_quote(Backend::Sqlite).await;
}
