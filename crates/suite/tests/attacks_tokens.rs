//! Attacks on authentication against a real `gateway-api` process: forged and misused tokens
//! (`alg: none`, HS/RS confusion, expired, not yet valid, another secret, tampered claims, refresh as
//! access, a rotated refresh token reused, tickets misused), login brute force (429 with
//! Retry-After) and account enumeration by timing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use suite::forge::{b64url, claims_of, sign_hmac, unsigned};
use suite::http::{Api, assert_error, check_error};
use suite::stack::JWT_SECRET;
use suite::{GESTIONNAIRE, Options, SUPERVISEUR, Stack, csvgen};

async fn me(api: &Api, token: &str) -> reqwest::Response {
    api.get(token, "/api/auth/me").await
}

async fn refresh(api: &Api, token: &str) -> reqwest::Response {
    api.http
        .post(api.url("/api/auth/refresh"))
        .json(&json!({ "refresh": token }))
        .send()
        .await
        .unwrap()
}

fn hs256(claims: &Value, key: &str) -> String {
    sign_hmac(
        &json!({"alg": "HS256", "typ": "JWT"}),
        claims,
        key.as_bytes(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_and_misused_tokens_are_refused() {
    let s = Stack::start("attack-tokens", Options::default()).await;
    let api = &s.api;
    let t = api.login(GESTIONNAIRE.0, GESTIONNAIRE.1).await;
    let sup = api.login(SUPERVISEUR.0, SUPERVISEUR.1).await;
    let claims = claims_of(&t.access);
    assert_eq!(claims["typ"], "access", "{claims}");

    // The forging code is right: the same claims signed HS256 with the real secret are accepted,
    // so every refusal below is the server's doing, not a broken forgery.
    assert_eq!(me(api, &hs256(&claims, JWT_SECRET)).await.status(), 200);

    let now = chrono::Utc::now().timestamp();
    let with = |patch: Value| {
        let mut c = claims.clone();
        for (k, v) in patch.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let without = |key: &str| {
        let mut c = claims.clone();
        c.as_object_mut().unwrap().remove(key);
        c
    };
    let (head, body, sig) = {
        let mut p = t.access.split('.');
        (p.next().unwrap(), p.next().unwrap(), p.next().unwrap())
    };
    let sup_payload = sup.access.split('.').nth(1).unwrap();
    let escalated = b64url(with(json!({"role": "GESTIONNAIRE"})).to_string().as_bytes());
    let other_org = b64url(with(json!({"org": 999})).to_string().as_bytes());
    let attacks: Vec<(&str, String)> = vec![
        ("alg none, no signature", unsigned(&claims)),
        ("alg none, original signature", {
            let h = b64url(br#"{"alg":"none","typ":"JWT"}"#);
            format!("{h}.{body}.{sig}")
        }),
        ("alg None", sign_hmac(&json!({"alg": "None"}), &claims, b"")),
        ("alg NONE", sign_hmac(&json!({"alg": "NONE"}), &claims, b"")),
        (
            "RS256 header signed with the HMAC secret as public key",
            sign_hmac(
                &json!({"alg": "RS256", "typ": "JWT"}),
                &claims,
                JWT_SECRET.as_bytes(),
            ),
        ),
        (
            "ES256 header signed with the HMAC secret",
            sign_hmac(&json!({"alg": "ES256"}), &claims, JWT_SECRET.as_bytes()),
        ),
        (
            "HS512 header",
            sign_hmac(&json!({"alg": "HS512"}), &claims, JWT_SECRET.as_bytes()),
        ),
        (
            "expired an hour ago",
            hs256(
                &with(json!({"iat": now - 7200, "nbf": now - 7200, "exp": now - 3600})),
                JWT_SECRET,
            ),
        ),
        (
            "expired a minute ago (past the leeway)",
            hs256(&with(json!({"exp": now - 60})), JWT_SECRET),
        ),
        (
            "not valid before an hour from now",
            hs256(&with(json!({"nbf": now + 3600})), JWT_SECRET),
        ),
        ("no exp", hs256(&without("exp"), JWT_SECRET)),
        ("no nbf", hs256(&without("nbf"), JWT_SECRET)),
        (
            "another issuer",
            hs256(&with(json!({"iss": "evil"})), JWT_SECRET),
        ),
        (
            "signed with another secret",
            hs256(&claims, "another-secret-0123456789-abcdefghijklmn"),
        ),
        ("signed with an empty secret", hs256(&claims, "")),
        (
            "SUPERVISEUR payload under a GESTIONNAIRE signature",
            format!("{head}.{sup_payload}.{sig}"),
        ),
        (
            "role raised without re-signing",
            format!("{head}.{escalated}.{sig}"),
        ),
        (
            "organisation changed without re-signing",
            format!("{head}.{other_org}.{sig}"),
        ),
        ("signature stripped", format!("{head}.{body}.")),
        ("two parts", format!("{head}.{body}")),
        ("garbage", "not-a-token".to_string()),
        ("refresh token as access token", t.refresh.clone()),
    ];
    for (what, token) in &attacks {
        assert_error(me(api, token).await, Some(401), None, what).await;
        // Also on a write: nothing is created with a bad token.
        let res = api
            .upload_parts(
                token,
                &[suite::http::Part::file(
                    "a.csv",
                    csvgen::plain_bulk(1, 1, 1),
                )],
                &[],
            )
            .await;
        assert_error(res, Some(401), None, what).await;
    }
    let stored = s.db(|c| db::queries::bulks::count(c).unwrap()).await;
    assert_eq!(stored, 0);

    // Refresh: an access token is not a refresh token; rotation kills the old one; logout too.
    assert_error(
        refresh(api, &t.access).await,
        Some(401),
        None,
        "access as refresh",
    )
    .await;
    let forged_refresh = hs256(
        &with(json!({"typ": "refresh"})),
        "another-secret-0123456789-abcdefghijklmn",
    );
    assert_error(
        refresh(api, &forged_refresh).await,
        Some(401),
        None,
        "forged refresh",
    )
    .await;
    let r1 = refresh(api, &t.refresh).await;
    assert_eq!(r1.status(), 200);
    let pair: Value = r1.json().await.unwrap();
    let reused = refresh(api, &t.refresh).await;
    assert_error(
        reused,
        Some(401),
        Some("token_revoked"),
        "rotated refresh reused",
    )
    .await;
    // Reuse means two holders: the whole session ends, the rotated pair included.
    for token in [pair["access"].as_str().unwrap(), t.access.as_str()] {
        assert_error(
            me(api, token).await,
            Some(401),
            Some("token_revoked"),
            "access of a revoked session",
        )
        .await;
    }
    assert_error(
        refresh(api, pair["refresh"].as_str().unwrap()).await,
        Some(401),
        Some("token_revoked"),
        "newest refresh of a revoked session",
    )
    .await;

    // A new session; logout ends its refresh and its access token.
    let t = api.login(GESTIONNAIRE.0, GESTIONNAIRE.1).await;
    let session = api.login(GESTIONNAIRE.0, GESTIONNAIRE.1).await;
    let r2 = session.refresh.as_str();
    let logout = api
        .http
        .post(api.url("/api/auth/logout"))
        .bearer_auth(&session.access)
        .json(&json!({ "refresh": r2 }))
        .send()
        .await
        .unwrap();
    assert!(logout.status().is_success(), "{}", logout.status());
    assert_error(
        refresh(api, r2).await,
        Some(401),
        None,
        "refresh after logout",
    )
    .await;
    assert_error(
        me(api, &session.access).await,
        Some(401),
        Some("token_revoked"),
        "access after logout",
    )
    .await;

    // Stream tickets: single use, one bulk, never an access token, and vice versa.
    let bulk = api
        .upload_ok(&t.access, csvgen::plain_bulk(2, 3, 100))
        .await;
    let other = api
        .upload_ok(&t.access, csvgen::plain_bulk(3, 3, 100))
        .await;
    let ticket_of = |b: String| {
        let api = api.clone();
        let tok = t.access.clone();
        async move {
            let res = api
                .http
                .post(api.url(&format!("/api/bulk-transfers/{b}/stream-ticket")))
                .bearer_auth(tok)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()["ticket"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let ticket = ticket_of(bulk.clone()).await;
    assert_error(me(api, &ticket).await, Some(401), None, "ticket as bearer").await;
    let open = |b: &str, tk: &str| {
        api.http
            .get(api.url(&format!("/api/bulk-transfers/{b}/stream?ticket={tk}")))
            .send()
    };
    assert_error(
        open(&other, &ticket).await.unwrap(),
        Some(401),
        None,
        "ticket of another bulk",
    )
    .await;
    assert_error(
        open(&bulk, &t.access).await.unwrap(),
        Some(401),
        None,
        "access token as ticket",
    )
    .await;
    let first = open(&bulk, &ticket).await.unwrap();
    assert_eq!(first.status(), 200, "first use of a ticket");
    drop(first);
    assert_error(
        open(&bulk, &ticket).await.unwrap(),
        Some(401),
        None,
        "ticket reused",
    )
    .await;
    s.cleanup().await;
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn brute_force_is_throttled_and_timing_reveals_no_account() {
    // A realistic bcrypt cost, so that skipping the hash for unknown users would show.
    let opts = Options {
        bcrypt_cost: 10,
        ..Options::default()
    };
    let s = Stack::start("attack-login", opts).await;
    let api = &s.api;
    let attempt = |user: String, pw: &'static str| {
        let api = api.clone();
        async move {
            let started = Instant::now();
            let res = api
                .login_raw(&json!({"username": user, "password": pw}))
                .await;
            (res, started.elapsed())
        }
    };
    // Warm-up (connections, caches), then alternate unknown users and wrong passwords of a real
    // one; a good login after every 4 failures keeps the real account below the lock threshold.
    for _ in 0..2 {
        let _ = attempt("warm-up".into(), "x").await;
    }
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for i in 0..12 {
        let (res, d) = attempt(
            format!("nobody-{i}-{}", uuid::Uuid::new_v4().simple()),
            "wrong-pass",
        )
        .await;
        assert_error(res, Some(401), Some("invalid_credentials"), "unknown user").await;
        unknown.push(d);
        let (res, d) = attempt(GESTIONNAIRE.0.into(), "wrong-pass").await;
        assert_error(
            res,
            Some(401),
            Some("invalid_credentials"),
            "wrong password",
        )
        .await;
        wrong.push(d);
        if i % 4 == 3 {
            api.login(GESTIONNAIRE.0, GESTIONNAIRE.1).await;
        }
    }
    let (mu, mw) = (median(unknown), median(wrong));
    eprintln!("login timing medians: unknown user {mu:?}, wrong password {mw:?}");
    assert!(
        mu * 2 >= mw && mw * 2 >= mu,
        "timing tells accounts apart: unknown {mu:?} vs wrong password {mw:?}"
    );

    // Brute force on one account: 5 failures, then 429 with Retry-After, even for the right password
    // or the login written another way; other accounts are not affected.
    for i in 0..5 {
        let (res, _) = attempt(SUPERVISEUR.0.into(), "guess").await;
        assert_error(
            res,
            Some(401),
            Some("invalid_credentials"),
            &format!("guess {i}"),
        )
        .await;
    }
    for (login, pw) in [
        (SUPERVISEUR.0, "guess"),
        (SUPERVISEUR.0, SUPERVISEUR.1),
        ("SUPERVISEUR", SUPERVISEUR.1),
        (" superviseur ", SUPERVISEUR.1),
    ] {
        let (res, _) = attempt(login.into(), pw).await;
        let retry: u64 = res
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(
            (1..=900).contains(&retry),
            "Retry-After {retry} for {login:?}"
        );
        assert_error(res, Some(429), Some("too_many_requests"), "locked account").await;
    }
    api.login(GESTIONNAIRE.0, GESTIONNAIRE.1).await;
    // Unknown names are throttled the same way (no enumeration through the 429 either).
    for _ in 0..5 {
        let _ = attempt("ghost".into(), "x").await;
    }
    let (res, _) = attempt("ghost".into(), "x").await;
    check_error(res, Some(429), Some("too_many_requests"))
        .await
        .unwrap();
    s.cleanup().await;
}
