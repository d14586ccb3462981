//! Login, throttling, refresh rotation, logout and token validation, over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use api::auth::jwt::{JwtKeys, TokenType};
use common::{
    Backend, GESTIONNAIRE, INACTIVE, ISSUER, JWT_SECRET, OTHER_ORG_USER, SUPERVISEUR, TestApp,
    assert_error, spawn_app,
};
use domain::Role;
use serde_json::{Value, json};

async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn login(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = app.login_json(GESTIONNAIRE).await;
    assert!(body["access"].as_str().unwrap().len() > 20);
    assert!(body["refresh"].as_str().unwrap().len() > 20);
    assert_eq!(body["user"]["username"], "gestionnaire");
    assert_eq!(body["user"]["role"], "GESTIONNAIRE");
    assert_eq!(body["user"]["organisation"]["name"], "CNSS");
    assert_eq!(body["user"]["organisation"]["id"], app.org_id);
    assert!(body["user"].get("password_hash").is_none());
    assert!(!body.to_string().contains("$2b$"), "no hash leaks");

    // By e-mail too.
    let res = post(
        &app,
        "/api/auth/login",
        json!({"email": "superviseur@example.org", "password": SUPERVISEUR.1}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let me = app
        .get(body["access"].as_str().unwrap(), "/api/auth/me")
        .await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["username"], "gestionnaire");
    assert_eq!(me["role"], "GESTIONNAIRE");
    assert_eq!(
        me["organisation"],
        json!({"id": app.org_id, "name": "CNSS"})
    );
    app.cleanup().await;
}

async fn login_refusals(backend: Backend) {
    let app = spawn_app(backend).await;
    let wrong = post(
        &app,
        "/api/auth/login",
        json!({"username": "gestionnaire", "password": "nope-nope"}),
    )
    .await;
    assert_eq!(wrong.headers()["www-authenticate"], "Bearer");
    let wrong = assert_error(wrong, 401, "invalid_credentials").await;
    let unknown = post(
        &app,
        "/api/auth/login",
        json!({"username": "nobody", "password": "whatever1"}),
    )
    .await;
    let unknown = assert_error(unknown, 401, "invalid_credentials").await;
    assert_eq!(
        wrong, unknown,
        "unknown user and wrong password look the same"
    );

    let inactive = post(
        &app,
        "/api/auth/login",
        json!({"username": INACTIVE.0, "password": INACTIVE.1}),
    )
    .await;
    assert_error(inactive, 403, "account_disabled").await;

    let missing = post(&app, "/api/auth/login", json!({"password": "x"})).await;
    assert_error(missing, 422, "invalid_body").await;
    app.cleanup().await;
}

async fn login_throttled(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..5 {
        let res = post(
            &app,
            "/api/auth/login",
            json!({"username": "superviseur", "password": "bad-password"}),
        )
        .await;
        assert_eq!(res.status(), 401);
    }
    // Even the right password is refused now, and case tricks do not help.
    for user in ["superviseur", "SuperViseur"] {
        let res = post(
            &app,
            "/api/auth/login",
            json!({"username": user, "password": SUPERVISEUR.1}),
        )
        .await;
        let retry: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=900).contains(&retry), "Retry-After {retry}");
        assert_error(res, 429, "too_many_requests").await;
    }
    // Other users are not affected.
    app.token(GESTIONNAIRE).await;
    app.cleanup().await;
}

async fn refresh_rotation(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.login_json(GESTIONNAIRE).await;
    let r1 = first["refresh"].as_str().unwrap();
    let res = post(&app, "/api/auth/refresh", json!({"refresh": r1})).await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.unwrap();
    let r2 = second["refresh"].as_str().unwrap();
    assert_ne!(r1, r2);
    assert_eq!(
        app.get(second["access"].as_str().unwrap(), "/api/auth/me")
            .await
            .status(),
        200
    );
    // The used token is revoked.
    let reuse = post(&app, "/api/auth/refresh", json!({"refresh": r1})).await;
    assert_error(reuse, 401, "token_revoked").await;
    // An access token is not a refresh token.
    let access = post(
        &app,
        "/api/auth/refresh",
        json!({"refresh": second["access"]}),
    )
    .await;
    assert_error(access, 401, "invalid_token").await;
    // A rotated-away token presented again means two holders: the whole login session ends,
    // the newest refresh token and the access tokens issued with it included.
    let res = post(&app, "/api/auth/refresh", json!({"refresh": r2})).await;
    assert_error(res, 401, "token_revoked").await;
    let res = app
        .get(second["access"].as_str().unwrap(), "/api/auth/me")
        .await;
    assert_error(res, 401, "token_revoked").await;
    // Another login is a new session.
    let third = app.login_json(GESTIONNAIRE).await;
    let res = post(
        &app,
        "/api/auth/refresh",
        json!({"refresh": third["refresh"]}),
    )
    .await;
    assert_eq!(res.status(), 200);
    app.cleanup().await;
}

async fn logout(backend: Backend) {
    let app = spawn_app(backend).await;
    let mine = app.login_json(GESTIONNAIRE).await;
    let theirs = app.login_json(SUPERVISEUR).await;
    let access = mine["access"].as_str().unwrap();
    let logout = |token: String, refresh: Value| {
        let req = app
            .client
            .post(app.url("/api/auth/logout"))
            .bearer_auth(token)
            .json(&json!({"refresh": refresh}));
        async move { req.send().await.unwrap() }
    };
    // Someone else's refresh token cannot be revoked.
    let res = logout(access.to_string(), theirs["refresh"].clone()).await;
    assert_error(res, 403, "forbidden").await;
    // Without an access token: 401.
    let res = app
        .client
        .post(app.url("/api/auth/logout"))
        .json(&json!({"refresh": mine["refresh"]}))
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "unauthorized").await;

    let res = logout(access.to_string(), mine["refresh"].clone()).await;
    assert_eq!(res.status(), 204);
    let res = post(
        &app,
        "/api/auth/refresh",
        json!({"refresh": mine["refresh"]}),
    )
    .await;
    assert_error(res, 401, "token_revoked").await;
    // The access token ended with it.
    let res = app.get(access, "/api/auth/me").await;
    assert_error(res, 401, "token_revoked").await;
    let res = logout(access.to_string(), mine["refresh"].clone()).await;
    assert_error(res, 401, "token_revoked").await;
    // The other user's session is intact.
    let res = post(
        &app,
        "/api/auth/refresh",
        json!({"refresh": theirs["refresh"]}),
    )
    .await;
    assert_eq!(res.status(), 200);
    app.cleanup().await;
}

fn keys(secret: &str, issuer: &str) -> JwtKeys {
    JwtKeys::new(
        &::common::env::Secret::new(secret),
        issuer,
        Duration::from_secs(900),
        Duration::from_secs(3600),
    )
}

async fn bad_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let good = app.login_json(GESTIONNAIRE).await;
    let user_id = good["user"]["id"].as_i64().unwrap();
    let ours = keys(JWT_SECRET, ISSUER);
    let claims = ours.claims(user_id, app.org_id, Role::Gestionnaire, TokenType::Access);

    let payload = ours
        .encode(&claims)
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap()
        .to_string();
    // {"alg":"none","typ":"JWT"}
    let alg_none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    let other_secret = keys("a-completely-different-secret-0123456789", ISSUER)
        .encode(&claims)
        .unwrap();
    let wrong_iss = {
        let k = keys(JWT_SECRET, "someone-else");
        k.encode(&k.claims(user_id, app.org_id, Role::Gestionnaire, TokenType::Access))
            .unwrap()
    };
    let expired = {
        let mut c = claims.clone();
        c.iat -= 7200;
        c.nbf -= 7200;
        c.exp = chrono::Utc::now().timestamp() - 3600;
        ours.encode(&c).unwrap()
    };
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    let refresh_as_access = good["refresh"].as_str().unwrap().to_string();

    for (what, token) in [
        ("alg none", alg_none),
        ("other secret", other_secret),
        ("wrong iss", wrong_iss),
        ("expired", expired),
        ("HS512", hs512),
        ("refresh as access", refresh_as_access),
        ("garbage", "not.a.token".to_string()),
    ] {
        let res = app.get(&token, "/api/auth/me").await;
        assert_eq!(res.status(), 401, "{what}");
        assert_error(res, 401, "invalid_token").await;
        let res = app.get(&token, "/api/bulk-transfers").await;
        assert_eq!(res.status(), 401, "{what}");
    }
    let res = app
        .client
        .get(app.url("/api/accounts"))
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "unauthorized").await;
    // A forged token signed with the right secret is of course accepted: the control.
    let res = app
        .get(&ours.encode(&claims).unwrap(), "/api/auth/me")
        .await;
    assert_eq!(res.status(), 200);
    let _ = OTHER_ORG_USER;
    app.cleanup().await;
}

both_backends!(
    login,
    login_refusals,
    login_throttled,
    refresh_rotation,
    logout,
    bad_tokens
);
