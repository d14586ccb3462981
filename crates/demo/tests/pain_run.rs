//! A pain.001 run paid to the end over real HTTP (API, Redis queue and bus, an in-process worker,
//! the simulated adapter), then its pain.002: payees whose numbers end in 3204 and 5105 are
//! refused by the simulator, so the report is PART with RJCT rows carrying their ISO reasons
//! (AC01 for the party not found, NARR for the payee FSP's refusal) and ACSC for the others.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "../../api/tests/support/iso.rs"]
mod iso;

use std::time::Duration;

use common::{Stack, USER};
use domain::BulkState;
use iso::{Tx, assert_well_formed, pain001, read_pain002};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pain001_run_paid_then_reported() {
    let mut stack = Stack::new(0, &[]).await;
    stack.start_worker();
    let token = stack.login(USER).await;
    let file = pain001(
        "CNSS-E2E-0001",
        Some("2026-12-01"),
        &[
            (
                "BLOC-LOME",
                vec![
                    Tx::new("LOME-1", 10_000, "22890100001"),
                    Tx::new("LOME-2", 20_000, "22890103204"),
                    Tx::new("LOME-3", 30_000, "22890100003"),
                ],
            ),
            (
                "BLOC-KARA",
                vec![
                    Tx::new("KARA-1", 40_000, "22890105105"),
                    Tx::new("KARA-2", 50_000, "22890100005"),
                ],
            ),
        ],
    );
    let xml = String::from_utf8(file).unwrap();
    let bulk = stack.upload_csv(&token, "pensions.xml", &xml).await;
    let done = stack.wait_final(&bulk, Duration::from_secs(60)).await;
    assert_eq!(*done.state, BulkState::PartiallyCompleted);
    assert_eq!((done.succeeded_count, done.failed_count), (3, 2));

    let res = stack
        .client
        .get(stack.url(&format!("/api/bulk-transfers/{bulk}/pain002")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let xml = res.text().await.unwrap();
    assert_well_formed(&xml);
    let r = read_pain002(&xml);
    assert_eq!(r.orgnl_msg_id, "CNSS-E2E-0001");
    assert_eq!(r.orgnl_msg_nm_id, "pain.001.001.09");
    assert_eq!(r.orgnl_nb_of_txs, "5");
    assert_eq!(r.orgnl_ctrl_sum.as_deref(), Some("150000"));
    assert_eq!(r.grp_sts, "PART");
    let blocks: Vec<_> = r
        .blocks
        .iter()
        .map(|(id, t)| (id.as_str(), t.len()))
        .collect();
    assert_eq!(blocks, [("BLOC-LOME", 3), ("BLOC-KARA", 2)]);
    let rows: Vec<_> = r
        .txs()
        .iter()
        .map(|t| (t.e2e.as_str(), t.status.as_str(), t.reason.as_deref()))
        .collect();
    assert_eq!(
        rows,
        [
            ("LOME-1", "ACSC", None),
            ("LOME-2", "RJCT", Some("AC01")),
            ("LOME-3", "ACSC", None),
            ("KARA-1", "RJCT", Some("NARR")),
            ("KARA-2", "ACSC", None),
        ]
    );
    assert_eq!(r.tx("LOME-2").info[0], "Mojaloop error 3204");
    assert_eq!(r.tx("KARA-1").info[0], "Mojaloop error 5105");
    assert_eq!(r.tx("KARA-1").amount, Some(("40000".into(), "XOF".into())));
    // Every row reached the switch once.
    assert!(stack.sim().counters().duplicate_transfer_ids.is_empty());
    stack.cleanup().await;
}
