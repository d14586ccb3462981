//! Attacks on authorisation and inputs against a real `gateway-api` process: another
//! organisation's bulks (status, stream, report, stream ticket: 404, never 403), SUPERVISEUR writes
//! (403), huge JSON bodies (413 in the error shape), SQL injection in path and query parameters,
//! and completion callbacks: any http(s) URL is stored (a frontend's `localhost` one included;
//! whether a notice is sent to a private address is decided at send time), other schemes are 422.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use db::queries::{accounts, bulks, orgs, transfers, users};
use serde_json::json;
use suite::http::{Part, assert_error};
use suite::seed::add_org;
use suite::{GESTIONNAIRE, Options, SUPERVISEUR, Stack, csvgen};

async fn counts(s: &Stack) -> (i64, i64, i64) {
    s.db(|c| {
        let n_users = ["gestionnaire", "superviseur", "autre"]
            .iter()
            .filter(|u| users::find_by_login(c, u).unwrap().is_some())
            .count() as i64;
        (
            bulks::count(c).unwrap(),
            transfers::count(c).unwrap(),
            n_users,
        )
    })
    .await
}

async fn cnss_money(s: &Stack) -> (i64, i64) {
    s.db(|c| {
        let org = orgs::find_by_name(c, "CNSS").unwrap().unwrap();
        let a = accounts::find_for_org(c, org.id, "XOF").unwrap().unwrap();
        (a.balance, a.reserved)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn other_organisations_and_read_only_roles_cannot_reach_a_bulk() {
    let s = Stack::start("attack-access", Options::default()).await;
    add_org(
        &s,
        "AUTRE-CAISSE",
        &[("autre", "autre-pass-123", "GESTIONNAIRE")],
        1_000_000,
    )
    .await;
    let api = &s.api;
    let cnss = api.login(GESTIONNAIRE.0, GESTIONNAIRE.1).await.access;
    let sup = api.login(SUPERVISEUR.0, SUPERVISEUR.1).await.access;
    let autre = api.login("autre", "autre-pass-123").await.access;
    let bulk = api.upload_ok(&cnss, csvgen::plain_bulk(1, 5, 100)).await;

    for path in ["status", "report.csv", "stream"] {
        let url = format!("/api/bulk-transfers/{bulk}/{path}");
        assert_error(
            api.get(&autre, &url).await,
            Some(404),
            Some("not_found"),
            &url,
        )
        .await;
        // A bulk id that does not exist answers exactly the same (ids cannot be probed).
        let ghost = format!("/api/bulk-transfers/bulk-{}/{path}", uuid::Uuid::new_v4());
        assert_error(
            api.get(&cnss, &ghost).await,
            Some(404),
            Some("not_found"),
            &ghost,
        )
        .await;
    }
    let ticket = api
        .http
        .post(api.url(&format!("/api/bulk-transfers/{bulk}/stream-ticket")))
        .bearer_auth(&autre)
        .send()
        .await
        .unwrap();
    assert_error(
        ticket,
        Some(404),
        Some("not_found"),
        "ticket of another organisation",
    )
    .await;
    let list = api.get_json(&autre, "/api/bulk-transfers").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "{list}");
    let accounts = api.get_json(&autre, "/api/accounts").await;
    assert!(!accounts.to_string().contains("CNSS"), "{accounts}");

    // The SUPERVISEUR reads but never writes.
    assert_eq!(
        api.get(&sup, &format!("/api/bulk-transfers/{bulk}/status"))
            .await
            .status(),
        200
    );
    let before = counts(&s).await;
    let money = cnss_money(&s).await;
    let res_up = api
        .upload_parts(
            &sup,
            &[Part::file("a.csv", csvgen::plain_bulk(9, 5, 100))],
            &[],
        )
        .await;
    assert_error(res_up, Some(403), Some("forbidden"), "SUPERVISEUR upload").await;
    assert_eq!(counts(&s).await, before);
    assert_eq!(
        cnss_money(&s).await,
        money,
        "SUPERVISEUR upload reserved money"
    );
    s.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn huge_bodies_and_sql_injection_change_nothing() {
    let s = Stack::start("attack-inputs", Options::default()).await;
    let api = &s.api;
    let token = api.login(GESTIONNAIRE.0, GESTIONNAIRE.1).await.access;
    let bulk = api.upload_ok(&token, csvgen::plain_bulk(1, 5, 100)).await;
    let before = counts(&s).await;

    // Huge and hostile JSON bodies.
    let big = "a".repeat(10 * 1024 * 1024);
    for (path, body) in [
        (
            "/api/auth/login",
            json!({"username": big, "password": "x"}).to_string(),
        ),
        ("/api/auth/refresh", json!({"refresh": big}).to_string()),
        (
            "/api/auth/login",
            format!(
                "{{\"username\":\"gestionnaire\",\"password\":\"{}\"}}",
                "p".repeat(70_000)
            ),
        ),
    ] {
        let res = api
            .http
            .post(api.url(path))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_error(res, Some(413), Some("payload_too_large"), path).await;
    }
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    for (what, body, status) in [
        ("nested 20,000 deep", deep, None),
        ("not JSON", "{username: gestionnaire".to_string(), Some(400)),
        (
            "unknown field",
            r#"{"username":"gestionnaire","password":"x","admin":true}"#.to_string(),
            Some(422),
        ),
    ] {
        let res = api
            .http
            .post(api.url("/api/auth/login"))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_error(res, status, None, what).await;
    }

    // Control characters in login names (PostgreSQL refuses NUL in text): a plain 401.
    for body in [
        json!({"username": "gestion\u{0}naire", "password": "x"}),
        json!({"email": "a\u{0}@cnss.example", "password": "x"}),
        json!({"username": "gestionnaire' OR '1'='1", "password": "' OR '1'='1"}),
    ] {
        let res = api.login_raw(&body).await;
        assert_error(
            res,
            Some(401),
            Some("invalid_credentials"),
            &body.to_string(),
        )
        .await;
    }

    // SQL injection and traversal in path segments: nothing matches, nothing breaks.
    let sqli = [
        "' OR '1'='1",
        "bulk-x' UNION SELECT password_hash FROM users--",
        "1; DROP TABLE bulk_transfers; --",
        "%27%20OR%201%3D1--",
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "bulk-%00",
    ];
    for id in sqli {
        let enc: String = id
            .replace(' ', "%20")
            .replace('\'', "%27")
            .replace(';', "%3B");
        for tail in ["status", "report.csv", "stream"] {
            let path = format!("/api/bulk-transfers/{enc}/{tail}");
            assert_error(api.get(&token, &path).await, Some(404), None, &path).await;
        }
    }
    // … and in query parameters: refused by validation, never reaching SQL as text.
    for q in [
        format!("/api/bulk-transfers/{bulk}/status?status=COMPLETED%27%20OR%201%3D1--"),
        format!("/api/bulk-transfers/{bulk}/status?cursor=1%20OR%201%3D1"),
        format!("/api/bulk-transfers/{bulk}/status?limit=1%3B%20DROP%20TABLE%20users"),
        format!("/api/bulk-transfers/{bulk}/status?status=PENDING&status=FAILED%27--"),
        "/api/bulk-transfers?state=COMPLETED%27%20OR%20%271%27%3D%271".to_string(),
        "/api/bulk-transfers?cursor=%27%3B%20DELETE%20FROM%20bulk_transfers%3B--".to_string(),
        "/api/bulk-transfers?organisation_id=1%20OR%201%3D1".to_string(),
    ] {
        assert_error(api.get(&token, &q).await, None, None, &q).await;
    }
    assert_eq!(counts(&s).await, before, "tables intact");
    let status = api.summary(&token, &bulk).await;
    assert_eq!(status["total"], 5);
    api.login(GESTIONNAIRE.0, GESTIONNAIRE.1).await;
    s.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn callbacks_are_checked_for_form_and_stored() {
    let s = Stack::start("attack-callback", Options::default()).await;
    let token = s.api.login(GESTIONNAIRE.0, GESTIONNAIRE.1).await.access;
    let upload = |s: &Stack, url: &str, salt: u32| {
        let parts = vec![
            Part::file("a.csv", csvgen::plain_bulk(salt, 2, 100)),
            Part::text("callback_url", url),
        ];
        let api = s.api.clone();
        let token = token.clone();
        async move { api.upload_parts(&token, &parts, &[]).await }
    };
    let malformed = [
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "javascript:alert(1)",
        "http://",
        "not a url",
    ];
    for url in malformed {
        assert_error(
            upload(&s, url, 1).await,
            Some(422),
            Some("invalid_callback_url"),
            url,
        )
        .await;
    }
    assert_eq!(counts(&s).await.0, 0, "a refused callback stored a bulk");
    assert!(
        s.redis_keys().await.is_empty(),
        "a refused callback queued a job"
    );
    // Stored as given: a public URL, and a frontend's own local one, which the 202 says the
    // workers will never call (not in CALLBACK_ALLOWED_HOSTS; see domain::webhook::egress_for).
    for (salt, url, policy) in [
        (2, "https://93.184.215.14/hooks/bulk", "allowed"),
        (
            3,
            "http://localhost:8000/api/transfers",
            "blocked_private_address",
        ),
        (
            4,
            "http://169.254.169.254/latest/meta-data/",
            "blocked_private_address",
        ),
    ] {
        let res = upload(&s, url, salt).await;
        assert_eq!(res.status(), 202, "{url}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["callback"]["policy"], policy, "{url}");
        assert_eq!(body["callback"]["url"], url, "{url}");
    }
    assert_eq!(counts(&s).await.0, 3);
    s.cleanup().await;
}
