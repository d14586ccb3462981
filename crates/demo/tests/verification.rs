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
#[path = "verification/support.rs"]
mod support;

use common::{Backend, SseReader};
use domain::{BulkState, VerificationMode};
use serde_json::{Value, json};
use simulator::{PartyEntry, SimConfig};
use support::*;

async fn exclude_then_approve(backend: Backend) {
    let mut s = stack(backend, fast_sim(), &[]).await;
    let (up, ap) = (s.login(UPLOADER).await, s.login(APPROVER).await);
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
    let total = sample_amount(|_| true);
    let (balance, reserved, releases) = money(&s, &bulk).await;
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
    assert!(text.starts_with("\"line\",\"transferId\","), "{text}");

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
    // The run's life in the audit log: each verification ended by a worker, the re-verification
    // and the approval by the approver who asked for them.
    let (pool, id) = (s.pool.clone(), bulk.clone());
    let history = tokio::task::spawn_blocking(move || {
        let mut c = pool.get().unwrap();
        let events = db::queries::audit::range(&mut c, 0, 1_000).unwrap();
        events
            .into_iter()
            .filter(|e| e.subject == id)
            .map(|e| (e.action, e.actor))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let step = |a: &str, who: &str| (a.to_string(), who.to_string());
    assert_eq!(
        history,
        [
            step("bulk.uploaded", "gestionnaire-verif"),
            step("bulk.verified", "worker"),
            step("bulk.reverified", "approbateur-verif"),
            step("bulk.verified", "worker"),
            step("bulk.approved", "approbateur-verif"),
        ]
    );
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
