//! What the verification tests share: the demo's verifying users and sample, the expected report
//! of the sample, a stack with the demo's party registry, and small HTTP and database readers.
#![allow(dead_code)]

use std::time::Duration;

use super::common::{Backend, Stack};
use db::queries::{accounts, ledger, orgs};
use domain::{ApprovalMode, OrgPolicy, VerificationMode};
use serde_json::Value;
use simulator::{PartyRegistry, SimConfig};

pub const UPLOADER: (&str, &str) = ("gestionnaire-verif", "approbateur123");
pub const APPROVER: (&str, &str) = ("approbateur-verif", "approbateur123");
pub const SAMPLE: &str = include_str!("../../../../scripts/sample-verification.csv");
pub const LONG: Duration = Duration::from_secs(30);

/// What the report must say of each row of the sample file: result, grade, excluded.
pub const EXPECTED: [(&str, &str, Option<&str>, bool); 16] = [
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

pub async fn stack(backend: Backend, sim: SimConfig, extra: &[(&str, &str)]) -> Stack {
    let mut vars = vec![
        ("PARTY_LOOKUP_BACKOFF", "100ms"),
        ("PARTY_LOOKUP_RETRIES", "2"),
    ];
    vars.extend_from_slice(extra);
    let s = Stack::on(backend, sim, &vars).await;
    let registry = PartyRegistry::from_csv(demo::DEMO_PARTIES).unwrap();
    s.sim().upsert_parties(registry.entries()).unwrap();
    s
}

pub fn fast_sim() -> SimConfig {
    SimConfig {
        party_timeout_ms: 50,
        ..SimConfig::default()
    }
}

pub async fn set_policy(s: &Stack, approval: bool, verification: VerificationMode) {
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

pub async fn get_json(s: &Stack, token: &str, path: &str) -> Value {
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

pub async fn post(s: &Stack, token: &str, path: &str, body: Value) -> reqwest::Response {
    s.client
        .post(s.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub async fn report(s: &Stack, token: &str, bulk: &str) -> Value {
    get_json(
        s,
        token,
        &format!("/api/bulk-transfers/{bulk}/verification?limit=100"),
    )
    .await
}

pub fn row<'a>(report: &'a Value, tid: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["transferId"] == tid)
        .unwrap_or_else(|| panic!("{tid} not in the report"))
}

/// Every row of the sample has the expected result and grade; with `exclude`, exactly the
/// expected rows are EXCLUDED.
pub fn assert_sample_report(report: &Value, exclude: bool) {
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

/// Σ amounts of the sample's rows whose transferId `keep` accepts.
pub fn sample_amount(keep: impl Fn(&str) -> bool) -> i64 {
    SAMPLE
        .lines()
        .skip(1)
        .filter(|l| keep(l.split(',').next().unwrap()))
        .map(|l| l.split(',').nth(1).unwrap().parse::<i64>().unwrap())
        .sum()
}

/// Σ amounts of the sample's rows that `exclude` keeps out.
pub fn excluded_amount() -> i64 {
    sample_amount(|tid| EXPECTED.iter().any(|e| e.3 && e.0 == tid))
}

/// (balance, reserved) of the verifying organisation's account, and its RELEASE lines for `bulk`.
pub async fn money(s: &Stack, bulk: &str) -> (i64, i64, Vec<(Option<i64>, i64)>) {
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
