//! Users.

use diesel::prelude::*;

use crate::connection::DbConn;
use crate::error::DbResult;
use crate::models::{NewUser, User};
use crate::schema::users::dsl as u;

/// Creates a user; a taken username or e-mail is a `Conflict`.
pub fn create(conn: &mut DbConn, new: &NewUser<'_>) -> DbResult<User> {
    let id: i64 = diesel::insert_into(u::users)
        .values(new)
        .returning(u::id)
        .get_result(conn)?;
    get(conn, id)
}

/// By primary key.
pub fn get(conn: &mut DbConn, id: i64) -> DbResult<User> {
    Ok(u::users.find(id).select(User::as_select()).first(conn)?)
}

/// By username or e-mail (login accepts either), `None` when absent.
pub fn find_by_login(conn: &mut DbConn, login: &str) -> DbResult<Option<User>> {
    Ok(u::users
        .filter(u::username.eq(login).or(u::email.eq(login)))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// Activates or deactivates a user; returns whether a row changed.
pub fn set_active(conn: &mut DbConn, id: i64, active: bool) -> DbResult<bool> {
    let n = diesel::update(u::users.find(id))
        .set(u::active.eq(active))
        .execute(conn)?;
    Ok(n == 1)
}

/// Replaces a user's password hash; returns whether a row changed.
pub fn set_password_hash(conn: &mut DbConn, id: i64, hash: &str) -> DbResult<bool> {
    let n = diesel::update(u::users.find(id))
        .set(u::password_hash.eq(hash))
        .execute(conn)?;
    Ok(n == 1)
}

/// Changes a user's role (an organisation promoting a manager to approver, say).
pub fn set_role(conn: &mut DbConn, id: i64, role: domain::Role) -> DbResult<()> {
    let n = diesel::update(u::users.find(id))
        .set(u::role.eq(role.as_str()))
        .execute(conn)?;
    if n == 0 {
        return Err(crate::DbError::NotFound);
    }
    Ok(())
}
