//! Watchers that leave free their subscription: 1,000 connect/disconnect cycles on a live bulk
//! (and more on a final one) leave the hub empty and no connection behind; and watchers leaving at
//! the same instant on different threads never leave a slot behind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use api::stream::ProgressHub;
use common::{SseReader, Stack, USER};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use transport::MemoryBus;

const CYCLES: usize = 1_000;
const AT_ONCE: usize = 50;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Opens `n` streams of `bulk`, `AT_ONCE` at a time; each reads its first `frames` frames, then is
/// dropped (the client closes the connection). When `live`, checks that the hub holds one slot
/// while a whole batch is connected.
async fn cycles(
    stack: &Stack,
    client: &reqwest::Client,
    token: &str,
    bulk: &str,
    n: usize,
    live: bool,
) {
    let frames = if live { 2 } else { 3 };
    for _ in 0..n / AT_ONCE {
        let ready = Arc::new(tokio::sync::Barrier::new(AT_ONCE + 1));
        let mut set = JoinSet::new();
        for _ in 0..AT_ONCE {
            let req = client.get(stack.stream_url(bulk)).bearer_auth(token);
            let ready = ready.clone();
            set.spawn(async move {
                let mut sse = SseReader::new(req.send().await.unwrap());
                for _ in 0..frames {
                    sse.next_within(Duration::from_secs(10)).await;
                }
                // Both waits: all connected → checked → all leave.
                ready.wait().await;
                ready.wait().await;
            });
        }
        ready.wait().await;
        if live {
            assert_eq!(stack.hub.watched(), 1, "one slot per bulk, not per watcher");
        }
        ready.wait().await;
        while let Some(r) = set.join_next().await {
            r.unwrap();
        }
    }
}

async fn wait_fds(limit: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let n = open_fds();
        if n <= limit || Instant::now() > deadline {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_disconnects_leave_nothing_behind() {
    let mut stack = Stack::new(0, &[]).await;
    let token = stack.login(USER).await;
    // A bulk that stays PENDING (stored without a queue job): its streams only end when the
    // client leaves. And a final one, whose streams end by themselves.
    let live = store_pending(&stack).await;
    stack.start_worker();
    let finished = stack.upload(&token, 5).await;
    stack.wait_final(&finished, Duration::from_secs(20)).await;

    // No connection pooling: every cycle is a real connect and disconnect.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    // Warm-up (database pool, runtime threads), then the baseline.
    cycles(&stack, &client, &token, &live, AT_ONCE, true).await;
    stack.wait_watched(0, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let baseline = open_fds();

    let t = Instant::now();
    cycles(&stack, &client, &token, &live, CYCLES, true).await;
    stack.wait_watched(0, Duration::from_secs(5)).await;
    let live_took = t.elapsed();

    let t = Instant::now();
    cycles(&stack, &client, &token, &finished, CYCLES / 2, false).await;
    stack.wait_watched(0, Duration::from_secs(5)).await;
    let final_took = t.elapsed();

    let after = wait_fds(baseline + 8).await;
    assert!(
        after <= baseline + 8,
        "file descriptors grew from {baseline} to {after}"
    );
    eprintln!(
        "{CYCLES} cycles on a live bulk in {live_took:?}, {} on a final one in {final_took:?}; \
         fds {baseline} → {after}",
        CYCLES / 2
    );
    stack.cleanup().await;
}

/// A PENDING bulk that no worker will ever see (stored without a queue job).
async fn store_pending(stack: &Stack) -> String {
    use db::models::{NewBulk, NewTransfer, now};
    let pool = stack.pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut c = pool.get().unwrap();
        let org = db::queries::orgs::find_by_name(&mut c, "CNSS")
            .unwrap()
            .unwrap();
        let acc = db::queries::accounts::find_for_org(&mut c, org.id, "XOF")
            .unwrap()
            .unwrap();
        let user = db::queries::users::find_by_login(&mut c, USER.0)
            .unwrap()
            .unwrap();
        let at = now();
        let new = NewBulk {
            bulk_id: domain::new_bulk_id(),
            organisation_id: acc.organisation_id,
            account_pk: acc.id,
            currency: "XOF".into(),
            total_amount: 100,
            total_count: 1,
            state: domain::BulkState::Pending.into(),
            file_sha256: uuid::Uuid::new_v4().to_string(),
            file_name: None,
            idempotency_key: None,
            callback_url: None,
            created_by: user.id,
            created_at: at,
            updated_at: at,
            period: None,
            execute_at: None,
            approval_required: false,
            parent_bulk_pk: None,
            verification_mode: "off".to_string(),
            msg_id: None,
            msg_name_id: None,
            payment_blocks: None,
        };
        let mut rows = vec![NewTransfer {
            bulk_pk: 0,
            line: 2,
            transfer_id: "tx-1".into(),
            mojaloop_transfer_id: domain::new_mojaloop_transfer_id(),
            party_id_type: "MSISDN".into(),
            party_identifier: "22890000001".into(),
            payee_name: None,
            amount: 100,
            status: domain::TransferStatus::Pending.into(),
            created_at: at,
            updated_at: at,
            repeat_in_period: false,
        }];
        db::queries::bulks::create(&mut c, &new, &mut rows)
            .unwrap()
            .bulk_id
    })
    .await
    .unwrap()
}

/// Two watchers of one bulk dropped at the same instant on two threads: the slot must go (each
/// must not see the other's receiver still alive). The race window is narrow, hence the rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_leaves_free_the_slot() {
    let db = db::testing::TestDb::sqlite().unwrap();
    let hub = ProgressHub::start(Arc::new(MemoryBus::default()), db.pool());
    let hub2 = hub.clone();
    tokio::task::spawn_blocking(move || {
        for round in 0..30_000 {
            let id = format!("bulk-{round}");
            let barrier = Arc::new(Barrier::new(2));
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let w = hub2.watch(&id);
                    let b = barrier.clone();
                    std::thread::spawn(move || {
                        b.wait();
                        drop(w);
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
            assert_eq!(hub2.watched(), 0, "slot left behind in round {round}");
        }
    })
    .await
    .unwrap();
    assert_eq!(hub.watched(), 0);
}
