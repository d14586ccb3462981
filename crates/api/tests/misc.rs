//! Accounts, health probes, OpenAPI/Swagger, the error shape of actix-level refusals, request ids.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::{
    BALANCE, Backend, FailingQueue, GESTIONNAIRE, OTHER_ORG_USER, Options, assert_error, spawn_app,
    spawn_app_with,
};
use serde_json::{Value, json};

async fn accounts(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(GESTIONNAIRE).await;
    let body: Value = app.get(&token, "/api/accounts").await.json().await.unwrap();
    assert_eq!(
        body["accounts"],
        json!([{
            "accountId": "CNSS-XOF-001", "currency": "XOF", "balance": BALANCE, "reserved": 0,
            "available": BALANCE, "partyIdType": "MSISDN", "partyIdentifier": "22890000000"
        }])
    );
    assert_eq!(
        app.upload_fixture(&token, "standard.csv").await.status(),
        202
    );
    let body: Value = app.get(&token, "/api/accounts").await.json().await.unwrap();
    assert_eq!(body["accounts"][0]["reserved"], 37_500);
    assert_eq!(body["accounts"][0]["available"], BALANCE - 37_500);
    assert_eq!(body["accounts"][0]["balance"], BALANCE);

    let other = app.token(OTHER_ORG_USER).await;
    let body: Value = app.get(&other, "/api/accounts").await.json().await.unwrap();
    let accounts = body["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["accountId"], "AUTRE-XOF-001");
    assert_eq!(accounts[0]["reserved"], 0);
    app.cleanup().await;
}

async fn health(backend: Backend) {
    let app = spawn_app(backend).await;
    let live = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");
    app.cleanup().await;

    let app = spawn_app_with(
        backend,
        Options {
            queue: Some(Arc::new(FailingQueue)),
            ..Options::default()
        },
    )
    .await;
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    let body = assert_error(ready, 503, "not_ready").await;
    assert_eq!(
        body["details"],
        json!([{"component": "database", "status": "up"},
               {"component": "queue", "status": "down"}])
    );
    assert!(
        !body.to_string().contains("connection refused"),
        "cause not leaked"
    );
    app.cleanup().await;
}

async fn openapi(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (path, method) in [
        ("/api/auth/login", "post"),
        ("/api/auth/refresh", "post"),
        ("/api/auth/logout", "post"),
        ("/api/auth/me", "get"),
        ("/api/bulk-transfers", "post"),
        ("/api/bulk-transfers", "get"),
        ("/api/bulk-transfers/{id}/status", "get"),
        ("/api/bulk-transfers/{id}/report.csv", "get"),
        ("/api/bulk-transfers/{id}/pain002", "get"),
        ("/api/accounts", "get"),
        ("/api/bulk-transfers/{id}/verification", "get"),
        ("/api/bulk-transfers/{id}/verification.csv", "get"),
        ("/api/bulk-transfers/{id}/verify", "post"),
        ("/health/live", "get"),
        ("/health/ready", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let pain002 = &doc["paths"]["/api/bulk-transfers/{id}/pain002"]["get"]["responses"]["200"];
    assert!(
        pain002["content"]["application/xml"].is_object(),
        "{pain002}"
    );
    let upload = &doc["components"]["schemas"]["UploadRequest"]["properties"]["file"];
    assert!(
        upload["description"].as_str().unwrap().contains("pain.001"),
        "{upload}"
    );
    for schema in [
        "ErrorBody",
        "BulkAccepted",
        "BulkStatus",
        "LoginRequest",
        "AccountList",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    assert!(doc["components"]["schemas"]["ErrorBody"]["example"].is_object());
    let upload = &doc["paths"]["/api/bulk-transfers"]["post"];
    assert!(upload["requestBody"]["content"]["multipart/form-data"].is_object());
    assert!(upload["security"][0]["bearer"].is_array());

    let ui = app.client.get(app.url("/swagger/")).send().await.unwrap();
    assert_eq!(ui.status(), 200);
    assert!(ui.text().await.unwrap().to_lowercase().contains("swagger"));
    let bare = app.client.get(app.url("/swagger")).send().await.unwrap();
    assert_eq!(bare.status(), 308);
    assert_eq!(bare.headers()["location"], "/swagger/");
    app.cleanup().await;
}

async fn error_shapes(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.client.get(app.url("/api/nope")).send().await.unwrap();
    assert_error(res, 404, "not_found").await;
    // `/` is the console; any other unknown path is 404 in the error shape.
    let res = app.client.get(app.url("/nope")).send().await.unwrap();
    assert_error(res, 404, "not_found").await;
    let res = app.client.post(app.url("/")).send().await.unwrap();
    assert_error(res, 405, "method_not_allowed").await;
    // A 405 names the methods the path answers (`Allow`, RFC 9110).
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/api/accounts", "GET"),
        (reqwest::Method::GET, "/api/auth/login", "POST"),
        (reqwest::Method::PUT, "/api/bulk-transfers", "GET, POST"),
        (reqwest::Method::POST, "/", "GET"),
    ] {
        let res = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["allow"], allow, "{method} {path}");
        assert_error(res, 405, "method_not_allowed").await;
    }

    let login = |body: &'static str, ct: &'static str| {
        app.client
            .post(app.url("/api/auth/login"))
            .header("Content-Type", ct)
            .body(body)
            .send()
    };
    let res = login("{\"username\": ", "application/json").await.unwrap();
    assert_error(res, 400, "malformed_json").await;
    let res = login("{\"username\": 5, \"password\": \"x\"}", "application/json")
        .await
        .unwrap();
    assert_error(res, 422, "invalid_body").await;
    let res = login("{\"user\": \"a\", \"password\": \"x\"}", "application/json")
        .await
        .unwrap();
    assert_error(res, 422, "invalid_body").await;
    let res = login("username=a&password=b", "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_error(res, 415, "unsupported_media_type").await;
    let big = format!(
        "{{\"username\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(100_000)
    );
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&serde_json::from_str::<Value>(&big).unwrap())
        .send()
        .await
        .unwrap();
    assert_error(res, 413, "payload_too_large").await;
    app.cleanup().await;
}

async fn request_ids(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    let generated = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&generated).is_ok());
    let res = app
        .client
        .get(app.url("/api/nope"))
        .header("X-Request-Id", "client-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "client-abc-123");
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("X-Request-Id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], "bad id with spaces");
    app.cleanup().await;
}

both_backends!(accounts, health, openapi, error_shapes, request_ids);
