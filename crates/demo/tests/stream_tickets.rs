//! Stream tickets (for `EventSource`, which cannot send `Authorization`): issued for one bulk,
//! usable once, only until they expire; and another organisation's bulks stay invisible (404).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use api::stream::ticket::TicketClaims;
use common::{ISSUER, JWT_SECRET, SseReader, Stack, USER};
use db::models::{NewAccount, NewUser, now};
use db::queries::{accounts, orgs, users};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;
use std::time::Duration;

const SHORT: Duration = Duration::from_secs(5);
const OTHER: (&str, &str) = ("autre", "autre-pass-123");

async fn ticket(stack: &Stack, token: &str, bulk: &str) -> reqwest::Response {
    stack
        .client
        .post(stack.url(&format!("/api/bulk-transfers/{bulk}/stream-ticket")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn issued(stack: &Stack, token: &str, bulk: &str) -> String {
    let res = ticket(stack, token, bulk).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["expiresIn"], 60, "{body}");
    body["ticket"].as_str().unwrap().to_string()
}

/// `GET …/stream?ticket=…` without any `Authorization` header.
async fn with_ticket(stack: &Stack, bulk: &str, ticket: &str) -> reqwest::Response {
    stack
        .client
        .get(stack.stream_url(bulk))
        .query(&[("ticket", ticket)])
        .send()
        .await
        .unwrap()
}

/// The stream opened: `retry`, then the snapshot of `bulk`.
async fn assert_opens(res: reqwest::Response, bulk: &str) {
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut sse = SseReader::new(res);
    assert_eq!(sse.next_within(SHORT).await.retry, Some(3000));
    let snap = sse.next_within(SHORT).await;
    assert!(snap.is("progress"), "{snap:?}");
    assert_eq!(snap.data.as_ref().unwrap()["bulkTransferId"], bulk);
}

async fn assert_status(res: reqwest::Response, status: u16, code: &str) {
    assert_eq!(res.status().as_u16(), status);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
}

/// A ticket signed with the API's secret, as `TicketKeys::issue` would, but expiring at `exp`.
fn forge(user: i64, org: i64, bulk: &str, exp: i64) -> String {
    let claims = TicketClaims {
        sub: user.to_string(),
        org,
        bulk: bulk.to_string(),
        jti: uuid::Uuid::new_v4().to_string(),
        aud: "bulk-stream".into(),
        iss: ISSUER.into(),
        exp,
        fam: None,
    };
    let key = EncodingKey::from_secret(JWT_SECRET.as_bytes());
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap()
}

/// Organisation `AUTRE` with its own user and XOF account; returns (its id, CNSS id, our user id).
async fn other_org(stack: &Stack) -> (i64, i64, i64) {
    let pool = stack.pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut c = pool.get().unwrap();
        let cnss = orgs::find_by_name(&mut c, "CNSS").unwrap().unwrap();
        let me = users::find_by_login(&mut c, USER.0).unwrap().unwrap();
        let org = orgs::create(&mut c, "AUTRE").unwrap();
        let hash = api::auth::password::hash_password(OTHER.1, 4).unwrap();
        users::create(
            &mut c,
            &NewUser {
                organisation_id: org.id,
                username: OTHER.0,
                email: None,
                password_hash: &hash,
                role: "GESTIONNAIRE",
                active: true,
                created_at: now(),
            },
        )
        .unwrap();
        let acc = accounts::create(
            &mut c,
            &NewAccount {
                organisation_id: org.id,
                account_id: "AUTRE-XOF-001",
                party_id_type: "MSISDN",
                party_identifier: "22891111111",
                currency: "XOF",
                created_at: now(),
                updated_at: now(),
            },
        )
        .unwrap();
        accounts::credit(&mut c, acc.id, 1_000_000).unwrap();
        (org.id, cnss.id, me.id)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tickets_work_once_for_one_bulk_until_they_expire() {
    // No worker: the bulks stay PENDING, every stream stays open until dropped.
    let stack = Stack::new(0, &[]).await;
    let token = stack.login(USER).await;
    let a = stack.upload(&token, 3).await;
    let b = stack.upload(&token, 4).await;

    // Issuing needs the access token.
    let res = stack
        .client
        .post(stack.url(&format!("/api/bulk-transfers/{a}/stream-ticket")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Once, without the Authorization header…
    let t = issued(&stack, &token, &a).await;
    assert_opens(with_ticket(&stack, &a, &t).await, &a).await;
    // …and never again.
    assert_status(with_ticket(&stack, &a, &t).await, 401, "invalid_token").await;

    // A ticket of bulk A does not open bulk B (and the refusal does not use it up).
    let t = issued(&stack, &token, &a).await;
    assert_status(with_ticket(&stack, &b, &t).await, 401, "invalid_token").await;
    assert_opens(with_ticket(&stack, &a, &t).await, &a).await;

    // Expiry: a ticket forged with the same secret and claims works while valid, not after.
    let (_, cnss, me) = other_org(&stack).await;
    let future = chrono::Utc::now().timestamp() + 60;
    assert_opens(
        with_ticket(&stack, &a, &forge(me, cnss, &a, future)).await,
        &a,
    )
    .await;
    let past = chrono::Utc::now().timestamp() - 5;
    let expired = forge(me, cnss, &a, past);
    assert_status(
        with_ticket(&stack, &a, &expired).await,
        401,
        "invalid_token",
    )
    .await;
    // A ticket that expires in a second, used two seconds later.
    let soon = forge(me, cnss, &a, chrono::Utc::now().timestamp() + 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_status(with_ticket(&stack, &a, &soon).await, 401, "invalid_token").await;

    // An access token is not a ticket, garbage is not a ticket, and nothing at all is refused.
    assert_status(with_ticket(&stack, &a, &token).await, 401, "invalid_token").await;
    assert_status(
        with_ticket(&stack, &a, "not-a-ticket").await,
        401,
        "invalid_token",
    )
    .await;
    let res = stack.client.get(stack.stream_url(&a)).send().await.unwrap();
    assert_eq!(res.status(), 401);

    // The access token in the header still works.
    assert_opens(stack.open(&token, &a, None).await, &a).await;

    stack.wait_watched(0, SHORT).await;
    stack.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_organisation_sees_404() {
    let stack = Stack::new(0, &[]).await;
    let token = stack.login(USER).await;
    let bulk = stack.upload(&token, 3).await;
    let (other_org_id, _, _) = other_org(&stack).await;
    let other = stack.login(OTHER).await;

    assert_status(stack.open(&other, &bulk, None).await, 404, "not_found").await;
    assert_status(ticket(&stack, &other, &bulk).await, 404, "not_found").await;
    // Even a validly signed ticket naming the bulk, if it carries the other organisation.
    let forged = forge(1, other_org_id, &bulk, chrono::Utc::now().timestamp() + 60);
    assert_status(with_ticket(&stack, &bulk, &forged).await, 404, "not_found").await;
    // Unknown bulks are 404 as well, for everyone.
    let unknown = "bulk-00000000-0000-4000-8000-000000000001";
    assert_status(stack.open(&token, unknown, None).await, 404, "not_found").await;
    assert_status(ticket(&stack, &token, unknown).await, 404, "not_found").await;

    stack.wait_watched(0, SHORT).await;
    stack.cleanup().await;
}

/// A live stream ends when its holder's session does: here the user is disabled while a bearer
/// stream and a ticket stream are open on runs that never finish (no worker).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn streams_close_when_the_session_ends() {
    let stack = Stack::new(0, &[]).await;
    let token = stack.login(USER).await;
    let bulk = stack.upload(&token, 2).await;
    let bearer = stack
        .client
        .get(stack.stream_url(&bulk))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let t = issued(&stack, &token, &bulk).await;
    let by_ticket = with_ticket(&stack, &bulk, &t).await;
    let (mut a, mut b) = (SseReader::new(bearer), SseReader::new(by_ticket));
    for sse in [&mut a, &mut b] {
        assert_eq!(sse.next_within(SHORT).await.retry, Some(3000));
        assert!(sse.next_within(SHORT).await.is("progress"));
    }
    let pool = stack.pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut c = pool.get().unwrap();
        let me = users::find_by_login(&mut c, USER.0).unwrap().unwrap();
        users::set_active(&mut c, me.id, false).unwrap();
    })
    .await
    .unwrap();
    let limit = api::stream::sse::ACCESS_RECHECK * 3;
    for sse in [&mut a, &mut b] {
        let rest = sse.rest(limit).await;
        assert!(rest.iter().all(|f| !f.is("progress")), "{rest:?}");
    }
    // And a new ticket is refused.
    assert_eq!(ticket(&stack, &token, &bulk).await.status(), 401);
}
