//! Accounts and the money operations on them. Each operation is one conditional UPDATE plus its
//! journal entry, so concurrent callers can never over-reserve or over-spend (no read-then-write).

use diesel::prelude::*;
use domain::LedgerKind;

use crate::connection::DbConn;
use crate::error::{DbError, DbResult};
use crate::models::{Account, NewAccount, NewLedgerEntry, now};
use crate::schema::accounts::dsl as a;
use crate::schema::ledger_entries::dsl as le;

/// Creates an account at zero; one per organisation and currency.
pub fn create(conn: &mut DbConn, new: &NewAccount<'_>) -> DbResult<Account> {
    let id: i64 = diesel::insert_into(a::accounts)
        .values(new)
        .returning(a::id)
        .get_result(conn)?;
    get(conn, id)
}

/// By primary key.
pub fn get(conn: &mut DbConn, id: i64) -> DbResult<Account> {
    Ok(a::accounts
        .find(id)
        .select(Account::as_select())
        .first(conn)?)
}

/// By public account id.
pub fn find_by_account_id(conn: &mut DbConn, account_id: &str) -> DbResult<Option<Account>> {
    Ok(a::accounts
        .filter(a::account_id.eq(account_id))
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}

/// The organisation's account in `currency`, if any.
pub fn find_for_org(conn: &mut DbConn, org: i64, currency: &str) -> DbResult<Option<Account>> {
    Ok(a::accounts
        .filter(a::organisation_id.eq(org))
        .filter(a::currency.eq(currency))
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}

/// Every account of the organisation.
pub fn list_for_org(conn: &mut DbConn, org: i64) -> DbResult<Vec<Account>> {
    Ok(a::accounts
        .filter(a::organisation_id.eq(org))
        .order(a::id.asc())
        .select(Account::as_select())
        .load(conn)?)
}

/// Writes one journal line.
pub fn journal(
    conn: &mut DbConn,
    account_pk: i64,
    bulk_pk: Option<i64>,
    transfer_pk: Option<i64>,
    kind: LedgerKind,
    amount: i64,
) -> DbResult<()> {
    diesel::insert_into(le::ledger_entries)
        .values(&NewLedgerEntry {
            account_pk,
            bulk_pk,
            transfer_pk,
            kind: kind.as_str().to_string(),
            amount,
            created_at: now(),
        })
        .execute(conn)?;
    Ok(())
}

/// Adds money to an account (admin top-up), with its CREDIT journal line, in one transaction.
pub fn credit(conn: &mut DbConn, account_pk: i64, amount: i64) -> DbResult<Account> {
    if amount <= 0 {
        return Err(DbError::Corrupt("credit amount must be positive".into()));
    }
    conn.transaction::<_, DbError, _>(|c| {
        let n = diesel::update(a::accounts.find(account_pk))
            .set((a::balance.eq(a::balance + amount), a::updated_at.eq(now())))
            .execute(c)?;
        if n == 0 {
            return Err(DbError::NotFound);
        }
        journal(c, account_pk, None, None, LedgerKind::Credit, amount)?;
        get(c, account_pk)
    })
}

/// Reserves `amount` only if `balance − reserved ≥ amount` (one conditional UPDATE) and journals it.
/// Call inside the transaction that creates the bulk; `InsufficientFunds` carries what was available.
/// The UPDATE and its journal line are one transaction of their own (a savepoint when nested), so
/// even a caller outside a transaction can never leave the account and the journal disagreeing.
pub fn reserve(
    conn: &mut DbConn,
    account_pk: i64,
    bulk_pk: Option<i64>,
    amount: i64,
) -> DbResult<()> {
    // A non-positive amount would pass the condition and shrink the reservation.
    if amount <= 0 {
        return Err(DbError::Corrupt("reserve amount must be positive".into()));
    }
    conn.transaction::<_, DbError, _>(|c| {
        let n = diesel::update(
            a::accounts
                .find(account_pk)
                .filter((a::balance - a::reserved).ge(amount)),
        )
        .set((
            a::reserved.eq(a::reserved + amount),
            a::updated_at.eq(now()),
        ))
        .execute(c)?;
        if n == 0 {
            let acc = get(c, account_pk)?;
            return Err(DbError::InsufficientFunds {
                required: amount,
                available: acc.available(),
            });
        }
        journal(c, account_pk, bulk_pk, None, LedgerKind::Reserve, amount)
    })
}

/// Applies settled totals to an account: `consumed` leaves balance and reservation, `released`
/// returns to available. Database CHECKs refuse anything that would go negative.
pub fn apply_settlement(
    conn: &mut DbConn,
    account_pk: i64,
    consumed: i64,
    released: i64,
) -> DbResult<()> {
    if consumed == 0 && released == 0 {
        return Ok(());
    }
    let n = diesel::update(
        a::accounts
            .find(account_pk)
            .filter(a::reserved.ge(consumed + released)),
    )
    .set((
        a::balance.eq(a::balance - consumed),
        a::reserved.eq(a::reserved - consumed - released),
        a::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(DbError::Corrupt(format!(
            "account {account_pk}: settling {consumed}+{released} exceeds its reservation"
        )));
    }
    Ok(())
}

/// Releases `amount` of a reservation back to available (a run rejected or cancelled before any
/// row was sent), with its RELEASE journal line, inside the caller's transaction.
pub fn release(
    conn: &mut DbConn,
    account_pk: i64,
    bulk_pk: Option<i64>,
    amount: i64,
) -> DbResult<()> {
    if amount <= 0 {
        return Err(DbError::Corrupt("release amount must be positive".into()));
    }
    apply_settlement(conn, account_pk, 0, amount)?;
    journal(conn, account_pk, bulk_pk, None, LedgerKind::Release, amount)
}
