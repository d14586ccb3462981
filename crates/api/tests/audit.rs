//! `GET /api/audit` over real HTTP on both backends: an upload and its approval, logins (failed
//! ones too) and a logout are recorded; SUPERVISEUR and APPROBATEUR read their organisation's
//! events only, a GESTIONNAIRE is refused; filters, paging and their refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    APPROBATEUR, Backend, GESTIONNAIRE, INACTIVE, OTHER_ORG_APPROVER, Part, SUPERVISEUR, TestApp,
    assert_error, fixture, spawn_app,
};
use db::queries::audit::{self, ChainCheck};
use db::queries::orgs;
use domain::{ApprovalMode, OrgPolicy};
use serde_json::{Value, json};

async fn audit_page(app: &TestApp, token: &str, query: &str) -> Value {
    let res = app.get(token, &format!("/api/audit{query}")).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn actions(page: &Value) -> Vec<(String, String, String)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            (s("action"), s("subject"), s("actor"))
        })
        .collect()
}

async fn login_status(app: &TestApp, user: &str, password: &str) -> u16 {
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

async fn upload_and_approval_are_recorded(backend: Backend) {
    let app = spawn_app(backend).await;
    let (org, policy) = (
        app.org_id,
        OrgPolicy {
            approval: ApprovalMode::Required,
            ..OrgPolicy::default()
        },
    );
    app.with_db(move |c| orgs::set_policy(c, org, &policy).unwrap())
        .await;
    let manager = app.token(GESTIONNAIRE).await;
    let approver = app.token(APPROBATEUR).await;
    let auditor = app.token(SUPERVISEUR).await;
    let parts = [Part::file("standard.csv", fixture("standard.csv"))];
    let res = app.upload(&manager, &parts, &[]).await;
    assert_eq!(res.status(), 202);
    let bulk = res.json::<Value>().await.unwrap()["bulkTransferId"]
        .as_str()
        .unwrap()
        .to_string();
    let sha = domain::sha256_hex(&fixture("standard.csv"));
    let res = app
        .client
        .post(app.url(&format!("/api/bulk-transfers/{bulk}/approve")))
        .bearer_auth(&approver)
        .json(&json!({ "fileSha256": sha }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let page = audit_page(&app, &auditor, "").await;
    let seen = actions(&page);
    let row = |a: &str, s: &str, who: &str| (a.to_string(), s.to_string(), who.to_string());
    assert_eq!(
        seen[..2],
        [
            row("bulk.approved", &bulk, "approbateur"),
            row("bulk.uploaded", &bulk, "gestionnaire"),
        ],
        "newest first"
    );
    for who in ["gestionnaire", "approbateur", "superviseur"] {
        assert!(
            seen.contains(&row("login.succeeded", who, who)),
            "{who}: {seen:?}"
        );
    }
    let uploaded = &page["items"][1];
    assert_eq!(uploaded["details"]["count"], 5);
    assert_eq!(uploaded["details"]["total"], 37_500);
    assert_eq!(uploaded["details"]["currency"], "XOF");
    assert_eq!(uploaded["details"]["fileSha256"], sha.as_str());
    assert_eq!(uploaded["details"]["state"], "AWAITING_APPROVAL");
    let approved = &page["items"][0];
    assert_eq!(approved["details"]["state"], "PENDING");
    assert_eq!(approved["prevHash"], uploaded["hash"], "chained");
    assert_eq!(approved["hash"].as_str().unwrap().len(), 64);
    assert!(approved["occurredAt"].as_str().unwrap().ends_with('Z'));
    assert!(approved["id"].as_i64().unwrap() > uploaded["id"].as_i64().unwrap());

    // Readers and filters.
    let res = app.get(&manager, "/api/audit").await;
    assert_error(res, 403, "forbidden").await;
    let by_approver = audit_page(&app, &approver, "?action=bulk.uploaded").await;
    assert_eq!(
        actions(&by_approver),
        [row("bulk.uploaded", &bulk, "gestionnaire")]
    );
    let about = audit_page(&app, &auditor, &format!("?subject={bulk}")).await;
    assert_eq!(about["items"].as_array().unwrap().len(), 2);
    let later = audit_page(&app, &auditor, "?from=2999-01-01T00:00:00Z").await;
    assert!(later["items"].as_array().unwrap().is_empty());
    let first = audit_page(&app, &auditor, "?limit=1").await;
    let cursor = first["nextCursor"].as_str().unwrap().to_string();
    let second = audit_page(&app, &auditor, &format!("?limit=1&cursor={cursor}")).await;
    assert_eq!(second["items"][0]["action"], "bulk.uploaded");
    for (query, code) in [
        ("?action=bulk.deleted", "invalid_action"),
        ("?from=yesterday", "invalid_time"),
        (
            "?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            "invalid_time",
        ),
        ("?limit=0", "invalid_limit"),
    ] {
        let res = app.get(&auditor, &format!("/api/audit{query}")).await;
        assert_error(res, 422, code).await;
    }

    // Another organisation sees none of it.
    let other = app.token(OTHER_ORG_APPROVER).await;
    let theirs = actions(&audit_page(&app, &other, "").await);
    assert_eq!(theirs, [row("login.succeeded", "autre-visa", "autre-visa")]);

    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/audit"]["get"].is_object());
    assert!(doc["components"]["schemas"]["AuditList"].is_object());
    let check = app.with_db(|c| audit::verify_chain(c).unwrap()).await;
    assert!(matches!(check, ChainCheck::Intact { .. }), "{check}");
    app.cleanup().await;
}

async fn logins_and_logout_are_recorded(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        login_status(&app, GESTIONNAIRE.0, "wrong-password").await,
        401
    );
    assert_eq!(login_status(&app, "mallory", "guess-123").await, 401);
    assert_eq!(login_status(&app, INACTIVE.0, INACTIVE.1).await, 403);
    let session = app.login_json(SUPERVISEUR).await;
    let auditor = session["access"].as_str().unwrap().to_string();

    let failed = audit_page(&app, &auditor, "?action=login.failed").await;
    let items = failed["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        2,
        "mallory belongs to no organisation: {failed}"
    );
    let (disabled, wrong) = (&items[0], &items[1]);
    assert_eq!(
        (&wrong["actor"], &wrong["subject"]),
        (&json!("gestionnaire"), &json!("gestionnaire"))
    );
    assert_eq!(wrong["details"]["reason"], "invalid_credentials");
    assert_eq!(wrong["details"]["address"], "127.0.0.1");
    assert_eq!(disabled["actor"], "ancien");
    assert_eq!(disabled["details"]["reason"], "account_disabled");
    // The unknown name is recorded too, outside every organisation.
    let strays = app
        .with_db(|c| {
            audit::range(c, 0, 100)
                .unwrap()
                .into_iter()
                .filter(|e| e.organisation_id.is_none())
                .map(|e| (e.action, e.actor, e.actor_user_id))
                .collect::<Vec<_>>()
        })
        .await;
    assert_eq!(
        strays,
        [("login.failed".to_string(), "mallory".to_string(), None)]
    );

    let res = app
        .client
        .post(app.url("/api/auth/logout"))
        .bearer_auth(&auditor)
        .json(&json!({ "refresh": session["refresh"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let reader = app.token(APPROBATEUR).await;
    let out = audit_page(&app, &reader, "?action=logout").await;
    assert_eq!(
        actions(&out),
        [("logout".into(), "superviseur".into(), "superviseur".into())]
    );
    app.cleanup().await;
}

both_backends!(
    upload_and_approval_are_recorded,
    logins_and_logout_are_recorded
);
