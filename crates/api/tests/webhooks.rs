//! Webhook events enter the outbox with the state change they tell of, the 202 tells the uploader
//! whether the egress policy lets the callback be called, and the status view shows each event's
//! delivery. (Sending is the workers' part: `crates/worker/tests/webhooks.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    APPROBATEUR, Backend, GESTIONNAIRE, Options, Part, TestApp, fixture, settle, spawn_app_with,
};
use db::queries::{bulks, orgs, webhooks};
use domain::{ApprovalMode, OrgPolicy};
use serde_json::{Value, json};

const HOOK: &str = "http://127.0.0.1:9/hooks/bulk";

async fn app(backend: Backend) -> TestApp {
    let opts = Options {
        env: vec![("CALLBACK_ALLOWED_HOSTS", "erp.internal.example".to_string())],
        ..Options::default()
    };
    spawn_app_with(backend, opts).await
}

async fn upload(app: &TestApp, token: &str, callback: Option<&str>) -> Value {
    let mut parts = vec![Part::file("standard.csv", fixture("standard.csv"))];
    parts.extend(callback.map(|c| Part::text("callback_url", c)));
    parts.push(Part::text("force", "true"));
    let res = app.upload(token, &parts, &[]).await;
    assert_eq!(res.status(), 202);
    res.json().await.unwrap()
}

async fn status(app: &TestApp, token: &str, bulk: &str) -> Value {
    let res = app
        .get(token, &format!("/api/bulk-transfers/{bulk}/status"))
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The outbox entries of a run: (event, parsed body).
async fn outbox(app: &TestApp, bulk: &str) -> Vec<(String, Value)> {
    let id = bulk.to_string();
    app.with_db(move |c| {
        let b = bulks::find(c, &id).unwrap().unwrap();
        webhooks::for_bulk(c, b.id)
            .unwrap()
            .into_iter()
            .map(|d| (d.event, serde_json::from_str(&d.payload).unwrap()))
            .collect()
    })
    .await
}

async fn events_follow_the_run(backend: Backend) {
    let app = app(backend).await;
    let manager = app.token(GESTIONNAIRE).await;

    // No callback: no event, `callback` null.
    let plain = upload(&app, &manager, None).await;
    let id = plain["bulkTransferId"].as_str().unwrap();
    assert!(plain.get("callback").is_none());
    assert!(status(&app, &manager, id).await["callback"].is_null());
    settle(&app, id, 5, 0, "").await;
    assert!(outbox(&app, id).await.is_empty());

    // A run that completes: one bulk.completed with its counts and amounts.
    let paid = upload(&app, &manager, Some(HOOK)).await;
    assert_eq!(paid["callback"]["url"], HOOK);
    assert_eq!(paid["callback"]["policy"], "blocked_private_address");
    let id = paid["bulkTransferId"].as_str().unwrap();
    let before = status(&app, &manager, id).await;
    assert_eq!(before["callback"]["state"], "NO_EVENT_YET");
    assert_eq!(before["callback"]["events"], json!([]));
    settle(&app, id, 3, 2, "payee refused").await;
    let events = outbox(&app, id).await;
    assert_eq!(events.len(), 1);
    let (event, body) = &events[0];
    assert_eq!(event, "bulk.completed");
    assert_eq!(body["event"], "bulk.completed");
    assert_eq!(body["state"], "PARTIALLY_COMPLETED");
    assert_eq!(body["bulkTransferId"], id);
    assert_eq!(
        body["counts"],
        json!({"total": 5, "completed": 3, "failed": 2, "excluded": 0, "cancelled": 0, "pending": 0})
    );
    assert_eq!(body["amounts"]["total"], 37_500);
    let view = status(&app, &manager, id).await["callback"].clone();
    assert_eq!(view["url"], HOOK);
    assert_eq!(view["state"], "PENDING");
    assert_eq!(view["attempts"], 0);
    assert!(view["lastStatus"].is_null() && view["deliveredAt"].is_null());
    assert_eq!(view["events"][0]["eventId"], body["eventId"]);

    // Awaiting approval, then rejected: two events, in order.
    let org = app.org_id;
    app.with_db(move |c| {
        let p = OrgPolicy {
            approval: ApprovalMode::Required,
            approval_threshold: None,
            ..OrgPolicy::default()
        };
        orgs::set_policy(c, org, &p).unwrap()
    })
    .await;
    let listed = upload(&app, &manager, Some("https://erp.internal.example/hook")).await;
    assert_eq!(listed["callback"]["policy"], "allowlisted");
    let id = listed["bulkTransferId"].as_str().unwrap();
    assert_eq!(listed["state"], "AWAITING_APPROVAL");
    let approver = app.token(APPROBATEUR).await;
    let res = app
        .client
        .post(app.url(&format!("/api/bulk-transfers/{id}/reject")))
        .bearer_auth(&approver)
        .json(&json!({"reason": "montants non validés"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let events = outbox(&app, id).await;
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(names, ["bulk.awaiting_approval", "bulk.rejected"]);
    assert_eq!(events[1].1["state"], "REJECTED");
    assert_eq!(events[1].1["counts"]["pending"], 0);
    assert_eq!(events[1].1["counts"]["cancelled"], 5);
    let ids: std::collections::HashSet<&str> = events
        .iter()
        .map(|(_, b)| b["eventId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "every event has its own id");
    let view = status(&app, &manager, id).await["callback"].clone();
    assert_eq!(view["events"].as_array().unwrap().len(), 2);
    app.cleanup().await;
}

both_backends!(events_follow_the_run);
