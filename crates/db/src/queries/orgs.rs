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
