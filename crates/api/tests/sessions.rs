//! Access ends when it should, on every API process: logout, a deactivated or demoted user, a
//! stolen refresh token used after its owner (the whole session ends).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use api::{AppDeps, Application};
use common::{Backend, GESTIONNAIRE, TestApp, assert_error, spawn_app};
use db::queries::users;
use domain::Role;
use serde_json::{Value, json};
use transport::{MemoryBus, MemoryQueue};

/// A second API process on the same database (its own caches): its base URL.
async fn second_api(app: &TestApp) -> String {
    let deps = AppDeps {
        pool: app.pool.clone(),
        queue: Arc::new(MemoryQueue::new().0),
        bus: Arc::new(MemoryBus::default()),
    };
    let other = Application::build(app.settings.clone(), deps)
        .await
        .unwrap();
    let url = format!("http://127.0.0.1:{}", other.port());
    tokio::spawn(other.run_until_stopped());
    url
}

async fn me(app: &TestApp, base: &str, token: &str) -> reqwest::Response {
    app.client
        .get(format!("{base}/api/auth/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Polls `/me` on `base` until it is refused; returns how long that took.
async fn refused_within(app: &TestApp, base: &str, token: &str, code: &str) -> Duration {
    let started = Instant::now();
    loop {
        let res = me(app, base, token).await;
        if res.status() == 401 {
            assert_error(res, 401, code).await;
            return started.elapsed();
        }
        assert_eq!(res.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(10), "never refused");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn logout_elsewhere_ends_access_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = second_api(&app).await;
    let login = app.login_json(GESTIONNAIRE).await;
    let access = login["access"].as_str().unwrap();
    // Both processes accept it (and remember that for a moment).
    assert_eq!(me(&app, &app.address, access).await.status(), 200);
    assert_eq!(me(&app, &other, access).await.status(), 200);
    let res = app
        .client
        .post(app.url("/api/auth/logout"))
        .bearer_auth(access)
        .json(&json!({"refresh": login["refresh"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    // At once where it happened, within 2 s on the other process.
    assert_error(me(&app, &app.address, access).await, 401, "token_revoked").await;
    let took = refused_within(&app, &other, access, "token_revoked").await;
    assert!(took <= Duration::from_secs(2), "{took:?}");
    app.cleanup().await;
}

async fn deactivated_or_demoted_users_lose_access(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = second_api(&app).await;
    let login = app.login_json(GESTIONNAIRE).await;
    let access = login["access"].as_str().unwrap().to_string();
    let user_id = login["user"]["id"].as_i64().unwrap();
    assert_eq!(me(&app, &other, &access).await.status(), 200);

    // Demoted to SUPERVISEUR: the token naming GESTIONNAIRE no longer works.
    app.with_db(move |c| users::set_role(c, user_id, Role::Superviseur).unwrap())
        .await;
    let took = refused_within(&app, &other, &access, "role_changed").await;
    assert!(took <= Duration::from_secs(2), "{took:?}");

    // Back to GESTIONNAIRE, then deactivated.
    app.with_db(move |c| {
        users::set_role(c, user_id, Role::Gestionnaire).unwrap();
        users::set_active(c, user_id, false).unwrap();
    })
    .await;
    let took = refused_within(&app, &app.address, &access, "account_disabled").await;
    assert!(took <= Duration::from_secs(2), "{took:?}");
    app.cleanup().await;
}

async fn a_stolen_refresh_token_ends_the_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let login = app.login_json(GESTIONNAIRE).await;
    let refresh = |token: Value| {
        let req = app
            .client
            .post(app.url("/api/auth/refresh"))
            .json(&json!({"refresh": token}));
        async move { req.send().await.unwrap() }
    };
    // The thief uses the refresh token first and keeps rotating.
    let thief: Value = refresh(login["refresh"].clone())
        .await
        .json()
        .await
        .unwrap();
    let thief: Value = refresh(thief["refresh"].clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me(&app, &app.address, thief["access"].as_str().unwrap())
            .await
            .status(),
        200
    );
    // The owner presents the same (already used) token: the whole family is revoked.
    assert_error(
        refresh(login["refresh"].clone()).await,
        401,
        "token_revoked",
    )
    .await;
    assert_error(
        refresh(thief["refresh"].clone()).await,
        401,
        "token_revoked",
    )
    .await;
    assert_error(
        me(&app, &app.address, thief["access"].as_str().unwrap()).await,
        401,
        "token_revoked",
    )
    .await;
    assert_error(
        me(&app, &app.address, login["access"].as_str().unwrap()).await,
        401,
        "token_revoked",
    )
    .await;
    app.cleanup().await;
}

/// Logging out with an older (already rotated) refresh token still ends the session for as long
/// as its newest refresh token lives: the family's revocation is not purged with the old token.
async fn logout_with_an_older_refresh_token_outlasts_the_newest(backend: Backend) {
    let app = spawn_app(backend).await;
    let login = app.login_json(GESTIONNAIRE).await;
    // Token times are in seconds: the rotated token must expire later than the first.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let rotated: Value = app
        .client
        .post(app.url("/api/auth/refresh"))
        .json(&json!({"refresh": login["refresh"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = api::auth::jwt::JwtKeys::new(
        &::common::env::Secret::new(common::JWT_SECRET),
        common::ISSUER,
        app.settings.access_token_ttl,
        app.settings.refresh_token_ttl,
    );
    let newest = keys
        .verify(
            rotated["refresh"].as_str().unwrap(),
            api::auth::jwt::TokenType::Refresh,
        )
        .unwrap();
    let res = app
        .client
        .post(app.url("/api/auth/logout"))
        .bearer_auth(rotated["access"].as_str().unwrap())
        .json(&json!({"refresh": login["refresh"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    // Housekeeping right after the old token's expiry keeps the session revoked.
    let old_expiry = keys
        .verify(
            login["refresh"].as_str().unwrap(),
            api::auth::jwt::TokenType::Refresh,
        )
        .unwrap()
        .exp;
    let after_old = chrono::DateTime::from_timestamp(old_expiry + 1, 0)
        .unwrap()
        .naive_utc();
    let family = api::auth::access::family_key(newest.fam.as_deref().unwrap());
    let still = app
        .with_db(move |c| {
            db::queries::security::purge_revoked(c, after_old).unwrap();
            db::queries::security::is_revoked(c, &family).unwrap()
        })
        .await;
    assert!(
        still,
        "the session's revocation was purged with the old token"
    );
    app.cleanup().await;
}

both_backends!(
    logout_with_an_older_refresh_token_outlasts_the_newest,
    logout_elsewhere_ends_access_everywhere,
    deactivated_or_demoted_users_lose_access,
    a_stolen_refresh_token_ends_the_session,
);
