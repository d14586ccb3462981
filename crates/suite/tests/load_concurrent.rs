//! Load through the real binaries: 50 concurrent uploads of 1,000 rows from 5 organisations while
//! 500 live streams watch them (10 per bulk). No 5xx anywhere, every bulk exactly right (900 paid,
//! 100 refused by the payee FSP), every watcher reaches `done`, each organisation's money exact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use futures::future::join_all;
use suite::checks::{assert_org_consistent, assert_switch_matches, wait_settled};
use suite::csvgen::mixed_bulk;
use suite::http::Part;
use suite::seed::add_org;
use suite::sse::spawn_follow;
use suite::{GESTIONNAIRE, Options, Stack};

const ORGS: usize = 5;
const BULKS_PER_ORG: usize = 10;
const ROWS: usize = 1_000;
const WATCHERS_PER_BULK: usize = 10;
const AMOUNT: i64 = 250;
const BALANCE: i64 = 10_000_000_000;
/// Every tenth payee's FSP rejects the transfer (`…5105`).
const RULES: [&str; 10] = ["", "", "", "", "", "", "", "", "", "5105"];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_uploads_from_five_organisations_with_500_watchers() {
    let opts = Options {
        sim: simulator::SimConfig {
            latency_ms: 20,
            jitter_ms: 20,
            ..simulator::SimConfig::default()
        },
        api_env: vec![("DB_POOL_SIZE".into(), "8".into())],
        worker_env: vec![("WORKER_CONCURRENCY".into(), "100".into())],
        ..Options::default()
    };
    let mut s = Stack::start("load-concurrent", opts).await;
    let mut orgs = vec![(
        "CNSS".to_string(),
        GESTIONNAIRE.0.to_string(),
        GESTIONNAIRE.1.to_string(),
    )];
    for i in 2..=ORGS {
        let (org, user, pw) = (
            format!("CAISSE-{i}"),
            format!("gest-{i}"),
            format!("pass-org-{i}-xyz"),
        );
        add_org(&s, &org, &[(&user, &pw, "GESTIONNAIRE")], BALANCE).await;
        orgs.push((org, user, pw));
    }
    let mut tokens = Vec::new();
    for (_, user, pw) in &orgs {
        tokens.push(s.api.login(user, pw).await.access);
    }
    s.spawn_workers(3);

    let started = Instant::now();
    // Each upload's watchers connect as soon as it is accepted, while the other uploads go on.
    let uploads = (0..ORGS * BULKS_PER_ORG).map(|n| {
        let (api, token) = (s.api.clone(), tokens[n % ORGS].clone());
        async move {
            let csv = mixed_bulk(n as u32, ROWS, AMOUNT, &RULES);
            let parts = [Part::file(&format!("paie-{n}.csv"), csv)];
            let res = api.upload_parts(&token, &parts, &[]).await;
            let status = res.status().as_u16();
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            assert_eq!(status, 202, "upload {n}: {body}");
            let bulk = body["bulkTransferId"].as_str().unwrap().to_string();
            let watchers: Vec<_> = (0..WATCHERS_PER_BULK)
                .map(|_| spawn_follow(&api, &token, &bulk, Duration::from_secs(240)))
                .collect();
            (bulk, watchers)
        }
    });
    let answers = join_all(uploads).await;
    eprintln!("50 concurrent uploads answered in {:?}", started.elapsed());
    let mut bulks = Vec::new();
    let mut watchers = Vec::new();
    for (bulk, w) in answers {
        bulks.push(bulk);
        watchers.extend(w);
    }
    assert_eq!(watchers.len(), 500);

    for bulk in &bulks {
        let b = wait_settled(&s, bulk, Duration::from_secs(240), false).await;
        assert_eq!(b.state, "PARTIALLY_COMPLETED", "{bulk}");
        assert_eq!((b.succeeded_count, b.failed_count), (900, 100), "{bulk}");
        assert_eq!(b.succeeded_amount, 900 * AMOUNT, "{bulk}");
    }
    eprintln!(
        "50,000 rows settled {:?} after the first upload",
        started.elapsed()
    );

    let outcomes = join_all(watchers).await;
    let mut reconnects = 0;
    for o in outcomes {
        let o = o.unwrap();
        assert!(
            o.refused.iter().all(|s| *s < 500),
            "a stream got a 5xx: {:?}",
            o.refused
        );
        let done = o
            .done
            .clone()
            .unwrap_or_else(|| panic!("a watcher never saw done: {o:?}"));
        assert_eq!(
            (done["succeeded"].as_i64(), done["failed"].as_i64()),
            (Some(900), Some(100))
        );
        reconnects += o.reconnects;
    }
    eprintln!("500 watchers reached done ({reconnects} reconnections)");

    let mut settled = Vec::new();
    for (i, (org, _, _)) in orgs.iter().enumerate() {
        let st = assert_org_consistent(&s, org, false).await;
        assert_eq!(st.count("COMPLETED"), BULKS_PER_ORG * 900, "{org}");
        assert_eq!(st.reserved, 0, "{org}");
        let credited = if i == 0 {
            suite::stack::DEMO_BALANCE
        } else {
            BALANCE
        };
        assert_eq!(
            st.balance,
            credited - (BULKS_PER_ORG * 900) as i64 * AMOUNT,
            "{org}"
        );
        settled.push(st);
    }
    assert_switch_matches(&s, &settled.iter().collect::<Vec<_>>());
    assert_eq!(
        s.sim.counters().committed,
        (ORGS * BULKS_PER_ORG * 900) as u64
    );
    assert_eq!(s.live_workers(), 3, "a worker died");
    // Nothing in the API's log at error level (every answer was 2xx/4xx, nothing crashed).
    let log = s.api_proc.as_ref().unwrap().log_text();
    assert!(
        !log.contains("ERROR"),
        "API errors:\n{}",
        &log[..log.len().min(3000)]
    );
    s.cleanup().await;
}
