//! Reading the journal back, to prove the account rows agree with it.

use diesel::prelude::*;
use domain::LedgerKind;

use crate::connection::DbConn;
use crate::error::DbResult;
use crate::schema::ledger_entries::dsl as le;

/// Sums of the journal for one account, by kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct JournalTotals {
    /// Σ CREDIT.
    pub credited: i64,
    /// Σ RESERVE.
    pub reserved: i64,
    /// Σ CONSUME.
    pub consumed: i64,
    /// Σ RELEASE.
    pub released: i64,
}

impl JournalTotals {
    /// What `accounts.balance` must equal.
    pub fn expected_balance(&self) -> i64 {
        self.credited - self.consumed
    }
    /// What `accounts.reserved` must equal.
    pub fn expected_reserved(&self) -> i64 {
        self.reserved - self.consumed - self.released
    }
}

/// Totals of the journal of `account_pk`.
pub fn totals(conn: &mut DbConn, account_pk: i64) -> DbResult<JournalTotals> {
    let rows: Vec<(String, i64)> = le::ledger_entries
        .filter(le::account_pk.eq(account_pk))
        .select((le::kind, le::amount))
        .load(conn)?;
    let mut t = JournalTotals::default();
    for (kind, amount) in rows {
        match LedgerKind::parse(&kind) {
            Ok(LedgerKind::Credit) => t.credited += amount,
            Ok(LedgerKind::Reserve) => t.reserved += amount,
            Ok(LedgerKind::Consume) => t.consumed += amount,
            Ok(LedgerKind::Release) => t.released += amount,
            Err(_) => {
                return Err(crate::error::DbError::Corrupt(format!(
                    "ledger kind {kind}"
                )));
            }
        }
    }
    Ok(t)
}

/// Number of journal lines for one bulk (tests use it to prove nothing was written).
pub fn count_for_bulk(conn: &mut DbConn, bulk_pk: i64) -> DbResult<i64> {
    Ok(le::ledger_entries
        .filter(le::bulk_pk.eq(bulk_pk))
        .count()
        .get_result(conn)?)
}

/// The journal lines of one bulk, oldest first.
pub fn for_bulk(conn: &mut DbConn, bulk_pk: i64) -> DbResult<Vec<crate::models::LedgerEntry>> {
    Ok(le::ledger_entries
        .filter(le::bulk_pk.eq(bulk_pk))
        .order(le::id.asc())
        .select(crate::models::LedgerEntry::as_select())
        .load(conn)?)
}
