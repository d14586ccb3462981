//! The pension-period guard: one claim per payee (id type + identifier), organisation and period.
//!
//! A run with a period claims each of its payees when it is stored ([`claim_bulk`], one INSERT …
//! SELECT); the primary key of `period_claims` makes two runs racing for the same payee and period
//! unable to both commit, on both backends. [`conflicts`] finds the lines of a file whose payee is
//! already claimed (to refuse it line by line, before and after a lost race). A claim is given back
//! when its row FAILS ([`release_transfers`], in the settlement transaction) or its run is rejected
//! or cancelled ([`release_bulk`]); a retry run claims its payees again.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::connection::DbConn;
use crate::error::DbResult;
use crate::schema::bulk_transfers::dsl as b;
use crate::schema::individual_transfers::dsl as t;
use crate::schema::period_claims::dsl as pc;

/// A payee of a file already claimed in the period by another run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Party id type.
    pub party_id_type: String,
    /// Party identifier.
    pub party_identifier: String,
    /// The other run's public id.
    pub bulk_id: String,
}

/// Payees chunked per query (bind parameters stay well under both backends' limits).
const CHUNK: usize = 5_000;

/// Which of `payees` (type, identifier) are claimed in `period` of `organisation` by a run other
/// than `except_bulk`.
pub fn conflicts(
    conn: &mut DbConn,
    organisation: i64,
    period: &str,
    payees: &[(&str, &str)],
    except_bulk: Option<i64>,
) -> DbResult<Vec<Conflict>> {
    let mut out = Vec::new();
    for chunk in payees.chunks(CHUNK) {
        let ids: Vec<&str> = chunk.iter().map(|p| p.1).collect();
        let found: Vec<(String, String, i64, String)> = pc::period_claims
            .inner_join(b::bulk_transfers.on(b::id.eq(pc::bulk_pk)))
            .filter(pc::organisation_id.eq(organisation))
            .filter(pc::period.eq(period))
            .filter(pc::party_identifier.eq_any(&ids))
            .select((
                pc::party_id_type,
                pc::party_identifier,
                pc::bulk_pk,
                b::bulk_id,
            ))
            .load(conn)?;
        for (ty, id, pk, bulk_id) in found {
            if Some(pk) != except_bulk && chunk.iter().any(|p| p.0 == ty && p.1 == id) {
                out.push(Conflict {
                    party_id_type: ty,
                    party_identifier: id,
                    bulk_id,
                });
            }
        }
    }
    Ok(out)
}

/// Claims every payee of a stored run that is not flagged `repeat_in_period`, in one statement.
/// A payee claimed meanwhile by another run makes it fail with a unique violation
/// ([`crate::DbError::Conflict`]): the caller's transaction rolls back.
pub fn claim_bulk(
    conn: &mut DbConn,
    organisation: i64,
    period: &str,
    bulk_pk: i64,
) -> DbResult<usize> {
    let rows = t::individual_transfers
        .filter(t::bulk_pk.eq(bulk_pk))
        .filter(t::repeat_in_period.eq(false))
        .select((
            organisation.into_sql::<BigInt>(),
            period.to_string().into_sql::<Text>(),
            t::party_id_type,
            t::party_identifier,
            t::bulk_pk,
            t::id,
        ));
    let n = diesel::insert_into(pc::period_claims)
        .values(rows)
        .into_columns((
            pc::organisation_id,
            pc::period,
            pc::party_id_type,
            pc::party_identifier,
            pc::bulk_pk,
            pc::transfer_pk,
        ))
        .execute(conn)?;
    Ok(n)
}

/// Gives back the claims of these rows (they FAILED: the payee may be paid by another run).
pub fn release_transfers(conn: &mut DbConn, transfer_pks: &[i64]) -> DbResult<usize> {
    if transfer_pks.is_empty() {
        return Ok(0);
    }
    Ok(
        diesel::delete(pc::period_claims.filter(pc::transfer_pk.eq_any(transfer_pks)))
            .execute(conn)?,
    )
}

/// Gives back every claim of a run (rejected or cancelled).
pub fn release_bulk(conn: &mut DbConn, bulk_pk: i64) -> DbResult<usize> {
    Ok(diesel::delete(pc::period_claims.filter(pc::bulk_pk.eq(bulk_pk))).execute(conn)?)
}
