//! The payment run a fund can sign, over real HTTP on both backends: four-eyes approval (wrong
//! role, same user, wrong hash, wrong state, right), rejection and cancellation releasing exactly
//! the run's reservation, scheduling, the pension-period guard (across runs, with repeats allowed,
//! under concurrency), declared totals, retry of FAILED rows, and cross-organisation refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    APPROBATEUR, Backend, GESTIONNAIRE, OTHER_ORG_APPROVER, OTHER_ORG_USER, Part, SUPERVISEUR,
    TestApp, assert_error, fixture, spawn_app,
};
use db::queries::{bulks, ledger, orgs, transfers};
use domain::{ApprovalMode, OrgPolicy};
use serde_json::{Value, json};

fn policy(approval: bool, period_guard: bool) -> OrgPolicy {
    OrgPolicy {
        approval: if approval {
            ApprovalMode::Required
        } else {
            ApprovalMode::Off
        },
        approval_threshold: None,
        period_guard,
        ..OrgPolicy::default()
    }
}

async fn set_policy(app: &TestApp, p: OrgPolicy) {
    let org = app.org_id;
    app.with_db(move |c| orgs::set_policy(c, org, &p).unwrap())
        .await;
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status);
    res.json().await.unwrap()
}

/// Uploads `standard.csv` (5 rows, 37,500 XOF) with extra form fields; returns the 202 body.
async fn upload_with(app: &TestApp, token: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut parts = vec![Part::file("standard.csv", fixture("standard.csv"))];
    parts.extend(fields.iter().map(|(k, v)| Part::text(k, v)));
    app.upload(token, &parts, &[]).await
}

async fn status(app: &TestApp, token: &str, bulk: &str) -> Value {
    json_of(
        app.get(token, &format!("/api/bulk-transfers/{bulk}/status"))
            .await,
        200,
    )
    .await
}

/// RELEASE journal lines of a run (transfer-less: the whole reservation at once).
async fn released(app: &TestApp, bulk: &str) -> i64 {
    let id = bulk.to_string();
    app.with_db(move |c| {
        let b = bulks::find(c, &id).unwrap().unwrap();
        let entries = ledger::for_bulk(c, b.id).unwrap();
        entries
            .iter()
            .filter(|e| e.kind == "RELEASE")
            .map(|e| e.amount)
            .sum()
    })
    .await
}

async fn four_eyes_approval(backend: Backend) {
    let app = spawn_app(backend).await;
    set_policy(&app, policy(true, false)).await;
    let manager = app.token(GESTIONNAIRE).await;
    let approver = app.token(APPROBATEUR).await;
    let auditor = app.token(SUPERVISEUR).await;
    let body = json_of(upload_with(&app, &manager, &[]).await, 202).await;
    assert_eq!(body["state"], "AWAITING_APPROVAL");
    let bulk = body["bulkTransferId"].as_str().unwrap().to_string();
    assert_eq!(
        app.snapshot().await.reserved,
        37_500,
        "reserved while waiting"
    );
    assert!(
        app.queued_jobs().await.is_empty(),
        "nothing queued before approval"
    );
    let view = status(&app, &auditor, &bulk).await;
    assert_eq!(view["approvalRequired"], true);
    let sha = view["fileSha256"].as_str().unwrap().to_string();
    assert_eq!(sha, domain::sha256_hex(&fixture("standard.csv")));

    let path = format!("/api/bulk-transfers/{bulk}/approve");
    // Roles that may not approve.
    for token in [&manager, &auditor] {
        let res = post(&app, token, &path, json!({ "fileSha256": sha })).await;
        assert_error(res, 403, "forbidden").await;
    }
    // Another file than the one the approver saw.
    let other = domain::sha256_hex(b"another file");
    let res = post(&app, &approver, &path, json!({ "fileSha256": other })).await;
    assert_error(res, 409, "file_hash_mismatch").await;
    // Malformed body.
    let res = post(&app, &approver, &path, json!({ "sha": sha })).await;
    assert_eq!(res.status().as_u16(), 422);
    // Right.
    let res = post(&app, &approver, &path, json!({ "fileSha256": sha })).await;
    let after = json_of(res, 200).await;
    assert_eq!(after["state"], "PENDING");
    assert_eq!(after["approval"]["by"], "approbateur");
    assert_eq!(after["approval"]["fileSha256"], sha.as_str());
    assert_eq!(app.queued_jobs().await.len(), 1, "queued once approved");
    // Twice: the run is no longer waiting.
    let res = post(&app, &approver, &path, json!({ "fileSha256": sha })).await;
    assert_error(res, 409, "invalid_state").await;
    // Listed with its approval.
    let list = json_of(
        app.get(&auditor, "/api/bulk-transfers?state=PENDING").await,
        200,
    )
    .await;
    assert_eq!(list["items"][0]["approval"]["by"], "approbateur");
    app.cleanup().await;
}

/// The uploader cannot approve their own run, even after becoming an APPROBATEUR.
async fn uploader_never_approves(backend: Backend) {
    let app = spawn_app(backend).await;
    set_policy(&app, policy(true, false)).await;
    let manager = app.token(GESTIONNAIRE).await;
    let body = json_of(upload_with(&app, &manager, &[]).await, 202).await;
    let bulk = body["bulkTransferId"].as_str().unwrap().to_string();
    app.with_db(|c| {
        let u = db::queries::users::find_by_login(c, "gestionnaire")
            .unwrap()
            .unwrap();
        db::queries::users::set_role(c, u.id, domain::Role::Approbateur).unwrap();
    })
    .await;
    let promoted = app.token(GESTIONNAIRE).await;
    let sha = domain::sha256_hex(&fixture("standard.csv"));
    let res = post(
        &app,
        &promoted,
        &format!("/api/bulk-transfers/{bulk}/approve"),
        json!({ "fileSha256": sha }),
    )
    .await;
    assert_error(res, 403, "same_user").await;
    let res = post(
        &app,
        &promoted,
        &format!("/api/bulk-transfers/{bulk}/reject"),
        json!({ "reason": "mine" }),
    )
    .await;
    assert_error(res, 403, "same_user").await;
    app.cleanup().await;
}

async fn reject_releases_the_reservation(backend: Backend) {
    let app = spawn_app(backend).await;
    set_policy(&app, policy(true, false)).await;
    let manager = app.token(GESTIONNAIRE).await;
    let approver = app.token(APPROBATEUR).await;
    let body = json_of(upload_with(&app, &manager, &[]).await, 202).await;
    let bulk = body["bulkTransferId"].as_str().unwrap().to_string();
    let path = format!("/api/bulk-transfers/{bulk}/reject");
    let res = post(&app, &approver, &path, json!({ "reason": "  " })).await;
    assert_error(res, 422, "invalid_reason").await;
    let res = post(
        &app,
        &approver,
        &path,
        json!({ "reason": "montants non validés" }),
    )
    .await;
    let after = json_of(res, 200).await;
    assert_eq!(after["state"], "REJECTED");
    assert_eq!(after["rejection"]["by"], "approbateur");
    assert_eq!(after["rejection"]["reason"], "montants non validés");
    let snap = app.snapshot().await;
    assert_eq!((snap.reserved, snap.balance), (0, common::BALANCE));
    assert_eq!(
        released(&app, &bulk).await,
        37_500,
        "one RELEASE of the whole run"
    );
    let rows = status(&app, &manager, &bulk).await["transfers"].clone();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "CANCELLED")
    );
    assert_ledger_balanced(&app).await;
    // A rejected file may be uploaded again at once (it is not a duplicate).
    assert_eq!(upload_with(&app, &manager, &[]).await.status(), 202);
    app.cleanup().await;
}

async fn assert_ledger_balanced(app: &TestApp) {
    let pk = app.account_pk;
    app.with_db(move |c| {
        let a = db::queries::accounts::get(c, pk).unwrap();
        let t = ledger::totals(c, pk).unwrap();
        assert_eq!(a.balance, t.expected_balance());
        assert_eq!(a.reserved, t.expected_reserved());
    })
    .await;
}

async fn schedule_and_cancel(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.token(GESTIONNAIRE).await;
    let auditor = app.token(SUPERVISEUR).await;
    let later = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let res = upload_with(&app, &manager, &[("execute_at", &later)]).await;
    let body = json_of(res, 202).await;
    assert_eq!(body["state"], "SCHEDULED");
    let bulk = body["bulkTransferId"].as_str().unwrap().to_string();
    assert!(
        app.queued_jobs().await.is_empty(),
        "a scheduled run is not queued"
    );
    assert!(status(&app, &manager, &bulk).await["executeAt"].is_string());
    let path = format!("/api/bulk-transfers/{bulk}/cancel");
    let res = post(&app, &auditor, &path, json!({})).await;
    assert_error(res, 403, "forbidden").await;
    let other = app.token(OTHER_ORG_USER).await;
    let res = post(&app, &other, &path, json!({})).await;
    assert_error(res, 404, "not_found").await;
    let after = json_of(post(&app, &manager, &path, json!({})).await, 200).await;
    assert_eq!(after["state"], "CANCELLED");
    assert_eq!(after["cancellation"]["by"], "gestionnaire");
    assert_eq!(app.snapshot().await.reserved, 0);
    assert_eq!(released(&app, &bulk).await, 37_500);
    let res = post(&app, &manager, &path, json!({})).await;
    assert_error(res, 409, "invalid_state").await;
    // A PENDING run is cancellable before a worker claims a row, not after.
    let body = json_of(upload_with(&app, &manager, &[("force", "true")]).await, 202).await;
    let pending = body["bulkTransferId"].as_str().unwrap().to_string();
    let id = pending.clone();
    app.with_db(move |c| {
        let b = bulks::find(c, &id).unwrap().unwrap();
        assert!(bulks::mark_processing(c, b.id).unwrap());
        transfers::claim(c, b.id, 1).unwrap();
    })
    .await;
    let res = post(
        &app,
        &manager,
        &format!("/api/bulk-transfers/{pending}/cancel"),
        json!({}),
    )
    .await;
    assert_error(res, 409, "already_started").await;
    // An invalid time is refused, nothing stored.
    let before = app.snapshot().await;
    let res = upload_with(
        &app,
        &manager,
        &[("execute_at", "demain"), ("force", "true")],
    )
    .await;
    assert_error(res, 422, "invalid_execute_at").await;
    assert_eq!(app.snapshot().await, before);
    assert_ledger_balanced(&app).await;
    app.cleanup().await;
}

async fn declared_totals(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.token(GESTIONNAIRE).await;
    let before = app.snapshot().await;
    let res = upload_with(&app, &manager, &[("expected_count", "6")]).await;
    let body = assert_error(res, 422, "declared_totals_mismatch").await;
    assert!(body["message"].as_str().unwrap().contains('6'), "{body}");
    let res = upload_with(&app, &manager, &[("expected_total", "37600")]).await;
    assert_error(res, 422, "declared_totals_mismatch").await;
    app.assert_unchanged(before).await;
    let res = upload_with(
        &app,
        &manager,
        &[("expected_count", "5"), ("expected_total", "37500")],
    )
    .await;
    assert_eq!(res.status(), 202);
    app.cleanup().await;
}

/// `rows` as a standard CSV (amount 1,000 each) for the given MSISDNs.
fn csv_of(payees: &[&str]) -> Vec<u8> {
    let mut s = String::from("transferId,amount,currency,partyIdType,partyIdentifier\n");
    for (i, p) in payees.iter().enumerate() {
        s.push_str(&format!("tx-{i},1000,XOF,MSISDN,{p}\n"));
    }
    s.into_bytes()
}

async fn upload_payees(
    app: &TestApp,
    token: &str,
    payees: &[&str],
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut parts = vec![Part::file("p.csv", csv_of(payees))];
    parts.extend(fields.iter().map(|(k, v)| Part::text(k, v)));
    app.upload(token, &parts, &[]).await
}

async fn period_guard(backend: Backend) {
    let app = spawn_app(backend).await;
    set_policy(&app, policy(false, true)).await;
    let manager = app.token(GESTIONNAIRE).await;
    let res = upload_payees(&app, &manager, &["22890000011"], &[]).await;
    assert_error(res, 422, "period_required").await;
    let res = upload_payees(&app, &manager, &["22890000011"], &[("period", "2026-13")]).await;
    assert_error(res, 422, "invalid_period").await;
    let first = json_of(
        upload_payees(
            &app,
            &manager,
            &["22890000011", "22890000012"],
            &[("period", "2026-11")],
        )
        .await,
        202,
    )
    .await;
    let first_id = first["bulkTransferId"].as_str().unwrap().to_string();
    // Same period, one payee in common: refused on its line, naming the other run.
    let before = app.snapshot().await;
    let res = upload_payees(
        &app,
        &manager,
        &["22890000013", "22890000012"],
        &[("period", "2026-11")],
    )
    .await;
    let body = assert_error(res, 422, "already_paid_in_period").await;
    assert_eq!(body["details"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["details"][0]["line"], 3);
    assert_eq!(body["details"][0]["bulkTransferId"], first_id.as_str());
    assert_eq!(app.snapshot().await, before, "nothing stored or reserved");
    assert_eq!(app.queued_jobs().await.len(), 1, "only the first run's job");
    // The same payee twice in one file is paid twice in the period too.
    let res = upload_payees(
        &app,
        &manager,
        &["22890000014", "22890000014"],
        &[("period", "2026-11"), ("allow_duplicate_payees", "true")],
    )
    .await;
    let body = assert_error(res, 422, "already_paid_in_period").await;
    assert_eq!(body["details"][0]["line"], 3, "{body}");
    // Another period: fine.
    let res = upload_payees(&app, &manager, &["22890000012"], &[("period", "2026-12")]).await;
    assert_eq!(res.status(), 202);
    // Accepted with the repeat flagged, and then always approval.
    let res = upload_payees(
        &app,
        &manager,
        &["22890000013", "22890000012"],
        &[("period", "2026-11"), ("allow_repeat_in_period", "true")],
    )
    .await;
    let body = json_of(res, 202).await;
    assert_eq!(body["state"], "AWAITING_APPROVAL");
    let view = status(&app, &manager, body["bulkTransferId"].as_str().unwrap()).await;
    let flags: Vec<bool> = view["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["repeatInPeriod"].as_bool().unwrap())
        .collect();
    assert_eq!(flags, vec![false, true]);
    // A row flagged by a worker for a payee fee above MAX_PAYEE_FEE says so (issue 16 item 10).
    let bulk_id = body["bulkTransferId"].as_str().unwrap().to_string();
    let pool = app.pool.clone();
    let bid = bulk_id.clone();
    tokio::task::spawn_blocking(move || {
        let mut c = pool.get().unwrap();
        let b = db::queries::bulks::find(&mut c, &bid).unwrap().unwrap();
        let rows = db::queries::transfers::page(&mut c, b.id, None, None, 10).unwrap();
        assert!(db::queries::transfers::flag_fee_above_limit(&mut c, rows[1].id).unwrap());
    })
    .await
    .unwrap();
    let view = status(&app, &manager, &bulk_id).await;
    let fees: Vec<bool> = view["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["feeAboveLimit"].as_bool().unwrap())
        .collect();
    assert_eq!(fees, vec![false, true]);
    // Period filter of the list.
    let list = json_of(
        app.get(&manager, "/api/bulk-transfers?period=2026-12")
            .await,
        200,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // A cancelled run gives its payees back.
    let res = post(
        &app,
        &manager,
        &format!("/api/bulk-transfers/{first_id}/cancel"),
        json!({}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = upload_payees(&app, &manager, &["22890000011"], &[("period", "2026-11")]).await;
    assert_eq!(res.status(), 202);
    app.cleanup().await;
}

/// Two uploads of the same period with a payee in common, at the same moment: exactly one wins.
async fn period_guard_under_concurrency(backend: Backend) {
    let app = spawn_app(backend).await;
    set_policy(&app, policy(false, true)).await;
    let manager = app.token(GESTIONNAIRE).await;
    for round in 0..5 {
        let shared = format!("2289100{round:04}");
        let a = format!("2289200{round:04}");
        let b = format!("2289300{round:04}");
        let (first, second) = ([a.as_str(), shared.as_str()], [shared.as_str(), b.as_str()]);
        let fields = [("period", "2026-10")];
        let (ra, rb) = tokio::join!(
            upload_payees(&app, &manager, &first, &fields),
            upload_payees(&app, &manager, &second, &fields),
        );
        let mut codes = vec![ra.status().as_u16(), rb.status().as_u16()];
        codes.sort_unstable();
        assert_eq!(codes, vec![202, 422], "round {round}");
    }
    assert_ledger_balanced(&app).await;
    app.cleanup().await;
}

async fn retry_failed_rows(backend: Backend) {
    let app = spawn_app(backend).await;
    set_policy(&app, policy(false, true)).await;
    let manager = app.token(GESTIONNAIRE).await;
    let payees = ["22890000021", "22890000022", "22890000023"];
    let body = json_of(
        upload_payees(&app, &manager, &payees, &[("period", "2026-09")]).await,
        202,
    )
    .await;
    let parent = body["bulkTransferId"].as_str().unwrap().to_string();
    let path = format!("/api/bulk-transfers/{parent}/retry");
    let res = post(&app, &manager, &path, json!({})).await;
    assert_error(res, 409, "nothing_to_retry").await;
    // Play the worker: row 1 completes, rows 2 and 3 fail.
    let id = parent.clone();
    app.with_db(move |c| {
        use db::queries::settle::{Resolution, SettleItem, settle_batch};
        let b = bulks::find(c, &id).unwrap().unwrap();
        assert!(bulks::mark_processing(c, b.id).unwrap());
        let rows = transfers::claim(c, b.id, 3).unwrap();
        let items: Vec<SettleItem> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| SettleItem {
                transfer_pk: r.id,
                resolution: if i == 0 {
                    Resolution::Completed
                } else {
                    Resolution::Failed {
                        code: "5105".into(),
                        message: "payee FSP rejected".into(),
                    }
                },
            })
            .collect();
        settle_batch(c, &items).unwrap();
    })
    .await;
    let auditor = app.token(SUPERVISEUR).await;
    assert_error(
        post(&app, &auditor, &path, json!({})).await,
        403,
        "forbidden",
    )
    .await;
    let other = app.token(OTHER_ORG_USER).await;
    assert_error(post(&app, &other, &path, json!({})).await, 404, "not_found").await;
    let res = post(&app, &manager, &path, json!({})).await;
    assert_eq!(res.status(), 201);
    assert!(res.headers().get("location").is_some());
    let child = res.json::<Value>().await.unwrap();
    assert_eq!(child["state"], "PENDING");
    assert_eq!(child["total"], 2);
    assert_eq!(child["totalAmount"], 2_000);
    assert_eq!(child["period"], "2026-09");
    assert_eq!(child["parentBulkTransferId"], parent.as_str());
    let child_id = child["bulkTransferId"].as_str().unwrap().to_string();
    let view = status(&app, &manager, &child_id).await;
    let ids: Vec<&str> = view["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["partyIdentifier"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["22890000022", "22890000023"]);
    let parent_view = status(&app, &manager, &parent).await;
    assert_eq!(parent_view["childBulkTransferIds"], json!([child_id]));
    // New transferIds for the same payees.
    let old: Vec<String> = parent_view["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["mojaloopTransferId"].as_str().unwrap().to_string())
        .collect();
    for r in view["transfers"].as_array().unwrap() {
        assert!(!old.contains(&r["mojaloopTransferId"].as_str().unwrap().to_string()));
    }
    // While the child is open, a second retry is refused.
    assert_error(
        post(&app, &manager, &path, json!({})).await,
        409,
        "retry_open",
    )
    .await;
    assert_eq!(app.snapshot().await.reserved, 2_000);
    // A cancelled retry paid nothing: the parent may be retried again…
    let res = post(
        &app,
        &manager,
        &format!("/api/bulk-transfers/{child_id}/cancel"),
        json!({}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let second = json_of(post(&app, &manager, &path, json!({})).await, 201).await;
    // …but once a retry ran, its own FAILED rows are the ones to retry, never the parent's again
    // (they would be paid twice).
    let id = second["bulkTransferId"].as_str().unwrap().to_string();
    app.with_db(move |c| {
        use db::queries::settle::{Resolution, SettleItem, settle_batch};
        let b = bulks::find(c, &id).unwrap().unwrap();
        assert!(bulks::mark_processing(c, b.id).unwrap());
        let rows = transfers::claim(c, b.id, 2).unwrap();
        let items: Vec<SettleItem> = rows
            .iter()
            .map(|r| SettleItem {
                transfer_pk: r.id,
                resolution: Resolution::Completed,
            })
            .collect();
        settle_batch(c, &items).unwrap();
    })
    .await;
    let res = post(&app, &manager, &path, json!({})).await;
    assert_error(res, 409, "nothing_to_retry").await;
    assert_eq!(app.snapshot().await.reserved, 0);
    assert_ledger_balanced(&app).await;
    app.cleanup().await;
}

async fn roles_and_policy(backend: Backend) {
    let app = spawn_app(backend).await;
    for who in [SUPERVISEUR, APPROBATEUR] {
        let token = app.token(who).await;
        let res = upload_with(&app, &token, &[]).await;
        assert_error(res, 403, "forbidden").await;
        let p = json_of(app.get(&token, "/api/organisation/policy").await, 200).await;
        assert_eq!(
            p,
            json!({"approval": "off", "approvalThreshold": null, "periodGuard": false,
                   "verification": "off"})
        );
    }
    set_policy(
        &app,
        OrgPolicy {
            approval: ApprovalMode::Required,
            approval_threshold: Some(40_000),
            ..OrgPolicy::default()
        },
    )
    .await;
    let manager = app.token(GESTIONNAIRE).await;
    // Under the threshold: no approval needed.
    let body = json_of(upload_with(&app, &manager, &[]).await, 202).await;
    assert_eq!(body["state"], "PENDING");
    let bulk = body["bulkTransferId"].as_str().unwrap();
    // Another organisation's approver cannot even see it.
    let other = app.token(OTHER_ORG_APPROVER).await;
    for (action, body) in [
        ("approve", json!({"fileSha256": "x"})),
        ("reject", json!({"reason": "x"})),
        ("cancel", json!({})),
    ] {
        let res = post(
            &app,
            &other,
            &format!("/api/bulk-transfers/{bulk}/{action}"),
            body,
        )
        .await;
        assert_error(res, 404, "not_found").await;
    }
    app.cleanup().await;
}

both_backends!(
    four_eyes_approval,
    uploader_never_approves,
    reject_releases_the_reservation,
    schedule_and_cancel,
    declared_totals,
    period_guard,
    period_guard_under_concurrency,
    retry_failed_rows,
    roles_and_policy,
);
