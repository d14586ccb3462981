//! The embedded console (`/`, `/console/…`: security headers, revalidation, files that build
//! pages from text only) and CORS for frontends on other origins (`CORS_ALLOWED_ORIGINS`).
//! Neither depends on the database kind: SQLite only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use api::console::{CONTENT_SECURITY_POLICY, asset_names, asset_text};
use common::{Backend, GESTIONNAIRE, Options, assert_error, spawn_app, spawn_app_with};
use serde_json::{Value, json};

const FRONTEND: &str = "http://localhost:5173";

#[tokio::test]
async fn console_is_served_with_its_security_headers() {
    let app = spawn_app(Backend::Sqlite).await;
    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(h["content-security-policy"], CONTENT_SECURITY_POLICY);
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    let page = res.text().await.unwrap();
    assert!(page.contains("/console/app.js"), "{page}");

    // Revalidation: the same ETag answers 304 without a body.
    let tag = h["etag"].to_str().unwrap().to_string();
    let again = app
        .client
        .get(app.url("/"))
        .header("If-None-Match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // Every embedded file is served with a fitting type; unknown ones are 404 in the error shape.
    for name in asset_names().filter(|n| *n != "index.html") {
        let res = app
            .client
            .get(app.url(&format!("/console/{name}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{name}");
        let kind = res.headers()["content-type"].to_str().unwrap().to_string();
        let expected = match name.rsplit('.').next().unwrap() {
            "js" => "text/javascript",
            "css" => "text/css",
            "svg" => "image/svg+xml",
            other => panic!("unexpected asset kind {other}"),
        };
        assert!(kind.starts_with(expected), "{name}: {kind}");
    }
    for path in [
        "/console/nope.js",
        "/console/index.html",
        "/console/..%2fCargo.toml",
    ] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_error(res, 404, "not_found").await;
    }
    app.cleanup().await;
}

/// Words that would turn text into markup or code; the console must never use them.
const FORBIDDEN: &[&str] = &[
    "innerHTML",
    "outerHTML",
    "insertAdjacentHTML",
    "document.write",
    "eval(",
    "new Function",
    "javascript:",
];

#[test]
fn console_files_build_pages_from_text_only() {
    let page = asset_text("index.html").unwrap();
    // No inline script or style, no event-handler attribute: the CSP forbids them anyway, and a
    // page that needed them would break.
    for (i, tag) in page.split("<script").skip(1).enumerate() {
        let head = &tag[..tag.find('>').unwrap()];
        assert!(head.contains("src="), "inline script #{i}: <script{head}>");
    }
    assert!(!page.contains("<style"), "inline style element");
    assert!(!page.contains(" style="), "style attribute");
    assert!(!page.contains(" on"), "an attribute starting with `on`");
    for name in asset_names().filter(|n| n.ends_with(".js")) {
        let text = asset_text(name).unwrap();
        for word in FORBIDDEN {
            assert!(!text.contains(word), "{name} uses {word}");
        }
        // Every module it imports is embedded too.
        for import in text.split("from '/console/").skip(1) {
            let file = &import[..import.find('\'').unwrap()];
            assert!(
                asset_names().any(|n| n == file),
                "{name} imports {file}, not embedded"
            );
        }
    }
}

#[tokio::test]
async fn cors_answers_only_the_named_origins() {
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            env: vec![("CORS_ALLOWED_ORIGINS", FRONTEND.into())],
            ..Options::default()
        },
    )
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/auth/login"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type,authorization",
            )
            .send()
    };
    let res = preflight(FRONTEND).await.unwrap();
    assert_eq!(res.status(), 204);
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], FRONTEND);
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert!(
        h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("Authorization")
    );
    assert!(
        h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    assert_eq!(h["vary"], "Origin");

    let res = preflight("http://localhost:5174").await.unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    assert_error(res, 403, "cors_origin_not_allowed").await;

    // The seed frontend's login: by e-mail, answered with the origin allowed.
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .header("Origin", FRONTEND)
        .json(&json!({"email": "gestionnaire@example.org", "password": GESTIONNAIRE.1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], FRONTEND);
    assert!(
        res.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("Retry-After")
    );
    // A request from another origin is served (the server's checks apply as to anyone) but
    // without CORS headers, so a browser keeps the answer from that page.
    let token = app.token(GESTIONNAIRE).await;
    let res = app
        .client
        .get(app.url("/api/accounts"))
        .bearer_auth(&token)
        .header("Origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    app.cleanup().await;
}

#[tokio::test]
async fn same_origin_requests_pass_without_a_list() {
    let app = spawn_app(Backend::Sqlite).await;
    // Browsers send Origin on a same-origin POST: the console's login must work with no list.
    let own = format!("http://127.0.0.1:{}", app.port);
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .header("Origin", &own)
        .json(&json!({"username": GESTIONNAIRE.0, "password": GESTIONNAIRE.1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body["access"].is_string());
    // With no list, every cross-origin preflight is refused.
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/bulk-transfers"))
        .header("Origin", "http://localhost:5173")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_error(res, 403, "cors_origin_not_allowed").await;
    app.cleanup().await;
}
