//! The checks every fault scenario ends with: nothing lost, nothing paid twice, money exact.

use std::collections::HashMap;
use std::time::Duration;

use db::models::{Account, Bulk, Transfer};
use db::queries::{accounts, bulks, ledger, orgs, transfers};
use tokio::time::Instant;

use crate::stack::Stack;

/// What one organisation's bulks came to.
#[derive(Debug, Clone, Default)]
pub struct Settled {
    /// Rows per status, over every bulk of the organisation.
    pub by_status: HashMap<String, usize>,
    /// Bulks per state.
    pub bulk_states: HashMap<String, usize>,
    /// The account afterwards.
    pub balance: i64,
    /// Reserved afterwards (= Σ UNKNOWN amounts).
    pub reserved: i64,
    /// Re-sends after answers proving a row never reached the transfer stage, over every row.
    pub resends: i64,
}

impl Settled {
    /// Rows in `status`.
    pub fn count(&self, status: &str) -> usize {
        self.by_status.get(status).copied().unwrap_or(0)
    }
}

fn is_final_bulk(state: &str) -> bool {
    domain::BulkState::parse(state).is_ok_and(domain::BulkState::is_final)
}

/// Waits until `bulk_id` is final, or its only open rows are UNKNOWN rows the switch cannot settle
/// (when `unknown_ok`), up to `timeout`. Panics with the row counts otherwise.
pub async fn wait_settled(
    stack: &Stack,
    bulk_id: &str,
    timeout: Duration,
    unknown_ok: bool,
) -> Bulk {
    let deadline = Instant::now() + timeout;
    loop {
        let id = bulk_id.to_string();
        let (bulk, counts) = stack
            .db(move |c| {
                let b = bulks::find(c, &id)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .unwrap_or_else(|| panic!("no bulk {id}"));
                let counts = transfers::count_by_status(c, b.id).unwrap_or_else(|e| panic!("{e}"));
                (b, counts)
            })
            .await;
        if is_final_bulk(bulk.state.as_str()) {
            return bulk;
        }
        let open_not_unknown = counts
            .iter()
            .any(|(s, n)| *n > 0 && matches!(s.as_str(), "PENDING" | "PROCESSING"));
        if unknown_ok && !open_not_unknown && bulk.state != "PENDING" {
            return bulk;
        }
        assert!(
            Instant::now() < deadline,
            "{}: bulk {bulk_id} not settled after {timeout:?}: {} {counts:?}",
            stack.name,
            bulk.state
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Everything about one organisation's money and rows must agree with the switch and the journal:
/// - every row is COMPLETED or FAILED (or UNKNOWN, only when `unknown_ok`), none PENDING/PROCESSING;
/// - a row is COMPLETED exactly when the simulated switch committed its transfer (FAILED ones were
///   never committed): nothing lost, nothing paid without being recorded;
/// - no transferId reached the switch's ledger twice (the simulator's prepare counters), and a row
///   POSTed more than once was re-sent only after answers proving the earlier attempts never
///   reached the transfer stage (POSTs ≤ 1 + its `resend_count`);
/// - every bulk's counters equal its rows, and a bulk is final unless it has UNKNOWN rows;
/// - `balance` and `reserved` equal the journal (`db::queries::ledger::totals`), `reserved` equals
///   the UNKNOWN rows' amounts and `balance` the credits minus the COMPLETED amounts.
pub async fn assert_org_consistent(stack: &Stack, org_name: &str, unknown_ok: bool) -> Settled {
    let name = org_name.to_string();
    let (account, all): (Account, Vec<(Bulk, Vec<Transfer>)>) = stack
        .db(move |c| {
            let org = orgs::find_by_name(c, &name)
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|| panic!("no organisation {name}"));
            let account = accounts::find_for_org(c, org.id, "XOF")
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|| panic!("{name} has no XOF account"));
            let list = bulks::list_for_org(c, org.id, None, None, 100_000)
                .unwrap_or_else(|e| panic!("{e}"));
            let all = list
                .into_iter()
                .map(|b| {
                    let rows = transfers::page(c, b.id, None, None, 10_000_000)
                        .unwrap_or_else(|e| panic!("{e}"));
                    (b, rows)
                })
                .collect();
            (account, all)
        })
        .await;
    let counters = stack.sim.counters();
    assert!(
        counters.duplicate_prepares.is_empty(),
        "{}: transferIds prepared more than once at the switch: {:?}",
        stack.name,
        &counters.duplicate_prepares[..counters.duplicate_prepares.len().min(10)]
    );
    let posts = counters.posts.clone().unwrap_or_default();
    let mut out = Settled::default();
    let (mut completed_sum, mut unknown_sum) = (0i64, 0i64);
    for (bulk, rows) in &all {
        *out.bulk_states.entry(bulk.state.to_string()).or_default() += 1;
        let mut succeeded = 0i64;
        let mut failed = 0i64;
        let mut unknown = 0usize;
        for r in rows {
            *out.by_status.entry(r.status.to_string()).or_default() += 1;
            let sent = posts.get(&r.mojaloop_transfer_id).copied().unwrap_or(0);
            assert!(
                i64::from(sent) <= 1 + i64::from(r.resend_count),
                "{}: row {} POSTed {sent} times with {} re-sends recorded",
                stack.name,
                r.transfer_id,
                r.resend_count
            );
            out.resends += i64::from(r.resend_count);
            let committed = stack.sim.is_committed(&r.mojaloop_transfer_id);
            match r.status.as_str() {
                "COMPLETED" => {
                    assert!(
                        committed,
                        "{}: row {} COMPLETED but never committed at the switch",
                        stack.name, r.transfer_id
                    );
                    succeeded += 1;
                    completed_sum += r.amount;
                }
                "FAILED" => {
                    assert!(
                        !committed,
                        "{}: row {} of {} FAILED but the switch committed it (paid, money released): {:?} {:?}",
                        stack.name, r.transfer_id, bulk.bulk_id, r.error_code, r.error_message
                    );
                    failed += 1;
                }
                // Kept out by verification: never sent, counted as not paid.
                "EXCLUDED" => {
                    assert_eq!(
                        sent, 0,
                        "{}: row {} of {} EXCLUDED but POSTed",
                        stack.name, r.transfer_id, bulk.bulk_id
                    );
                    assert!(
                        !committed,
                        "{}: row {} EXCLUDED but committed",
                        stack.name, r.transfer_id
                    );
                    failed += 1;
                }
                "UNKNOWN" if unknown_ok => {
                    unknown += 1;
                    unknown_sum += r.amount;
                }
                other => panic!(
                    "{}: row {} of {} is {other}",
                    stack.name, r.transfer_id, bulk.bulk_id
                ),
            }
        }
        assert_eq!(
            rows.len() as i64,
            bulk.total_count,
            "{}: rows of {}",
            stack.name,
            bulk.bulk_id
        );
        assert_eq!(
            bulk.succeeded_count, succeeded,
            "{}: succeeded of {}",
            stack.name, bulk.bulk_id
        );
        assert_eq!(
            bulk.failed_count, failed,
            "{}: failed of {}",
            stack.name, bulk.bulk_id
        );
        if unknown == 0 {
            assert!(
                is_final_bulk(bulk.state.as_str()),
                "{}: {} is {} with every row final",
                stack.name,
                bulk.bulk_id,
                bulk.state
            );
        }
    }
    let pk = account.id;
    let (account, totals) = stack
        .db(move |c| {
            let a = accounts::get(c, pk).unwrap_or_else(|e| panic!("{e}"));
            let t = ledger::totals(c, pk).unwrap_or_else(|e| panic!("{e}"));
            (a, t)
        })
        .await;
    assert_eq!(
        account.balance,
        totals.expected_balance(),
        "{}: balance vs journal",
        stack.name
    );
    assert_eq!(
        account.reserved,
        totals.expected_reserved(),
        "{}: reserved vs journal",
        stack.name
    );
    assert_eq!(
        account.reserved, unknown_sum,
        "{}: reserved vs UNKNOWN rows",
        stack.name
    );
    assert_eq!(
        account.balance,
        totals.credited - completed_sum,
        "{}: balance vs COMPLETED rows",
        stack.name
    );
    out.balance = account.balance;
    out.reserved = account.reserved;
    out
}

/// The switch committed exactly as many transfers as there are COMPLETED rows (plus committed
/// UNKNOWN ones), over every organisation of the stack: nothing was paid that the database does
/// not show.
pub fn assert_switch_matches(stack: &Stack, settled: &[&Settled]) {
    let completed: usize = settled.iter().map(|s| s.count("COMPLETED")).sum();
    let unknown: usize = settled.iter().map(|s| s.count("UNKNOWN")).sum();
    let committed = usize::try_from(stack.sim.counters().committed).unwrap_or(usize::MAX);
    assert!(
        committed >= completed && committed <= completed + unknown,
        "{}: switch committed {committed}, COMPLETED rows {completed}, UNKNOWN {unknown}",
        stack.name
    );
}

/// Error codes of the organisation's FAILED rows, with their counts.
pub async fn failed_codes(stack: &Stack, org_name: &str) -> HashMap<String, usize> {
    let name = org_name.to_string();
    stack
        .db(move |c| {
            let org = orgs::find_by_name(c, &name)
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|| panic!("no organisation {name}"));
            let mut out: HashMap<String, usize> = HashMap::new();
            for b in bulks::list_for_org(c, org.id, None, None, 100_000).unwrap_or_default() {
                let rows = transfers::page(c, b.id, Some("FAILED"), None, 10_000_000)
                    .unwrap_or_else(|e| panic!("{e}"));
                for r in rows {
                    *out.entry(r.error_code.unwrap_or_default()).or_default() += 1;
                }
            }
            out
        })
        .await
}
