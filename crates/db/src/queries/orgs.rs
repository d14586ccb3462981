//! Organisations.

use diesel::prelude::*;

use crate::connection::DbConn;
use crate::error::DbResult;
use crate::models::{NewOrganisation, Organisation, now};
use crate::schema::organisations::dsl as o;

/// Creates an organisation; a taken name is a `Conflict`.
pub fn create(conn: &mut DbConn, name: &str) -> DbResult<Organisation> {
    let id: i64 = diesel::insert_into(o::organisations)
        .values(&NewOrganisation {
            name,
            created_at: now(),
        })
        .returning(o::id)
        .get_result(conn)?;
    get(conn, id)
}

/// By primary key.
pub fn get(conn: &mut DbConn, id: i64) -> DbResult<Organisation> {
    Ok(o::organisations
        .find(id)
        .select(Organisation::as_select())
        .first(conn)?)
}

/// By unique name, `None` when absent.
pub fn find_by_name(conn: &mut DbConn, name: &str) -> DbResult<Option<Organisation>> {
    Ok(o::organisations
        .filter(o::name.eq(name))
        .select(Organisation::as_select())
        .first(conn)
        .optional()?)
}

/// Stores an organisation's payment-run policy.
pub fn set_policy(
    conn: &mut DbConn,
    id: i64,
    policy: &domain::OrgPolicy,
) -> DbResult<Organisation> {
    let n = diesel::update(o::organisations.find(id))
        .set((
            o::approval_mode.eq(policy.approval.as_str()),
            o::approval_threshold.eq(policy.approval_threshold),
            o::period_guard.eq(policy.period_guard),
            o::verification_mode.eq(policy.verification.as_str()),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(crate::DbError::NotFound);
    }
    get(conn, id)
}
