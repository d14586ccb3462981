//! Fixtures shared by the integration tests: a fresh database per test on either backend, an
//! organisation with a user and a funded account, bulk builders and the ledger invariant check.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDateTime;
use db::models::{
    Account, Bulk, NewAccount, NewBulk, NewTransfer, NewUser, Organisation, User, now,
};
use db::queries::{accounts, bulks, ledger, orgs, transfers, users};
use db::testing::TestDb;
use db::{Backend, DbConn, DbPool};
use diesel::prelude::*;

/// Generates, for each `case(backend: Backend)` function named, a module with a `pg` and a
/// `sqlite` test, so every case runs on both backends (PostgreSQL down = failure, never a skip).
#[macro_export]
macro_rules! both_backends {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                #[test]
                fn pg() {
                    super::$case(db::Backend::Postgres)
                }
                #[test]
                fn sqlite() {
                    super::$case(db::Backend::Sqlite)
                }
            }
        )*
    };
}

/// A fresh migrated database; panics (fails the test) when the backend is unreachable.
pub fn test_db(backend: Backend) -> TestDb {
    TestDb::new(backend)
        .unwrap_or_else(|e| panic!("cannot create a {backend:?} test database: {e}"))
}

/// A separate pool on the test database, sized for `threads` workers holding one connection each.
pub fn pool_for(db: &TestDb, threads: u32) -> DbPool {
    db::connect(&db.url, threads + 1).expect("pool")
}

/// An organisation, one GESTIONNAIRE user and one XOF account credited with `balance`.
#[derive(Debug, Clone)]
pub struct World {
    pub org: Organisation,
    pub user: User,
    pub account: Account,
}

pub fn world(conn: &mut DbConn, name: &str, balance: i64) -> World {
    let org = orgs::create(conn, name).expect("org");
    let user = users::create(
        conn,
        &NewUser {
            organisation_id: org.id,
            username: &format!("{name}-user"),
            email: Some(&format!("{name}@example.org")),
            password_hash: "$2b$04$hash",
            role: "GESTIONNAIRE",
            active: true,
            created_at: now(),
        },
    )
    .expect("user");
    let account = open_account(conn, &org, &format!("{name}-acc"), "XOF");
    let account = if balance > 0 {
        accounts::credit(conn, account.id, balance).expect("credit")
    } else {
        account
    };
    World { org, user, account }
}

pub fn open_account(
    conn: &mut DbConn,
    org: &Organisation,
    account_id: &str,
    currency: &str,
) -> Account {
    accounts::create(
        conn,
        &NewAccount {
            organisation_id: org.id,
            account_id,
            party_id_type: "MSISDN",
            party_identifier: "22507000001",
            currency,
            created_at: now(),
            updated_at: now(),
        },
    )
    .expect("account")
}

/// The insert structs of a bulk paying `amounts` from the world's account (transfer ids `T1…Tn`).
pub fn bulk_spec(w: &World, account: &Account, amounts: &[i64]) -> (NewBulk, Vec<NewTransfer>) {
    let at = now();
    let bulk = NewBulk {
        bulk_id: domain::new_bulk_id(),
        organisation_id: w.org.id,
        account_pk: account.id,
        currency: account.currency.clone(),
        total_amount: amounts.iter().sum(),
        total_count: i64::try_from(amounts.len()).expect("count"),
        state: domain::BulkState::Pending.into(),
        file_sha256: domain::sha256_hex(domain::new_bulk_id().as_bytes()),
        file_name: Some("pensions.csv".into()),
        idempotency_key: None,
        callback_url: None,
        created_by: w.user.id,
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
    let rows = amounts
        .iter()
        .enumerate()
        .map(|(i, &amount)| NewTransfer {
            bulk_pk: 0,
            line: i64::try_from(i).expect("line") + 2,
            transfer_id: format!("T{}", i + 1),
            mojaloop_transfer_id: domain::new_mojaloop_transfer_id(),
            party_id_type: "MSISDN".into(),
            party_identifier: format!("2250700{i:05}"),
            payee_name: Some(format!("Pensioner {i}")),
            amount,
            status: domain::TransferStatus::Pending.into(),
            created_at: at,
            updated_at: at,
            repeat_in_period: false,
        })
        .collect();
    (bulk, rows)
}

/// Creates a bulk of `amounts` on the world's account.
pub fn create_bulk(conn: &mut DbConn, w: &World, amounts: &[i64]) -> Bulk {
    let (bulk, mut rows) = bulk_spec(w, &w.account, amounts);
    bulks::create(conn, &bulk, &mut rows).expect("create bulk")
}

/// Creates a bulk, marks it PROCESSING and claims every row; returns the bulk and its row keys.
pub fn claimed_bulk(conn: &mut DbConn, w: &World, amounts: &[i64]) -> (Bulk, Vec<i64>) {
    let bulk = create_bulk(conn, w, amounts);
    assert!(bulks::mark_processing(conn, bulk.id).expect("processing"));
    let rows = transfers::claim(conn, bulk.id, 100_000).expect("claim");
    assert_eq!(rows.len(), amounts.len());
    (bulk, rows.into_iter().map(|r| r.id).collect())
}

/// Status of one transfer row.
pub fn status_of(conn: &mut DbConn, transfer_pk: i64) -> String {
    transfers::get(conn, transfer_pk)
        .expect("transfer")
        .status
        .to_string()
}

/// Number of journal lines (all accounts).
pub fn journal_lines(conn: &mut DbConn) -> i64 {
    use db::schema::ledger_entries::dsl as le;
    le::ledger_entries.count().get_result(conn).expect("count")
}

/// Σ amount of the non-final transfers (PENDING, PROCESSING, UNKNOWN) of the account's bulks.
pub fn open_amount(conn: &mut DbConn, account_pk: i64) -> i64 {
    use db::schema::bulk_transfers::dsl as b;
    use db::schema::individual_transfers::dsl as t;
    let amounts: Vec<i64> = t::individual_transfers
        .inner_join(b::bulk_transfers)
        .filter(b::account_pk.eq(account_pk))
        .filter(t::status.eq_any(["PENDING", "PROCESSING", "UNKNOWN"]))
        .select(t::amount)
        .load(conn)
        .expect("open amounts");
    amounts.iter().sum()
}

/// The ledger invariants of one account: the row agrees with its journal and with its open transfers.
pub fn assert_ledger(conn: &mut DbConn, account_pk: i64) -> Account {
    let acc = accounts::get(conn, account_pk).expect("account");
    let j = ledger::totals(conn, account_pk).expect("totals");
    assert_eq!(
        acc.balance,
        j.expected_balance(),
        "balance vs journal {j:?}"
    );
    assert_eq!(
        acc.reserved,
        j.expected_reserved(),
        "reserved vs journal {j:?}"
    );
    assert_eq!(
        acc.reserved,
        open_amount(conn, account_pk),
        "reserved vs open transfers"
    );
    assert!(acc.reserved >= 0 && acc.reserved <= acc.balance, "{acc:?}");
    acc
}

/// Moves a bulk's `updated_at` back in time (the sweep looks for idle bulks).
pub fn backdate_bulk(conn: &mut DbConn, bulk_pk: i64, to: NaiveDateTime) {
    use db::schema::bulk_transfers::dsl as b;
    diesel::update(b::bulk_transfers.find(bulk_pk))
        .set(b::updated_at.eq(to))
        .execute(conn)
        .expect("backdate");
}

/// Minutes as a chrono duration.
pub fn minutes(m: i64) -> chrono::Duration {
    chrono::Duration::minutes(m)
}
